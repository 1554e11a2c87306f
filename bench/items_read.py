"""Section 2: items read by `release list` and `history` as the releases table grows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bench.common import RELEASES, counted, image, log, make_project
from tests.support.counting import CallCounter

PROJECT_ID = "bench-history"
SERVICES = 5
LIMIT = 10
START = 1_700_000_000  # release i is created at START + i * STEP seconds
STEP = 600
BATCH = 25  # BatchWriteItem's maximum


def _entry(environment: str, at: int) -> dict[str, Any]:
    from tracker.model.clock import iso8601

    return {
        "environment": {"id": environment, "name": environment.title()},
        "date_requested": iso8601(at),
        "requested_by": {"id": "ci", "name": "CI"},
        "description": f"deploy to {environment}",
    }


def release_row(index: int) -> dict[str, Any]:
    """A release as the tracker stores it: deployed to stage, and every third one to prod later."""
    from tracker.model.clock import iso8601

    created = START + index * STEP
    deployments = [_entry("stage", created + 60)]
    if index % 3 == 0:
        deployments.append(_entry("prod", created + 300))
    return {
        "release_id": f"{PROJECT_ID}:release-{index:06d}",
        "project_id": PROJECT_ID,
        "created_at": created,
        "deployed_at": created + (300 if index % 3 == 0 else 60),
        "release_manifest": {
            "project": {"id": PROJECT_ID, "name": "Benchmark history"},
            "date_requested": iso8601(created),
            "requested_by": {"id": "ci", "name": "CI"},
            "description": f"release {index}",
            "images": {f"svc{s:03d}": image(PROJECT_ID, f"svc{s:03d}", index) for s in range(SERVICES)},
            "deployments": deployments,
        },
    }


def seed(dynamodb: Any, first: int, last: int) -> None:
    """Write releases ``first`` .. ``last - 1`` in BatchWriteItem calls of 25 (retrying unprocessed)."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    for start in range(first, last, BATCH):
        requests = [
            {"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in release_row(i).items()}}}
            for i in range(start, min(start + BATCH, last))
        ]
        pending: dict[str, Any] = {RELEASES: requests}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _collect(reader: Callable[[], list[Any]], into: list[Any]) -> None:
    into.extend(reader())


def measure(counter: CallCounter, tracker: Any) -> dict[str, Any]:
    """Items and calls of the release list (limit 10) and history(stage, limit 10)."""
    result = {}
    readers: dict[str, Callable[[], list[Any]]] = {
        "list_releases": lambda: tracker.releases(LIMIT),
        "history": lambda: tracker.history("stage", LIMIT),
    }
    for name, reader in readers.items():
        returned: list[Any] = []
        calls = counter.measure(partial(_collect, reader, returned))
        result[name] = {
            "items_read": counter.items_read,
            "returned": len(returned),
            "api_calls": sum(sum(ops.values()) for ops in calls.values()),
        }
    return result


def run(sizes: list[int]) -> dict[str, Any]:
    counter = CallCounter()
    tracker = counted(counter, make_project(PROJECT_ID, SERVICES))
    results: dict[str, dict[str, Any]] = {"list_releases": {}, "history": {}}
    seeded = 0
    for size in sizes:
        log(f"seeding the releases table to {size} releases")
        seed(tracker.clients.dynamodb, seeded, size)
        seeded = size
        for name, figures in measure(counter, tracker).items():
            results[name][str(size)] = figures
    flat = {
        name: all(by_size[str(s)]["items_read"] <= by_size[str(sizes[0])]["items_read"] for s in sizes)
        for name, by_size in results.items()
    }
    return {"table_sizes": sizes, "limit": LIMIT, "results": results, "flat": flat}
