"""What the workflows need from storage, as protocols: two implementations each.

* :class:`TrackingStore`: the releases and deployments tables --
  :class:`tracker.stores.tracking.DynamoTrackingStore` (DynamoDB, what runs)
  and :class:`tracker.stores.memory.MemoryTrackingStore` (dicts, for the
  workflows' fast unit tests);
* :class:`Parameters`: SSM's image labels and deployment parameters --
  :class:`tracker.stores.parameters.ParameterStore` and the in-memory one;
* :class:`Registry`: ECR digests; :class:`Events`: EventBridge.

Both implementations of a protocol obey the same contract, stated here; the
emulator tests prove the DynamoDB one makes the real calls, the memory one
lets a workflow's rules be tested in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from tracker.model.entries import Approval, Release, Revocation
from tracker.model.records import DeploymentRow, EnvironmentState, Freeze, FreezeLogEntry, Snapshot

if TYPE_CHECKING:
    from tracker.model.ecr import EcrImage
    from tracker.stores.transaction import DeploymentWrite, OutcomeWrite


class Releases(Protocol):
    def put(self, release: Release) -> None:
        """Write a new release; never overwrites an existing id."""

    def get(self, release_id: str) -> Release | None: ...

    def get_many(self, release_ids: list[str]) -> dict[str, Release]: ...

    def add_approval(self, release: Release, approval: Approval) -> None:
        """Append to the manifest's ``approvals`` (the release must be the project's)."""

    def revoke_approval(self, release: Release, index: int, revocation: Revocation) -> bool:
        """Mark ``approvals[index]`` revoked if it is still that approval, unrevoked; else False."""

    def newest(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's releases by ``created_at`` descending, ties by id descending."""

    def recently_deployed(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's deployed releases by ``deployed_at`` descending, ties by id descending."""

    def with_prefix(self, project_id: str, prefix: str) -> list[Release]:
        """The project's releases whose uuid (or bare id) starts with ``prefix``, newest first."""


class Environments(Protocol):
    def row(self, project_id: str, environment_id: str) -> DeploymentRow | None: ...

    def state(self, project_id: str, environment_id: str) -> EnvironmentState: ...

    def all(self, project_id: str) -> tuple[list[DeploymentRow], dict[str, EnvironmentState]]: ...

    def set_freeze(
        self, project_id: str, environment_id: str, freeze: Freeze | None, logged: FreezeLogEntry
    ) -> bool:
        """Freeze (None: unfreeze, only if frozen: else False and nothing written) and log it."""

    def add_undelivered(self, project_id: str, environment_id: str, event: dict[str, Any]) -> None: ...

    def drop_undelivered(self, project_id: str, environment_id: str, count: int) -> None: ...


class TrackingStore(Protocol):
    @property
    def releases(self) -> Releases: ...

    @property
    def environments(self) -> Environments: ...

    def read(
        self, project_id: str, release_id: str | None, environment_ids: list[str], state_of: str | None
    ) -> Snapshot:
        """A release, rows and one environment's state item together (DynamoDB: one BatchGetItem)."""

    def record(self, write: DeploymentWrite) -> DeploymentRow:
        """The deployment's entry, ``deployed_at`` and the row, atomically; WriteRefused names what failed."""

    def record_outcome(self, write: OutcomeWrite) -> None:
        """A verdict on the entry and the row (and last_verified), atomically, only while the row
        still names that deployment; WriteRefused names what failed."""


class Parameters(Protocol):
    @property
    def region(self) -> str: ...

    def get_values(self, names: list[str]) -> dict[str, str]: ...

    def get_dated(self, names: list[str]) -> dict[str, tuple[str, float | None]]:
        """Values with when each was last written (unix time; None if unknown)."""

    def get_path(self, path: str, *, recursive: bool = False) -> dict[str, str]: ...

    def put_values(self, values: dict[str, str], description: str) -> None: ...


class Registry(Protocol):
    def digests(self, images: list[EcrImage]) -> tuple[dict[EcrImage, str], dict[EcrImage, str]]:
        """The digest each image's tag names now, and why each image not found is missing."""


class Events(Protocol):
    def send(self, detail_type: str, detail: dict[str, Any]) -> None:
        """One event; EventError (an AwsError) when it is not accepted."""
