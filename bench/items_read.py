"""Section 2: items read by `release list` and `history` as the releases table grows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bench.common import DEPLOYMENTS, RELEASES, counted, image, log, make_project, service_ids
from bench.metrics import metrics_reads
from bench.policies import policy_reads
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
            "images": {s: image(PROJECT_ID, s, index) for s in service_ids(SERVICES)},
            # Published two minutes before the release: what metrics measure lead time from.
            "published": {s: {"date": iso8601(created - 120)} for s in service_ids(SERVICES)},
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


def wait_reads(counter: CallCounter, tracker: Any, size: int) -> dict[str, Any]:
    """Items read by `tracker wait stage --rollback-on-failure` after ``size`` deployments to stage.

    Stage's row names the newest release; its state item's last verified deployment is ten
    releases older. The project runs no ECS service, so the wait times out at its first poll,
    records the failure and rolls back to that release: every read of the path, none of history.
    """
    from boto3.dynamodb.types import TypeSerializer

    from tracker.model.clock import iso8601
    from tracker.model.requests import WaitRequest

    serializer = TypeSerializer()
    newest, verified = size - 1, size - 10
    items: list[dict[str, Any]] = [
        {
            "project_id": PROJECT_ID,
            "environment_id": "stage",
            "release_id": f"{PROJECT_ID}:release-{newest:06d}",
            "deployed_at": START + newest * STEP + 60,
            "version": size,
            "previous_release_id": f"{PROJECT_ID}:release-{newest - 1:06d}",
        },
        {
            "project_id": PROJECT_ID,
            "environment_id": "stage#state",
            "last_verified": {
                "release_id": f"{PROJECT_ID}:release-{verified:06d}",
                "date_requested": iso8601(START + verified * STEP + 60),
                "verified_at": iso8601(START + verified * STEP + 120),
            },
        },
    ]
    for item in items:
        tracker.clients.dynamodb.put_item(
            TableName=DEPLOYMENTS, Item={k: serializer.serialize(v) for k, v in item.items()}
        )
    request = WaitRequest(
        environment_id="stage", requested_by=tracker.person(), timeout=0.001, rollback_on_failure=True
    )
    found: list[Any] = []
    calls = counter.measure(lambda: found.append(tracker.wait(request)))
    result = found[0]
    if (
        result.rollback is None
        or result.rollback.release.release_id != items[1]["last_verified"]["release_id"]
    ):
        raise RuntimeError(f"wait --rollback-on-failure did not roll back: {result.note}")
    return {"deployments": size, "items_read": counter.items_read, "calls": calls}


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
    log(f"wait --rollback-on-failure after {sizes[-1]} deployments")
    waited = wait_reads(counter, tracker, sizes[-1])
    log(f"approve and deploy under a promotion policy after {sizes[-1]} deployments")
    judged = policy_reads(counter, tracker, sizes[-1])
    log(f"tracker metrics after {sizes[-1]} releases")
    measured = metrics_reads(counter, tracker, sizes[-1])
    return {
        "metrics": measured,
        "table_sizes": sizes,
        "limit": LIMIT,
        "results": results,
        "flat": flat,
        "wait": waited,
        "policy": judged,
    }
