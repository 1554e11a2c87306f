"""The tracking store on DynamoDB: the releases table and the deployments table over one helper.

:class:`DynamoTrackingStore` composes :class:`~tracker.stores.releases.ReleaseTable`,
:class:`~tracker.stores.environments.EnvironmentTable` and the deployment's
transaction (:mod:`tracker.stores.transaction`) over one
:class:`~tracker.stores.dynamo.Dynamo`. It implements
:class:`tracker.stores.protocols.TrackingStore`; what a refusal *means* is the
workflows' to say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.model.records import DeploymentRow, EnvironmentState, Snapshot
from tracker.stores.clients import Clients
from tracker.stores.dynamo import Dynamo, Tables, check_size
from tracker.stores.environments import (
    EnvironmentTable,
    is_state_item,
    row_from_item,
    row_key,
    state_from_item,
    state_key,
)
from tracker.stores.releases import ReleaseTable, release_from_item, release_key

if TYPE_CHECKING:
    from tracker.stores.transaction import DeploymentWrite, OutcomeWrite


class DynamoTrackingStore:
    """The releases and deployments tables of RFC 013."""

    def __init__(self, db: Dynamo) -> None:
        self.db = db
        self.releases = ReleaseTable(db)
        self.environments = EnvironmentTable(db)

    @classmethod
    def build(cls, clients: Clients, tables: Tables | None = None) -> DynamoTrackingStore:
        return cls(Dynamo(clients, tables or Tables()))

    def read(
        self, project_id: str, release_id: str | None, environment_ids: list[str], state_of: str | None
    ) -> Snapshot:
        """A release (unchecked, None if absent), rows and a state item, in one BatchGetItem call."""
        tables = self.db.tables
        keys = [row_key(project_id, e) for e in environment_ids]
        if state_of is not None:
            keys.append(state_key(project_id, state_of))
        request: dict[str, dict[str, object]] = {}
        if keys:
            request[tables.deployments] = {"Keys": keys, "ConsistentRead": True}
        if release_id is not None:
            request[tables.releases] = {"Keys": [release_key(release_id)], "ConsistentRead": True}
        found = Snapshot()
        if not request:
            return found
        for responses in self.db.batch_get(request, "reading the release and the environment"):
            for item in responses.get(tables.releases, []):
                found.release = release_from_item(item)
            for item in responses.get(tables.deployments, []):
                if is_state_item(item):
                    found.state = state_from_item(item)
                else:
                    row = row_from_item(item)
                    found.rows[row.environment_id] = row
        if state_of is not None and found.state is None:
            found.state = EnvironmentState(state_of)
        return found

    def record(self, write: DeploymentWrite) -> DeploymentRow:
        """One TransactWriteItems (see tracker.stores.transaction); WriteRefused names the parts refused."""
        from tracker.stores.transaction import parts

        check_size(write.grown().as_row())
        self.db.transact(parts(self.db, write), "recording the deployment")
        return write.row

    def record_outcome(self, write: OutcomeWrite) -> None:
        """One TransactWriteItems (tracker.stores.transaction.outcome_parts); WriteRefused by part name."""
        from tracker.stores.transaction import outcome_parts

        check_size(write.grown().as_row())
        self.db.transact(outcome_parts(self.db, write), "recording the deployment's outcome")
