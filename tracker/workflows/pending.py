"""What waits to ship: per service, the label's image, the newest release's, and what environments run.

* **published, not released**: the label names an image the newest release does
  not have. ECR images at the label are pinned first, as ``release create`` would
  pin them (``TRACKER_PIN_IMAGES``), so a tag pushed again counts as new.
* **released, not deployed**: an environment runs another image than the
  newest release has (or runs nothing yet).
* **blocked**: per environment, for each release it could take next -- the
  newest release, and what the environments it promotes from run -- what
  would refuse it now (a freeze, a closed window, the promotion policy:
  :func:`tracker.workflows.gate.blockers`), or nothing.

Reads: the label (GetParameters, 10 per call), the newest release (one Query),
the environments' rows and state items (one Query, or one BatchGetItem for one
environment) and their releases (one BatchGetItem); with ECR images, one
DescribeImages per repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.model.ecr import ecr_image
from tracker.model.paths import LATEST
from tracker.settings import DEFAULT_PIN
from tracker.workflows.releases import label_images, newest_or_none, pin_images

if TYPE_CHECKING:
    from tracker.model.entries import Release
    from tracker.model.records import EnvironmentState
    from tracker.workflows.context import Context


@dataclass
class PendingService:
    service: str
    label_image: str | None  # as a release created now would record it (pinned)
    release_image: str | None  # in the newest release
    deployed: dict[str, str | None]  # environment -> image it runs (None: nothing)

    @property
    def unreleased(self) -> bool:
        """Published at the label, not in the newest release."""
        return self.label_image is not None and not same_image(self.label_image, self.release_image)

    @property
    def undeployed(self) -> list[str]:
        """Environments that do not run the newest release's image."""
        if self.release_image is None:
            return []
        return [e for e, image in self.deployed.items() if not same_image(self.release_image, image)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "label_image": self.label_image,
            "release_image": self.release_image,
            "deployed": self.deployed,
            "published_not_released": self.unreleased,
            "released_not_deployed": self.undeployed,
        }


@dataclass
class Pending:
    label: str
    newest_release_id: str | None
    environments: dict[str, str | None]  # environment -> release id it runs (None: nothing)
    services: list[PendingService] = field(default_factory=list)
    # environment -> release id it could take next -> what blocks it now ([]: nothing)
    blocked: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def waiting(self) -> bool:
        return any(s.unreleased or s.undeployed for s in self.services)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "newest_release_id": self.newest_release_id,
            "environments": self.environments,
            "waiting": self.waiting,
            "services": [s.as_dict() for s in self.services],
            "blocked": self.blocked,
        }


def same_image(a: str | None, b: str | None) -> bool:
    """The same image: equal URIs, or the same ECR repository and digest (tags may differ or be absent)."""
    if a is None or b is None:
        return a == b
    if a == b:
        return True
    ea, eb = ecr_image(a), ecr_image(b)
    if ea is None or eb is None or not ea.digest or not eb.digest:
        return False
    return (ea.account, ea.region, ea.repository, ea.digest) == (
        eb.account,
        eb.region,
        eb.repository,
        eb.digest,
    )


def pending(
    ctx: Context, environment_id: str | None = None, *, label: str = LATEST, pin: str = DEFAULT_PIN
) -> Pending:
    """What waits at ``label`` and in the newest release, for one environment or every one.

    Without an environment: the manifest's declared environments, else every
    environment with a deployment.
    """
    project, store = ctx.project, ctx.store
    if environment_id is not None:
        project.environment(environment_id)
    at_label = label_images(ctx, label)
    pinned = pin_images({s: u for s, u in at_label.items() if u is not None}, ctx.registry, pin)
    newest = newest_or_none(ctx)
    if environment_id is not None:
        # The environments it promotes from too (their releases are candidates): the same one read.
        policy = project.policies.get(environment_id)
        sources = list(policy.promote_from) if policy is not None else []
        snapshot = store.read(project.id, None, [environment_id, *sources], state_of=environment_id)
        rows = snapshot.rows
        states = {environment_id: snapshot.state} if snapshot.state else {}
        environments = [environment_id]
    else:
        listed, states = store.environments.all(project.id)
        rows = {r.environment_id: r for r in listed}
        environments = list(project.environments) if project.environments is not None else sorted(rows)
    releases = store.releases.get_many([r.release_id for r in rows.values()])
    running = {
        e: releases[rows[e].release_id].images if e in rows and rows[e].release_id in releases else {}
        for e in environments
    }
    services = [
        PendingService(
            service=service,
            label_image=pinned.get(service),
            release_image=newest.images.get(service) if newest else None,
            deployed={e: running[e].get(service) for e in environments},
        )
        for service in project.service_ids
    ]
    ran = {e: rows[e].release_id if e in rows else None for e in environments}
    found = Pending(label, newest.release_id if newest else None, ran, services)
    running_now = {e: row.release_id for e, row in rows.items()}
    found.blocked = _blocked(ctx, environments, running_now, newest, releases, states)
    return found


def _blocked(
    ctx: Context,
    environments: list[str],
    ran: dict[str, str],
    newest: Release | None,
    releases: dict[str, Release],
    states: dict[str, EnvironmentState],
) -> dict[str, dict[str, list[str]]]:
    """Per environment, the releases it could take next and what blocks each now (no further read)."""
    from tracker.model.clock import now
    from tracker.workflows.gate import blockers

    project, at = ctx.project, now(ctx.clock)
    found: dict[str, dict[str, list[str]]] = {}
    for environment in environments:
        policy = project.policies.get(environment)
        sources = policy.promote_from if policy is not None else ()
        candidates = [newest] if newest is not None else []
        candidates += [releases[r] for s in sources if (r := ran.get(s)) and r in releases]
        for release in candidates:
            if release.release_id == ran.get(environment) or release.release_id in found.get(environment, {}):
                continue
            lines = blockers(project, environment, states.get(environment), release, at)
            found.setdefault(environment, {})[release.release_id] = lines
    return found
