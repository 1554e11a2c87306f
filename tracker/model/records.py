"""What the stores keep beside releases and what a deployment plan is: rows, freezes, plans, reads.

Typed dataclasses rather than dicts. The release manifest and its deployment
entries are in :mod:`tracker.model.entries`; what the workflows return to
people (deploy results, history, status, drift) in :mod:`tracker.model.results`.
Kept apart so that the plan Terraform runs on every plan loads only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from tracker.model.entries import EnvironmentRef, Outcome, Person, Record, Release

if TYPE_CHECKING:
    from tracker.model.policies import Judgement


@dataclass
class DeploymentRow:
    """A row of the deployments table: what an environment runs now.

    Beyond the RFC's three columns: ``deployed_at``, ``version`` (a counter,
    the optimistic lock of the deployment transaction),
    ``previous_release_id`` (what ran before, for rollback) and ``outcome``
    (the latest verdict of ``tracker wait`` on this deployment, the same
    record as the manifest entry's last ``outcomes`` item; gone when the next
    deployment is written). Rows written by other tools without them read as version 0.
    """

    project_id: str
    environment_id: str
    release_id: str
    deployed_at: float = 0
    version: int = 0
    previous_release_id: str | None = None
    outcome: Outcome | None = None

    @property
    def token(self) -> tuple[str, int]:
        return (self.release_id, self.version)

    def following(self, release_id: str, deployed_at: float) -> DeploymentRow:
        """The row a deployment of ``release_id`` after this one writes."""
        return DeploymentRow(
            self.project_id, self.environment_id, release_id, deployed_at, self.version + 1, self.release_id
        )


@dataclass(frozen=True)
class Freeze(Record):
    """An environment's freeze: no deployment, promotion or rollback to it (unless forced) while active."""

    reason: str
    requested_by: Person
    since: str  # ISO 8601, UTC
    until: str | None = None  # ISO 8601, UTC; None: until `tracker unfreeze`

    NESTED: ClassVar[dict[str, type[Record]]] = {"requested_by": Person}

    def active(self, moment: float) -> bool:
        from tracker.model.clock import epoch

        return self.until is None or epoch(self.until) > moment

    def describe(self) -> str:
        """``frozen by Ophelia since 2026-11-27T18:00:00.000Z (until ...): "incident 42"``."""
        until = f" until {self.until}" if self.until else ""
        return f'frozen by {self.requested_by.name} since {self.since}{until}: "{self.reason}"'

    def as_dict(self) -> dict[str, Any]:
        return self.to_json()


@dataclass(frozen=True)
class FreezeLogEntry(Record):
    """A freeze or unfreeze, as the environment's state item logs it."""

    action: str  # "freeze" or "unfreeze"
    date_requested: str
    requested_by: Person
    description: str = ""
    until: str | None = None

    NESTED: ClassVar[dict[str, type[Record]]] = {"requested_by": Person}


@dataclass(frozen=True)
class LastVerified(Record):
    """The environment's newest verified deployment: where ``wait --rollback-on-failure`` goes back to."""

    release_id: str
    date_requested: str  # the deployment's (its manifest entry's) date_requested
    verified_at: str


@dataclass
class EnvironmentState:
    """The environment's state item: its freeze, the log of freezes, events not yet delivered,
    and its last verified deployment."""

    environment_id: str
    freeze: Freeze | None = None
    log: list[FreezeLogEntry] = field(default_factory=list)  # oldest first
    undelivered: list[dict[str, Any]] = field(default_factory=list)  # {detail_type, detail, error}
    last_verified: LastVerified | None = None

    def active_freeze(self, moment: float) -> Freeze | None:
        return self.freeze if self.freeze is not None and self.freeze.active(moment) else None


@dataclass(frozen=True)
class ImageChange:
    """One service's image before and after a deployment (or between two environments)."""

    service: str
    before: str | None
    after: str | None

    @property
    def change(self) -> str:
        if self.before == self.after:
            return "same"
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"

    def describe(self) -> str:
        """``unchanged: URI`` or ``OLD -> NEW`` (``(none)`` for a missing side; digests shortened)."""
        from tracker.model.images import display

        if self.change == "same":
            return f"unchanged: {display(self.after)}"
        return f"{display(self.before)} -> {display(self.after)}"

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "change": self.change, "from": self.before, "to": self.after}


def compare_images(old: dict[str, str], new: dict[str, str]) -> list[ImageChange]:
    """Per service (sorted): what changes from ``old`` to ``new``."""
    return [ImageChange(s, old.get(s), new.get(s)) for s in sorted(set(old) | set(new))]


@dataclass
class DeploymentPlan:
    """What deploying ``release`` to an environment would do; computed without writing anything.

    ``current`` is the release the environment runs (None when nothing is
    deployed, or when the plan was made without comparing). ``at`` is the
    time the deployment would be recorded at (later than anything recorded
    for the release and the environment), ``state`` the environment's state
    item as read with the plan, and ``overridden`` what a forced deployment
    goes through (the gate's verdict; None when nothing holds the environment).
    ``judgement`` is the environment's promotion policy on the release (None:
    no policy, or nothing to judge); what it rests on goes into the write.
    """

    project_id: str
    environment: EnvironmentRef
    release: Release | None
    row: DeploymentRow | None
    current: Release | None = None
    at: float = 0
    state: EnvironmentState | None = None
    overridden: str | None = None
    judgement: Judgement | None = None

    @property
    def environment_id(self) -> str:
        return self.environment.id

    @property
    def already_deployed(self) -> bool:
        return (
            self.release is not None
            and self.row is not None
            and self.row.release_id == self.release.release_id
        )

    @property
    def record_key(self) -> str:
        """``{release}@{row version once recorded}``: the Terraform recorder's trigger.

        Equal before and after this release's deployment is recorded, and new
        once anything else is deployed there (e.g. ``tracker rollback`` outside
        Terraform), so re-applying the same release after such a change deploys
        it again while a plain re-apply plans no changes. A plan without a
        release keys what runs now, which is what Terraform recorded last if
        nothing else deployed since: reading an environment plans no changes.
        """
        if self.release is None:
            # Only what can be recorded again: a row whose release is there to read.
            return f"{self.current.release_id}@{self.row.version}" if self.current and self.row else ""
        version = self.row.version if self.row else 0
        return f"{self.release.release_id}@{version if self.already_deployed else version + 1}"

    def changes(self) -> list[ImageChange]:
        before = self.current.images if self.current else {}
        after = self.release.images if self.release else before
        return compare_images(before, after)


@dataclass
class Snapshot:
    """What one read of the tracking store returns: a release (None if absent or not asked), rows, a state."""

    release: Release | None = None
    rows: dict[str, DeploymentRow] = field(default_factory=dict)
    state: EnvironmentState | None = None
