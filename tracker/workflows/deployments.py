"""Deployments: plan, deploy (and promote), rollback, and keeping SSM in step with the record.

:func:`plan_deployment` is the one place where a deployment is decided: which
release (``latest``, an id, a prefix, or what another environment runs), that
it belongs to the project and has an image for every service, what the
environment runs now, the time it would be recorded at, whether the
environment takes it then (the gate: freezes, windows and the promotion
policy; with ``force``, what it goes through), and the key under which
Terraform records it. It only
reads. Terraform's plan (``tracker terraform resolve``) and every deployment
(:func:`deploy`: the CLI, make, Terraform's recorder) call it.

A deployment is recorded in one DynamoDB transaction (manifest entry +
``deployed_at`` + the environment's row + the freeze check, see
:mod:`tracker.stores.transaction`), then SSM
``/{project}/deployments/{environment}/{service}`` is written for every service.

Two deployments racing for one environment: the transaction's condition on
the row's ``version`` lets exactly one win. A deployment that won can still be
overtaken by a later one between its transaction and its SSM writes; so after
writing SSM each deployer re-reads the row and, if it moved, rewrites SSM with
the images of the release the row now names, until the row holds still. The
last SSM write of any deployer is therefore always followed by a check that
the row still names what it wrote: SSM ends with the images the table says.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from tracker.errors import (
    ConcurrentDeploymentError,
    EnvironmentFrozenError,
    IncompleteReleaseError,
    InvalidInputError,
    NothingDeployedError,
    NothingToRollBackError,
    PartialDeploymentError,
    ReleaseBusyError,
    ReleaseManifestError,
    ReleaseNotFoundError,
    TrackerError,
    WriteRefused,
)
from tracker.model import schema
from tracker.model.clock import iso8601, now
from tracker.model.entries import DeploymentEntry, Release
from tracker.model.paths import deployment_parameter
from tracker.model.records import DeploymentPlan, DeploymentRow, Snapshot
from tracker.workflows.gate import frozen, gate, policy_gate
from tracker.workflows.releases import find_release, require_release, resolve_release

if TYPE_CHECKING:
    # Only deploying needs these (the plan Terraform runs on every plan loads none of them).
    from tracker.model.requests import DeployRequest, PlanRequest, RollbackRequest
    from tracker.model.results import DeployResult
    from tracker.stores.transaction import DeploymentWrite
    from tracker.workflows.context import Context

CONVERGE_ROUNDS = 10
RELEASE_BUSY_ROUNDS = 20  # parallel deployments of one release: each round, at least one records


def plan_deployment(ctx: Context, request: PlanRequest, *, compare: bool = True) -> DeploymentPlan:
    """What deploying ``request.release`` (or what ``request.from_environment`` runs) would do.

    With neither, the plan only says what the environment runs. When a
    release is planned, the environment's state item is read with it (the
    same BatchGetItem) and :func:`~tracker.workflows.gate.gate` decides at the
    time it would be recorded: a freeze or a closed window refuses it, unless
    ``request.force`` (then ``plan.overridden`` says what it goes through).
    ``compare`` also reads the release the environment runs now, for the
    per-service changes (one GetItem when it differs from the one planned).
    """
    project = ctx.project
    environment = project.environment(request.environment_id)
    request.check()
    if request.from_environment is not None:
        planned, snapshot = _promotion(ctx, request.from_environment, environment.id)
    elif request.release is not None:
        planned, snapshot = find_release(ctx, request.release, [environment.id], state_of=environment.id)
    else:
        planned, snapshot = None, Snapshot(rows=_row(ctx, environment.id))
    if planned is not None:
        _check_complete(ctx, planned)
    row = snapshot.rows.get(environment.id)
    plan = DeploymentPlan(project.id, environment, planned, row, state=snapshot.state)
    if compare and row is not None:
        plan.current = planned if plan.already_deployed else ctx.store.releases.get(row.release_id)
    if planned is not None and not plan.already_deployed:
        recorded = [t for t in (planned.deployed_at, row.deployed_at if row else None) if t]
        plan.at = now(ctx.clock, after=max(recorded) if recorded else None)
        overridden = gate(project, environment.id, snapshot.state, plan.at, request.force)
        requester = request.requested_by.id if request.requested_by else None
        plan.judgement, passed = policy_gate(
            project, environment.id, planned, requester, plan.at, request.force
        )
        plan.overridden = "; ".join(o for o in (overridden, passed) if o) or None
    return plan


def _row(ctx: Context, environment_id: str) -> dict[str, DeploymentRow]:
    row = ctx.store.environments.row(ctx.project.id, environment_id)
    return {environment_id: row} if row else {}


def _promotion(ctx: Context, source: str, target: str) -> tuple[Release, Snapshot]:
    """The release ``source`` runs, and ``target``'s row and state: two reads, whatever is deployed."""
    project = ctx.project
    project.environment(source)
    if source == target:
        raise InvalidInputError("promote needs two different environments")
    snapshot = ctx.store.read(project.id, None, [source, target], state_of=target)
    if source not in snapshot.rows:
        raise NothingDeployedError(f"nothing is deployed to environment '{source}' of project '{project.id}'")
    return require_release(ctx, snapshot.rows[source].release_id), snapshot


