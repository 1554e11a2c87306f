"""The RFC's documents as typed records: people, environments, deployment entries, releases.

A release manifest crosses every layer -- built by the workflows, stored as a
DynamoDB map, read back by history, status, the report and the Terraform
programs -- so it is typed once, here, and converted at the edges:
``to_item()`` gives the JSON/DynamoDB document (the RFC's keys; absent
optional fields are left out, as the RFC's examples show), ``from_item()``
reads one back. Keys this version does not know (written by a newer tracker
or another tool) are kept in ``extra`` and written back unchanged, so an older
tracker appending a deployment never drops what a newer one recorded.

Adding a field to a deployment entry: declare it on :class:`DeploymentEntry`
(an optional value, default None), add it to
``schemas/release_manifest.schema.json``, and show it where people read it.
Nothing that only passes entries along changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, ClassVar, Self


def new_release_id(project_id: str) -> str:
    """``{project_id}:{uuid4}``: ``:`` never occurs in a project id, so IAM can scope rows by prefix."""
    return f"{project_id}:{uuid.uuid4()}"


def short_id(release_id: str) -> str:
    """What people read and type: the first 8 characters of the id after its ``project:`` prefix."""
    return release_id.rpartition(":")[2][:8]


class Record:
    """Conversion between a typed record and its document, driven by the dataclass's fields.

    ``NESTED`` names the fields holding another record; every other field is
    a plain JSON value. ``extra`` (when declared) keeps unknown keys.
    """

    NESTED: ClassVar[dict[str, type[Record]]] = {}
    NESTED_LISTS: ClassVar[dict[str, type[Record]]] = {}  # fields holding a tuple of records

    def to_item(self) -> dict[str, Any]:
        """The document: every field with a value (None is left out), unknown keys kept."""
        item: dict[str, Any] = dict(getattr(self, "extra", {}))
        for spec in fields(self):  # type: ignore[arg-type]
            if spec.name == "extra":
                continue
            value = getattr(self, spec.name)
            if isinstance(value, Record):
                item[spec.name] = value.to_item()
            elif spec.name in self.NESTED_LISTS and value is not None:
                item[spec.name] = [record.to_item() for record in value]
            elif value is not None:
                item[spec.name] = value
        return item

    def to_json(self) -> dict[str, Any]:
        """As ``to_item`` but every declared field present (None as null): stable keys for machines."""
        return {**self.blank_json(), **self.to_item()}

    @classmethod
    def blank_json(cls) -> dict[str, Any]:
        """Every declared field as null: ``to_json``'s keys when there is no record."""
        return {spec.name: None for spec in fields(cls) if spec.name != "extra"}  # type: ignore[arg-type]

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        known = {spec.name for spec in fields(cls)}  # type: ignore[arg-type]
        values = {
            key: cls._nested(key, value) for key, value in item.items() if key in known and key != "extra"
        }
        if "extra" in known:
            values["extra"] = {key: value for key, value in item.items() if key not in known}
        return cls(**values)

    @classmethod
    def _nested(cls, key: str, value: Any) -> Any:
        if value is None:
            return None
        if key in cls.NESTED:
            return cls.NESTED[key].from_item(value)
        if key in cls.NESTED_LISTS:
            return tuple(cls.NESTED_LISTS[key].from_item(inner) for inner in value)
        return value


@dataclass(frozen=True)
class Person(Record):
    """The RFC's ``requested_by {id, name}``: who asked (a person or a CI identity, never a role)."""

    id: str
    name: str

    @classmethod
    def of(cls, user_id: str, name: str | None = None) -> Person:
        """A person checked against the schema's limits; the name defaults to the id."""
        from tracker.model import schema

        schema.check_text("user id", user_id, schema.limit("user_id"), required=True)
        schema.check_text("user name", name or user_id, schema.limit("name"), required=True)
        return cls(user_id, name or user_id)


@dataclass(frozen=True)
class EnvironmentRef(Record):
    """The RFC's ``environment {id, name}`` of a deployment entry."""

    id: str
    name: str


