"""What ECS runs, and the verdict on a deployment: pure rules over what ECS described.

:class:`EcsService` is one ECS service as DescribeServices describes it (its
deployments, its recent events), tied to the manifest's service id (the
image) it runs. :func:`check_service` says, for one ECS service and the
image the release names, whether it is *ready* (its PRIMARY deployment runs a
task definition whose container for that image has the released image -- the
same digest for a digest-pinned release, the same URI otherwise --, its
``rolloutState`` is ``COMPLETED`` and ``runningCount`` equals
``desiredCount``), *failed* (the rollout is ``FAILED``, or ECS rolled back
to another task definition) or still *waiting*. :func:`timed_out` turns what
is still waiting at the timeout into failures naming the service, the image
it runs and the one released. No AWS here: the stores read ECS
(:mod:`tracker.stores.ecs`), the workflow polls (:mod:`tracker.workflows.outcomes`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.model.images import display

READY, WAITING, FAILED = "ready", "waiting", "failed"
SERVICE_TAG, ENVIRONMENT_TAG, PROJECT_TAG = "deployment:service", "deployment:env", "deployment:project"
_DIGEST = re.compile(r"@(sha256:[a-f0-9]{64})$")
_ROLLBACK_WORDS = ("rolling back", "rolled back", "rollback")


@dataclass(frozen=True)
class EcsDeployment:
    """One entry of a service's ``deployments`` (PRIMARY, ACTIVE or INACTIVE)."""

    id: str
    status: str
    task_definition: str
    rollout_state: str  # COMPLETED, IN_PROGRESS, FAILED ("" when ECS gives none)
    reason: str
    running: int
    desired: int
    failed_tasks: int = 0

    @classmethod
    def from_description(cls, found: dict[str, Any]) -> EcsDeployment:
        return cls(
            id=str(found.get("id", "")),
            status=str(found.get("status", "")),
            task_definition=str(found.get("taskDefinition", "")),
            rollout_state=str(found.get("rolloutState") or ""),
            reason=str(found.get("rolloutStateReason") or ""),
            running=int(found.get("runningCount", 0)),
            desired=int(found.get("desiredCount", 0)),
            failed_tasks=int(found.get("failedTasks", 0)),
        )


@dataclass(frozen=True)
class EcsService:
    """An ECS service running one of the manifest's images (``service_id``) in an environment."""

    service_id: str
    cluster: str
    name: str
    deployments: tuple[EcsDeployment, ...] = ()
    events: tuple[str, ...] = ()  # newest first, as ECS lists them
    missing: bool = False  # declared in the manifest but DescribeServices does not find it

    @property
    def label(self) -> str:
        return f"{self.cluster.rsplit('/', 1)[-1]}/{self.name.rsplit('/', 1)[-1]}"

    @property
    def primary(self) -> EcsDeployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)

    @classmethod
    def from_description(cls, service_id: str, found: dict[str, Any]) -> EcsService:
        return cls(
            service_id=service_id,
            cluster=str(found.get("clusterArn", "")),
            name=str(found.get("serviceName", "")),
            deployments=tuple(EcsDeployment.from_description(d) for d in found.get("deployments") or []),
            events=tuple(str(e.get("message", "")) for e in (found.get("events") or [])[:5]),
        )