def _check_complete(ctx: Context, release: Release) -> None:
    missing = [s for s in ctx.project.service_ids if s not in release.images]
    if missing:
        raise IncompleteReleaseError(
            f"release '{release.release_id}' has no image for service(s) {', '.join(missing)} "
            "of the project manifest; create a new release"
        )


def deploy(ctx: Context, request: DeployRequest) -> DeployResult:
    """Deploy a release (or what ``from_environment`` runs) to an environment; idempotent.

    Deploying what the environment already runs records nothing and only makes
    SSM match. DynamoDB: one BatchGetItem (two reads for a promotion), one
    TransactWriteItems (which checks the freeze again), one GetItem after the
    SSM writes. SSM: one PutParameter per service, a few concurrently. With
    events, one PutEvents after SSM is written.
    """
    from tracker.model.results import DeployResult

    request.check()
    if request.release is None and request.from_environment is None:
        raise InvalidInputError("deploy needs a release (or an environment to promote from)")
    _ = ctx.events  # built (a malformed bus refused) before anything is written
    plan, token, entry = _plan_and_record(ctx, request)
    assert plan.release is not None
    try:
        winner = _converge_or_explain(ctx, plan, token, request.requested_by.id)
    finally:
        warnings = _announce(ctx, plan, entry)
    superseded = winner if winner != plan.release.release_id else None
    return DeployResult(plan.release, plan.environment_id, entry is not None, superseded, entry, warnings)


def _plan_and_record(
    ctx: Context, request: DeployRequest
) -> tuple[DeploymentPlan, tuple[str, int], DeploymentEntry | None]:
    """The plan, the row token to converge on, and the entry recorded (None: nothing)."""
    attempt = 0
    while True:
        plan = plan_deployment(ctx, request, compare=False)
        assert plan.release is not None
        if plan.already_deployed and plan.row is not None:
            # Already recorded (e.g. a retried Terraform apply after a failed SSM
            # write): record nothing, only make SSM match.
            return plan, plan.row.token, None
        try:
            token, entry = _record(ctx, plan, request)
            return plan, token, entry
        except ReleaseBusyError:
            # The same release went to another environment a moment earlier: read it again
            # (for its newest time) and retry; jitter keeps parallel deployers apart.
            attempt += 1
            if attempt == RELEASE_BUSY_ROUNDS:
                raise
            time.sleep(random.uniform(0.01, 0.05) * attempt)


def _record(
    ctx: Context, plan: DeploymentPlan, request: DeployRequest
) -> tuple[tuple[str, int], DeploymentEntry]:
    """Append the deployment entry and move the environment's row, in one transaction."""
    from tracker.model.policies import Basis
    from tracker.stores.transaction import DeploymentWrite

    release = plan.release
    assert release is not None
    entry = DeploymentEntry(
        environment=plan.environment,
        date_requested=iso8601(plan.at),
        requested_by=request.requested_by,
        description=request.description,
        forced=plan.overridden,
        rollback_from=request.rollback_from,
        rollback_of=request.rollback_of,
    )
    schema.validate("release_manifest#/$defs/deployment", entry.to_item(), ReleaseManifestError)
    basis = plan.judgement.basis if plan.judgement is not None and plan.judgement.passed else Basis()
    write = DeploymentWrite(release, entry, plan.at, plan.row, not request.force, basis)
    try:
        row = ctx.store.record(write)
    except WriteRefused as refused:
        raise _refusal(ctx, refused, write) from None
    release.deployments.append(entry)
    release.deployed_at = plan.at
    return row.token, entry


def _refusal(ctx: Context, refused: WriteRefused, write: DeploymentWrite) -> TrackerError:
    """What a refused deployment write means, as one of the library's errors."""
    from tracker.stores.transaction import ENTRY, NOT_FROZEN, ROW

    env, release_id = write.environment_id, write.release.release_id
    if NOT_FROZEN in refused.failed:
        freeze = ctx.store.environments.state(ctx.project.id, env).active_freeze(write.at)
        if freeze is None:
            return EnvironmentFrozenError(
                f"environment '{env}' was frozen a moment ago; nothing was recorded"
            )
        return frozen(env, freeze)
    if ROW in refused.failed:
        return ConcurrentDeploymentError(
            f"environment '{env}' was changed by another deployment while this one "
            "was being recorded; nothing was recorded, it is safe to retry"
        )
    if ENTRY in refused.failed and ctx.store.releases.get(release_id) is None:
        return ReleaseNotFoundError(
            f"release '{release_id}' disappeared while deploying; nothing was recorded"
        )
    if ENTRY in refused.failed or ENTRY in refused.conflicts:
        return ReleaseBusyError(
            f"release '{release_id}' was deployed elsewhere at the same moment; nothing was recorded, "
            "it is safe to retry"
        )
    return ConcurrentDeploymentError(
        f"a concurrent write to environment '{env}' conflicted; nothing was recorded, it is safe to retry"
    )


