"""The deployments table: each environment's row, and beside it the environment's state item.

* the row: ``project_id`` (hash), ``environment_id`` (range), ``release_id``,
  and the bookkeeping of :class:`~tracker.model.records.DeploymentRow`;
* the *state item* (``environment_id`` = ``{environment}#state``; ``#`` never
  occurs in an environment id): the environment's ``active_freeze`` (and
  ``frozen_until``, unix seconds), the ``freeze_log`` of freezes and
  unfreezes, ``undelivered_events`` (events EventBridge did not take) and
  ``last_verified`` (the newest deployment ``tracker wait`` verified).
  Attribute names avoid DynamoDB's reserved words (``log`` is one).
"""

from __future__ import annotations

from typing import Any

from tracker.errors import AwsError
from tracker.model.entries import Outcome
from tracker.model.records import DeploymentRow, EnvironmentState, Freeze, FreezeLogEntry, LastVerified
from tracker.stores.dynamo import Dynamo, Item, attribute, deserialize

STATE_SUFFIX = "#state"  # environment_id of an environment's state item: "{environment}#state"


def row_key(project_id: str, environment_id: str) -> Item:
    return {"project_id": {"S": project_id}, "environment_id": {"S": environment_id}}


def state_key(project_id: str, environment_id: str) -> Item:
    return row_key(project_id, f"{environment_id}{STATE_SUFFIX}")


def row_from_item(item: Item) -> DeploymentRow:
    plain = deserialize(item)
    return DeploymentRow(
        project_id=plain["project_id"],
        environment_id=plain["environment_id"],
        release_id=plain["release_id"],
        deployed_at=plain.get("deployed_at", 0),
        version=int(plain.get("version", 0)),
        previous_release_id=plain.get("previous_release_id"),
        outcome=Outcome.from_item(plain["outcome"]) if plain.get("outcome") else None,
    )


def is_state_item(item: Item) -> bool:
    return str(item["environment_id"]["S"]).endswith(STATE_SUFFIX)


def state_from_item(item: Item) -> EnvironmentState:
    plain = deserialize(item)
    freeze = plain.get("active_freeze")
    verified = plain.get("last_verified")
    return EnvironmentState(
        environment_id=plain["environment_id"].removesuffix(STATE_SUFFIX),
        freeze=Freeze.from_item(freeze) if freeze else None,
        log=[FreezeLogEntry.from_item(entry) for entry in plain.get("freeze_log", [])],
        undelivered=plain.get("undelivered_events", []),
        last_verified=LastVerified.from_item(verified) if verified else None,
    )


class EnvironmentTable:
    """Rows and state items of the deployments table."""

    def __init__(self, db: Dynamo) -> None:
        self.db = db

    @property
    def name(self) -> str:
        return self.db.tables.deployments

    def row(self, project_id: str, environment_id: str) -> DeploymentRow | None:
        item = self.db.get(self.name, row_key(project_id, environment_id), "reading the deployments table")
        return row_from_item(item) if item else None

    def state(self, project_id: str, environment_id: str) -> EnvironmentState:
        """The environment's state item (an empty state when it has none)."""
        item = self.db.get(
            self.name, state_key(project_id, environment_id), "reading the environment's state"
        )
        return state_from_item(item) if item else EnvironmentState(environment_id)

    def all(self, project_id: str) -> tuple[list[DeploymentRow], dict[str, EnvironmentState]]:
        """Every environment's row and state item for the project: one Query, both kinds."""
        rows: list[DeploymentRow] = []
        states: dict[str, EnvironmentState] = {}
        for page in self.db.pages(
            TableName=self.name,
            KeyConditionExpression="project_id = :p",
            ExpressionAttributeValues={":p": {"S": project_id}},
            ConsistentRead=True,
        ):
            for item in page:
                if is_state_item(item):
                    state = state_from_item(item)
                    states[state.environment_id] = state
                elif "release_id" in item:
                    rows.append(row_from_item(item))
        return rows, states

    def set_freeze(
        self, project_id: str, environment_id: str, freeze: Freeze | None, logged: FreezeLogEntry
    ) -> bool:
        """Freeze (or, with None, unfreeze) the environment and log it, in one UpdateItem.

        Unfreezing is conditioned on a freeze being there: of two people lifting
        the same freeze, one logs the unfreeze and the other gets False
        (nothing written).
        """
        values: dict[str, Any] = {":entry": {"L": [attribute(logged.to_item())]}, ":empty": {"L": []}}
        log = "freeze_log = list_append(if_not_exists(freeze_log, :empty), :entry)"
        condition = None
        if freeze is None:
            update = f"SET {log} REMOVE active_freeze, frozen_until"
            condition = "attribute_exists(active_freeze)"
        elif freeze.until:
            values[":f"], values[":u"] = attribute(freeze.to_item()), attribute(_epoch(freeze.until))
            update = f"SET {log}, active_freeze = :f, frozen_until = :u"
        else:
            values[":f"] = attribute(freeze.to_item())
            update = f"SET {log}, active_freeze = :f REMOVE frozen_until"
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": state_key(project_id, environment_id),
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self.db.call(lambda: self.db.client.update_item(**kwargs), "recording the freeze")
        except AwsError as error:
            if error.code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def add_undelivered(self, project_id: str, environment_id: str, event: dict[str, Any]) -> None:
        """Keep an event EventBridge did not take, for `verify` to report and `repair` to send again."""
        self.db.call(
            lambda: self.db.client.update_item(
                TableName=self.name,
                Key=state_key(project_id, environment_id),
                UpdateExpression=(
                    "SET undelivered_events = list_append(if_not_exists(undelivered_events, :empty), :e)"
                ),
                ExpressionAttributeValues={":e": {"L": [attribute(event)]}, ":empty": {"L": []}},
            ),
            "keeping the undelivered event",
        )

    def drop_undelivered(self, project_id: str, environment_id: str, count: int) -> None:
        """Forget the ``count`` undelivered events just sent again (if no other was added meanwhile)."""
        self.db.call(
            lambda: self.db.client.update_item(
                TableName=self.name,
                Key=state_key(project_id, environment_id),
                UpdateExpression="REMOVE undelivered_events",
                ConditionExpression="size(undelivered_events) = :n",
                ExpressionAttributeValues={":n": {"N": str(count)}},
            ),
            "forgetting the delivered events",
        )


def _epoch(date: str) -> float:
    from tracker.model.clock import epoch

    return epoch(date)
