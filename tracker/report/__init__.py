"""A static report a release manager can read at a glance.

Per environment: the release it runs, when and by whom it was deployed and
why, and whether a freeze or a deployment window holds it. Then services ×
environments with differences and drift marked, what waits to ship, DORA's four
keys over the last 30 days (``tracker metrics``) with a chart per week, and
recent deployments, freezes and unfreezes with the images each deployment
changed. A manifest of several projects with none selected gives one page of
them all (:func:`several`). One colour means one thing, and the legend lists
the colours the page uses. HTML is self-contained (inline CSS and SVG, no
scripts, no network); Markdown renders on any code host.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from tracker.model.clock import epoch, iso8601
from tracker.model.entries import DeploymentEntry
from tracker.model.images import display, tag_and_digest
from tracker.model.metrics import DAY, approx
from tracker.model.project import Project
from tracker.model.records import compare_images
from tracker.model.results import Drift, EnvironmentStatus, HistoryEntry
from tracker.settings import DEFAULT_PIN

if TYPE_CHECKING:
    from tracker.workflows.context import Context
    from tracker.workflows.pending import Pending

LOOKBACK = 50  # entries read past the timeline to find each environment's previous deployment
METRICS_DAYS = 30  # the metrics window: the last 30 days, by week (a month shows a trend, a week not)


def image_tag(uri: str) -> str:
    """The human part of an image URI: the tag (or last path segment), and ``@`` a short digest if pinned."""
    tag, digest = tag_and_digest(uri)
    return f"{tag}@{digest}" if digest else tag


def ago(seconds: float) -> str:
    """``12 s ago``, ``5 min ago``, ``3 h ago``, ``9 d ago`` (a time ahead of the clock reads ``0 s ago``)."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    return f"{s // 3600} h ago" if s < 2 * 86400 else f"{s // 86400} d ago"


def change_text(change: dict[str, Any]) -> str:
    """``hatching: v1 → v2`` (whole URIs when the tags read the same; ``(none)`` for a missing side)."""
    before, after = change["from"], change["to"]
    old, new = (image_tag(u) if u else "(none)" for u in (before, after))
    if old == new:
        old, new = display(before), display(after)
    return f"{change['service']}: {old} → {new}"


# -- the data ----------------------------------------------------------------------------------
def _environment(
    env_id: str, name: str, found: EnvironmentStatus | None, drift: list[Drift], now: float
) -> dict[str, Any]:
    """One environment's card: what runs, who deployed it when and why, what holds it."""
    last = found.last if found else None
    at = found.deployed_at if found and found.release_id else None
    if not at and last is not None:
        at = last.at
    freeze = found.freeze if found else None
    return {
        **(last.to_json() if last else DeploymentEntry.blank_json()),
        "id": env_id,
        "name": name,
        "release_id": found.release_id if found else None,
        "images": dict(found.images) if found else {},
        "deployed_at": iso8601(at) if at else None,
        "ago": ago(now - at) if at else None,
        "description": last.description if last else "",
        "rollback": last is not None and last.is_rollback,
        "freeze": dict(freeze.as_dict(), ago=ago(now - epoch(freeze.since))) if freeze else None,
        "closed": found.closed if found else None,
        "drift": [d.problem for d in drift if d.environment_id == env_id and d.service_id is None],
    }


def _predecessors(
    older: Iterator[HistoryEntry], wanted: set[str], budget: int
) -> tuple[dict[str, HistoryEntry], bool]:
    """The newest deployment of each wanted environment among at most ``budget`` older entries.

    Returns them and whether the history ended within the budget (then an
    environment without one had no earlier deployment).
    """
    found: dict[str, HistoryEntry] = {}
    read = 0
    for entry in islice(older, budget) if wanted else ():
        read += 1
        env = entry.environment.id
        if entry.kind == "deployment" and env in wanted and env not in found:
            found[env] = entry
            if len(found) == len(wanted):
                return found, False
    return found, read < budget or not wanted


def _timeline(
    window: list[HistoryEntry], older: Iterator[HistoryEntry], budget: int, now: float
) -> list[dict[str, Any]]:
    """The window's entries as dicts, each deployment with the images it changed in its environment."""
    previous: dict[int, HistoryEntry] = {}
    oldest: dict[str, int] = {}  # environment -> index of its oldest deployment in the window so far
    for index, entry in enumerate(window):
        if entry.kind != "deployment":
            continue
        env = entry.environment.id
        if env in oldest:
            previous[oldest[env]] = entry
        oldest[env] = index
    wanted = {window[i].environment.id for i in oldest.values()}
    beyond, ended = _predecessors(older, wanted, budget)
    result = []
    for index, entry in enumerate(window):
        item = dict(entry.as_dict(), ago=ago(now - entry.entry.at), changes=None, baseline="")
        item["rollback"] = entry.kind == "deployment" and entry.entry.is_rollback
        before = previous.get(index) or beyond.get(entry.environment.id)
        if entry.kind == "deployment" and before is not None:
            changed = [c for c in compare_images(before.images, entry.images) if c.change != "same"]
            item.update(changes=[c.as_dict() for c in changed], baseline=before.release_id)
        elif entry.kind == "deployment":
            item["baseline"] = "first" if ended else "unread"
        result.append(item)
    return result


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _metrics(found: list[dict[str, Any]] | str | None, moment: float) -> dict[str, Any] | None:
    """The metrics section's data: the window and each environment's ``EnvironmentMetrics.as_dict()``."""
    if found is None or isinstance(found, str):
        return None
    since, until = iso8601(moment - METRICS_DAYS * DAY), iso8601(moment)
    return {"since": since, "until": until, "days": METRICS_DAYS, "environments": found}


def collect(
    project: Project,
    status: list[EnvironmentStatus],
    timeline: list[HistoryEntry],
    *,
    drift: Iterable[Drift] = (),
    pending: Pending | str | None = None,
    metrics: list[dict[str, Any]] | str | None = None,
    older: Iterable[HistoryEntry] = (),
    now: float | None = None,
) -> dict[str, Any]:
    """The report's data (JSON-ready): environments, the grid, drift, what waits, metrics, the timeline.

    ``older`` continues the timeline (newest first); at most ``LOOKBACK`` of its
    entries are read to find the deployment before each environment's oldest
    one in ``timeline``. ``pending`` is the workflow's answer, or why it failed;
    ``metrics`` each environment's four keys over the ``METRICS_DAYS`` before
    ``now`` (``EnvironmentMetrics.as_dict()``), or why they could not be computed.
    """
    moment = time.time() if now is None else now
    drifts = list(drift)
    by_id = {s.environment_id: s for s in status}
    names = project.environments or {}
    ids = list(names) + sorted(e for e in by_id if e not in names)
    return {
        "project": project.as_reference().to_item(),
        "generated": _stamp(moment),
        "environments": [_environment(e, names.get(e, e), by_id.get(e), drifts, moment) for e in ids],
        "services": project.service_ids,
        "ecs_services": {k: list(v) for k, v in project.ecs_services.items()},
        "drift": [d.as_dict() for d in drifts],
        "pending": pending.as_dict() if pending is not None and not isinstance(pending, str) else None,
        "pending_error": pending if isinstance(pending, str) else None,
        "metrics": _metrics(metrics, moment),
        "metrics_error": metrics if isinstance(metrics, str) else None,
        "timeline": _timeline(timeline, iter(older), LOOKBACK, moment),
        "lookback": LOOKBACK,
    }


def check_limit(limit: int) -> None:
    """Refuse a timeline of no entries before anything is read (one check for one page or several)."""
    from tracker.errors import InvalidInputError

    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")


def _waiting(ctx: Context, pin: str) -> Pending | str:
    """What waits at label ``latest``, or why ``pending`` refused (an ECR image at the label is gone...)."""
    from tracker.errors import TrackerError
    from tracker.workflows.pending import pending

    try:
        return pending(ctx, None, label="latest", pin=pin)
    except TrackerError as error:
        return str(error)


def _measured(ctx: Context, moment: float) -> list[dict[str, Any]] | str:
    """Each environment's four keys over the last ``METRICS_DAYS``, by week, or why they could not be had.

    The manifest's environments in its order (each shown, deployed or not);
    without any declared, every environment the history holds.
    """
    from tracker.errors import TrackerError
    from tracker.workflows.metrics import default_environments, metrics

    try:
        ids = default_environments(ctx, None, every=True)
        found = metrics(ctx, ids, since=moment - METRICS_DAYS * DAY, until=moment, by="week")
    except TrackerError as error:
        return str(error)
    return [m.as_dict() for m in found]


def gather(
    ctx: Context, *, limit: int = 20, pin: str = DEFAULT_PIN, now: float | None = None
) -> dict[str, Any]:
    """Everything the report shows, read from the store, SSM (and ECR for what waits); see ``collect``.

    The timeline is ``history``'s (the ``limit`` newest entries), read from one
    ``iter_timeline`` that goes on, for at most ``LOOKBACK`` more entries, only
    as far as finding each environment's previous deployment needs. Whatever
    ``pending`` or ``metrics`` refuses with (e.g. an ECR image at the label is
    gone) is shown in its section; the rest of the page is still written.
    """
    from tracker.workflows.audit import status, verify
    from tracker.workflows.history import iter_timeline

    check_limit(limit)
    moment = ctx.clock() if now is None else now
    environments = status(ctx, at=moment)
    drift = verify(ctx)
    waiting = _waiting(ctx, pin)
    measured = _measured(ctx, moment)
    entries = iter_timeline(ctx, None)
    window = list(islice(entries, limit))
    return collect(
        ctx.project,
        environments,
        window,
        drift=drift,
        pending=waiting,
        metrics=measured,
        older=entries,
        now=moment,
    )


def unreadable(project: Project, why: str) -> dict[str, Any]:
    """A project of a page of several that could not be read (its role, its tables): said in its place."""
    return {"project": project.as_reference().to_item(), "error": why}


def several(parts: list[dict[str, Any]], source: str, now: float) -> dict[str, Any]:
    """One page of several projects (a weco-deploy manifest's): each ``gather``'s data, or ``unreadable``."""
    return {"source": source, "generated": _stamp(now), "projects": parts}


# -- shared by the renderers --------------------------------------------------------------------
def differs(data: dict[str, Any], service: str) -> bool:
    return len({e["images"][service] for e in data["environments"] if e["images"].get(service)}) > 1


def cell_drift(data: dict[str, Any], env: str, service: str) -> list[dict[str, Any]]:
    return [d for d in data["drift"] if d["environment_id"] == env and d["service_id"] == service]


def approval_text(approval: dict[str, Any]) -> str:
    """``approved by NAME DATE: "why" (revoked DATE: "why")``, as ``Approval.describe`` words it."""
    from tracker.model.entries import Approval

    return Approval.from_item({k: v for k, v in approval.items() if v is not None}).describe()


def changes_text(entry: dict[str, Any], lookback: int) -> list[str]:
    if entry["kind"] != "deployment":
        return []
    if entry["changes"] is not None:
        return [change_text(c) for c in entry["changes"]] or ["no image changed"]
    if entry["baseline"] == "first":
        return ["first deployment"]
    return [f"previous deployment not among the {lookback} entries read further"]


def started(found: dict[str, Any]) -> bool:
    """Whether there is anything to ship yet: an image at the label, or a release."""
    return found["newest_release_id"] is not None or any(s["label_image"] for s in found["services"])


def nothing_waits(found: dict[str, Any]) -> str:
    """Why nothing waits, in words that fit the case (Markdown's backticks; HTML turns them into code).

    Nothing published and no release is a project that has not started, not one
    whose every environment is up to date.
    """
    label = found["label"]
    if not started(found):
        return (
            f"Nothing yet: no image is published at label `{label}` and no release exists — "
            "CI publishes with `tracker publish`."
        )
    if not any(s["label_image"] for s in found["services"]):
        return f"Nothing waits: every environment runs the newest release; nothing is published at `{label}`."
    return f"Nothing waits: the label `{label}` is released and every environment runs it."


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _lead_text(lead: dict[str, Any]) -> str:
    if lead["median"] is None:
        return "none measured"
    measured, changes = lead["measured"], lead["changes"]
    counted = plural(changes, "change") if measured == changes else f"{measured} of {changes} changes"
    return f"median {approx(lead['median'])} · p90 {approx(lead['p90'])} ({counted})"


def _recovery_text(recovery: dict[str, Any]) -> str:
    median = "none measured" if recovery["median"] is None else f"median {approx(recovery['median'])}"
    unrecovered = f" · {recovery['unrecovered']} not recovered" if recovery["unrecovered"] else ""
    incidents = plural(recovery["incidents"], "incident") if recovery["incidents"] else "no incident"
    return f"{median} · {incidents}{unrecovered}"


def key_texts(found: dict[str, Any]) -> dict[str, str]:
    """The four keys of one environment (``EnvironmentMetrics.as_dict()``) as short text, the same in
    HTML and Markdown: what was not measured says so instead of showing a zero."""
    frequency, failures = found["deployment_frequency"], found["change_failure_rate"]
    rate = failures["rate"]
    return {
        "deployments": f"{frequency['deployments']} · {frequency['per_week'] or 0:.1f} per week",
        "lead": _lead_text(found["lead_time_seconds"]),
        "failure": "none measured"
        if rate is None
        else f"{rate:.0%} · {failures['failures']} of {failures['deployments']}",
        "recovery": _recovery_text(found["recovery_time_seconds"]),
    }


def failure_signs(found: dict[str, Any]) -> str:
    """What the window counted as a failed deployment (the manifest's ``metrics``, or the default)."""
    counted = found["counted_as_failure"]
    within = f"forced within {approx(counted['fix_window_seconds'])}"
    return ", ".join(within if sign == "forced" else sign for sign in counted["failures"]) or "nothing"
