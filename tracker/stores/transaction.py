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

A promotion policy's verdict rests on the release item itself (its
approvals, the verified deployment it was promoted after: see
:mod:`tracker.model.policies`), which ``entry`` already updates; DynamoDB
allows one operation per item in a transaction, so ``entry``'s condition also
requires each approval counted to be unrevoked and the verified deployment's
outcomes unchanged. A refused ``entry`` is read again and planned again, and
the policy then says what is missing. The next checks of state kept beside
the environment join as further named parts; nothing positional changes.

A deployment's *outcome* (``tracker wait``'s verdict) is written the same
way, in its own transaction (:func:`outcome_parts`):

* ``outcome_entry``: appends the verdict to the entry's ``outcomes``,
  conditioned on the entry at that position being the deployment's;
* ``current``: sets the row's ``outcome``, conditioned on the row still
  naming that deployment (release and version): a late verdict never lands
  on a newer deployment;
* ``last_verified``: for a verified deployment, the environment's state item
  remembers it (where ``wait --rollback-on-failure`` goes back to).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tracker.model.entries import DeploymentEntry, Outcome, Release
from tracker.model.policies import Basis
from tracker.model.records import DeploymentRow, LastVerified
from tracker.stores.dynamo import Dynamo, attribute, serialize
from tracker.stores.environments import row_key, state_key
from tracker.stores.releases import release_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef

ENTRY, ROW, NOT_FROZEN = "entry", "row", "not_frozen"
OUTCOME_ENTRY, CURRENT, LAST_VERIFIED = "outcome_entry", "current", "last_verified"


@dataclass(frozen=True)
class DeploymentWrite:
    """Everything one deployment writes, and the conditions it is written under.

    ``previous`` is the row the plan read (None: nothing deployed there yet);
    ``check_freeze`` False for a forced deployment; ``basis`` what the
    environment's policy counted, which must be unchanged when it is written.
    """

    release: Release
    entry: DeploymentEntry
    at: float
    previous: DeploymentRow | None
    check_freeze: bool = True
    basis: Basis = Basis()

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
    # A deployment of the same release elsewhere that committed a later time
    # first makes this one retry rather than move deployed_at back.
    conditions = ["project_id = :p AND (attribute_not_exists(deployed_at) OR deployed_at < :at)"]
    values = {
        ":entry": {"L": [attribute(write.entry.to_item())]},
        ":at": attribute(write.at),
        ":p": {"S": write.release.project_id},
    }
    # The policy's basis: the approvals counted are still unrevoked, the verdict relied on unchanged.
    for position in write.basis.approvals:
        conditions.append(f"attribute_not_exists(release_manifest.approvals[{position}].revoked)")
    for position, outcomes in write.basis.verified:
        conditions.append(f"size(release_manifest.deployments[{position}].outcomes) = :n{position}")
        values[f":n{position}"] = {"N": str(outcomes)}
    return {
        "Update": {
            "TableName": db.tables.releases,
            "Key": release_key(write.release.release_id),
            "UpdateExpression": (
                "SET release_manifest.deployments = "
                "list_append(release_manifest.deployments, :entry), deployed_at = :at"
            ),
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeValues": values,  # type: ignore[typeddict-item]
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


@dataclass(frozen=True)
class OutcomeWrite:
    """A verdict on the deployment ``row`` names, whose entry is ``release.deployments[index]``."""

    release: Release
    index: int
    row: DeploymentRow
    outcome: Outcome

    @property
    def entry(self) -> DeploymentEntry:
        return self.release.deployments[self.index]

    def judged(self) -> DeploymentEntry:
        """The deployment's entry once the outcome is appended to its ``outcomes``."""
        return replace(self.entry, outcomes=(*(self.entry.outcomes or ()), self.outcome))

    def grown(self) -> Release:
        """The release as it is once the outcome is appended (for the item-size check)."""
        entries = list(self.release.deployments)
        entries[self.index] = self.judged()
        return replace(self.release, deployments=entries)

    @property
    def last_verified(self) -> LastVerified | None:
        if self.outcome.status != "verified":
            return None
        return LastVerified(self.release.release_id, self.entry.date_requested, self.outcome.date)


def outcome_parts(db: Dynamo, write: OutcomeWrite) -> dict[str, TransactWriteItemTypeDef]:
    """The outcome transaction's items by name (see the module docstring)."""
    at = f"release_manifest.deployments[{write.index}]"
    outcome = attribute(write.outcome.to_item())
    found: dict[str, TransactWriteItemTypeDef] = {
        OUTCOME_ENTRY: {
            "Update": {
                "TableName": db.tables.releases,
                "Key": release_key(write.release.release_id),
                "UpdateExpression": (
                    f"SET {at}.outcomes = list_append(if_not_exists({at}.outcomes, :empty), :o)"
                ),
                "ConditionExpression": f"project_id = :p AND {at}.date_requested = :d",
                "ExpressionAttributeValues": {
                    ":o": {"L": [outcome]},
                    ":empty": {"L": []},
                    ":p": {"S": write.release.project_id},
                    ":d": {"S": write.entry.date_requested},
                },
            }
        },
        CURRENT: _set_row_outcome(db, write.row, outcome),
    }
    verified = write.last_verified
    if verified is not None:
        found[LAST_VERIFIED] = {
            "Update": {
                "TableName": db.tables.deployments,
                "Key": state_key(write.release.project_id, write.row.environment_id),
                "UpdateExpression": "SET last_verified = :v",
                "ExpressionAttributeValues": {":v": attribute(verified.to_item())},
            }
        }
    return found


def _set_row_outcome(db: Dynamo, row: DeploymentRow, outcome: object) -> TransactWriteItemTypeDef:
    """The row's ``outcome``, only while the row still names this deployment."""
    values = {":o": outcome, ":r": {"S": row.release_id}}
    if row.version:
        condition = "release_id = :r AND #v = :v"
        values[":v"] = {"N": str(row.version)}
    else:
        condition = "release_id = :r AND attribute_not_exists(#v)"
    return {
        "Update": {
            "TableName": db.tables.deployments,
            "Key": row_key(row.project_id, row.environment_id),
            "UpdateExpression": "SET outcome = :o",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": values,  # type: ignore[typeddict-item]
        }
    }
