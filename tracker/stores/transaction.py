"""The deployment's one DynamoDB transaction, built from named parts.

A deployment appends its entry to the release manifest and moves the
environment's row, atomically (the RFC: "the deployments table will be updated
atomically with the releases table"). Each part has a name, and a refusal is
reported by those names (:class:`~tracker.errors.WriteRefused`):

* ``entry``: the release's Update -- ``list_append`` of the entry, and
  ``deployed_at``; conditioned on the release being the project's and on no
  later deployment of it having committed first (``deployed_at`` is the time
  of its newest entry, which the history relies on);
* ``row``: the environment row's Put, conditioned on the row being the one
  the plan read (its ``version``: an optimistic lock, so of two deployments
  racing for one environment exactly one wins);
* ``not_frozen``: a ConditionCheck on the environment's state item -- no
  active freeze at the deployment's time -- left out when forced.

The next checks of state kept beside the environment join as further named
parts; nothing positional changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tracker.model.entries import DeploymentEntry, Release
from tracker.model.records import DeploymentRow
from tracker.stores.dynamo import Dynamo, attribute, serialize
from tracker.stores.environments import state_key
from tracker.stores.releases import release_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef

ENTRY, ROW, NOT_FROZEN = "entry", "row", "not_frozen"


@dataclass(frozen=True)
class DeploymentWrite:
    """Everything one deployment writes, and the conditions it is written under.

    ``previous`` is the row the plan read (None: nothing deployed there yet);
    ``check_freeze`` False for a forced deployment.
    """

    release: Release
    entry: DeploymentEntry
    at: float
    previous: DeploymentRow | None
    check_freeze: bool = True

    @property
    def environment_id(self) -> str:
        return self.entry.environment.id

    @property
    def row(self) -> DeploymentRow:
        """The environment's row once written."""
        if self.previous is None:
            return DeploymentRow(
                self.release.project_id, self.environment_id, self.release.release_id, self.at, 1
            )
        return self.previous.following(self.release.release_id, self.at)

    def grown(self) -> Release:
        """The release as it is once the entry is appended (for the item-size check)."""
        return replace(self.release, deployments=[*self.release.deployments, self.entry])


def parts(db: Dynamo, write: DeploymentWrite) -> dict[str, TransactWriteItemTypeDef]:
    """The transaction's items by name, in the order DynamoDB gets them."""
    found = {ENTRY: _append_entry(db, write), ROW: _put_row(db, write.row, write.previous)}
    if write.check_freeze:
        found[NOT_FROZEN] = _not_frozen(db, write)
    return found


def _append_entry(db: Dynamo, write: DeploymentWrite) -> TransactWriteItemTypeDef:
    return {
        "Update": {
            "TableName": db.tables.releases,
            "Key": release_key(write.release.release_id),
            "UpdateExpression": (
                "SET release_manifest.deployments = "
                "list_append(release_manifest.deployments, :entry), deployed_at = :at"
            ),
            # A deployment of the same release elsewhere that committed a later time
            # first makes this one retry rather than move deployed_at back.
            "ConditionExpression": (
                "project_id = :p AND (attribute_not_exists(deployed_at) OR deployed_at < :at)"
            ),
            "ExpressionAttributeValues": {
                ":entry": {"L": [attribute(write.entry.to_item())]},
                ":at": attribute(write.at),
                ":p": {"S": write.release.project_id},
            },
        }
    }


def _put_row(db: Dynamo, row: DeploymentRow, previous: DeploymentRow | None) -> TransactWriteItemTypeDef:
    """The row's Put, conditioned on the environment still being as it was read."""
    put: PutTypeDef = {"TableName": db.tables.deployments, "Item": serialize(row.__dict__)}
    if previous is None:
        put["ConditionExpression"] = "attribute_not_exists(project_id)"
    elif previous.version == 0:
        # A row written without our version counter (another tool, the RFC's
        # bare three columns): lock on the release it names instead.
        put["ConditionExpression"] = "attribute_not_exists(#v) AND release_id = :r"
        put["ExpressionAttributeNames"] = {"#v": "version"}
        put["ExpressionAttributeValues"] = {":r": {"S": previous.release_id}}
    else:
        put["ConditionExpression"] = "#v = :v"
        put["ExpressionAttributeNames"] = {"#v": "version"}
        put["ExpressionAttributeValues"] = {":v": {"N": str(previous.version)}}
    return {"Put": put}


def _not_frozen(db: Dynamo, write: DeploymentWrite) -> TransactWriteItemTypeDef:
    """A ConditionCheck: the environment has no freeze, or one that ended by the deployment's time."""
    return {
        "ConditionCheck": {
            "TableName": db.tables.deployments,
            "Key": state_key(write.release.project_id, write.environment_id),
            "ConditionExpression": "attribute_not_exists(active_freeze) OR frozen_until <= :at",
            "ExpressionAttributeValues": {":at": attribute(write.at)},
        }
    }
