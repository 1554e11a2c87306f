"""Deployments: deploy, promote, rollback, and reading what runs where.

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

import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from tracker import schema
from tracker.errors import (
    ConcurrentDeploymentError,
    InvalidInputError,
    NothingDeployedError,
    NothingToRollBackError,
    PartialDeploymentError,
    ReleaseManifestError,
    ReleaseNotFoundError,
    TrackerError,
)
from tracker.project import Project
from tracker.releases import Clock, epoch, iso8601
from tracker.store import (
    DeploymentRow,
    ParameterStore,
    Release,
    ReleaseStore,
    deployment_parameter,
)

CONVERGE_ROUNDS = 10


@dataclass
class DeployResult:
    release: Release
    environment_id: str
    recorded: bool  # False: the environment already ran this release; only SSM was converged
    superseded_by: str | None = None  # a later deployment won the environment meanwhile

    @property
    def images(self) -> dict[str, str]:
        return self.release.images


def deploy(
    project: Project,
    releases: ReleaseStore,
    parameters: ParameterStore,
    release_id: str,
    environment_id: str,
    *,
    requested_by: dict[str, str],
    description: str = "",
    clock: Clock = time.time,
) -> DeployResult:
    """Deploy a release to an environment (idempotent for the release it already runs).

    DynamoDB: one BatchGetItem, one TransactWriteItems, one GetItem after the
    SSM writes. SSM: one PutParameter per service, a few concurrently.
    """
    environment = project.environment(environment_id)
    schema.check_id("release id", release_id)
    schema.check_text("description", description, schema.DESCRIPTION_MAX)
    release, row = releases.get_release_and_deployment(release_id, project.id, environment_id)
    _check_images(project, release)
    if row is not None and row.release_id == release_id:
        # Already recorded (e.g. a retried Terraform apply after a failed SSM
        # write): record nothing, only make SSM match.
        token = row.token
        recorded = False
    else:
        now = clock()
        entry = {
            "environment": environment,
            "date_requested": iso8601(now),
            "requested_by": requested_by,
            "description": description,
        }
        grown = dict(
            release.release_manifest,
            deployments=[*release.release_manifest["deployments"], entry],
        )
        schema.validate("release_manifest", grown, ReleaseManifestError)
        token = releases.record_deployment(release, entry, int(now), row).token
        recorded = True
    try:
        winner = converge_parameters(
            project, releases, parameters, environment_id, release, token, requested_by["id"]
        )
    except ConcurrentDeploymentError:
        raise
    except TrackerError as error:
        raise PartialDeploymentError(
            f"the deployment of release {release_id} to {environment_id} is recorded, but SSM was "
            f"not fully written ({error}); re-run the same deploy or `tracker repair "
            f"{environment_id}`"
        ) from error
    superseded = winner if winner != release.release_id else None
    if recorded:
        release.release_manifest["deployments"].append(entry)
        release.deployed_at = int(now)
    return DeployResult(release, environment_id, recorded, superseded)


def _check_images(project: Project, release: Release) -> None:
    missing = [s for s in project.service_ids if s not in release.images]
    if missing:
        raise InvalidInputError(
            f"release '{release.release_id}' has no image for service(s) "
            f"{', '.join(missing)} of the project manifest; create a new release"
        )


def write_parameters(
    project: Project,
    parameters: ParameterStore,
    environment_id: str,
    release: Release,
    user_id: str,
) -> None:
    values = {
        deployment_parameter(project.id, environment_id, service): image
        for service, image in release.images.items()
    }
    parameters.put_values(
        values,
        f"release {release.release_id} deployed to {environment_id} by {user_id}",
    )


def converge_parameters(
    project: Project,
    releases: ReleaseStore,
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
        row = releases.get_deployment(project.id, environment_id)
        if row is None or row.token == token:
            return current.release_id
        token = row.token
        if row.release_id != current.release_id:
            current = releases.require_release(row.release_id, project.id)
    raise ConcurrentDeploymentError(
        f"environment '{environment_id}' keeps changing under concurrent deployments; its "
        "deployment record is written, re-run the deployment (or `tracker repair`) to converge SSM"
    )


def current_row(project: Project, releases: ReleaseStore, environment_id: str) -> DeploymentRow:
    """The environment's row of the deployments table, or NothingDeployedError."""
    schema.check_id("environment id", environment_id)
    row = releases.get_deployment(project.id, environment_id)
    if row is None:
        raise NothingDeployedError(
            f"nothing is deployed to environment '{environment_id}' of project '{project.id}'"
        )
    return row


