"""The tracking store: the releases and deployments tables (DynamoDB) behind one class.

It takes an injected :class:`tracker.stores.clients.Clients`; AWS error codes
become the library's named exceptions here and nowhere else.

* releases: ``release_id`` (hash), ``project_id``, ``created_at``, ``deployed_at``
  (unix seconds with milliseconds; absent until the first deployment),
  ``release_manifest`` (the RFC's document, stored as a DynamoDB map so that a
  deployment is appended atomically with ``list_append``). Two GSIs, named by
  the RFC only by their keys: ``project_id``/``created_at`` (latest releases)
  and ``project_id``/``deployed_at`` (latest deployments). Their names default
  to ``latest_releases`` and ``latest_deployments`` (the tracking-store
  module's); a table created by other tooling is searched for the indexes with
  those key schemas, or the names come from the settings.
* deployments: ``project_id`` (hash), ``environment_id`` (range), ``release_id``,
  and the bookkeeping of :class:`~tracker.model.records.DeploymentRow`. Beside
  each environment's row, its *state item* (``environment_id`` =
  ``{environment}#state``; ``#`` never occurs in an environment id): the
  environment's ``active_freeze`` (and ``frozen_until``, unix seconds), the
  ``freeze_log`` of freezes and unfreezes, and ``undelivered_events`` (events
  EventBridge did not take). A
  deployment's transaction checks the freeze (a ConditionCheck on that item),
  so no deployment is recorded after a freeze has been.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tracker.errors import (
    AwsError,
    ConcurrentDeploymentError,
    EnvironmentFrozenError,
    ManifestTooLargeError,
    MissingTableError,
    NotFrozenError,
    ReleaseBusyError,
    ReleaseNotFoundError,
    WrongProjectError,
)
from tracker.model.records import DeploymentRow, EnvironmentState, Freeze, Release
from tracker.stores.clients import Clients, call

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef

DEFAULT_RELEASES_TABLE = "tracker-releases"
DEFAULT_DEPLOYMENTS_TABLE = "tracker-deployments"
LATEST_RELEASES = "latest_releases"
LATEST_DEPLOYMENTS = "latest_deployments"
# Each GSI by the key schema the RFC gives it, and what it is for (error messages).
INDEX_KEYS = {
    LATEST_RELEASES: ("project_id", "created_at", "latest releases"),
    LATEST_DEPLOYMENTS: ("project_id", "deployed_at", "latest deployments"),
}

ITEM_LIMIT = 400 * 1024  # DynamoDB's maximum item size, in bytes
BATCH_KEYS = 100  # BatchGetItem takes at most 100 keys
BATCH_ROUNDS = 8  # BatchGetItem calls per request before giving up on UnprocessedKeys
STATE_SUFFIX = "#state"  # environment_id of an environment's state item: "{environment}#state"
Item = dict[str, Any]


# -- DynamoDB's types ---------------------------------------------------------------------
def _to_plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    return value


def _to_dynamo(value: Any) -> Any:
    """Floats as Decimal (boto3 refuses floats); times are millisecond-rounded, so str() is exact."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def serialize(value: dict[str, Any]) -> Item:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(_to_dynamo(v)) for k, v in value.items() if v is not None}


def deserialize(item: Item) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: _to_plain(deserializer.deserialize(v)) for k, v in item.items()}


