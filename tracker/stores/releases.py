"""The releases table: one item per release, its manifest a DynamoDB map.

``release_id`` (hash), ``project_id``, ``created_at``, ``deployed_at`` (unix
seconds with milliseconds; absent until the first deployment),
``release_manifest`` (the RFC's document, a map, so that a deployment is
appended atomically with ``list_append``). Two GSIs, named by the RFC only by
their keys: ``project_id``/``created_at`` (latest releases) and
``project_id``/``deployed_at`` (latest deployments); see
:class:`tracker.stores.dynamo.Dynamo` for how they are found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tracker.errors import AwsError
from tracker.model.entries import Approval, Release, Revocation
from tracker.stores.dynamo import (
    BATCH_KEYS,
    LATEST_DEPLOYMENTS,
    LATEST_RELEASES,
    Dynamo,
    Item,
    attribute,
    check_size,
    deserialize,
    serialize,
)


def release_from_item(item: Item) -> Release:
    return Release.from_row(deserialize(item))


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


def release_key(release_id: str) -> Item:
    return {"release_id": {"S": release_id}}


class ReleaseTable:
    """Releases by id, and the project's releases newest first through the GSIs."""

    def __init__(self, db: Dynamo) -> None:
        self.db = db

    @property
    def name(self) -> str:
        return self.db.tables.releases

    def put(self, release: Release) -> None:
        """Write a new release; never overwrites an existing release id."""
        row = release.as_row()
        check_size(row)
        item = serialize(row)
        self.db.call(
            lambda: self.db.client.put_item(
                TableName=self.name, Item=item, ConditionExpression="attribute_not_exists(release_id)"
            ),
            "writing the release",
        )

    def get(self, release_id: str) -> Release | None:
        item = self.db.get(self.name, release_key(release_id), "reading the release")
        return release_from_item(item) if item else None

    def add_approval(self, release: Release, approval: Approval) -> None:
        """Append an approval to the release manifest's ``approvals``: one UpdateItem."""
        from dataclasses import replace

        check_size(replace(release, approvals=[*release.approvals, approval]).as_row())
        self.db.call(
            lambda: self.db.client.update_item(
                TableName=self.name,
                Key=release_key(release.release_id),
                UpdateExpression=(
                    "SET release_manifest.approvals = "
                    "list_append(if_not_exists(release_manifest.approvals, :empty), :a)"
                ),
                ConditionExpression="project_id = :p",
                ExpressionAttributeValues={
                    ":a": {"L": [attribute(approval.to_item())]},
                    ":empty": {"L": []},
                    ":p": {"S": release.project_id},
                },
            ),
            "recording the approval",
        )

    def revoke_approval(self, release: Release, index: int, revocation: Revocation) -> bool:
        """Mark ``approvals[index]`` revoked, only if it is still the approver's and not revoked yet.

        One UpdateItem; False (nothing written) when the condition fails.
        """
        at = f"release_manifest.approvals[{index}]"
        approval = release.approvals[index]
        try:
            self.db.call(
                lambda: self.db.client.update_item(
                    TableName=self.name,
                    Key=release_key(release.release_id),
                    UpdateExpression=f"SET {at}.revoked = :r",
                    ConditionExpression=(
                        f"project_id = :p AND {at}.approved_by.id = :u AND {at}.#d = :d "
                        f"AND attribute_not_exists({at}.revoked)"
                    ),
                    ExpressionAttributeNames={"#d": "date"},
                    ExpressionAttributeValues={
                        ":r": attribute(revocation.to_item()),
                        ":p": {"S": release.project_id},
                        ":u": {"S": approval.approved_by.id},
                        ":d": {"S": approval.date},
                    },
                ),
                "revoking the approval",
            )
        except AwsError as error:
            if error.code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_many(self, release_ids: list[str]) -> dict[str, Release]:
        """Many releases, in BatchGetItem calls of up to 100 keys."""
        items = self._items(list(dict.fromkeys(release_ids)))
        return {key: release_from_item(item) for key, item in items.items()}

    def _items(self, release_ids: list[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        for start in range(0, len(release_ids), BATCH_KEYS):
            keys = [release_key(r) for r in release_ids[start : start + BATCH_KEYS]]
            for responses in self.db.batch_get(
                {self.name: {"Keys": keys, "ConsistentRead": True}}, "reading"
            ):
                for item in responses.get(self.name, []):
                    found[item["release_id"]["S"]] = item
        return found

    def _complete(self, items: list[Item]) -> list[Item]:
        """Index items with the whole release: a GSI created elsewhere may project only the keys."""
        partial = [i["release_id"]["S"] for i in items if "release_manifest" not in i]
        if not partial:
            return items
        full = self._items(partial)
        return [full.get(i["release_id"]["S"], i) if "release_manifest" not in i else i for i in items]

    def _by_index(self, index: str, **query: Any) -> Iterator[Release]:
        for page in self.db.query_index(index, **query):
            yield from map(release_from_item, self._complete(page))

    def newest(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's releases, newest created first (ties: descending id)."""
        return self._newest_by(LATEST_RELEASES, project_id, page_size, lambda r: r.created_at)

    def recently_deployed(self, project_id: str, page_size: int = 25) -> Iterator[Release]:
        """The project's deployed releases, most recently deployed first (ties: descending id)."""
        return self._newest_by(LATEST_DEPLOYMENTS, project_id, page_size, lambda r: r.deployed_at)

    def _newest_by(
        self, index: str, project_id: str, page_size: int, time_of: Callable[[Release], float | None]
    ) -> Iterator[Release]:
        found = self._by_index(
            index,
            KeyConditionExpression="project_id = :p",
            ExpressionAttributeValues={":p": {"S": project_id}},
            ScanIndexForward=False,
            PaginationConfig={"PageSize": page_size},
        )
        return newest_first(found, time_of)

    def with_prefix(self, project_id: str, prefix: str) -> list[Release]:
        """The project's releases whose uuid (the id after ``project:``) starts with ``prefix``,
        or, for ids recorded without the project (bare ids), whose id does.

        Reads every release of the project through the latest-releases GSI (a
        filter does not reduce what DynamoDB reads): one Query, paged per 1 MB.
        """
        found = self._by_index(
            LATEST_RELEASES,
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
        return list(newest_first(found, lambda r: r.created_at))
