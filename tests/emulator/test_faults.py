"""Transient AWS faults, DynamoDB's item limit, and reads that must not scan."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BUGFARM, RELEASES
from tests.support.cli import Cli, Outcome
from tests.support.counting import CallCounter
from tests.support.library import deploy, library, publish, release
from tracker.errors import ManifestTooLargeError
from tracker.stores.clients import MAX_ATTEMPTS
from tracker.stores.dynamo import ITEM_LIMIT, item_size, serialize


class FlakyProxy(http.server.ThreadingHTTPServer):
    """Answers the first ``failures`` requests with a throttling error, forwards the rest."""

    def __init__(self, upstream: str, failures: int) -> None:
        self.upstream, self.failures, self.seen = upstream, failures, 0
        self.targets: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FlakyProxy

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen += 1
        self.server.targets.append(self.headers.get("X-Amz-Target", ""))
        if self.server.seen <= self.server.failures:
            payload = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
        request = urllib.request.Request(self.server.upstream, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
            self.send_response(response.status)
            self.send_header("Content-Type", response.headers.get("Content-Type", ""))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def flaky(moto_endpoint: str) -> Iterator[Any]:
    servers: list[FlakyProxy] = []

    def start(failures: int) -> FlakyProxy:
        server = FlakyProxy(moto_endpoint, failures)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()


def tracker_via(proxy: FlakyProxy, *args: str) -> Outcome:
    endpoint = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
    return Cli(BUGFARM, user="t", env=endpoint, process=True)(*args, code=None)


def test_throttling_is_retried_with_backoff_then_succeeds(aws: Any, flaky: Any) -> None:
    proxy = flaky(failures=2)
    result = tracker_via(proxy, "status")
    assert result.exit_code == 0, result.stderr
    assert "nothing deployed yet" in result.stdout
    assert proxy.seen == 3  # two throttled attempts, then the one that went through


def test_persistent_throttling_gives_up_after_bounded_retries_with_one_clear_line(
    aws: Any, flaky: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process, botocore's backoff sleeps recorded instead of slept (24 s of waiting otherwise):
    # what is asserted is that it backs off between every attempt, then gives up with one line.
    import botocore.endpoint

    waits: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", waits.append)
    proxy = flaky(failures=10_000)
    endpoint = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}"}
    result = Cli(BUGFARM, user="t", env=endpoint)("status", code=None)
    assert result.exit_code == 1
    assert proxy.seen == MAX_ATTEMPTS, proxy.targets
    assert len(waits) == MAX_ATTEMPTS - 1 and all(0 <= w <= 20 for w in waits), waits  # botocore's cap
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ThrottlingException" in lines[0] and "Rate exceeded" in lines[0], lines


def test_a_deployment_that_would_overflow_the_item_fails_before_writing(
    aws: Any, project: Any, state: Any
) -> None:
    tracker = library(aws, project)
    publish(tracker, "v1")
    made = release(tracker)
    entry = {
        "environment": {"id": "prod", "name": "Peters prod palace!"},
        "date_requested": "2026-11-27T09:28:49Z",
        "requested_by": {"id": "ops", "name": "ops"},
        "description": "d" * 900,
    }
    # Fill the item to just under DynamoDB's limit (as ~1 800 ordinary deployments would).
    row = made.as_row()
    while item_size(row) + item_size(entry) + 1 < ITEM_LIMIT:
        row["release_manifest"]["deployments"].append(entry)
    aws.dynamodb.put_item(TableName=RELEASES, Item=serialize(row))
    before = state()
    with pytest.raises(
        ManifestTooLargeError, match=r"over DynamoDB's 409600-byte item limit; nothing was written"
    ):
        deploy(tracker, made.release_id, "stage", description="d" * 900)
    assert state() == before


def seed_many(aws: Any, count: int) -> None:
    """``count`` deployed releases of the bugfarm project, written in batches."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    requests = []
    for i in range(count):
        environment = ("stage", "prod")[i % 2]
        manifest = {
            "project": {"id": "bugfarm_73649", "name": "The Best Bug Farm"},
            "date_requested": f"2020-01-01T00:00:{i % 60:02d}Z",
            "requested_by": {"id": "ci", "name": "ci"},
            "description": "",
            "images": {"hatching": f"r/h:{i}", "feeding": f"r/f:{i}"},
            "deployments": [
                {
                    "environment": {"id": environment, "name": environment},
                    "date_requested": _iso(1_600_000_000 + 60 * i),
                    "requested_by": {"id": "ops", "name": "ops"},
                    "description": f"#{i}",
                }
            ],
        }
        item = {
            "release_id": f"r{i:06d}",
            "project_id": "bugfarm_73649",
            "created_at": 1_600_000_000 + 60 * i,
            "deployed_at": 1_600_000_000 + 60 * i,
            "release_manifest": manifest,
        }
        requests.append({"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in item.items()}}})
    for start in range(0, len(requests), 25):
        aws.dynamodb.batch_write_item(RequestItems={RELEASES: requests[start : start + 25]})


def _iso(seconds: int) -> str:
    from tracker.model.clock import iso8601

    return iso8601(seconds)


@pytest.mark.parametrize("count", [200, 3000])
def test_history_and_release_list_read_a_bounded_number_of_items(aws: Any, project: Any, count: int) -> None:
    seed_many(aws, count)
    counter = CallCounter()
    tracker = library(counter.attach_all(aws), project)
    newest = tracker.history("stage", limit=10)
    assert [h.description for h in newest] == [f"#{i}" for i in range(count - 2, count - 22, -2)]
    assert counter.items_read <= 40, counter.items_read  # never a scan of `count` items
    counter.reset()
    listed = tracker.releases(limit=10)
    assert [r.release_id for r in listed] == [f"r{i:06d}" for i in range(count - 1, count - 11, -1)]
    # One item past the tenth: it tells whether the tenth ties with what follows (ties sort by id).
    assert counter.items_read <= 11, counter.items_read