def item_size(value: Any) -> int:
    """DynamoDB's size of an attribute value in bytes (its documented sizing rules)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, int | float | Decimal):
        digits = len(str(abs(value)).replace(".", "").lstrip("0")) or 1
        return 1 + (digits + 1) // 2
    if isinstance(value, dict):
        return 3 + sum(len(k.encode("utf-8")) + item_size(v) + 1 for k, v in value.items())
    if isinstance(value, list):
        return 3 + sum(item_size(v) + 1 for v in value)
    raise TypeError(f"unexpected attribute type {type(value).__name__}")


def release_from_item(item: Item) -> Release:
    plain = deserialize(item)
    return Release(
        release_id=plain["release_id"],
        project_id=plain["project_id"],
        created_at=plain["created_at"],
        deployed_at=plain.get("deployed_at"),
        release_manifest=plain["release_manifest"],
    )


def row_from_item(item: Item) -> DeploymentRow:
    plain = deserialize(item)
    return DeploymentRow(
        project_id=plain["project_id"],
        environment_id=plain["environment_id"],
        release_id=plain["release_id"],
        deployed_at=plain.get("deployed_at", 0),
        version=int(plain.get("version", 0)),
        previous_release_id=plain.get("previous_release_id"),
    )


def is_state_item(item: Item) -> bool:
    return str(item["environment_id"]["S"]).endswith(STATE_SUFFIX)


def state_from_item(item: Item) -> EnvironmentState:
    plain = deserialize(item)
    freeze = plain.get("active_freeze")
    return EnvironmentState(
        environment_id=plain["environment_id"].removesuffix(STATE_SUFFIX),
        freeze=Freeze(**freeze) if freeze else None,
        log=plain.get("freeze_log", []),
        undelivered=plain.get("undelivered_events", []),
    )


def _missing_index(error: AwsError) -> bool:
    """A Query named an index the table does not have (DynamoDB: ValidationException; moto: not found)."""
    message = str(error).lower()
    return (error.code == "ValidationException" and "specified index" in message) or (
        error.code == "ResourceNotFoundException" and "invalid index" in message
    )


def check_release(release: Release | None, release_id: str, project_id: str) -> Release:
    """The release, or ReleaseNotFoundError / WrongProjectError."""
    if release is None:
        raise ReleaseNotFoundError(f"release '{release_id}' not found")
    if release.project_id != project_id:
        raise WrongProjectError(
            f"release '{release_id}' belongs to project '{release.project_id}', not '{project_id}'"
        )
    return release


def newest_first(
    releases: Iterable[Release], time_of: Callable[[Release], float | None]
) -> Iterator[Release]:
    """Releases already ordered newest first by ``time_of``, with ties ordered by descending id.

    A GSI returns items with equal sort keys in no defined order; buffering each
    group of equal times makes every listing (and ``latest``) deterministic.
    """
    group: list[Release] = []
    for release in releases:
        if group and time_of(release) != time_of(group[0]):
            yield from sorted(group, key=lambda r: r.release_id, reverse=True)
            group = []
        group.append(release)
    yield from sorted(group, key=lambda r: r.release_id, reverse=True)


@dataclass
class TrackingStore:
    """The releases and deployments tables of RFC 013."""

    clients: Clients
    releases_table: str = DEFAULT_RELEASES_TABLE
    deployments_table: str = DEFAULT_DEPLOYMENTS_TABLE
    # GSI names from the settings; None: the default name, else found by key schema.
    indexes: dict[str, str | None] = field(default_factory=dict)

    @property
    def _db(self) -> DynamoDBClient:
        return self.clients.dynamodb

    # -- errors ------------------------------------------------------------------------------
    def _missing_table(self) -> MissingTableError:
        """Name the missing table: one extra DescribeTable per table, on this error path only."""
        missing = []
        for table in (self.releases_table, self.deployments_table):
            try:
                call(lambda t=table: self._db.describe_table(TableName=t))  # type: ignore[misc]
            except AwsError as error:
                if error.code == "ResourceNotFoundException":
                    missing.append(table)
        names = " and ".join(f"'{t}'" for t in missing) or "of the tracker"
        what = "table {} does not exist" if len(missing) == 1 else "tables {} do not exist"
        return MissingTableError(
            f"DynamoDB {what.format(names)} ({self.clients.where('dynamodb')}): create the tables with "
            "the Terraform module modules/tracking-store (e.g. `make store`), or point "
            "TRACKER_RELEASES_TABLE / TRACKER_DEPLOYMENTS_TABLE at yours"
        )

    def _translated(self, error: AwsError) -> Exception:
        """A missing table named as such; anything else as it is (a missing index is its caller's)."""
        if error.code == "ResourceNotFoundException" and not _missing_index(error):
            return self._missing_table()
        return error

    def _call(self, function: Callable[[], Any], what: str) -> Any:
        try:
            return call(function, what)
        except AwsError as error:
            raise self._translated(error) from error

    # -- the GSIs ----------------------------------------------------------------------------
    def index_name(self, index: str) -> str:
        return self.indexes.get(index) or index

    def _find_index(self, index: str) -> str:
        """The GSI of the releases table whose key schema is the RFC's for ``index``."""
        hash_key, range_key, purpose = INDEX_KEYS[index]
        table = self._call(lambda: self._db.describe_table(TableName=self.releases_table), "describing")
        for gsi in table["Table"].get("GlobalSecondaryIndexes", []):
            keys = {k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]}
            if keys == {"HASH": hash_key, "RANGE": range_key}:
                return str(gsi["IndexName"])
        raise MissingTableError(
            f"DynamoDB table '{self.releases_table}' ({self.clients.where('dynamodb')}) has no global "
            f"secondary index on {hash_key} (hash) + {range_key} (range), the RFC's '{purpose}' index: "
            f"add one, or name yours with TRACKER_{index.upper()}_INDEX"
        )

    def _query_index(self, index: str, **kwargs: Any) -> Iterator[Item]:
        """Items of a Query on a GSI; a missing default-named index is looked up by key schema once."""
        pages = self._pages(IndexName=self.index_name(index), **kwargs)
        try:
            first = next(pages, None)
        except AwsError as error:
            if not _missing_index(error):
                raise
            if self.indexes.get(index):
                raise MissingTableError(
                    f"DynamoDB table '{self.releases_table}' ({self.clients.where('dynamodb')}) has no "
                    f"index '{self.indexes[index]}' (TRACKER_{index.upper()}_INDEX)"
                ) from error
            self.indexes[index] = self._find_index(index)
            pages = self._pages(IndexName=self.indexes[index], **kwargs)
            first = next(pages, None)
        if first is not None:
            yield from self._complete(first)
            for page in pages:
                yield from self._complete(page)

    def _pages(self, **kwargs: Any) -> Iterator[list[Item]]:
        """Query pages (a caller that stops early reads no more pages)."""
        iterator = iter(self._db.get_paginator("query").paginate(**kwargs))
        while True:
            try:
                page = call(lambda: next(iterator, None), "querying")
            except AwsError as error:
                raise self._translated(error) from error
            if page is None:
                return
            yield page.get("Items", [])

    def _complete(self, items: list[Item]) -> list[Item]:
        """Index items with the whole release: a GSI created elsewhere may project only the keys."""
        partial = [i["release_id"]["S"] for i in items if "release_manifest" not in i]
        if not partial:
            return items
        full = self._batch_items(self.releases_table, partial)
        return [full.get(i["release_id"]["S"], i) if "release_manifest" not in i else i for i in items]

    # -- releases ----------------------------------------------------------------------------
    def put_release(self, release: Release) -> None:
        """Write a new release; never overwrites an existing release id."""
        self.check_size(release.as_row())
        item = serialize(release.as_row())
        self._call(
            lambda: self._db.put_item(
                TableName=self.releases_table,
                Item=item,
                ConditionExpression="attribute_not_exists(release_id)",
            ),
            "writing the release",
        )

    def get_release(self, release_id: str) -> Release | None:
        response = self._call(
            lambda: self._db.get_item(
                TableName=self.releases_table, Key={"release_id": {"S": release_id}}, ConsistentRead=True
            ),
            "reading the release",
        )
        item = response.get("Item")
        return release_from_item(item) if item else None

    def require_release(self, release_id: str, project_id: str) -> Release:
        return check_release(self.get_release(release_id), release_id, project_id)

    def get_releases(self, release_ids: list[str]) -> dict[str, Release]:
        """Many releases, in BatchGetItem calls of up to 100 keys."""
        items = self._batch_items(self.releases_table, list(dict.fromkeys(release_ids)))
        return {key: release_from_item(item) for key, item in items.items()}

    def _batch_items(self, table: str, release_ids: list[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        for start in range(0, len(release_ids), BATCH_KEYS):
            keys = [{"release_id": {"S": r}} for r in release_ids[start : start + BATCH_KEYS]]
            for response in self._batch_get({table: {"Keys": keys, "ConsistentRead": True}}, "reading"):
                for item in response["Responses"].get(table, []):
                    found[item["release_id"]["S"]] = item
        return found

    def _batch_get(self, request: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
        """BatchGetItem responses, re-asking for UnprocessedKeys with backoff a bounded number of times."""
        for attempt in range(BATCH_ROUNDS):
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 2.0))  # DynamoDB is shedding load: back off
            response = self._call(
                lambda r=request: self._db.batch_get_item(RequestItems=r),  # type: ignore[misc]
                what,
            )
            yield response
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return
        raise AwsError(f"{what}: DynamoDB left keys unprocessed after {BATCH_ROUNDS} rounds; retry later")

    def get_release_and_rows(
        self, release_id: str | None, project_id: str, environment_ids: list[str]
    ) -> tuple[Release | None, dict[str, DeploymentRow]]:
        """A release (unchecked, None if absent) and environments' rows, in one BatchGetItem call."""
        request: dict[str, Any] = {}
        if environment_ids:
            keys = [{"project_id": {"S": project_id}, "environment_id": {"S": e}} for e in environment_ids]
            request[self.deployments_table] = {"Keys": keys, "ConsistentRead": True}
        if release_id is not None:
            keys = [{"release_id": {"S": release_id}}]
            request[self.releases_table] = {"Keys": keys, "ConsistentRead": True}
        release: Release | None = None
        rows: dict[str, DeploymentRow] = {}
        for response in self._batch_get(request, "reading the release and the environment"):
            for item in response["Responses"].get(self.releases_table, []):
                release = release_from_item(item)
            for item in response["Responses"].get(self.deployments_table, []):
                row = row_from_item(item)
                rows[row.environment_id] = row
        return release, rows

    def latest_releases(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's releases, newest created first (ties: descending id)."""
        items = self._query_index(
            LATEST_RELEASES,
            TableName=self.releases_table,
            KeyConditionExpression="project_id = :p",
            ExpressionAttributeValues={":p": {"S": project_id}},
            ScanIndexForward=False,
            PaginationConfig={"PageSize": page_size},
        )
        return newest_first(map(release_from_item, items), lambda r: r.created_at)

    def latest_deployed_releases(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's deployed releases, most recently deployed first (ties: descending id)."""
        items = self._query_index(
            LATEST_DEPLOYMENTS,
            TableName=self.releases_table,
            KeyConditionExpression="project_id = :p",
            ExpressionAttributeValues={":p": {"S": project_id}},
            ScanIndexForward=False,
            PaginationConfig={"PageSize": page_size},
        )
        return newest_first(map(release_from_item, items), lambda r: r.deployed_at)

    def releases_with_prefix(self, project_id: str, prefix: str) -> list[Release]:
        """The project's releases whose uuid (the id after ``project:``) starts with ``prefix``,
        or, for ids recorded without the project (bare ids), whose id does.

        Reads every release of the project through the latest-releases GSI (a
        filter does not reduce what DynamoDB reads): one Query, paged per 1 MB.
        """
        items = self._query_index(
            LATEST_RELEASES,
            TableName=self.releases_table,
            KeyConditionExpression="project_id = :p",
            FilterExpression=(
                "begins_with(release_id, :scoped) OR "
                "(begins_with(release_id, :bare) AND NOT contains(release_id, :colon))"
            ),
            ExpressionAttributeValues={
                ":p": {"S": project_id},
                ":scoped": {"S": f"{project_id}:{prefix}"},
                ":bare": {"S": prefix},
                ":colon": {"S": ":"},
            },
            ScanIndexForward=False,
        )
        return list(newest_first(map(release_from_item, items), lambda r: r.created_at))

    # -- deployments -------------------------------------------------------------------------
    def get_deployment(self, project_id: str, environment_id: str) -> DeploymentRow | None:
        response = self._call(
            lambda: self._db.get_item(
                TableName=self.deployments_table,
                Key={"project_id": {"S": project_id}, "environment_id": {"S": environment_id}},
                ConsistentRead=True,
            ),
            "reading the deployments table",
        )
        item = response.get("Item")
        return row_from_item(item) if item else None

    def list_deployments(self, project_id: str) -> list[DeploymentRow]:
        """Every environment's row for the project (one Query on the hash key)."""
        return self.list_environments(project_id)[0]

    def list_environments(self, project_id: str) -> tuple[list[DeploymentRow], dict[str, EnvironmentState]]:
        """Every environment's row and state item (freeze...) for the project: one Query, both kinds."""
        rows: list[DeploymentRow] = []
        states: dict[str, EnvironmentState] = {}
        for page in self._pages(
            TableName=self.deployments_table,
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

    # -- environment state: freezes, and events to deliver again --------------------------------
    def _state_key(self, project_id: str, environment_id: str) -> dict[str, Any]:
        return {
            "project_id": {"S": project_id},
            "environment_id": {"S": f"{environment_id}{STATE_SUFFIX}"},
        }

    def get_state(self, project_id: str, environment_id: str) -> EnvironmentState:
        """The environment's state item (an empty state when it has none)."""
        response = self._call(
            lambda: self._db.get_item(
                TableName=self.deployments_table,
                Key=self._state_key(project_id, environment_id),
                ConsistentRead=True,
            ),
            "reading the environment's freeze",
        )
        item = response.get("Item")
        return state_from_item(item) if item else EnvironmentState(environment_id)

    def set_freeze(
        self, project_id: str, environment_id: str, freeze: Freeze | None, log_entry: dict[str, Any]
    ) -> None:
        """Freeze (or, with None, unfreeze) the environment and log it, in one UpdateItem.

        Unfreezing is conditioned on a freeze being there: two people lifting
        the same freeze log one unfreeze, and the other is told it was not frozen.
        """
        values: dict[str, Any] = {":entry": {"L": [serialize({"e": log_entry})["e"]]}, ":empty": {"L": []}}
        log = "freeze_log = list_append(if_not_exists(freeze_log, :empty), :entry)"
        if freeze is None:
            update, condition = (
                f"SET {log} REMOVE active_freeze, frozen_until",
                "attribute_exists(active_freeze)",
            )
        else:
            values[":f"] = serialize({"f": freeze.as_dict()})["f"]
            update, condition = f"SET {log}, active_freeze = :f", None
            if freeze.until:
                from tracker.model.clock import epoch

                values[":u"] = serialize({"u": epoch(freeze.until)})["u"]
                update = f"SET {log}, active_freeze = :f, frozen_until = :u"
            else:
                update += " REMOVE frozen_until"
        kwargs: dict[str, Any] = {
            "TableName": self.deployments_table,
            "Key": self._state_key(project_id, environment_id),
            "UpdateExpression": update,
            "ExpressionAttributeValues": values,
        }
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            call(lambda: self._db.update_item(**kwargs), "recording the freeze")
        except AwsError as error:
            if error.code == "ConditionalCheckFailedException":
                raise NotFrozenError(
                    f"environment '{environment_id}' is not frozen; nothing was written"
                ) from error
            raise self._translated(error) from error

    def add_undelivered(self, project_id: str, environment_id: str, event: dict[str, Any]) -> None:
        """Keep an event EventBridge did not take, for `verify` to report and `repair` to send again."""
        self._call(
            lambda: self._db.update_item(
                TableName=self.deployments_table,
                Key=self._state_key(project_id, environment_id),
                UpdateExpression=(
                    "SET undelivered_events = list_append(if_not_exists(undelivered_events, :empty), :e)"
                ),
                ExpressionAttributeValues={
                    ":e": {"L": [serialize({"e": event})["e"]]},
                    ":empty": {"L": []},
                },
            ),
            "keeping the undelivered event",
        )

    def drop_undelivered(self, project_id: str, environment_id: str, count: int) -> None:
        """Forget the ``count`` undelivered events just sent again (if no other was added meanwhile)."""
        self._call(
            lambda: self._db.update_item(
                TableName=self.deployments_table,
                Key=self._state_key(project_id, environment_id),
                UpdateExpression="REMOVE undelivered_events",
                ConditionExpression="size(undelivered_events) = :n",
                ExpressionAttributeValues={":n": {"N": str(count)}},
            ),
            "forgetting the delivered events",
        )

    def record_deployment(
        self,
        release: Release,
        entry: dict[str, Any],
        deployed_at: float,
        previous: DeploymentRow | None,
        *,
        guard: bool = True,
    ) -> DeploymentRow:
        """Append ``entry`` to the manifest and point the environment at the release, atomically.

        One TransactWriteItems: the release update (``list_append`` and
        ``deployed_at``) and the deployments row put, conditioned on the row
        being the one we read (``previous``) so that of two racing deployments
        exactly one wins; the loser gets ConcurrentDeploymentError and nothing
        of it is written. With ``guard`` (unless forced), a ConditionCheck on the
        environment's state item refuses the whole transaction while a freeze
        is active (EnvironmentFrozenError), so a freeze recorded a moment
        earlier always wins.
        """
        grown = dict(release.as_row(), deployed_at=deployed_at)
        grown["release_manifest"] = dict(release.release_manifest, deployments=[*release.deployments, entry])
        self.check_size(grown)
        row = DeploymentRow(
            project_id=release.project_id,
            environment_id=entry["environment"]["id"],
            release_id=release.release_id,
            deployed_at=deployed_at,
            version=(previous.version if previous else 0) + 1,
            previous_release_id=previous.release_id if previous else None,
        )
        items = [self._append_entry(release, entry, deployed_at), self._put_row(row, previous)]
        if guard:
            items.append(self._not_frozen(release.project_id, row.environment_id, deployed_at))
        try:
            call(lambda: self._db.transact_write_items(TransactItems=items), "recording the deployment")
        except AwsError as error:
            raise self._refusal(error, release, row.environment_id, deployed_at) from error
        return row

    def _append_entry(
        self, release: Release, entry: dict[str, Any], deployed_at: float
    ) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self.releases_table,
                "Key": {"release_id": {"S": release.release_id}},
                "UpdateExpression": (
                    "SET release_manifest.deployments = "
                    "list_append(release_manifest.deployments, :entry), deployed_at = :at"
                ),
                # deployed_at is the time of the newest entry (history relies on it): a
                # deployment of the same release elsewhere that committed a later time
                # first makes this one retry rather than move it back.
                "ConditionExpression": (
                    "project_id = :p AND (attribute_not_exists(deployed_at) OR deployed_at < :at)"
                ),
                "ExpressionAttributeValues": {
                    ":entry": {"L": [serialize({"e": entry})["e"]]},
                    ":at": serialize({"at": deployed_at})["at"],
                    ":p": {"S": release.project_id},
                },
            }
        }

    def _put_row(self, row: DeploymentRow, previous: DeploymentRow | None) -> TransactWriteItemTypeDef:
        """The row's Put, conditioned on the environment still being as it was read."""
        put: PutTypeDef = {"TableName": self.deployments_table, "Item": serialize(row.__dict__)}
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

    def _not_frozen(self, project_id: str, environment_id: str, at: float) -> TransactWriteItemTypeDef:
        """A ConditionCheck: the environment has no freeze, or one that ended by ``at``."""
        return {
            "ConditionCheck": {
                "TableName": self.deployments_table,
                "Key": self._state_key(project_id, environment_id),
                "ConditionExpression": "attribute_not_exists(active_freeze) OR frozen_until <= :at",
                "ExpressionAttributeValues": {":at": serialize({"at": at})["at"]},
            }
        }

    def _refusal(self, error: AwsError, release: Release, environment_id: str, at: float) -> Exception:
        """What a refused deployment transaction means, as one of the library's errors."""
        if error.code != "TransactionCanceledException":
            return self._translated(error)
        release_id = release.release_id
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
            freeze = self.get_state(release.project_id, environment_id).active_freeze(at)
            return EnvironmentFrozenError(
                freeze.refusal(environment_id)
                if freeze
                else f"environment '{environment_id}' was frozen a moment ago; nothing was recorded"
            )
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            return ConcurrentDeploymentError(
                f"environment '{environment_id}' was changed by another deployment while this one "
                "was being recorded; nothing was recorded, it is safe to retry"
            )
        if reasons and reasons[0] == "ConditionalCheckFailed" and self.get_release(release_id) is None:
            return ReleaseNotFoundError(
                f"release '{release_id}' disappeared while deploying; nothing was recorded"
            )
        if reasons and reasons[0] in ("ConditionalCheckFailed", "TransactionConflict"):
            return ReleaseBusyError(
                f"release '{release_id}' was deployed elsewhere at the same moment; nothing was recorded, "
                "it is safe to retry"
            )
        if "TransactionConflict" in reasons:
            return ConcurrentDeploymentError(
                f"a concurrent write to environment '{environment_id}' conflicted; nothing was recorded, "
                "it is safe to retry"
            )
        return error

    def check_size(self, row: dict[str, Any]) -> None:
        size = item_size({k: v for k, v in row.items() if v is not None})
        if size > ITEM_LIMIT:
            raise ManifestTooLargeError(
                f"release '{row['release_id']}' would be {size} bytes, over DynamoDB's "
                f"{ITEM_LIMIT}-byte item limit; nothing was written (create a new release "
                "with the same images: `tracker release create --from-release ...`)"
            )
