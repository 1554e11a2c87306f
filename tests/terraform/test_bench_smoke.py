"""bench/run.py --smoke: every section runs and the cost figures a user notices hold.

Timings are printed by the benchmark but never asserted here: they depend on
the machine. Call counts and items read do not, so those are asserted.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IMAGE

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = ["publish", "release create", "deploy", "promote", "status", "history", "verify"]
SECTIONS = [
    "machine",
    "api_calls",
    "items_read",
    "wall_time",
    "terraform_plan",
    "deploy_time",
    "make",
    "container_image",
    "rollouts",
    "policies",
]

# It runs the real terraform binary (a plan of two roots).
pytestmark = pytest.mark.terraform


def numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def test_bench_smoke_reports_every_section_and_flat_reads(
    tmp_path: Path, venv: Path, image: dict[str, Any]
) -> None:
    # The benchmark starts its own moto server; strip any endpoint the session's
    # fixture may have exported so the subprocess cannot touch that server.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRACKER_"))}
    md, js = tmp_path / "b.md", tmp_path / "b.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--smoke",
            "--installed",
            str(venv),
            "--image",
            f"{IMAGE}:latest",
            "--out-md",
            str(md),
            "--out-json",
            str(js),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    doc = json.loads(js.read_text())
    assert md.read_text().startswith("# Benchmarks")
    assert all(section in doc for section in SECTIONS)

    calls = doc["api_calls"]
    counts = calls["service_counts"]
    assert set(calls["operations"]) == set(OPERATIONS)
    for operation in OPERATIONS:
        for n in counts:
            totals = calls["operations"][operation][str(n)]["totals"]
            assert totals["all"] > 0 and all(numeric(v) for v in totals.values()), (operation, n)
    for n in counts:
        # The cost of a release: one GetParameters per 10 names, each service's image and publish's record.
        assert calls["operations"]["release create"][str(n)]["totals"]["ssm_reads"] == math.ceil(2 * n / 10)
        assert calls["operations"]["deploy"][str(n)]["totals"]["ssm_writes"] == n
        # Pinning ECR tags: one DescribeImages per repository (one per service here), none to deploy.
        assert calls["operations"]["publish"][str(n)]["totals"]["ecr_reads"] == n
        assert calls["operations"]["release create"][str(n)]["totals"]["ecr_reads"] == n
        assert calls["operations"]["deploy"][str(n)]["totals"]["ecr_calls"] == 0

    # Reading the newest releases or deployments must not cost more as the table grows.
    items = doc["items_read"]
    for reader in ("list_releases", "history"):
        read = [items["results"][reader][str(size)]["items_read"] for size in items["table_sizes"]]
        assert all(numeric(r) and r > 0 for r in read), reader
        assert all(r <= read[0] for r in read), f"{reader} reads grow with the table: {read}"

    assert doc["wall_time"]["help"]["imports_boto3"] is False
    for figures in doc["wall_time"]["commands"].values():
        assert numeric(figures["median_s"]) and numeric(figures["ratio"])
    assert set(doc["wall_time"]["breakdown_s"]) == {"on", "off"}
    assert all(numeric(r) for r in doc["terraform_plan"]["ratios"].values())
    assert len(doc["terraform_plan"]["plans"]) == 4
    assert numeric(doc["deploy_time"]["growth"])
    assert set(doc["make"]["ratios"]) == {"plan", "deploy"}
    assert all(numeric(r) for r in doc["make"]["ratios"].values())
    image = doc["container_image"]
    assert image["base_bytes"] < image["image_bytes"] < image["base_bytes"] + 200_000_000
    assert all(numeric(f["median_s"]) for f in image["startup"].values())

    # tracker wait: a further poll costs the row and the ECS search (ListServices per cluster,
    # DescribeServices per 10 services), never the task definitions again; a long history costs nothing more.
    rollouts = doc["rollouts"]
    for n in rollouts["service_counts"]:
        figures = rollouts["calls"][str(n)]
        further = figures["each_further_poll"]
        assert further == {
            "dynamodb": {"GetItem": 1},
            "ecs": {
                "ListClusters": 1,
                "ListServices": figures["account"]["clusters"],
                "DescribeServices": figures["expected_describe_calls"],
            },
        }, (n, further)
        first = rollouts["calls"][str(n)]["first_poll_and_record"]
        assert first["ecs"]["DescribeTaskDefinition"] == n and first["dynamodb"]["TransactWriteItems"] == 1
    # The delay is a timing: reported by the benchmark, never asserted (only that it was measured).
    assert all(numeric(d) for d in rollouts["delay"]["delays"]) and rollouts["delay"]["runs"] == 1
    waited = items["wait"]
    assert waited["deployments"] == items["table_sizes"][-1] and 0 < waited["items_read"] < 15, waited

    # Promotion policies: promoting under one costs exactly what promoting without one does, and
    # approving then deploying under it reads a handful of items whatever the history's length.
    policies = doc["policies"]
    assert policies["promote with the policy"]["calls"] == policies["promote without a policy"]["calls"]
    assert policies["approve by id"]["calls"] == {"dynamodb": {"BatchGetItem": 1, "UpdateItem": 1}}
    judged = items["policy"]
    assert judged["deployments"] == items["table_sizes"][-1]
    assert 0 < judged["approve_items_read"] <= 2 and 0 < judged["deploy_items_read"] < 8, judged

    # tracker metrics: every window read without a scan, in Query pages of 100 releases; the smoke
    # history (every release deployed to stage, every third to prod) fits any 30-day window.
    measured = items["metrics"]
    size = items["table_sizes"][-1]
    for case in measured["cases"].values():
        assert set(case["calls"]) == {"dynamodb"} and set(case["calls"]["dynamodb"]) == {"Query"}, case
        assert case["items_read"] <= size and numeric(case["client_seconds"]), case
    assert measured["cases"]["prod, 30 days"]["deployments"] == len(range(0, size, 3))
    assert measured["cases"]["every environment, 30 days"]["deployments"] == size + len(range(0, size, 3))
