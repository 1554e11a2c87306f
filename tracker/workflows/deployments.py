"""Deployments: plan, deploy, promote, rollback, and keeping SSM in step with the record.

:func:`plan_deployment` is the one place where a deployment is decided: which
release (``latest``, an id, a prefix, or what another environment runs), that
it belongs to the project and has an image for every service, what the
environment runs now, and the key under which Terraform records it. It only
reads. :func:`deploy` (the CLI, and Terraform's recorder) acts on such a plan.

A deployment is recorded in one DynamoDB transaction (manifest entry +
``deployed_at`` + the environment's row), then SSM
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.errors import (
    ConcurrentDeploymentError,
    IncompleteReleaseError,
    InvalidInputError,
    NothingDeployedError,
    NothingToRollBackError,
    PartialDeploymentError,
    ReleaseBusyError,
    ReleaseManifestError,
    TrackerError,
)
from tracker.model import schema
from tracker.model.clock import Clock, iso8601, now
from tracker.model.project import Project
from tracker.model.records import DeploymentPlan, DeploymentRow, DeployResult, Release
from tracker.stores.parameters import ParameterStore, deployment_parameter
from tracker.stores.tracking import TrackingStore
from tracker.workflows.freezes import check_force, gate, send
from tracker.workflows.history import iter_history
from tracker.workflows.releases import find_release, resolve_release

if TYPE_CHECKING:
    from tracker.stores.events import EventBus

CONVERGE_ROUNDS = 10
RELEASE_BUSY_ROUNDS = 20  # parallel deployments of one release: each round, at least one records


def plan_deployment(
    project: Project,
    store: TrackingStore,
    environment_id: str,
    release: str | None = None,
    *,
    from_environment: str | None = None,
    compare: bool = True,
) -> DeploymentPlan:
    """What deploying ``release`` (or what ``from_environment`` runs) to an environment would do.

    With neither, the plan only says what the environment runs. ``compare``
    also reads the release the environment runs now, for the per-service
    changes (one GetItem when it differs from the one planned).
    """
    environment = project.environment(environment_id)
    if release is not None and from_environment is not None:
        raise InvalidInputError("give a release or an environment to promote from, not both")
    if from_environment is not None:
        planned, row = _promotion(project, store, from_environment, environment_id)
    elif release is not None:
        planned, rows = find_release(project, store, release, [environment_id])
        row = rows.get(environment_id)
    else:
        planned, row = None, store.get_deployment(project.id, environment_id)
    if planned is not None:
        _check_complete(project, planned)
    plan = DeploymentPlan(project.id, environment, planned, row)
    if compare and row is not None:
        plan.current = planned if plan.already_deployed else store.get_release(row.release_id)
    return plan


def _promotion(
    project: Project, store: TrackingStore, source: str, target: str
) -> tuple[Release, DeploymentRow | None]:
    """The release ``source`` runs and ``target``'s row: two reads, whatever is deployed."""
    project.environment(source)
    if source == target:
        raise InvalidInputError("promote needs two different environments")
    _, rows = store.get_release_and_rows(None, project.id, [source, target])
    if source not in rows:
        raise NothingDeployedError(f"nothing is deployed to environment '{source}' of project '{project.id}'")
    release_id = rows[source].release_id
    return store.require_release(release_id, project.id), rows.get(target)


def _check_complete(project: Project, release: Release) -> None:
    missing = [s for s in project.service_ids if s not in release.images]
    if missing:
        raise IncompleteReleaseError(
            f"release '{release.release_id}' has no image for service(s) {', '.join(missing)} "
            "of the project manifest; create a new release"
        )


