"""Reading what runs where, comparing, and checking that the record and SSM agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.errors import InvalidInputError, ReleaseNotFoundError
from tracker.model import schema
from tracker.model.entries import Release
from tracker.model.paths import deployment_parameter, deployments_path, split_deployment_parameter
from tracker.model.records import DeploymentRow
from tracker.model.results import Drift, EnvironmentStatus
from tracker.workflows.deployments import converge_parameters, current_row
from tracker.workflows.gate import closed_now
from tracker.workflows.releases import require_release, resolve_release

if TYPE_CHECKING:
    from tracker.workflows.context import Context


def status(ctx: Context, at: float | None = None) -> list[EnvironmentStatus]:
    """Per environment (sorted by id): the release it runs, its images, when, and whether it is frozen.

    One Query of the deployments table (rows and freezes together) and one
    BatchGetItem of the releases. An environment that is frozen, or closed by a
    deployment window, is listed even when nothing is deployed to it. ``at``:
    the time to judge freezes and windows at (default: the context's clock).
    """
    project, moment = ctx.project, ctx.clock() if at is None else at
    rows, states = ctx.store.environments.all(project.id)
    found = ctx.store.releases.get_many([r.release_id for r in rows])
    by_id = {row.environment_id: row for row in rows}
    freezes = {e: freeze for e, s in states.items() if (freeze := s.active_freeze(moment))}
    closed = {e: c.describe() for e in project.windows if (c := closed_now(project, e, moment))}
    result = []
    for environment_id in sorted({*by_id, *freezes, *closed}):
        row = by_id.get(environment_id)
        release = found.get(row.release_id) if row else None
        result.append(
            EnvironmentStatus(
                environment_id=environment_id,
                release_id=row.release_id if row else None,
                images=release.images if release else {},
                deployed_at=row.deployed_at if row else None,
                freeze=freezes.get(environment_id),
                closed=closed.get(environment_id),
                last=release.last_entry(environment_id) if release else None,
            )
        )
    return result


def resolve_ref(ctx: Context, ref: str) -> tuple[str, Release]:
    """The release an environment runs, or the release ``ref`` names (id, prefix, ``latest``), and
    how ``diff`` labels it."""
    if _is_environment_id(ref):
        row = ctx.store.environments.row(ctx.project.id, ref)
        if row is not None:
            release = require_release(ctx, row.release_id)
            return f"environment {ref} (release {release.release_id})", release
    try:
        release = resolve_release(ctx, ref)
    except ReleaseNotFoundError:
        raise ReleaseNotFoundError(
            f"'{ref}' is neither an environment with a deployment nor a release of project '{ctx.project.id}'"
        ) from None
    return f"release {release.release_id}", release


def blocked_in(ctx: Context, release: Release, environment_id: str) -> list[str]:
    """What would refuse deploying ``release`` to the environment now (one GetItem: its state item)."""
    from tracker.model.clock import now
    from tracker.workflows.gate import blockers

    state = ctx.store.environments.state(ctx.project.id, environment_id)
    return blockers(ctx.project, environment_id, state, release, now(ctx.clock))


def _is_environment_id(value: str) -> bool:
    try:
        schema.check_id("environment id", value)
    except InvalidInputError:
        return False
    return True


def verify(
    ctx: Context, environment_id: str | None = None, outcomes: dict[str, str] | None = None
) -> list[Drift]:
    """Where the deployments table, the release manifests and SSM disagree.

    Also lists events EventBridge did not take (kept in the environments'
    state items). Reads: one Query (or two GetItems), one BatchGetItem, one
    GetParametersByPath. ``outcomes``, when given, gets each environment's
    line on whether ECS runs its current deployment (no further read).
    """
    project, environments = ctx.project, ctx.store.environments
    if environment_id is not None:
        schema.check_id("environment id", environment_id)
        row = environments.row(project.id, environment_id)
        rows = [row] if row else []
        states = {environment_id: environments.state(project.id, environment_id)}
    else:
        rows, states = environments.all(project.id)
    found = ctx.store.releases.get_many([r.release_id for r in rows])
    ssm = ctx.parameters.get_path(deployments_path(project.id, environment_id), recursive=True)
    drifts: list[Drift] = []
    for row in rows:
        drifts.extend(
            _environment_drift(ctx, row.environment_id, row.release_id, found.get(row.release_id), ssm)
        )
        if outcomes is not None:
            outcomes[row.environment_id] = _outcome(row)
    drifts.extend(_parameters_without_row(ctx, {r.environment_id for r in rows}, ssm))
    for env, state in sorted(states.items()):
        drifts.extend(_undelivered(env, event) for event in state.undelivered)
    return drifts


def _outcome(row: DeploymentRow) -> str:
    if not row.outcome:
        return f"release {row.release_id}: unverified (`tracker wait {row.environment_id}` checks ECS)"
    return f"release {row.release_id}: {row.outcome.describe()}"


def _undelivered(environment_id: str, event: dict[str, Any]) -> Drift:
    detail = event.get("detail", {})
    what = f"release {detail['release_id']}" if detail.get("release_id") else "no release"
    problem = (
        f"the {event.get('detail_type')} event of {detail.get('date_requested')} ({what}) was not "
        f"delivered to EventBridge ({event.get('error')}); `tracker repair` sends it again"
    )
    return Drift(environment_id, None, problem, event=event)


def _environment_drift(
    ctx: Context, env: str, release_id: str, release: Release | None, ssm: dict[str, str]
) -> list[Drift]:
    if release is None:
        return [Drift(env, None, f"release '{release_id}' is missing")]
    drifts = []
    if not release.entries_in(env):
        drifts.append(Drift(env, None, f"release '{release_id}' has no deployment entry for {env}"))
    for name, value in sorted(ssm.items()):
        where = split_deployment_parameter(ctx.project.id, name)
        if where is not None and where[0] == env and where[1] not in release.images:
            problem = (
                f"SSM has {value} but release {release_id} has no such service "
                "(left from an earlier release; delete it by hand)"
            )
            drifts.append(Drift(env, where[1], problem, None, value))
    for service, image in sorted(release.images.items()):
        actual = ssm.get(deployment_parameter(ctx.project.id, env, service))
        if actual != image:
            problem = (
                f"SSM has no parameter, release {release_id} has {image}"
                if actual is None
                else f"SSM has {actual}, release {release_id} has {image}"
            )
            drifts.append(Drift(env, service, problem, image, actual))
    return drifts


def _parameters_without_row(ctx: Context, environments: set[str], ssm: dict[str, str]) -> list[Drift]:
    drifts = []
    prefix = deployments_path(ctx.project.id) + "/"
    for name in sorted(ssm):
        env, _, service = name.removeprefix(prefix).partition("/")
        if env not in environments:
            problem = f"SSM has {ssm[name]} but the deployments table has no row"
            drifts.append(Drift(env, service, problem, None, ssm[name]))
    return drifts


def repair(ctx: Context, environment_id: str | None = None, *, user_id: str) -> list[Drift]:
    """Rewrite SSM from the deployments table where they disagree; returns what was repaired.

    The deployments table is the record; SSM follows it. Parameters with no row
    behind them are reported by ``verify`` but left alone (deleting is a human call).
    With events, undelivered events are sent again, oldest first, and
    forgotten once all of an environment's went through (at least once: a
    subscriber may see one twice).
    """
    _ = ctx.events  # built (a malformed bus refused) before anything is written
    drifts = verify(ctx, environment_id)
    repaired: list[Drift] = []
    for env in sorted({d.environment_id for d in drifts if d.recorded is not None}):
        row = current_row(ctx, env)
        release = require_release(ctx, row.release_id)
        converge_parameters(ctx, env, release, row.token, user_id)
        repaired.extend(d for d in drifts if d.environment_id == env and d.recorded is not None)
    if ctx.events is not None:
        for env in sorted({d.environment_id for d in drifts if d.event is not None}):
            pending = [d for d in drifts if d.environment_id == env and d.event is not None]
            for drift in pending:
                assert drift.event is not None
                ctx.events.send(drift.event["detail_type"], drift.event["detail"])
            ctx.store.environments.drop_undelivered(ctx.project.id, env, len(pending))
            repaired.extend(pending)
    return repaired
