"""The library in-process with moto's mock_aws (no HTTP): stores and workflows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES
from tests.support.tables import create_tables
from tracker.errors import MissingImagesError, ReleaseNotFoundError
from tracker.model.project import load_project


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


def stores(clients: Any) -> tuple[Any, Any]:
    from tracker.stores.parameters import ParameterStore
    from tracker.stores.tracking import TrackingStore

    return TrackingStore(clients, RELEASES, DEPLOYMENTS), ParameterStore(clients)


def test_release_and_deploy_cost_a_bounded_number_of_calls(mocked: Any) -> None:
    from tracker.workflows.deployments import deploy
    from tracker.workflows.releases import create_release, person, publish_image

    clients, calls = mocked
    project = load_project(BUGFARM)
    releases, parameters = stores(clients)
    for service in project.service_ids:
        publish_image(project, parameters, service, f"registry.example/{service}:1", user_id="ci")
    calls.clear()
    release = create_release(project, releases, parameters, requested_by=person("ci")).release
    # 2 services: one SSM batch; the newest release (duplicates, time order), the write, and the
    # index read once more until it lists the new release (so that `latest` names it).
    assert sorted(calls) == ["GetParameters", "PutItem", "Query", "Query"]
    calls.clear()
    result = deploy(project, releases, parameters, release.release_id, "stage", requested_by=person("ops"))
    assert result.recorded
    assert sorted(calls) == ["BatchGetItem", "GetItem", "PutParameter", "PutParameter", "TransactWriteItems"]


def test_missing_images_are_named_and_nothing_is_written(mocked: Any) -> None:
    from tracker.workflows.releases import create_release, person, publish_image

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
