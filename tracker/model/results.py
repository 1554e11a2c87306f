"""What the workflows return to people: deploy results, history, status, drift.

Typed dataclasses; ``as_dict()`` gives the JSON the CLI prints (a deployment
entry's fields through ``to_json()``, so a new field shows without a change here).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tracker.model.entries import Approval, DeploymentEntry, EnvironmentRef, Outcome, Person, Release
from tracker.model.records import Freeze
from tracker.model.rollouts import ServiceCheck


@dataclass
class DeployResult:
    release: Release
    environment_id: str
    recorded: bool  # False: the environment already ran this release; only SSM was converged
    superseded_by: str | None = None  # a later deployment won the environment meanwhile
    entry: DeploymentEntry | None = None  # the manifest entry recorded (None: nothing recorded)
    warnings: list[str] = field(default_factory=list)  # e.g. an event that was not sent

    @property
    def images(self) -> dict[str, str]:
        return self.release.images

    @property
    def forced(self) -> str | None:
        """What the deployment was forced through (a freeze, a window), if anything."""
        return self.entry.forced if self.entry else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "release_id": self.release.release_id,
            "environment_id": self.environment_id,
            "recorded": self.recorded,
            "superseded_by": self.superseded_by,
            "forced": self.forced,
            "images": self.images,
            "entry": self.entry.to_json() if self.entry else None,
        }


@dataclass
class CreatedRelease:
    release: Release
    warnings: list[str] = field(default_factory=list)


@dataclass
class HistoryEntry:
    """One line of ``history``: a deployment (its manifest entry) or a freeze or unfreeze.

    For a freeze or unfreeze (``kind``), ``release_id`` is "" and ``entry``
    carries who, when and why in the same shape as a deployment's.
    """

    kind: str  # "deployment", "freeze" or "unfreeze"
    release_id: str
    entry: DeploymentEntry
    images: dict[str, str] = field(default_factory=dict)
    until: str | None = None  # a freeze's end
    approvals: tuple[Approval, ...] = ()  # a deployment's: the release's approvals for that environment

    @property
    def environment(self) -> EnvironmentRef:
        return self.entry.environment

    @property
    def date_requested(self) -> str:
        return self.entry.date_requested

    @property
    def requested_by(self) -> Person:
        return self.entry.requested_by

    @property
    def description(self) -> str:
        return self.entry.description

    def as_dict(self) -> dict[str, Any]:
        """The JSON ``history`` prints: the entry's fields (every one, null when unset) and the rest."""
        return {
            "kind": self.kind,
            "release_id": self.release_id,
            **self.entry.to_json(),
            "images": self.images,
            "until": self.until,
            "approvals": [approval.to_json() for approval in self.approvals],
        }


@dataclass
class EnvironmentStatus:
    """What an environment runs now (release_id None: nothing yet), and whether it takes deployments."""

    environment_id: str
    release_id: str | None
    images: dict[str, str]
    deployed_at: float | None
    freeze: Freeze | None = None
    closed: str | None = None  # a deployment window closes it now: which, and when it opens
    last: DeploymentEntry | None = None  # the manifest entry of its current deployment

    def as_dict(self) -> dict[str, Any]:
        from tracker.model.clock import iso8601

        last = self.last.to_json() if self.last else {}
        return {
            "release_id": self.release_id,
            "images": self.images,
            "deployed_at": iso8601(self.deployed_at) if self.deployed_at else None,
            "requested_by": last.get("requested_by"),
            "description": last.get("description"),
            "forced": last.get("forced"),
            "last": last or None,
            "freeze": self.freeze.as_dict() if self.freeze else None,
            "closed": self.closed,
        }


@dataclass
class Drift:
    """A disagreement between the deployments table, a release manifest and SSM."""

    environment_id: str
    service_id: str | None
    problem: str
    recorded: str | None = None  # image per the deployments table's release
    in_ssm: str | None = None
    event: dict[str, Any] | None = None  # an event EventBridge did not take: {detail_type, detail, error}

    def __str__(self) -> str:
        where = f"{self.environment_id}/{self.service_id}" if self.service_id else self.environment_id
        return f"{where}: {self.problem}"

    def as_dict(self) -> dict[str, Any]:
        return dict(asdict(self), message=str(self))


# Exit codes of `tracker wait` (and of deploy/promote/rollback --wait) per WaitResult.status.
WAIT_EXIT = {"verified": 0, "no_services": 0, "failed": 1, "superseded": 1, "timed_out": 3}


@dataclass
class WaitResult:
    """What ``tracker wait`` found: the verdict recorded on a deployment (or why none was).

    ``status``: ``verified``, ``failed``, ``timed_out`` (recorded as failed),
    ``superseded`` (a newer deployment took the environment; nothing recorded)
    or ``no_services`` (``--skip-without-services`` found no ECS service;
    nothing recorded). ``rollback``: the rollback ``--rollback-on-failure``
    made; ``note``: why there is none, or why nothing was recorded.
    """

    environment_id: str
    release_id: str
    status: str
    outcome: Outcome | None = None
    checks: list[ServiceCheck] = field(default_factory=list)
    date_requested: str | None = None  # the deployment's
    rollback: DeployResult | None = None
    note: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return WAIT_EXIT[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment_id": self.environment_id,
            "release_id": self.release_id,
            "date_requested": self.date_requested,
            "status": self.status,
            "outcome": self.outcome.to_json() if self.outcome else None,
            "services": [
                {
                    "service_id": c.service_id,
                    "ecs_service": c.label,
                    "state": c.state,
                    "detail": c.detail,
                    "running_image": c.running_image,
                }
                for c in self.checks
            ],
            "rollback": self.rollback.as_dict() if self.rollback else None,
            "note": self.note,
        }


@dataclass
class ApprovalResult:
    """What ``tracker approve`` did: the approval (or its withdrawal), and where the policy stands.

    ``recorded`` False: nothing was written (the person had already approved
    it). ``counted``/``needed``: distinct approvals the environment's policy
    counts now, and how many it asks for (0: no policy asks for approvals).
    """

    release_id: str
    environment_id: str
    approval: Approval
    action: str  # "approve" or "revoke"
    recorded: bool
    counted: list[str]
    needed: int
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id,
            "environment_id": self.environment_id,
            "action": self.action,
            "recorded": self.recorded,
            "approval": self.approval.to_json(),
            "approved_by": self.counted,
            "approvals_needed": self.needed,
        }
