"""What people ask the tracker to do, as typed requests: one object per workflow, not a dozen keywords.

The CLI, the Terraform programs, scripts and benchmarks build these and hand
them to :class:`tracker.app.Tracker` (or the workflow functions). ``check()``
refuses bad input before anything is read or written (exit 2). They are plain
(neither frozen nor compared): Terraform's plan builds one on every run, and
each dataclass option costs import time there (docs/benchmarks.md, section 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.errors import InvalidInputError
from tracker.model.checks import check_description, check_force
from tracker.model.entries import Person
from tracker.model.paths import LATEST
from tracker.settings import DEFAULT_PIN


@dataclass(kw_only=True, eq=False)
class PlanRequest:
    """What a deployment plan is asked: ``release`` (an id, a unique prefix, ``latest``) or what
    ``from_environment`` runs, to ``environment_id``; with neither, what the environment runs now.

    ``force``: plan through a freeze, closed window or policy (the plan then says what it
    overrides). ``requested_by``: who would deploy (a policy's approvals never count theirs);
    None when not known (Terraform's plan without ``requested_by``): every approval counts.
    """

    environment_id: str
    release: str | None = None
    from_environment: str | None = None
    force: bool = False
    requested_by: Person | None = None

    def check(self) -> None:
        if self.release is not None and self.from_environment is not None:
            raise InvalidInputError("give a release or an environment to promote from, not both")


@dataclass(kw_only=True, eq=False)
class DeployRequest(PlanRequest):
    """Deploy (or promote: ``from_environment``): a plan request, and who asks and why.

    ``rollback_from`` is set by the rollback workflow: the entry then names
    the release it replaces.
    """

    requested_by: Person
    description: str = ""
    rollback_from: str | None = None
    rollback_of: str | None = None  # a failed deployment's date_requested (wait --rollback-on-failure)

    def check(self) -> None:
        super().check()
        check_description(self.description)
        check_force(self.force, self.description)


@dataclass(kw_only=True, eq=False)
class RollbackRequest:
    """Deploy what ran in the environment before (or ``to_release``), marked as a rollback."""

    environment_id: str
    requested_by: Person
    to_release: str | None = None
    description: str = ""
    force: bool = False
    rollback_of: str | None = None  # the failed deployment it replaces (wait --rollback-on-failure)

    def check(self) -> None:
        check_description(self.description)
        check_force(self.force, self.description)


@dataclass(kw_only=True, eq=False)
class WaitRequest:
    """Wait for the current deployment of an environment to run in ECS, and record the verdict.

    Durations in seconds. ``bake`` None: 5 minutes when the environment
    names alarms, else none. ``rollback_on_failure``: on failure, deploy the
    environment's last verified release (``force``/``description`` pass a
    freeze). ``skip_without_services``: when no ECS service is declared or
    found for the environment at the first look, record nothing and stop
    (``make deploy`` in a project without ECS).
    """

    environment_id: str
    requested_by: Person
    timeout: float = 900.0
    bake: float | None = None
    interval: float = 5.0
    rollback_on_failure: bool = False
    force: bool = False
    description: str = ""
    skip_without_services: bool = False

    def check(self) -> None:
        if self.timeout <= 0:
            raise InvalidInputError("--timeout must be more than 0")
        if self.interval <= 0:
            raise InvalidInputError("--interval must be more than 0")
        if self.bake is not None and self.bake < 0:
            raise InvalidInputError("--bake cannot be negative")
        check_description(self.description)


@dataclass(kw_only=True, eq=False)
class ReleaseRequest:
    """Snapshot a label into a new release (with ``from_release``: only ``services`` from the label)."""

    requested_by: Person
    label: str = LATEST
    description: str = ""
    from_release: str | None = None
    services: tuple[str, ...] = ()
    allow_duplicate: bool = False
    pin: str = DEFAULT_PIN  # tracker.model.ecr.PIN_MODES

    def check(self) -> None:
        from tracker.model import schema
        from tracker.model.ecr import check_pin_mode

        schema.check_id("label", self.label)
        check_description(self.description)
        check_pin_mode(self.pin)
        if self.services and not self.from_release:
            raise InvalidInputError("--service needs --from-release (the release to take the rest from)")


@dataclass(kw_only=True, eq=False)
class PublishRequest:
    """Point ``label`` of a service at an image."""

    service_id: str
    image_uri: str
    user_id: str
    label: str = LATEST
    pin: str = DEFAULT_PIN
    revision: str | None = None  # the commit the image was built from
    committed: str | None = None  # ISO 8601: that commit's time


@dataclass(kw_only=True, eq=False)
class FreezeRequest:
    environment_id: str
    requested_by: Person
    reason: str
    until: str | None = None  # ISO 8601; None: until unfrozen


@dataclass(kw_only=True, eq=False)
class UnfreezeRequest:
    environment_id: str
    requested_by: Person
    description: str = ""


@dataclass(kw_only=True, eq=False)
class ApproveRequest:
    """Approve ``release`` (an id, a unique prefix, ``latest``) for ``environment_id``; with
    ``revoke``, withdraw the requester's own approval instead."""

    release: str
    environment_id: str
    requested_by: Person
    description: str = ""
    revoke: bool = False

    def check(self) -> None:
        check_description(self.description)