def current_release(
    project: Project, releases: ReleaseStore, environment_id: str
) -> tuple[DeploymentRow, Release]:
    """The row and release an environment runs, or NothingDeployedError."""
    row = current_row(project, releases, environment_id)
    return row, releases.require_release(row.release_id, project.id)


def promote(
    project: Project,
    releases: ReleaseStore,
    parameters: ParameterStore,
    from_environment: str,
    to_environment: str,
    *,
    requested_by: dict[str, str],
    description: str = "",
    clock: Clock = time.time,
) -> DeployResult:
    """Deploy what ``from_environment`` runs to ``to_environment`` (same release id)."""
    project.environment(to_environment)
    if from_environment == to_environment:
        raise InvalidInputError("promote needs two different environments")
    row = current_row(project, releases, from_environment)
    return deploy(
        project,
        releases,
        parameters,
        row.release_id,
        to_environment,
        requested_by=requested_by,
        description=description,
        clock=clock,
    )


def status(project: Project, releases: ReleaseStore) -> dict[str, dict[str, Any]]:
    """Per environment: the release it runs, its images and when it was deployed.

    One Query of the deployments table and one BatchGetItem of the releases.
    """
    rows = releases.list_deployments(project.id)
    found = releases.get_releases([r.release_id for r in rows])
    result: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r.environment_id):
        release = found.get(row.release_id)
        result[row.environment_id] = {
            "release_id": row.release_id,
            "images": release.images if release else {},
            "deployed_at": row.deployed_at,
        }
    return result


def iter_history(
    project: Project, releases: ReleaseStore, environment_id: str | None = None
) -> Iterator[dict[str, Any]]:
    """Deployments newest first, read through the ``latest_deployments`` GSI.

    A release's ``deployed_at`` is the time of its newest deployment, and the
    GSI yields releases by descending ``deployed_at``; so once a release with
    ``deployed_at`` D has been read, every pending entry from second D + 1 on is
    certainly newer than anything still unread, and can be yielded. The reader
    stops as soon as its caller does: no scan.
    """
    if environment_id is not None:
        schema.check_id("environment id", environment_id)
    pending: list[tuple[float, int, dict[str, Any]]] = []
    sequence = 0
    for release in releases.latest_deployed_releases(project.id, page_size=10):
        horizon = release.deployed_at or 0
        yield from _flush(pending, horizon)
        for entry in release.release_manifest["deployments"]:
            if environment_id is not None and entry["environment"]["id"] != environment_id:
                continue
            sequence += 1
            pending.append((epoch(entry["date_requested"]), sequence, _history_entry(release, entry)))
    yield from _flush(pending, None)


def _flush(pending: list[tuple[float, int, dict[str, Any]]], horizon: int | None) -> Iterator[dict[str, Any]]:
    """Yield pending entries newer than anything in releases deployed at or before ``horizon``.

    ``deployed_at`` is whole seconds, so an unread release deployed at second D may
    hold entries up to D + 0.999: only entries from D + 1 on are certain.
    """
    pending.sort(key=lambda p: (p[0], p[1]), reverse=True)
    while pending and (horizon is None or pending[0][0] >= horizon + 1):
        yield pending.pop(0)[2]


def _history_entry(release: Release, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "release_id": release.release_id,
        "environment": entry["environment"],
        "date_requested": entry["date_requested"],
        "requested_by": entry["requested_by"],
        "description": entry["description"],
        "images": release.images,
    }


def history(
    project: Project, releases: ReleaseStore, environment_id: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    return list(islice(iter_history(project, releases, environment_id), limit))


def rollback(
    project: Project,
    releases: ReleaseStore,
    parameters: ParameterStore,
    environment_id: str,
    *,
    requested_by: dict[str, str],
    to_release: str | None = None,
    description: str = "",
    clock: Clock = time.time,
) -> DeployResult:
    """Deploy the release that ran in the environment before the current one (or ``to_release``)."""
    row = current_row(project, releases, environment_id)
    # The row remembers what ran before (a consistent read); rows recorded by
    # older versions fall back to the history.
    target = to_release or row.previous_release_id
    if target is None:
        for entry in iter_history(project, releases, environment_id):
            if entry["release_id"] != row.release_id:
                target = entry["release_id"]
                break
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
        releases,
        parameters,
        target,
        environment_id,
        requested_by=requested_by,
        description=f"{note}: {description}" if description else note,
        clock=clock,
    )


