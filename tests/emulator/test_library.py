"""The library in-process with moto's mock_aws (no HTTP): stores and workflows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES
from tests.support.library import deploy, library, publish, release
from tests.support.tables import create_tables
from tracker.errors import MissingImagesError, ReleaseNotFoundError
from tracker.model.project import load_project
from tracker.workflows.releases import require_release


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Clients on moto's in-process mock, with calls counted per operation."""
    from moto import mock_aws

    from tracker.stores.clients import Clients

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


def test_release_and_deploy_cost_a_bounded_number_of_calls(mocked: Any) -> None:
    clients, calls = mocked
    tracker = library(clients, load_project(BUGFARM))
    publish(tracker, "1")
    calls.clear()
    made = release(tracker)
    # 2 services: one SSM batch; the newest release (duplicates, time order), the write, and the
    # index read once more until it lists the new release (so that `latest` names it).
    assert sorted(calls) == ["GetParameters", "PutItem", "Query", "Query"]
    calls.clear()
    result = deploy(tracker, made.release_id, "stage")
    assert result.recorded
    # The plan reads the release, the row and the freeze in one BatchGetItem; GetItem follows SSM.
    assert sorted(calls) == ["BatchGetItem", "GetItem", "PutParameter", "PutParameter", "TransactWriteItems"]


def test_missing_images_are_named_and_nothing_is_written(mocked: Any) -> None:
    clients, calls = mocked
    tracker = library(clients, load_project(BUGFARM))
    publish(tracker, "1", "hatching")
    calls.clear()
    with pytest.raises(MissingImagesError) as raised:
        release(tracker)
    assert raised.value.services == ["feeding"]
    assert "PutItem" not in calls
    assert clients.dynamodb.scan(TableName=RELEASES)["Items"] == []


def test_unknown_release(mocked: Any) -> None:
    clients, _ = mocked
    tracker = library(clients, load_project(BUGFARM))
    with pytest.raises(ReleaseNotFoundError, match="release 'bugfarm_73649:nope' not found"):
        require_release(tracker.context, "bugfarm_73649:nope")
