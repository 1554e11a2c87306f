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
| whose words hints use | ``TRACKER_INTERFACE`` (``cli``, ``make``, ``terraform``) | the program's own |

The library below never reads the environment for these: what a store or a
workflow uses is what it was given. :class:`tracker.app.Tracker` builds the
clients and stores from a ``Settings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

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
    "interface": "TRACKER_INTERFACE",
}
# Where each setting's value came from, for --verbose and messages: a flag, a variable, or the default.
FLAGS = {
    "project_file": "--project-file",
    "project": "--project",
    "region": "--region",
    "assume_role": "--no-assume-role",
    "releases_table": "--releases-table",
    "deployments_table": "--deployments-table",
}

FALSE = ("0", "false", "no", "off")
# The defaults of the table above, defined once here (this module imports nothing of the tracker's):
# the stores and requests take theirs from these.
DEFAULT_RELEASES_TABLE = "tracker-releases"
DEFAULT_DEPLOYMENTS_TABLE = "tracker-deployments"
DEFAULT_PIN = "tag+digest"  # one of tracker.model.ecr.PIN_MODES


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
    pin_images: str = DEFAULT_PIN
    event_bus: str | None = None  # EventBridge bus name or ARN; None: no events
    interface: str | None = None  # whose words hints use (tracker.errors.INTERFACES)
    origins: tuple[tuple[str, str], ...] = ()  # (setting, where its value came from)

    @classmethod
    def resolve(cls, environ: Mapping[str, str] = os.environ, **given: str | None) -> Settings:
        """Given values (flags, a query) win over ``TRACKER_*`` variables, which win over defaults.

        Empty strings count as unset, so a module input left at ``""`` or an
        exported-but-empty variable falls through to the next source.
        """
        values: dict[str, str] = {}
        origins = []
        for name, variable in ENVIRONMENT.items():
            if given.get(name):
                values[name], origin = str(given[name]), FLAGS.get(name, "the query")
            elif environ.get(variable):
                values[name], origin = environ[variable], variable
            else:
                continue
            origins.append((name, origin))
        return cls(**values, origins=tuple(origins))

    def origin(self, name: str) -> str:
        """Where a setting came from: ``--project-file``, ``TRACKER_PROJECT_FILE``, or ``default``."""
        return dict(self.origins).get(name, "default")

    @property
    def assumes_role(self) -> bool:
        return (self.assume_role or "1").strip().lower() not in FALSE

    def exported(self) -> dict[str, str]:
        """The settings as ``TRACKER_*`` variables, for programs this one starts (Terraform's)."""
        values = {name: getattr(self, name) for name in ENVIRONMENT if name != "project_file"}
        return {ENVIRONMENT[name]: str(value) for name, value in values.items() if value}
