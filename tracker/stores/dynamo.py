"""The one DynamoDB helper the tables share: types, errors, pages, batches, indexes, transactions.

It takes an injected :class:`tracker.stores.clients.Clients` and the table
names (:class:`Tables`); AWS error codes become the library's named exceptions
here and nowhere else: a missing table is named with its region and account,
a missing index is looked up by the key schema the RFC gives it, a cancelled
transaction is reported by the *names* of the parts that failed
(:class:`~tracker.errors.WriteRefused`), never by their positions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tracker.errors import AwsError, ManifestTooLargeError, MissingTableError, WriteRefused
from tracker.settings import DEFAULT_DEPLOYMENTS_TABLE, DEFAULT_RELEASES_TABLE
from tracker.stores.clients import Clients, call

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

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
Item = dict[str, Any]


# -- DynamoDB's types ---------------------------------------------------------------------
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


def attribute(value: Any) -> Any:
    """One attribute value in DynamoDB's typed form (``{"S": ...}``, ``{"M": ...}``...)."""
    return serialize({"v": value})["v"]


def _plain(value: dict[str, Any]) -> Any:
    """One attribute value in DynamoDB's typed form as plain Python (numbers as int or float)."""
    ((kind, data),) = value.items()
    if kind == "S" or kind == "B":
        return data
    if kind == "N":
        number = Decimal(data)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "M":
        return {k: _plain(v) for k, v in data.items()}
    if kind == "L":
        return [_plain(v) for v in data]
    if kind == "BOOL":
        return bool(data)
    if kind == "NULL":
        return None
    if kind == "NS":
        return {_plain({"N": n}) for n in data}
    return set(data)  # SS, BS


def deserialize(item: Item) -> dict[str, Any]:
    """An item as plain Python. Not boto3's TypeDeserializer: it yields Decimals (turned into
    numbers again here anyway) and its import costs the plan program a millisecond."""
    return {k: _plain(v) for k, v in item.items()}


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


def check_size(row: dict[str, Any]) -> None:
    """Refuse a release row over DynamoDB's item limit, before anything is written."""
    size = item_size({k: v for k, v in row.items() if v is not None})
    if size > ITEM_LIMIT:
        raise ManifestTooLargeError(
            f"release '{row['release_id']}' would be {size} bytes, over DynamoDB's "
            f"{ITEM_LIMIT}-byte item limit; nothing was written (create a new release "
            "with the same images: `tracker release create --from-release ...`)"
        )


def _missing_index(error: AwsError) -> bool:
    """A Query named an index the table does not have (DynamoDB: ValidationException; moto: not found)."""
    message = str(error).lower()
    return (error.code == "ValidationException" and "specified index" in message) or (
        error.code == "ResourceNotFoundException" and "invalid index" in message
    )


class Tables:
    """The tables and indexes in use (settings); index names None: the default, else by key schema.

    Plain classes here and below, not dataclasses: Terraform's plan program builds
    them on every run, and generating a dataclass costs import time.
    """

    def __init__(
        self,
        releases: str = DEFAULT_RELEASES_TABLE,
        deployments: str = DEFAULT_DEPLOYMENTS_TABLE,
        indexes: dict[str, str | None] | None = None,
    ) -> None:
        self.releases, self.deployments = releases, deployments
        self.indexes: dict[str, str | None] = dict(indexes or {})


RAW_QUERY = "tracker-raw-query-body"


