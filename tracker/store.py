"""boto3 behind two stores: the tracking tables (DynamoDB) and the parameters (SSM).

Both take an injected :class:`tracker.aws.Clients`; AWS error codes become the
library's named exceptions here and nowhere else.

Tables (names have defaults, overridden by ``TRACKER_RELEASES_TABLE`` and
``TRACKER_DEPLOYMENTS_TABLE``; the Terraform store module uses the same defaults):

* releases: ``release_id`` (hash), ``project_id``, ``created_at``, ``deployed_at``
  (unix seconds; absent until the first deployment), ``release_manifest`` (the
  RFC's document, stored as a DynamoDB map so a deployment can be appended
  atomically with ``list_append``). GSIs ``latest_releases``
  (``project_id``/``created_at``) and ``latest_deployments`` (``project_id``/``deployed_at``).
* deployments: ``project_id`` (hash), ``environment_id`` (range), ``release_id``,
  plus bookkeeping attributes beyond the RFC's: ``deployed_at``, ``version``
  (a counter used as an optimistic lock, so that two deployments racing for one
  environment cannot both win) and ``previous_release_id`` (what ran before,
  for rollback). Rows written by other tools without ``version`` are accepted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tracker.aws import Clients, call
from tracker.errors import (
    AwsError,
    ConcurrentDeploymentError,
    ManifestTooLargeError,
    MissingTableError,
    ReleaseNotFoundError,
    WrongProjectError,
)

DEFAULT_RELEASES_TABLE = "tracker-releases"
DEFAULT_DEPLOYMENTS_TABLE = "tracker-deployments"
LATEST_RELEASES_INDEX = "latest_releases"
LATEST_DEPLOYMENTS_INDEX = "latest_deployments"

ITEM_LIMIT = 400 * 1024  # DynamoDB's maximum item size, in bytes
SSM_BATCH = 10  # GetParameters takes at most 10 names
# PutParameter has a low default throughput per account and region; a few
# concurrent writers keep deploys of many services fast while botocore's
# standard retry mode absorbs the occasional ThrottlingException.
SSM_WRITERS = 4
BATCH_ROUNDS = 8  # BatchGetItem calls per request before giving up on UnprocessedKeys


def releases_table_name(name: str | None = None) -> str:
    return name or os.environ.get("TRACKER_RELEASES_TABLE") or DEFAULT_RELEASES_TABLE


def deployments_table_name(name: str | None = None) -> str:
    return name or os.environ.get("TRACKER_DEPLOYMENTS_TABLE") or DEFAULT_DEPLOYMENTS_TABLE


@dataclass
class Release:
    """A row of the releases table."""

    release_id: str
    project_id: str
    created_at: int
    release_manifest: dict[str, Any]
    deployed_at: int | None = None

    @property
    def images(self) -> dict[str, str]:
        return dict(self.release_manifest["images"])

    def as_row(self) -> dict[str, Any]:
        """The table row as a JSON-ready dict (``deployed_at`` None until first deployed)."""
        return {
            "release_id": self.release_id,
            "project_id": self.project_id,
            "created_at": self.created_at,
            "deployed_at": self.deployed_at,
            "release_manifest": self.release_manifest,
        }


@dataclass
class DeploymentRow:
    """A row of the deployments table: what an environment runs now."""

    project_id: str
    environment_id: str
    release_id: str
    deployed_at: int = 0
    version: int = 0
    previous_release_id: str | None = None

    @property
    def token(self) -> tuple[str, int]:
        return (self.release_id, self.version)


@dataclass
class Stats:
    """What a store has cost so far (read by tests and benchmarks)."""

    items_read: int = 0


def _to_plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_plain(v) for v in value]
    return value


def _serialize(value: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in value.items() if v is not None}


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: _to_plain(deserializer.deserialize(v)) for k, v in item.items()}


def item_size(value: Any) -> int:
    """DynamoDB's size of an attribute value in bytes (its documented sizing rules)."""
    if value is None:
        return 1
    if isinstance(value, bool):
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


