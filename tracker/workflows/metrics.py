"""DORA metrics of a project's environments, read from the tracker's own tables.

The window's deployments are read the way ``history`` reads them: releases
through the latest-deployments GSI, newest deployed first, in Query pages of
100, until the stream is past ``since`` and each environment measured has its
deployment just before the window (what ran when the window opened) -- or
``LOOKBACK`` deployments past ``since`` have been read (then an environment
without one has its first deployment in the window counted without its
changes). No scan; what is read grows with the releases deployed since
``since``, not with the table. The
rules are :mod:`tracker.model.metrics`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.errors import InvalidInputError
from tracker.model.clock import epoch
from tracker.model.metrics import PERIODS, Deployed, EnvironmentMetrics, Settings, measure

if TYPE_CHECKING:
    from tracker.workflows.context import Context

# Deployments (of any environment) read past `since` looking for each environment's deployment before
# the window: bounds what a window costs when an environment had none (a new one) in a long history.
LOOKBACK = 500
PAGE = 100  # releases per Query page


def moment(text: str, now: float, what: str) -> float:
    """``30d`` (that long before now), or an ISO 8601 date or date-time (UTC unless it says)."""
    from tracker.model.durations import parse_duration

    value = text.strip()
    if value[:1].isdigit() and value[-1:] in "smhd" and "-" not in value:
        return now - parse_duration(value, what)
    try:
        return epoch(value)
    except ValueError:
        raise InvalidInputError(
            f"{what} '{text}' is neither a duration (30d, 12h) nor an ISO 8601 date (2026-11-01)"
        ) from None


def default_environments(ctx: Context, environment_id: str | None, every: bool) -> list[str] | None:
    """The environments to measure: the one named, all (``every``; None: whatever history holds
    when the manifest declares none), or the manifest's last one (production, by convention)."""
    project = ctx.project
    if environment_id is not None and every:
        raise InvalidInputError("name an environment or give --all, not both")
    if environment_id is not None:
        project.check_environment(environment_id)
        return [environment_id]
    declared = list(project.environments or ())
    if every:
        return declared or None
    if not declared:
        raise InvalidInputError(
            f"project '{project.id}' declares no environments: name the one to measure, or give --all"
        )
    return declared[-1:]


def metrics(
    ctx: Context,
    environment_ids: list[str] | None,
    *,
    since: float,
    until: float,
    by: str = "week",
    settings: Settings | None = None,
) -> list[EnvironmentMetrics]:
    """The four keys of each environment (None: every environment the history holds)."""
    from tracker.workflows.history import iter_deployments

    if by not in PERIODS:
        raise InvalidInputError(f"--by must be one of {', '.join(PERIODS)}, not '{by}'")
    if since >= until:
        raise InvalidInputError("the window is empty: --since must be before --until")
    settings = settings or ctx.project.metrics or Settings()
    found: dict[str, list[Deployed]] = {e: [] for e in environment_ids or ()}
    before: set[str] = set()  # environments whose deployment before the window was read
    past = 0
    ended = True
    for release, position in iter_deployments(ctx, None, page_size=PAGE):
        entry = release.deployments[position]
        env = entry.environment.id
        older = entry.at < since
        if older:
            past += 1
            if past > LOOKBACK:
                ended = False
                break
        if environment_ids is not None and env not in found:
            continue
        if older and env in before:
            continue
        if older:  # the deployment before the window: what ran when it opened
            before.add(env)
        found.setdefault(env, []).append(
            Deployed(release.release_id, entry, release.images, release.published)
        )
        if older and environment_ids is not None and before >= set(found):
            ended = False
            break
    return [
        measure(
            env,
            list(reversed(deployments)),
            since=since,
            until=until,
            by=by,
            settings=settings,
            known_before=ended or env in before,
        )
        for env, deployments in found.items()
    ]
