"""What waits to ship: per service, the label's image, the newest release's, and what environments run.

* **published, not released**: the label names an image the newest release does
  not have. ECR images at the label are pinned first, as ``release create`` would
  pin them (``TRACKER_PIN_IMAGES``), so a tag pushed again counts as new.
* **released, not deployed**: an environment runs another image than the
  newest release has (or runs nothing yet).

Reads: the label (GetParameters, 10 per call), the newest release (one Query),
the environments' rows (one Query, or one GetItem for one environment) and their
releases (one BatchGetItem); with ECR images, one DescribeImages per repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.model.ecr import ecr_image
from tracker.model.paths import LATEST
from tracker.settings import DEFAULT_PIN
from tracker.workflows.releases import label_images, newest_or_none, pin_images

if TYPE_CHECKING:
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
        row = store.environments.row(project.id, environment_id)
        rows = {environment_id: row} if row else {}
        environments = [environment_id]
    else:
        rows = {r.environment_id: r for r in store.environments.all(project.id)[0]}
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
    return Pending(label, newest.release_id if newest else None, ran, services)