def _release_from_item(item: dict[str, Any]) -> Release:
    plain = _deserialize(item)
    return Release(
        release_id=plain["release_id"],
        project_id=plain["project_id"],
        created_at=int(plain["created_at"]),
        deployed_at=int(plain["deployed_at"]) if "deployed_at" in plain else None,
        release_manifest=plain["release_manifest"],
    )


def _row_from_item(item: dict[str, Any]) -> DeploymentRow:
    plain = _deserialize(item)
    return DeploymentRow(
        project_id=plain["project_id"],
        environment_id=plain["environment_id"],
        release_id=plain["release_id"],
        deployed_at=int(plain.get("deployed_at", 0)),
        version=int(plain.get("version", 0)),
        previous_release_id=plain.get("previous_release_id"),
    )


@dataclass
class ReleaseStore:
    """The releases and deployments tables."""

    clients: Clients
    releases_table: str = field(default_factory=releases_table_name)
    deployments_table: str = field(default_factory=deployments_table_name)
    stats: Stats = field(default_factory=Stats)

    @property
    def _db(self) -> Any:
        return self.clients.dynamodb

    # -- error translation -------------------------------------------------
    def _missing_table(self) -> MissingTableError:
        """Name the missing table: one extra DescribeTable per table, on this error path only."""
        missing = []
        for table in (self.releases_table, self.deployments_table):
            try:
                call(lambda t=table: self._db.describe_table(TableName=t))  # type: ignore[misc]
            except AwsError as error:
                if error.code == "ResourceNotFoundException":
                    missing.append(table)
        names = " and ".join(f"'{t}'" for t in missing) or "a tracking table"
        return MissingTableError(
            f"DynamoDB table {names} does not exist in this account/region: create the tables "
            "with the Terraform module modules/tracking-store (e.g. `make store`), or point "
            "TRACKER_RELEASES_TABLE / TRACKER_DEPLOYMENTS_TABLE at yours"
        )

    def _call(self, function: Any, what: str) -> Any:
        try:
            return call(function, what)
        except AwsError as error:
            if error.code == "ResourceNotFoundException":
                raise self._missing_table() from error
            raise

    # -- releases ----------------------------------------------------------
    def put_release(self, release: Release) -> None:
        """Write a new release; never overwrites an existing release id."""
        item = _serialize(release.as_row())
        self._check_size(release.as_row())
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
                TableName=self.releases_table,
                Key={"release_id": {"S": release_id}},
                ConsistentRead=True,
            ),
            "reading the release",
        )
        item = response.get("Item")
        self.stats.items_read += 1 if item else 0
        return _release_from_item(item) if item else None

    def require_release(self, release_id: str, project_id: str) -> Release:
        """The release, or ReleaseNotFoundError / WrongProjectError."""
        return _check_release(self.get_release(release_id), release_id, project_id)

    def get_releases(self, release_ids: list[str]) -> dict[str, Release]:
        """Many releases in BatchGetItem calls of up to 100 keys."""
        found: dict[str, Release] = {}
        unique = list(dict.fromkeys(release_ids))
        for start in range(0, len(unique), 100):
            keys: list[dict[str, Any]] = [{"release_id": {"S": r}} for r in unique[start : start + 100]]
            request: dict[str, Any] = {self.releases_table: {"Keys": keys, "ConsistentRead": True}}
            for response in self._batch_get(request, "reading releases"):
                for item in response["Responses"].get(self.releases_table, []):
                    release = _release_from_item(item)
                    found[release.release_id] = release
                    self.stats.items_read += 1
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

    def get_release_and_deployment(
        self, release_id: str, project_id: str, environment_id: str
    ) -> tuple[Release, DeploymentRow | None]:
        """The release and the environment's current row in one BatchGetItem call."""
        request: dict[str, Any] = {
            self.releases_table: {
                "Keys": [{"release_id": {"S": release_id}}],
                "ConsistentRead": True,
            },
            self.deployments_table: {
                "Keys": [{"project_id": {"S": project_id}, "environment_id": {"S": environment_id}}],
                "ConsistentRead": True,
            },
        }
        release: Release | None = None
        row: DeploymentRow | None = None
        for response in self._batch_get(request, "reading the release and the environment"):
            for item in response["Responses"].get(self.releases_table, []):
                release = _release_from_item(item)
                self.stats.items_read += 1
            for item in response["Responses"].get(self.deployments_table, []):
                row = _row_from_item(item)
                self.stats.items_read += 1
        return _check_release(release, release_id, project_id), row

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Items of a Query, page by page (a caller that stops early reads no more pages)."""
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(**kwargs)
        iterator = iter(pages)
        while True:
            page = self._call(lambda: next(iterator, None), "querying")
            if page is None:
                return
            self.stats.items_read += int(page.get("ScannedCount", page.get("Count", 0)))
            yield from page.get("Items", [])

    def latest_releases(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's releases, newest created first (GSI ``latest_releases``)."""
        for item in self._query(
            TableName=self.releases_table,
            IndexName=LATEST_RELEASES_INDEX,
            KeyConditionExpression="project_id = :p",
            ExpressionAttributeValues={":p": {"S": project_id}},
            ScanIndexForward=False,
            PaginationConfig={"PageSize": page_size},
        ):
            yield _release_from_item(item)

    def latest_deployed_releases(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's deployed releases, most recently deployed first (GSI ``latest_deployments``)."""
        for item in self._query(
            TableName=self.releases_table,
            IndexName=LATEST_DEPLOYMENTS_INDEX,
            KeyConditionExpression="project_id = :p",
            ExpressionAttributeValues={":p": {"S": project_id}},
            ScanIndexForward=False,
            PaginationConfig={"PageSize": page_size},
        ):
            yield _release_from_item(item)

    # -- deployments -------------------------------------------------------
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
        self.stats.items_read += 1 if item else 0
        return _row_from_item(item) if item else None

    def list_deployments(self, project_id: str) -> list[DeploymentRow]:
        """Every environment's row for the project (one Query on the hash key)."""
        return [
            _row_from_item(item)
            for item in self._query(
                TableName=self.deployments_table,
                KeyConditionExpression="project_id = :p",
                ExpressionAttributeValues={":p": {"S": project_id}},
                ConsistentRead=True,
            )
        ]

    def record_deployment(
        self,
        release: Release,
        entry: dict[str, Any],
        deployed_at: int,
        previous: DeploymentRow | None,
    ) -> DeploymentRow:
        """Append ``entry`` to the manifest and point the environment at the release, atomically.

        One TransactWriteItems: the release update (``list_append`` and
        ``deployed_at``) and the deployments row put, conditioned on the row
        being the one we read (``previous``) so that of two racing deployments
        exactly one wins; the loser gets ConcurrentDeploymentError and nothing
        of it is written.
        """
        environment_id = entry["environment"]["id"]
        grown = dict(release.as_row(), deployed_at=deployed_at)
        grown["release_manifest"] = dict(
            release.release_manifest,
            deployments=[*release.release_manifest["deployments"], entry],
        )
        self._check_size(grown)
        row = DeploymentRow(
            project_id=release.project_id,
            environment_id=environment_id,
            release_id=release.release_id,
            deployed_at=deployed_at,
            version=(previous.version if previous else 0) + 1,
            previous_release_id=previous.release_id if previous else None,
        )
        if previous is None:
            row_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(project_id)"}
        elif previous.version == 0:
            # A row written without our version counter (another tool, the RFC's
            # bare three columns): lock on the release it names instead.
            row_condition = {
                "ConditionExpression": "attribute_not_exists(#v) AND release_id = :r",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":r": {"S": previous.release_id}},
            }
        else:
            row_condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(previous.version)}},
            }
        transact_items = [
            {
                "Update": {
                    "TableName": self.releases_table,
                    "Key": {"release_id": {"S": release.release_id}},
                    "UpdateExpression": (
                        "SET release_manifest.deployments = "
                        "list_append(release_manifest.deployments, :entry), deployed_at = :at"
                    ),
                    "ConditionExpression": "project_id = :p",
                    "ExpressionAttributeValues": {
                        ":entry": {"L": [_serialize({"e": entry})["e"]]},
                        ":at": {"N": str(deployed_at)},
                        ":p": {"S": release.project_id},
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.deployments_table,
                    "Item": _serialize(row.__dict__),
                    **row_condition,
                }
            },
        ]
        try:
            call(
                lambda: self._db.transact_write_items(TransactItems=transact_items),
                "recording the deployment",
            )
        except AwsError as error:
            if error.code == "ResourceNotFoundException":
                raise self._missing_table() from error
            if error.code == "TransactionCanceledException":
                reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                    raise ConcurrentDeploymentError(
                        f"environment '{environment_id}' was changed by another deployment "
                        "while this one was being recorded; nothing was recorded, it is safe "
                        "to retry"
                    ) from error
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    raise ReleaseNotFoundError(
                        f"release '{release.release_id}' disappeared or changed project while "
                        "deploying; nothing was recorded"
                    ) from error
                if "TransactionConflict" in reasons:
                    raise ConcurrentDeploymentError(
                        f"a concurrent write to release '{release.release_id}' or environment "
                        f"'{environment_id}' conflicted; nothing was recorded, it is safe to retry"
                    ) from error
            raise
        return row

    def _check_size(self, row: dict[str, Any]) -> None:
        size = item_size({k: v for k, v in row.items() if v is not None})
        if size > ITEM_LIMIT:
            raise ManifestTooLargeError(
                f"release '{row['release_id']}' would be {size} bytes, over DynamoDB's "
                f"{ITEM_LIMIT}-byte item limit; nothing was written (create a new release "
                "with the same images: `tracker release create --from-release ...`)"
            )


def _check_release(release: Release | None, release_id: str, project_id: str) -> Release:
    if release is None:
        raise ReleaseNotFoundError(f"release '{release_id}' not found")
    if release.project_id != project_id:
        raise WrongProjectError(
            f"release '{release_id}' belongs to project '{release.project_id}', not '{project_id}'"
        )
    return release


def image_parameter(project_id: str, label: str, service_id: str) -> str:
    return f"/{project_id}/images/{label}/{service_id}"


def deployment_parameter(project_id: str, environment_id: str, service_id: str) -> str:
    return f"/{project_id}/deployments/{environment_id}/{service_id}"


@dataclass
class ParameterStore:
    """SSM parameters: image labels and deployed images."""

    clients: Clients
    writers: int = SSM_WRITERS

    @property
    def _ssm(self) -> Any:
        return self.clients.ssm

    def get_values(self, names: list[str]) -> dict[str, str]:
        """Values of the parameters that exist, in GetParameters batches of 10."""
        values: dict[str, str] = {}
        for start in range(0, len(names), SSM_BATCH):
            batch = names[start : start + SSM_BATCH]
            response = call(
                lambda b=batch: self._ssm.get_parameters(Names=b),  # type: ignore[misc]
                "reading SSM parameters",
            )
            for parameter in response.get("Parameters", []):
                values[parameter["Name"]] = parameter["Value"]
        return values

    def get_path_recursive(self, path: str) -> dict[str, str]:
        """Every parameter below ``path`` (name -> value)."""
        paginator = self._ssm.get_paginator("get_parameters_by_path")
        pages = iter(paginator.paginate(Path=path, Recursive=True))
        values: dict[str, str] = {}
        while True:
            page = call(lambda: next(pages, None), "reading SSM parameters")
            if page is None:
                return values
            for parameter in page.get("Parameters", []):
                values[parameter["Name"]] = parameter["Value"]

    def put_values(self, values: dict[str, str], description: str) -> None:
        """Write String parameters (overwriting), a few at a time concurrently."""

        def put(item: tuple[str, str]) -> None:
            name, value = item
            call(
                lambda: self._ssm.put_parameter(
                    Name=name,
                    Value=value,
                    Type="String",
                    Overwrite=True,
                    Description=description[:1024],
                ),
                f"writing SSM parameter {name}",
            )

        items = list(values.items())
        if len(items) <= 1:
            for item in items:
                put(item)
            return
        with ThreadPoolExecutor(max_workers=min(self.writers, len(items))) as pool:
            for _ in pool.map(put, items):
                pass
