"""Section 1: AWS API calls per tracker operation, at N services."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bench.common import counted, deploy_to, log, make_project, new_release, publish_all
from tests.support.counting import CallCounter, is_read

OPERATIONS = ["publish", "release create", "deploy", "promote", "status", "history", "verify"]


def totals(calls: dict[str, dict[str, int]]) -> dict[str, int]:
    """Reads, writes and all calls per service, e.g. ``ssm_reads``."""
    result = {"all": 0}
    for service in ("dynamodb", "ssm", "sts", "ecr"):
        ops = calls.get(service, {})
        result[f"{service}_reads"] = sum(n for op, n in ops.items() if is_read(op))
        result[f"{service}_writes"] = sum(n for op, n in ops.items() if not is_read(op))
        result[f"{service}_calls"] = sum(ops.values())
        result["all"] += result[f"{service}_calls"]
    return result


def _operations(tracker: Any, state: dict[str, str]) -> dict[str, Callable[[], Any]]:
    """The operations in the order a project lives through them (each needs the one before)."""

    def release_create() -> None:
        state["release_id"] = new_release(tracker)

    def verify() -> None:
        drifts = tracker.verify()
        if drifts:  # a benchmark of a broken state would measure the wrong thing
            raise RuntimeError(f"verify found drift: {drifts[0]}")

    return {
        "publish": lambda: publish_all(tracker, build=1),
        "release create": release_create,
        "deploy": lambda: deploy_to(tracker, state["release_id"], "stage"),
        "promote": lambda: deploy_to(tracker, None, "prod", from_environment="stage"),
        "status": tracker.status,
        "history": lambda: tracker.history("stage", limit=10),
        "verify": verify,
    }


def measure_project(services: int) -> dict[str, Any]:
    """Every operation once on a fresh project of ``services`` services."""
    counter = CallCounter()
    tracker = counted(counter, make_project(f"bench-calls-{services}", services))
    tracker.person()  # TRACKER_USER is set: no STS call to count
    result: dict[str, Any] = {}
    for name, function in _operations(tracker, {}).items():
        calls = counter.measure(function)
        result[name] = {"calls": calls, "totals": totals(calls)}
    return result


def check_targets(operations: dict[str, dict[str, Any]], counts: list[int]) -> list[dict[str, Any]]:
    """RFC 013's cost targets for release create and deploy, each against the real figures."""
    return [_create_target(operations["release create"][str(n)]["totals"], n) for n in counts] + [
        _deploy_target(operations["deploy"][str(n)]["totals"], n) for n in counts
    ]


def _create_target(create: dict[str, int], n: int) -> dict[str, Any]:
    want_ssm = math.ceil(n / 10)
    met = create["ssm_reads"] == want_ssm and create["dynamodb_calls"] == 1
    return {
        "operation": "release create",
        "services": n,
        "target": f"{want_ssm} SSM read(s) + 1 DynamoDB write",
        "actual": f"{create['ssm_reads']} SSM read(s) + {create['dynamodb_writes']} DynamoDB write(s)"
        f" + {create['dynamodb_reads']} DynamoDB read(s) + {create['ecr_reads']} ECR read(s)",
        "met": met,
        "why": ""
        if met
        else "two GSI Queries of the newest release: one before writing (the duplicate-release check, "
        "and a created_at later than the newest), one after (the index is eventually consistent: "
        "release create returns once it lists the new release, so that `latest` names it); "
        "one ECR DescribeImages per repository pins the tags to digests (the RFC predates pinning); "
        "the GetParameters also read publish's record beside each image (when, by whom, the revision: "
        "lead time for changes), 2 names per service, 10 per call",
    }


def _deploy_target(deploy: dict[str, int], n: int) -> dict[str, Any]:
    met = deploy["dynamodb_calls"] <= 2 and deploy["ssm_writes"] == n
    return {
        "operation": "deploy",
        "services": n,
        "target": f"<= 2 DynamoDB calls + {n} SSM write(s)",
        "actual": f"{deploy['dynamodb_calls']} DynamoDB calls + {deploy['ssm_writes']} SSM write(s)",
        "met": met,
        "why": ""
        if met
        else "BatchGetItem + TransactWriteItems + one GetItem after the SSM writes: the race guard "
        "of tracker/workflows/deployments.py re-reads the row so that a deployment overtaken between "
        "its transaction and its SSM writes rewrites SSM with the winner's images",
    }


def run(counts: list[int]) -> dict[str, Any]:
    operations: dict[str, dict[str, Any]] = {name: {} for name in OPERATIONS}
    for n in counts:
        log(f"API calls at {n} service(s)")
        for name, figures in measure_project(n).items():
            operations[name][str(n)] = figures
    return {"service_counts": counts, "operations": operations, "targets": check_targets(operations, counts)}
