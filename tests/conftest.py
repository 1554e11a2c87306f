"""Fixtures: one moto server on loopback for the session, reset before each test."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.aws_fixtures import create_tables, snapshot

REPO = Path(__file__).resolve().parent.parent
BUGFARM = REPO / "examples" / "bugfarm" / ".wellcome_project"
RELEASES = "tracker-releases"
DEPLOYMENTS = "tracker-deployments"
REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real AWS HTTP endpoint (moto server) on 127.0.0.1, and the env that points at it."""
    from tests.emulator import SerializedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = SerializedMotoServer()
    server.start()
    endpoint = server.endpoint
    saved = dict(os.environ)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
    )
    for key in (
        "AWS_PROFILE",
        "TRACKER_USER",
        "TRACKER_PROJECT_FILE",
        "TRACKER_RELEASES_TABLE",
        "TRACKER_DEPLOYMENTS_TABLE",
    ):
        os.environ.pop(key, None)
    yield endpoint
    os.environ.clear()
    os.environ.update(saved)
    server.stop()


def reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture
def aws(moto_endpoint: str) -> Any:
    """A clean emulator with the tracking tables; returns the tracker's Clients."""
    from tracker.aws import Clients

    reset_moto(moto_endpoint)
    clients = Clients()
    create_tables(clients.dynamodb, RELEASES, DEPLOYMENTS)
    return clients


@pytest.fixture
def state(aws: Any):
    """A function returning everything written so far (tables and SSM)."""
    return lambda: snapshot(aws.dynamodb, aws.ssm, RELEASES, DEPLOYMENTS)


@pytest.fixture
def bugfarm_file(tmp_path: Path) -> Path:
    path = tmp_path / ".wellcome_project"
    path.write_text(BUGFARM.read_text())
    return path


@pytest.fixture
def project() -> Any:
    from tracker.project import load_project

    return load_project(BUGFARM)


@pytest.fixture
def stores(aws: Any) -> tuple[Any, Any]:
    from tracker.store import ParameterStore, ReleaseStore

    return ReleaseStore(aws, RELEASES, DEPLOYMENTS), ParameterStore(aws)


def write_project(path: Path, document: Any) -> Path:
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path
