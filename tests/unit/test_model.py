"""The model without AWS: times, ids, records, DynamoDB sizes and the report's tags."""

from __future__ import annotations

import re

import pytest

from tracker.model.clock import epoch, iso8601, now, timestamp
from tracker.model.entries import (
    Person,
    ProjectRef,
    Release,
    new_release_id,
    short_id,
)
from tracker.model.records import compare_images
from tracker.report import image_tag
from tracker.stores.dynamo import item_size
from tracker.stores.releases import newest_first


def test_times_are_rounded_to_the_millisecond_not_truncated() -> None:
    # 2_000_000_000.1 + 1/1000 is the binary float ...0.1009998: it must still read .101.
    moment = 2_000_000_000.1 + 1 / 1000
    assert timestamp(moment) == 2_000_000_000.101
    assert iso8601(moment) == "2033-05-18T03:33:20.101Z"
    assert iso8601(1548345406.9996) == "2019-01-24T15:56:47.000Z"
    assert iso8601(1548345406) == "2019-01-24T15:56:46.000Z"


def test_dates_round_trip_and_rfc_dates_are_utc() -> None:
    for moment in (1548345406, 1548345406.123, 2_000_000_000.101):
        assert epoch(iso8601(moment)) == timestamp(moment)
    assert epoch("2008-09-15T15:53:00") == epoch("2008-09-15T15:53:00Z")


def test_now_is_strictly_after_what_was_recorded() -> None:
    assert now(lambda: 100.0) == 100.0
    assert now(lambda: 100.0, after=99.999) == 100.0
    # A clock behind the last record (another machine, the same millisecond): one millisecond later.
    assert now(lambda: 100.0, after=100.0) == 100.001
    assert now(lambda: 90.0, after=100.0) == 100.001


def test_release_ids_carry_the_project_and_read_short() -> None:
    release_id = new_release_id("bugfarm_73649")
    assert re.fullmatch(r"bugfarm_73649:[0-9a-f-]{36}", release_id)
    assert short_id(release_id) == release_id.split(":")[1][:8]
    assert short_id("3f1c9b9e-0000-4000-8000-000000000000") == "3f1c9b9e"  # bare ids of earlier versions


def _release(release_id: str, created_at: float) -> Release:
    return Release(release_id, "p", created_at, ProjectRef("p", "p"), "", Person("ci", "ci"), "", {})


def test_equal_times_are_ordered_by_descending_id() -> None:
    listed = [_release("a", 3), _release("b", 2), _release("d", 2), _release("c", 2), _release("e", 1)]
    ordered = newest_first(listed, lambda r: r.created_at)
    assert [r.release_id for r in ordered] == ["a", "d", "c", "b", "e"]


def test_compare_images() -> None:
    changes = {
        c.service: (c.change, c.describe())
        for c in compare_images({"a": "x", "b": "y"}, {"b": "z", "c": "w"})
    }
    assert changes == {
        "a": ("removed", "x -> (none)"),
        "b": ("changed", "y -> z"),
        "c": ("added", "(none) -> w"),
    }
    assert compare_images({"a": "x"}, {"a": "x"})[0].describe() == "unchanged: x"


@pytest.mark.parametrize(
    ("uri", "tag"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:abc123", "abc123"),
        ("registry:5000/team/app:v1.2", "v1.2"),
        ("http://example.com/images/hatching/00001", "00001"),
        ("repo/app@sha256:" + "0123456789abcdef" * 4, "app@0123456789ab"),
        ("1.dkr.ecr.eu-west-1.amazonaws.com/a/app:v2@sha256:" + "f" * 64, "v2@ffffffffffff"),
    ],
)
def test_image_tag(uri: str, tag: str) -> None:
    assert image_tag(uri) == tag


def test_item_size_follows_dynamodb_rules() -> None:
    assert item_size("abc") == 3
    assert item_size("é") == 2  # UTF-8 bytes
    assert item_size({"a": "xy"}) == 3 + 1 + 2 + 1
    assert item_size(["x", "y"]) == 3 + 2 + 2
    assert item_size(1548345406) == 1 + 5
    assert item_size(1548345406.123) == 1 + 7