def raw_query_body(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """A successful Query's JSON read with ``json.loads`` instead of botocore's shape walker.

    botocore walks every attribute of every item through the service model
    (a structure per AttributeValue): for pages of 100 releases that is most
    of a history or metrics read's client time (docs/benchmarks.md, section
    10). The items come out as the same typed dicts (``{"S": ...}``,
    ``{"N": "1.5"}``, ``{"M": ...}``); only binary values would differ
    (base64 text instead of bytes), and the tracking tables hold none. Errors
    (status >= 300) are left to botocore, which then sees the body unchanged.
    """
    import json

    body = response_dict.get("body")
    if response_dict.get("status_code", 500) >= 300 or not body:
        return
    customized_response_dict.update(json.loads(body))
    response_dict["body"] = b"{}"


class Dynamo:
    """DynamoDB calls for the tracking tables, errors translated."""

    def __init__(self, clients: Clients, tables: Tables | None = None) -> None:
        self.clients = clients
        self.tables = tables or Tables()

    @property
    def client(self) -> DynamoDBClient:
        return self.clients.dynamodb

    # -- errors --------------------------------------------------------------------------------
    def missing_table(self) -> MissingTableError:
        """Name the missing table: one extra DescribeTable per table, on this error path only."""
        missing = []
        for table in (self.tables.releases, self.tables.deployments):
            try:
                call(lambda t=table: self.client.describe_table(TableName=t))  # type: ignore[misc]
            except AwsError as error:
                if error.code == "ResourceNotFoundException":
                    missing.append(table)
        names = " and ".join(f"'{t}'" for t in missing) or "of the tracker"
        what = "table {} does not exist" if len(missing) == 1 else "tables {} do not exist"
        project = self.clients.target.project_id
        return MissingTableError(
            f"DynamoDB {what.format(names)} ({self.clients.where('dynamodb')})",
            hint="store",
            project_arg=f" PROJECT={project}" if project else "",
        )

    def translated(self, error: AwsError) -> Exception:
        """A missing table named as such; anything else as it is (a missing index is its caller's)."""
        if error.code == "ResourceNotFoundException" and not _missing_index(error):
            return self.missing_table()
        return error

    def call(self, function: Callable[[], Any], what: str) -> Any:
        try:
            return call(function, what)
        except AwsError as error:
            raise self.translated(error) from error

    # -- reads ---------------------------------------------------------------------------------
    def get(self, table: str, key: Item, what: str) -> Item | None:
        """One item by key (a consistent read), None if absent."""
        response = self.call(
            lambda: self.client.get_item(TableName=table, Key=key, ConsistentRead=True), what
        )
        item: Item | None = response.get("Item")
        return item

    def pages(self, **query: Any) -> Iterator[list[Item]]:
        """Query pages (a caller that stops early reads no more pages), read by :func:`raw_query_body`."""
        client = self.client
        client.meta.events.register("before-parse.dynamodb.Query", raw_query_body, unique_id=RAW_QUERY)
        iterator = iter(client.get_paginator("query").paginate(**query))
        while True:
            page = self.call(lambda: next(iterator, None), "querying")
            if page is None:
                return
            yield page.get("Items", [])

    def batch_get(self, request: dict[str, Any], what: str) -> Iterator[dict[str, list[Item]]]:
        """BatchGetItem responses per table; UnprocessedKeys asked again (with backoff, a few times)."""
        for attempt in range(BATCH_ROUNDS):
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 2.0))  # DynamoDB is shedding load: back off
            response = self.call(
                lambda r=request: self.client.batch_get_item(RequestItems=r),  # type: ignore[misc]
                what,
            )
            yield response["Responses"]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return
        raise AwsError(f"{what}: DynamoDB left keys unprocessed after {BATCH_ROUNDS} rounds; retry later")

    # -- the GSIs ------------------------------------------------------------------------------
    def index_name(self, index: str) -> str:
        return self.tables.indexes.get(index) or index

    def _find_index(self, index: str) -> str:
        """The GSI of the releases table whose key schema is the RFC's for ``index``."""
        hash_key, range_key, purpose = INDEX_KEYS[index]
        releases = self.tables.releases
        table = self.call(lambda: self.client.describe_table(TableName=releases), "describing")
        for gsi in table["Table"].get("GlobalSecondaryIndexes", []):
            keys = {k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]}
            if keys == {"HASH": hash_key, "RANGE": range_key}:
                return str(gsi["IndexName"])
        raise MissingTableError(
            f"DynamoDB table '{releases}' ({self.clients.where('dynamodb')}) has no global "
            f"secondary index on {hash_key} (hash) + {range_key} (range), the RFC's '{purpose}' index: "
            f"add one, or name yours with TRACKER_{index.upper()}_INDEX"
        )

    def query_index(self, index: str, **query: Any) -> Iterator[list[Item]]:
        """Pages of a Query on a GSI of the releases table; a missing default-named index is found once."""
        pages = self.pages(TableName=self.tables.releases, IndexName=self.index_name(index), **query)
        try:
            first = next(pages, None)
        except AwsError as error:
            if not _missing_index(error):
                raise
            named = self.tables.indexes.get(index)
            if named:
                raise MissingTableError(
                    f"DynamoDB table '{self.tables.releases}' ({self.clients.where('dynamodb')}) has no "
                    f"index '{named}' (TRACKER_{index.upper()}_INDEX)"
                ) from error
            self.tables.indexes[index] = self._find_index(index)
            pages = self.pages(TableName=self.tables.releases, IndexName=self.index_name(index), **query)
            first = next(pages, None)
        if first is not None:
            yield first
            yield from pages

    # -- writes --------------------------------------------------------------------------------
    def transact(self, parts: dict[str, TransactWriteItemTypeDef], what: str) -> None:
        """One TransactWriteItems of named parts; WriteRefused names the parts whose condition failed."""
        names = list(parts)
        try:
            call(lambda: self.client.transact_write_items(TransactItems=list(parts.values())), what)
        except AwsError as error:
            if error.code != "TransactionCanceledException":
                raise self.translated(error) from error
            reasons = dict(
                zip(
                    names,
                    (r.get("Code") for r in error.response.get("CancellationReasons", [])),
                    strict=False,
                )
            )
            failed = frozenset(n for n, code in reasons.items() if code == "ConditionalCheckFailed")
            conflicts = frozenset(n for n, code in reasons.items() if code == "TransactionConflict")
            if not failed and not conflicts:
                raise
            raise WriteRefused(failed, conflicts) from error