def deploy(
    project: Project,
    store: TrackingStore,
    parameters: ParameterStore,
    release: str | None,
    environment_id: str,
    *,
    requested_by: dict[str, str],
    description: str = "",
    from_environment: str | None = None,
    clock: Clock = time.time,
    force: bool = False,
    events: EventBus | None = None,
    rollback_from: str | None = None,
) -> DeployResult:
    """Deploy a release (or what ``from_environment`` runs) to an environment; idempotent.

    Deploying what the environment already runs records nothing and only makes
    SSM match. DynamoDB: one BatchGetItem (two for a promotion), one
    TransactWriteItems (which also checks the environment's freeze), one
    GetItem after the SSM writes. SSM: one PutParameter per service, a few
    concurrently. A frozen environment, or one a deployment window closes, is
    refused unless ``force`` (with a description): the entry then says what it
    was forced through. With ``events``, one PutEvents after SSM is written.
    """
    schema.check_text("description", description, schema.limit("description"))
    check_force(force, description)
    request = Request(requested_by, description, clock, force, rollback_from)
    plan, chosen, token, entry = _plan_and_record(
        project, store, environment_id, release, from_environment, request
    )
    try:
        winner = _converge_or_explain(project, store, parameters, plan, token, requested_by["id"])
    finally:
        warnings = _announce(project, store, events, plan, chosen, entry)
    superseded = winner if winner != chosen.release_id else None
    return DeployResult(chosen, environment_id, entry is not None, superseded, entry, warnings)


@dataclass(frozen=True)
class Request:
    """Who asks for a deployment, why, and how (the parts of deploy() every attempt shares)."""

    requested_by: dict[str, str]
    description: str
    clock: Clock
    force: bool = False
    rollback_from: str | None = None


def _plan_and_record(
    project: Project,
    store: TrackingStore,
    environment_id: str,
    release: str | None,
    from_environment: str | None,
    request: Request,
) -> tuple[DeploymentPlan, Release, tuple[str, int], dict[str, Any] | None]:
    """The plan, its release, the row token to converge on, and the entry recorded (None: nothing)."""
    attempt = 0
    while True:
        plan = plan_deployment(
            project, store, environment_id, release, from_environment=from_environment, compare=False
        )
        if plan.release is None:
            raise InvalidInputError("deploy needs a release (or an environment to promote from)")
        if plan.already_deployed and plan.row is not None:
            # Already recorded (e.g. a retried Terraform apply after a failed SSM
            # write): record nothing, only make SSM match.
            return plan, plan.release, plan.row.token, None
        try:
            token, entry = _record(plan, plan.release, store, project, request)
            return plan, plan.release, token, entry
        except ReleaseBusyError:
            # The same release went to another environment a moment earlier: read it again
            # (for its newest time) and retry; jitter keeps parallel deployers apart.
            attempt += 1
            if attempt == RELEASE_BUSY_ROUNDS:
                raise
            time.sleep(random.uniform(0.01, 0.05) * attempt)


def _record(
    plan: DeploymentPlan, release: Release, store: TrackingStore, project: Project, request: Request
) -> tuple[tuple[str, int], dict[str, Any]]:
    """Append the deployment entry and move the environment's row, in one transaction."""
    recorded = [t for t in (release.deployed_at, plan.row.deployed_at if plan.row else None) if t]
    at = now(request.clock, after=max(recorded) if recorded else None)
    forced = gate(project, store, plan.environment_id, at, request.force)
    entry: dict[str, Any] = {
        "environment": plan.environment,
        "date_requested": iso8601(at),
        "requested_by": request.requested_by,
        "description": request.description,
    }
    if forced:
        entry["forced"] = forced
    if request.rollback_from:
        entry["rollback_from"] = request.rollback_from
    schema.validate(
        "release_manifest",
        dict(release.release_manifest, deployments=[*release.deployments, entry]),
        ReleaseManifestError,
    )
    token = store.record_deployment(release, entry, at, plan.row, guard=not request.force).token
    release.deployments.append(entry)
    release.deployed_at = at
    return token, entry


def _announce(
    project: Project,
    store: TrackingStore,
    events: EventBus | None,
    plan: DeploymentPlan,
    release: Release,
    entry: dict[str, Any] | None,
) -> list[str]:
    """The Deployment event of a recorded deployment (none when nothing was recorded)."""
    if events is None or entry is None:
        return []
    detail: dict[str, Any] = {
        "project_id": project.id,
        "environment_id": plan.environment_id,
        "release_id": release.release_id,
        "images": release.images,
        "requested_by": entry["requested_by"],
        "description": entry["description"],
        "date_requested": entry["date_requested"],
        "previous_release_id": plan.row.release_id if plan.row else None,
        **{k: entry[k] for k in ("forced", "rollback_from") if k in entry},
    }
    return send(store, events, "Deployment", detail)