@dataclass(frozen=True)
class ProjectRef(Record):
    """The RFC's ``project {id, name}`` a release manifest carries."""

    id: str
    name: str


@dataclass(frozen=True)
class Outcome(Record):
    """What became of a deployment in ECS: ``verified`` or ``failed``, when, and why.

    ``reason`` says what was seen (every service running the released image,
    or which service runs what instead, what ECS said, which alarm fired).
    ``recorded_by`` is who ran the check (``tracker wait``'s caller).
    """

    status: str  # "verified" or "failed"
    date: str  # ISO 8601, UTC, milliseconds: when the verdict was reached
    reason: str
    recorded_by: Person | None = None

    NESTED: ClassVar[dict[str, type[Record]]] = {"recorded_by": Person}

    def describe(self) -> str:
        """``verified 2026-11-28T12:00:00.000Z: ...`` on one line."""
        return f"{self.status} {self.date}: {self.reason}"


@dataclass(frozen=True)
class DeploymentEntry(Record):
    """One entry of a release manifest's ``deployments``: the RFC's four keys and the extensions.

    * ``forced``: what the deployment was forced through (a freeze, a window);
    * ``rollback_from``: the release a rollback replaced;
    * ``rollback_of``: for a rollback after a failed rollout, the failed
      deployment's ``date_requested``;
    * ``outcomes``: the verdicts of ``tracker wait`` on this deployment, oldest
      first (a "timed out" failure and a later verification both stay); the
      last one is the deployment's outcome. None: never checked.
    """

    environment: EnvironmentRef
    date_requested: str  # ISO 8601, UTC, milliseconds
    requested_by: Person
    description: str
    forced: str | None = None
    rollback_from: str | None = None
    rollback_of: str | None = None
    outcomes: tuple[Outcome, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    NESTED: ClassVar[dict[str, type[Record]]] = {"environment": EnvironmentRef, "requested_by": Person}
    NESTED_LISTS: ClassVar[dict[str, type[Record]]] = {"outcomes": Outcome}

    @property
    def outcome(self) -> Outcome | None:
        """The deployment's latest verdict (None: never checked)."""
        return self.outcomes[-1] if self.outcomes else None

    @property
    def verdict(self) -> str:
        """``verified``, ``failed`` or ``unverified`` (never checked): how lists show it."""
        return self.outcome.status if self.outcome else "unverified"

    @cached_property
    def at(self) -> float:
        """``date_requested`` as unix seconds (to the millisecond); parsed once (sorting reads it often)."""
        from tracker.model.clock import epoch

        return epoch(self.date_requested)

    @property
    def environment_id(self) -> str:
        return self.environment.id

    @property
    def is_rollback(self) -> bool:
        """A rollback: it names what it replaced, or (older entries) its description says so."""
        return bool(self.rollback_from) or self.description.startswith("rollback of ")


@dataclass(frozen=True)
class Revocation(Record):
    """When and why an approver withdrew their approval (``tracker approve --revoke``)."""

    date: str  # ISO 8601, UTC, milliseconds
    description: str = ""


@dataclass(frozen=True)
class Approval(Record):
    """An approval of a release for an environment (``tracker approve``): who, when, why.

    Kept in the release manifest's ``approvals``, oldest first. Withdrawing
    one sets ``revoked`` in place (the list is only appended to, so a
    deployment's transaction can name the approvals it counted by position).
    """

    environment: EnvironmentRef
    approved_by: Person
    date: str  # ISO 8601, UTC, milliseconds
    description: str = ""
    revoked: Revocation | None = None

    NESTED: ClassVar[dict[str, type[Record]]] = {
        "environment": EnvironmentRef,
        "approved_by": Person,
        "revoked": Revocation,
    }

    @property
    def active(self) -> bool:
        return self.revoked is None

    def describe(self) -> str:
        """``approved by Ophelia 2026-11-28T12:00:00.000Z: "looks good" (revoked ...)``."""
        why = f': "{self.description}"' if self.description else ""
        line = f"approved by {self.approved_by.name} {self.date}{why}"
        if self.revoked is not None:
            reason = f': "{self.revoked.description}"' if self.revoked.description else ""
            line += f" (revoked {self.revoked.date}{reason})"
        return line


@dataclass(frozen=True)
class Published(Record):
    """Where one image of a release came from (``tracker publish``): when, by whom, which commit.

    ``date`` is when the image was published to the label (the tracker's own
    record, else the SSM parameter's last-modified time); ``revision`` the
    commit it was built from and ``committed`` that commit's time, when the
    publisher knew them. Lead time for changes counts from these.
    """

    date: str  # ISO 8601, UTC
    by: str | None = None
    revision: str | None = None
    committed: str | None = None  # ISO 8601: the commit's time

    @property
    def short_revision(self) -> str:
        """The revision as people read it: a commit sha's first 12 characters."""
        return (self.revision or "")[:12]


@dataclass
class Release:
    """A row of the releases table, its release manifest typed.

    ``created_at``/``deployed_at`` are the RFC's unix times (to the
    millisecond); ``deployed_at`` is None until the first deployment.
    """

    release_id: str
    project_id: str
    created_at: float
    project: ProjectRef
    date_requested: str
    requested_by: Person
    description: str
    images: dict[str, str]
    deployments: list[DeploymentEntry] = field(default_factory=list)
    deployed_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # manifest keys this version does not know
    approvals: list[Approval] = field(default_factory=list)  # oldest first; revoked ones keep their place
    published: dict[str, Published] = field(default_factory=dict)  # service -> where its image came from

    @property
    def release_manifest(self) -> dict[str, Any]:
        """The RFC's release manifest document."""
        return {
            **self.extra,
            "project": self.project.to_item(),
            "date_requested": self.date_requested,
            "requested_by": self.requested_by.to_item(),
            "description": self.description,
            "images": dict(self.images),
            "deployments": [entry.to_item() for entry in self.deployments],
            # Only once there is one: manifests without approvals keep the RFC's exact keys.
            **({"approvals": [a.to_item() for a in self.approvals]} if self.approvals else {}),
            **({"published": {s: p.to_item() for s, p in self.published.items()}} if self.published else {}),
        }

    def as_row(self) -> dict[str, Any]:
        """The table row as a JSON-ready dict (``deployed_at`` None until first deployed)."""
        return {
            "release_id": self.release_id,
            "project_id": self.project_id,
            "created_at": self.created_at,
            "deployed_at": self.deployed_at,
            "release_manifest": self.release_manifest,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Release:
        manifest = dict(row["release_manifest"])
        known = (
            "project",
            "date_requested",
            "requested_by",
            "description",
            "images",
            "deployments",
            "approvals",
            "published",
        )
        return cls(
            release_id=row["release_id"],
            project_id=row["project_id"],
            created_at=row["created_at"],
            deployed_at=row.get("deployed_at"),
            project=ProjectRef.from_item(manifest["project"]),
            date_requested=manifest["date_requested"],
            requested_by=Person.from_item(manifest["requested_by"]),
            description=manifest["description"],
            images=dict(manifest["images"]),
            deployments=[DeploymentEntry.from_item(entry) for entry in manifest["deployments"]],
            extra={key: value for key, value in manifest.items() if key not in known},
            approvals=[Approval.from_item(item) for item in manifest.get("approvals", [])],
            published={s: Published.from_item(p) for s, p in manifest.get("published", {}).items()},
        )

    def entries_in(self, environment_id: str) -> list[DeploymentEntry]:
        return [entry for entry in self.deployments if entry.environment.id == environment_id]

    def approvals_for(self, environment_id: str) -> list[tuple[int, Approval]]:
        """The environment's approvals (revoked ones too) with their positions in ``approvals``."""
        return [(i, a) for i, a in enumerate(self.approvals) if a.environment.id == environment_id]

    def last_entry(self, environment_id: str) -> DeploymentEntry | None:
        """The newest entry for the environment: who deployed it there, when, why."""
        return max(self.entries_in(environment_id), key=lambda entry: entry.at, default=None)