def tags_of(found: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value")) for t in found.get("tags") or []}


def runs_for(
    tags: dict[str, str], environment_id: str, tag_ids: dict[str, str], project_id: str
) -> str | None:
    """The service id an ECS service with these tags runs in ``environment_id`` (weco-deploy's tags).

    weco-deploy's tags name no project, so two projects of one account with a
    service id and an environment in common would see each other's services:
    a service tagged ``deployment:project`` belongs to that project only.
    """
    if tags.get(ENVIRONMENT_TAG) != environment_id:
        return None
    if tags.get(PROJECT_TAG, project_id) != project_id:
        return None
    return tag_ids.get(tags.get(SERVICE_TAG, ""))


def repository(uri: str) -> str:
    """``registry/repo`` of an image URI, without tag or digest (a registry's :port is kept)."""
    name = uri.split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    return f"{head}{slash}{last.split(':', 1)[0]}"


def same_image(running: str, released: str) -> bool:
    """The same digest when the release names one (a digest-pinned release); else the same URI."""
    digest = _DIGEST.search(released)
    if digest is not None:
        found = _DIGEST.search(running)
        return found is not None and found[1] == digest[1] and repository(running) == repository(released)
    return running == released


def container_image(images: dict[str, str], released: str) -> str | None:
    """The image of the task definition's container for the released image's repository.

    One container whose repository is the released one (any tag or digest);
    a task definition with a single container is that container whatever
    its image. None when no container runs that repository.
    """
    wanted = repository(released)
    for image in images.values():
        if repository(image) == wanted:
            return image
    if len(images) == 1:
        return next(iter(images.values()))
    return None


@dataclass(frozen=True)
class ServiceCheck:
    """One ECS service's state against the release: ready, waiting or failed, and the line saying so."""

    service_id: str
    label: str  # cluster/service, or "(none)" when no ECS service runs the image
    state: str
    detail: str
    running_image: str | None = None

    @property
    def line(self) -> str:
        return f"{self.service_id} @ {self.label}: {self.detail}"


def check_service(
    service: EcsService, released: str, images_of: Callable[[str], dict[str, str]]
) -> ServiceCheck:
    """Where one ECS service stands against the image the release names (see the module docstring)."""

    def result(state: str, detail: str, running: str | None = None) -> ServiceCheck:
        return ServiceCheck(service.service_id, service.label, state, detail, running)

    if service.missing:
        return result(WAITING, "not found in its cluster (declared in the manifest)")
    primary = service.primary
    if primary is None:
        return result(WAITING, "no PRIMARY deployment yet")
    running = container_image(images_of(primary.task_definition), released)
    shown = display(running) if running else "no container of that repository"
    if running is not None and same_image(running, released):
        counts = f"{primary.running}/{primary.desired} tasks"
        if primary.rollout_state == "FAILED":
            return result(FAILED, f"rollout failed ({counts}): {_ecs_said(primary)}", running)
        if primary.rollout_state in ("COMPLETED", "") and primary.running == primary.desired:
            return result(READY, f"runs {shown} ({counts})", running)
        return result(
            WAITING, f"rolling out {shown} ({counts}, {primary.rollout_state or 'no rollout state'})", running
        )
    for other in service.deployments:
        if other is primary or other.rollout_state != "FAILED":
            continue
        tried = container_image(images_of(other.task_definition), released)
        if tried is not None and same_image(tried, released):
            return result(
                FAILED,
                f"ECS rolled back to {_family(primary.task_definition)}: runs {shown}, released "
                f"{display(released)}: {_ecs_said(other)}",
                running,
            )
    if (
        any(word in primary.reason.lower() for word in _ROLLBACK_WORDS)
        and "circuit breaker" in primary.reason.lower()
    ):
        return result(
            FAILED, f"ECS rolled back: runs {shown}, released {display(released)}: {primary.reason}", running
        )
    return result(WAITING, f"runs {shown}, released {display(released)}", running)


def _family(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1]


def _ecs_said(deployment: EcsDeployment) -> str:
    reason = deployment.reason or "no reason given"
    if deployment.failed_tasks:
        reason += f" ({deployment.failed_tasks} tasks failed to start)"
    return reason


def missing_image(service_id: str, released: str, environment_id: str, searched: str) -> ServiceCheck:
    """The check of an image no ECS service runs in the environment: waiting (failed at the timeout)."""
    return ServiceCheck(
        service_id,
        "(none)",
        WAITING,
        f"no ECS service runs {display(released)} in {environment_id} ({searched})",
    )


def timed_out(check: ServiceCheck, after: str) -> ServiceCheck:
    """A check still waiting at the timeout, as the failure it becomes."""
    if check.state != WAITING:
        return check
    return ServiceCheck(
        check.service_id, check.label, FAILED, f"timed out after {after}: {check.detail}", check.running_image
    )


def overall(checks: list[ServiceCheck]) -> str:
    """FAILED if any service failed; READY if there are checks and all are ready; else WAITING."""
    if any(c.state == FAILED for c in checks):
        return FAILED
    if checks and all(c.state == READY for c in checks):
        return READY
    return WAITING