def _converge_or_explain(
    project: Project,
    store: TrackingStore,
    parameters: ParameterStore,
    plan: DeploymentPlan,
    token: tuple[str, int],
    user_id: str,
) -> str:
    assert plan.release is not None
    try:
        return converge_parameters(
            project, store, parameters, plan.environment_id, plan.release, token, user_id
        )
    except ConcurrentDeploymentError:
        raise
    except TrackerError as error:
        raise PartialDeploymentError(
            f"the deployment of release {plan.release.release_id} to {plan.environment_id} is recorded, "
            f"but SSM was not fully written ({error}); re-run the same deploy or `tracker repair "
            f"{plan.environment_id}`"
        ) from error


def write_parameters(
    project: Project, parameters: ParameterStore, environment_id: str, release: Release, user_id: str
) -> None:
    values = {
        deployment_parameter(project.id, environment_id, service): image
        for service, image in release.images.items()
    }
    parameters.put_values(values, f"release {release.release_id} deployed to {environment_id} by {user_id}")


def converge_parameters(
    project: Project,
    store: TrackingStore,
    parameters: ParameterStore,
    environment_id: str,
    release: Release,
    token: tuple[str, int],
    user_id: str,
) -> str:
    """Write SSM for ``release``, then follow the row until it holds still. Returns its release."""
    current = release
    for _ in range(CONVERGE_ROUNDS):
        write_parameters(project, parameters, environment_id, current, user_id)
        row = store.get_deployment(project.id, environment_id)
        if row is None or row.token == token:
            return current.release_id
        token = row.token
        if row.release_id != current.release_id:
            current = store.require_release(row.release_id, project.id)
    raise ConcurrentDeploymentError(
        f"environment '{environment_id}' keeps changing under concurrent deployments; its "
        "deployment record is written, re-run the deployment (or `tracker repair`) to converge SSM"
    )


def current_row(project: Project, store: TrackingStore, environment_id: str) -> DeploymentRow:
    """The environment's row of the deployments table, or NothingDeployedError."""
    schema.check_id("environment id", environment_id)
    row = store.get_deployment(project.id, environment_id)
    if row is None:
        raise NothingDeployedError(
            f"nothing is deployed to environment '{environment_id}' of project '{project.id}'"
        )
    return row


def promote(
    project: Project,
    store: TrackingStore,
    parameters: ParameterStore,
    from_environment: str,
    to_environment: str,
    *,
    requested_by: dict[str, str],
    description: str = "",
    clock: Clock = time.time,
    force: bool = False,
    events: EventBus | None = None,
) -> DeployResult:
    """Deploy what ``from_environment`` runs to ``to_environment`` (same release id)."""
    return deploy(
        project,
        store,
        parameters,
        None,
        to_environment,
        requested_by=requested_by,
        description=description,
        from_environment=from_environment,
        clock=clock,
        force=force,
        events=events,
    )


def rollback(
    project: Project,
    store: TrackingStore,
    parameters: ParameterStore,
    environment_id: str,
    *,
    requested_by: dict[str, str],
    to_release: str | None = None,
    description: str = "",
    clock: Clock = time.time,
    force: bool = False,
    events: EventBus | None = None,
) -> DeployResult:
    """Deploy the release that ran in the environment before the current one (or ``to_release``).

    The entry carries ``rollback_from`` (the release rolled back) and a
    description starting "rollback of ENV from OLD to NEW".
    """
    check_force(force, description)
    row = current_row(project, store, environment_id)
    # The row remembers what ran before (a consistent read); rows recorded by
    # older versions fall back to the history.
    target = resolve_release(project, store, to_release).release_id if to_release else row.previous_release_id
    if target is None:
        target = next(
            (
                e.release_id
                for e in iter_history(project, store, environment_id)
                if e.release_id != row.release_id
            ),
            None,
        )
    if target is None:
        raise NothingToRollBackError(
            f"environment '{environment_id}' has run no release other than '{row.release_id}'; "
            "nothing to roll back to"
        )
    if target == row.release_id:
        raise NothingToRollBackError(f"environment '{environment_id}' already runs release '{target}'")
    note = f"rollback of {environment_id} from {row.release_id} to {target}"
    return deploy(
        project,
        store,
        parameters,
        target,
        environment_id,
        requested_by=requested_by,
        description=f"{note}: {description}" if description else note,
        clock=clock,
        force=force,
        events=events,
        rollback_from=row.release_id,
    )
