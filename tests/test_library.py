"""The library in-process with moto's mock_aws (no HTTP): stores, workflows and small pure helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.aws_fixtures import create_tables
from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES
from tracker.errors import MissingImagesError, ReleaseNotFoundError
from tracker.project import load_project


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Clients on moto's in-process mock, with calls counted per operation."""
    from moto import mock_aws

    from tracker.aws import Clients

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        clients = Clients()
        create_tables(clients.dynamodb, RELEASES, DEPLOYMENTS)
        calls: list[str] = []
        for client in (clients.dynamodb, clients.ssm):
            client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        yield clients, calls


def stores(clients: Any) -> tuple[Any, Any]:
    from tracker.store import ParameterStore, ReleaseStore

    return ReleaseStore(clients, RELEASES, DEPLOYMENTS), ParameterStore(clients)


def test_release_and_deploy_cost_a_bounded_number_of_calls(mocked: Any) -> None:
    from tracker.deployments import deploy
    from tracker.releases import create_release, person, publish_image

    clients, calls = mocked
    project = load_project(BUGFARM)
    releases, parameters = stores(clients)
    for service in project.service_ids:
        publish_image(project, parameters, service, f"registry.example/{service}:1", user_id="ci")
    calls.clear()
    release = create_release(project, releases, parameters, requested_by=person("ci")).release
    assert sorted(calls) == ["GetParameters", "PutItem", "Query"]  # 2 services: one SSM batch
    calls.clear()
    result = deploy(project, releases, parameters, release.release_id, "stage", requested_by=person("ops"))
    assert result.recorded
    assert sorted(calls) == ["BatchGetItem", "GetItem", "PutParameter", "PutParameter", "TransactWriteItems"]


def test_missing_images_are_named_and_nothing_is_written(mocked: Any) -> None:
    from tracker.releases import create_release, person, publish_image

    clients, calls = mocked
    project = load_project(BUGFARM)
    releases, parameters = stores(clients)
    publish_image(project, parameters, "hatching", "registry.example/hatching:1", user_id="ci")
    calls.clear()
    with pytest.raises(MissingImagesError) as raised:
        create_release(project, releases, parameters, requested_by=person("ci"))
    assert raised.value.services == ["feeding"]
    assert "PutItem" not in calls
    assert clients.dynamodb.scan(TableName=RELEASES)["Items"] == []


def test_unknown_release(mocked: Any) -> None:
    clients, _ = mocked
    releases, _ = stores(clients)
    with pytest.raises(ReleaseNotFoundError, match="release 'nope' not found"):
        releases.require_release("nope", "bugfarm_73649")


@pytest.mark.parametrize(
    ("uri", "tag"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:abc123", "abc123"),
        ("registry:5000/team/app:v1.2", "v1.2"),
        ("http://example.com/images/hatching/00001", "00001"),
        ("repo/app@sha256:0123456789abcdef0123", "0123456789ab"),
    ],
)
def test_image_tag(uri: str, tag: str) -> None:
    from tracker.report import image_tag

    assert image_tag(uri) == tag


def test_dates_round_trip_and_rfc_dates_are_utc() -> None:
    from tracker.releases import epoch, iso8601

    assert iso8601(1548345406) == "2019-01-24T15:56:46.000Z"
    assert iso8601(1548345406.9996) == "2019-01-24T15:56:46.999Z"  # truncated: stays in its second
    assert epoch(iso8601(1548345406)) == 1548345406
    assert epoch("2008-09-15T15:53:00") == epoch("2008-09-15T15:53:00Z")


def test_item_size_follows_dynamodb_rules() -> None:
    from tracker.store import item_size

    assert item_size("abc") == 3
    assert item_size("é") == 2  # UTF-8 bytes
    assert item_size({"a": "xy"}) == 3 + 1 + 2 + 1
    assert item_size(["x", "y"]) == 3 + 2 + 2
    assert item_size(1548345406) == 1 + 5