def _announce(ctx: Context, plan: DeploymentPlan, entry: DeploymentEntry | None) -> list[str]:
    """The Deployment event of a recorded deployment (none when nothing was recorded)."""
    from tracker.workflows.announce import send

    if ctx.events is None or entry is None or plan.release is None:
        return []
    detail = {
        "project_id": ctx.project.id,
        "environment_id": plan.environment_id,
        "release_id": plan.release.release_id,
        "images": plan.release.images,
        "previous_release_id": plan.row.release_id if plan.row else None,
        **{key: value for key, value in entry.to_item().items() if key != "environment"},
    }
    return send(ctx, "Deployment", detail)


def _converge_or_explain(ctx: Context, plan: DeploymentPlan, token: tuple[str, int], user_id: str) -> str:
    assert plan.release is not None
    try:
        return converge_parameters(ctx, plan.environment_id, plan.release, token, user_id)
    except ConcurrentDeploymentError:
        raise
    except TrackerError as error:
        raise PartialDeploymentError(
            f"the deployment of release {plan.release.release_id} to {plan.environment_id} is recorded, "
            f"but SSM was not fully written ({error}); re-run the same deploy or `tracker repair "
            f"{plan.environment_id}`"
        ) from error


def write_parameters(ctx: Context, environment_id: str, release: Release, user_id: str) -> None:
    values = {
        deployment_parameter(ctx.project.id, environment_id, service): image
        for service, image in release.images.items()
    }
    ctx.parameters.put_values(
        values, f"release {release.release_id} deployed to {environment_id} by {user_id}"
    )


def converge_parameters(
    ctx: Context, environment_id: str, release: Release, token: tuple[str, int], user_id: str
) -> str:
    """Write SSM for ``release``, then follow the row until it holds still. Returns its release."""
    current = release
    for _ in range(CONVERGE_ROUNDS):
        write_parameters(ctx, environment_id, current, user_id)
        row = ctx.store.environments.row(ctx.project.id, environment_id)
        if row is None or row.token == token:
            return current.release_id
        token = row.token
        if row.release_id != current.release_id:
            current = require_release(ctx, row.release_id)
    raise ConcurrentDeploymentError(
        f"environment '{environment_id}' keeps changing under concurrent deployments; its "
        "deployment record is written, re-run the deployment (or `tracker repair`) to converge SSM"
    )


def current_row(ctx: Context, environment_id: str) -> DeploymentRow:
    """The environment's row of the deployments table, or NothingDeployedError."""
    schema.check_id("environment id", environment_id)
    row = ctx.store.environments.row(ctx.project.id, environment_id)
    if row is None:
        raise NothingDeployedError(
            f"nothing is deployed to environment '{environment_id}' of project '{ctx.project.id}'"
        )
    return row


def rollback(ctx: Context, request: RollbackRequest) -> DeployResult:
    """Deploy the release that ran in the environment before the current one (or ``to_release``).

    The entry carries ``rollback_from`` (the release rolled back) and a
    description starting "rollback of ENV from OLD to NEW".
    """
    request.check()
    env = request.environment_id
    row = current_row(ctx, env)
    # The row remembers what ran before (a consistent read); rows recorded by
    # older versions fall back to the history.
    target = resolve_release(ctx, request.to_release).release_id if request.to_release else None
    target = target or row.previous_release_id or _earlier_release(ctx, env, row.release_id)
    if target is None:
        raise NothingToRollBackError(
            f"environment '{env}' has run no release other than '{row.release_id}'; nothing to roll back to"
        )
    if target == row.release_id:
        raise NothingToRollBackError(f"environment '{env}' already runs release '{target}'")
    from tracker.model.requests import DeployRequest

    note = f"rollback of {env} from {row.release_id} to {target}"
    described = f"{note}: {request.description}" if request.description else note
    deployment = DeployRequest(
        environment_id=env,
        requested_by=request.requested_by,
        release=target,
        description=described,
        force=request.force,
        rollback_from=row.release_id,
        rollback_of=request.rollback_of,
    )
    return deploy(ctx, deployment)


def _earlier_release(ctx: Context, environment_id: str, current: str) -> str | None:
    from tracker.workflows.history import iter_history

    return next((e.release_id for e in iter_history(ctx, environment_id) if e.release_id != current), None)
