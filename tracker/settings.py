"""Settings, resolved once where a program starts: flags or query values, else ``TRACKER_*``, else defaults.

| setting | environment | default |
|---|---|---|
| project manifest | ``TRACKER_PROJECT_FILE`` | ``./.wellcome_project`` |
| project of the manifest | ``TRACKER_PROJECT`` | its only project |
| AWS region | ``TRACKER_REGION`` | the manifest's, else the standard AWS configuration |
| assume the manifest's role | ``TRACKER_ASSUME_ROLE`` (``0``: no) | yes |
| releases table | ``TRACKER_RELEASES_TABLE`` | ``tracker-releases`` |
| deployments table | ``TRACKER_DEPLOYMENTS_TABLE`` | ``tracker-deployments`` |
| latest-releases GSI | ``TRACKER_LATEST_RELEASES_INDEX`` | ``latest_releases``, else by key schema |
| latest-deployments GSI | ``TRACKER_LATEST_DEPLOYMENTS_INDEX`` | ``latest_deployments``, else by key schema |
| who requests | ``TRACKER_USER`` | the AWS caller identity |
| pin ECR images to digests | ``TRACKER_PIN_IMAGES`` (``tag+digest``, ``digest``, ``off``) | ``tag+digest`` |
| EventBridge bus for events | ``TRACKER_EVENT_BUS`` (a name or ARN) | none: no events |

The library below never reads the environment for these: what a store or a
workflow uses is what it was given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.stores.clients import Clients, Target
from tracker.stores.tracking import (
    DEFAULT_DEPLOYMENTS_TABLE,
    DEFAULT_RELEASES_TABLE,
    LATEST_DEPLOYMENTS,
    LATEST_RELEASES,
    TrackingStore,
)

if TYPE_CHECKING:
    from tracker.model.project import Project
    from tracker.stores.events import EventBus

ENVIRONMENT = {
    "project_file": "TRACKER_PROJECT_FILE",
    "project": "TRACKER_PROJECT",
    "region": "TRACKER_REGION",
    "assume_role": "TRACKER_ASSUME_ROLE",
    "releases_table": "TRACKER_RELEASES_TABLE",
    "deployments_table": "TRACKER_DEPLOYMENTS_TABLE",
    "latest_releases_index": "TRACKER_LATEST_RELEASES_INDEX",
    "latest_deployments_index": "TRACKER_LATEST_DEPLOYMENTS_INDEX",
    "user": "TRACKER_USER",
    "pin_images": "TRACKER_PIN_IMAGES",
    "event_bus": "TRACKER_EVENT_BUS",
}


FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    project_file: str | None = None
    project: str | None = None
    region: str | None = None
    assume_role: str | None = None  # "0" (or false/no/off): the caller already is the manifest's role
    releases_table: str = DEFAULT_RELEASES_TABLE
    deployments_table: str = DEFAULT_DEPLOYMENTS_TABLE
    latest_releases_index: str | None = None
    latest_deployments_index: str | None = None
    user: str | None = None
    pin_images: str = "tag+digest"  # tracker.model.images.PIN_MODES
    event_bus: str | None = None  # EventBridge bus name or ARN; None: no events

    @classmethod
    def resolve(cls, environ: Mapping[str, str] = os.environ, **given: str | None) -> Settings:
        """Given values (flags, a query) win over ``TRACKER_*`` variables, which win over defaults.

        Empty strings count as unset, so a module input left at ``""`` or an
        exported-but-empty variable falls through to the next source.
        """
        values: dict[str, str] = {}
        for name, variable in ENVIRONMENT.items():
            value = given.get(name) or environ.get(variable)
            if value:
                values[name] = value
        return cls(**values)

    @property
    def assumes_role(self) -> bool:
        return (self.assume_role or "1").strip().lower() not in FALSE

    def load_project(self) -> Project:
        """The project these settings select, from the manifest they name."""
        from tracker.model.project import load_project

        return load_project(self.project_file, self.project)

    def target(self, project: Project) -> Target:
        """Where the project's AWS calls go: --region, else the manifest's; its role and account."""
        from tracker.model import schema

        if self.region:
            schema.check_value("region", self.region, "--region (TRACKER_REGION)")
        return Target(
            region=self.region or project.region,
            role_arn=project.role_arn if self.assumes_role else None,
            account_id=project.account_id,
            project_id=project.id,
            claimed_role=None if self.assumes_role else project.role_arn,
        )

    def clients(self, project: Project) -> Clients:
        return Clients(target=self.target(project))

    def events(self, clients: Clients) -> EventBus | None:
        """The EventBridge bus deployments and freezes are announced on (None: not configured)."""
        if not self.event_bus:
            return None
        from tracker.stores.events import EventBus, check_bus

        check_bus(self.event_bus)
        return EventBus(clients, self.event_bus)

    def tracking_store(self, clients: Clients) -> TrackingStore:
        return TrackingStore(
            clients,
            self.releases_table,
            self.deployments_table,
            {LATEST_RELEASES: self.latest_releases_index, LATEST_DEPLOYMENTS: self.latest_deployments_index},
        )