def resolve_images(project: Project, releases: ReleaseStore, ref: str) -> tuple[str, dict[str, str]]:
    """Images of an environment (what it runs) or of a release id, for ``diff``."""
    schema.check_id("environment or release id", ref)
    row = releases.get_deployment(project.id, ref)
    if row is not None:
        release = releases.require_release(row.release_id, project.id)
        return f"environment {ref} (release {release.release_id})", release.images
    release_or_none = releases.get_release(ref)
    if release_or_none is None or release_or_none.project_id != project.id:
        raise ReleaseNotFoundError(
            f"'{ref}' is neither an environment with a deployment nor a release of project '{project.id}'"
        )
    return f"release {ref}", release_or_none.images


def diff_images(old: dict[str, str], new: dict[str, str]) -> list[dict[str, Any]]:
    """Per service: ``same``, ``changed``, ``added`` or ``removed``, with both images."""
    rows = []
    for service in sorted(set(old) | set(new)):
        before, after = old.get(service), new.get(service)
        if before == after:
            change = "same"
        elif before is None:
            change = "added"
        elif after is None:
            change = "removed"
        else:
            change = "changed"
        rows.append({"service": service, "change": change, "from": before, "to": after})
    return rows


@dataclass
class Drift:
    environment_id: str
    service_id: str | None
    problem: str
    recorded: str | None = None  # image per the deployments table's release
    in_ssm: str | None = None

    def __str__(self) -> str:
        where = f"{self.environment_id}/{self.service_id}" if self.service_id else self.environment_id
        return f"{where}: {self.problem}"


def verify(
    project: Project,
    releases: ReleaseStore,
    parameters: ParameterStore,
    environment_id: str | None = None,
) -> list[Drift]:
    """Where the deployments table, the release manifests and SSM disagree.

    Reads: one Query (or GetItem), one BatchGetItem, one GetParametersByPath.
    """
    if environment_id is not None:
        schema.check_id("environment id", environment_id)
        row = releases.get_deployment(project.id, environment_id)
        rows = [row] if row else []
        path = f"/{project.id}/deployments/{environment_id}"
    else:
        rows = releases.list_deployments(project.id)
        path = f"/{project.id}/deployments"
    found = releases.get_releases([r.release_id for r in rows])
    ssm = parameters.get_path_recursive(path)
    drifts: list[Drift] = []
    seen_envs = set()
    for row in rows:
        env = row.environment_id
        seen_envs.add(env)
        release = found.get(row.release_id)
        if release is None:
            drifts.append(Drift(env, None, f"release '{row.release_id}' is missing"))
            continue
        if not any(d["environment"]["id"] == env for d in release.release_manifest["deployments"]):
            drifts.append(Drift(env, None, f"release '{row.release_id}' has no deployment entry for {env}"))
        for name, value in sorted(ssm.items()):
            service = name.rsplit("/", 1)[-1]
            if name == deployment_parameter(project.id, env, service) and service not in release.images:
                problem = (
                    f"SSM has {value} but release {row.release_id} has no such service "
                    "(left from an earlier release; delete it by hand)"
                )
                drifts.append(Drift(env, service, problem, None, value))
        for service, image in sorted(release.images.items()):
            actual = ssm.get(deployment_parameter(project.id, env, service))
            if actual != image:
                problem = (
                    f"SSM has no parameter, release {row.release_id} has {image}"
                    if actual is None
                    else f"SSM has {actual}, release {row.release_id} has {image}"
                )
                drifts.append(Drift(env, service, problem, image, actual))
    prefix = f"/{project.id}/deployments/"
    for name in sorted(ssm):
        env, _, service = name[len(prefix) :].partition("/")
        if env not in seen_envs:
            drifts.append(
                Drift(
                    env,
                    service,
                    f"SSM has {ssm[name]} but the deployments table has no row",
                    None,
                    ssm[name],
                )
            )
    return drifts


def repair(
    project: Project,
    releases: ReleaseStore,
    parameters: ParameterStore,
    environment_id: str | None = None,
    *,
    user_id: str,
) -> list[Drift]:
    """Rewrite SSM from the deployments table where they disagree; returns what was repaired.

    The deployments table is the record; SSM follows it. Parameters with no row
    behind them are reported by ``verify`` but left alone (deleting is a human call).
    """
    drifts = verify(project, releases, parameters, environment_id)
    repaired: list[Drift] = []
    for env in sorted({d.environment_id for d in drifts if d.recorded is not None}):
        row, release = current_release(project, releases, env)
        converge_parameters(project, releases, parameters, env, release, row.token, user_id)
        repaired.extend(d for d in drifts if d.environment_id == env and d.recorded is not None)
    return repaired
