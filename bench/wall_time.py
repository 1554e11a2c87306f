"""Sections 3 and 5: wall time of the program Terraform runs (and of the CLI), and of deploy.

Commands run from the package installed from its wheel in a fresh virtualenv
(compiled bytecode, no editable-install finder), as users run them; the floor
runs with the same interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import (
    BUGFARM,
    DEPLOYMENTS,
    RELEASES,
    command,
    deploy_to,
    interleaved,
    log,
    make_project,
    new_release,
    publish_all,
    summary,
    tracker_for,
)

TARGET_RATIO = 1.10
FLOOR = "fresh Python (cyclic GC off), import boto3, one DynamoDB client, one BatchGetItem"
PROGRAM = "tracker terraform resolve"
# What the program does at the least: its one read is a BatchGetItem (the release, the environment's
# row and its state item); the program switches the cyclic GC off, so the floor does too.
_FLOOR_CODE = (
    "import gc; gc.disable(); import boto3; boto3.client('dynamodb').batch_get_item(RequestItems={"
    f"'{RELEASES}': {{'Keys': [{{'release_id': {{'S': 'bugfarm_73649:none'}}}}]}}, "
    f"'{DEPLOYMENTS}': {{'Keys': [{{'project_id': {{'S': 'bugfarm_73649'}}, "
    "'environment_id': {'S': 'stage'}}]}})"
)


def resolve_query(release_id: str) -> dict[str, str]:
    """The query modules/release-deployment sends to the external program."""
    return {"project_file": str(BUGFARM), "environment": "stage", "release_id": release_id}


FLOOR_NO_TEARDOWN = "the floor, leaving with os._exit (no interpreter teardown, as the program does)"


def commands(bin_dir: Path, release_id: str) -> dict[str, Any]:
    """The floor first, then what the ratio target applies to, then commands reported for context."""
    tracker, python = str(bin_dir / "tracker"), str(bin_dir / "python")
    query = json.dumps(resolve_query(release_id))
    return {
        FLOOR: command([python, "-c", _FLOOR_CODE]),
        PROGRAM: command([tracker, "terraform", "resolve"], query, release_id),
        FLOOR_NO_TEARDOWN: command([python, "-c", _FLOOR_CODE + "; import os; os._exit(0)"]),
        "python -c 'import boto3'": command([python, "-c", "import boto3"]),
        "tracker status": command([tracker, "--project-file", str(BUGFARM), "status"], expect=release_id),
        "tracker --help": command([tracker, "--help"], expect="Usage"),
    }


def help_imports_boto3(bin_dir: Path) -> dict[str, Any]:
    """Whether ``tracker --help`` imports boto3 or botocore (it must not: it would pay their import)."""
    done = subprocess.run(
        [str(bin_dir / "python"), "-X", "importtime", "-m", "tracker", "--help"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=True,
    )
    lines = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    heavy = sorted({m for m in lines if m.split(".")[0] in ("boto3", "botocore")})
    return {"imports_boto3": bool(heavy), "heavy_modules": heavy[:20], "modules_imported": len(lines)}


# Where the program's time goes, stage by stage, in one fresh interpreter, with and without
# the cyclic garbage collector (the program switches it off; see tracker/__main__.py).
_BREAKDOWN = """
import gc, sys
if sys.argv[2] == "off":
    gc.disable()
import json, time
marks = [("start", time.perf_counter())]
import boto3
marks.append(("import_boto3", time.perf_counter()))
from tracker.app import Tracker
from tracker.model.requests import PlanRequest
from tracker.terraform.programs import plan_result
import tracker.workflows.deployments, tracker.stores.tracking, tracker.model.project
marks.append(("import_tracker", time.perf_counter()))
query = json.loads(sys.argv[1])
tracker = Tracker.from_environment(project_file=query["project_file"])
tracker.project
marks.append(("load_project", time.perf_counter()))
tracker.clients.dynamodb
marks.append(("create_client", time.perf_counter()))
plan = tracker.plan(PlanRequest(environment_id="stage", release=query["release_id"]))
json.dumps(plan_result(plan))
marks.append(("plan", time.perf_counter()))
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""


def breakdown(bin_dir: Path, release_id: str, runs: int) -> dict[str, dict[str, float]]:
    """Median seconds of each stage, with the garbage collector on and off."""
    result = {}
    for gc_mode in ("on", "off"):
        samples: dict[str, list[float]] = {}
        for _ in range(runs):
            done = subprocess.run(
                [str(bin_dir / "python"), "-c", _BREAKDOWN, json.dumps(resolve_query(release_id)), gc_mode],
                capture_output=True,
                text=True,
                env=dict(os.environ),
                timeout=120,
                check=True,
            )
            for stage, value in json.loads(done.stdout).items():
                samples.setdefault(stage, []).append(value)
        result[gc_mode] = {stage: sorted(values)[len(values) // 2] for stage, values in samples.items()}
    return result


def run_commands(bin_dir: Path, release_id: str, runs: int) -> dict[str, Any]:
    """Median wall time of each command, interleaved, with ratios to the floor."""
    figures = interleaved(commands(bin_dir, release_id), runs)
    floor = figures[FLOOR]
    for values in figures.values():
        values["ratio"] = values["median_s"] / floor["median_s"]
        values["min_ratio"] = values["min_s"] / floor["min_s"]
    program = figures[PROGRAM]
    return {
        "floor": FLOOR,
        "program": PROGRAM,
        "runs": runs,
        "commands": figures,
        "target_ratio": TARGET_RATIO,
        "met": program["ratio"] <= TARGET_RATIO,
        "help": help_imports_boto3(bin_dir),
        "breakdown_s": breakdown(bin_dir, release_id, runs),
    }


def run_deploys(counts: list[int], runs: int) -> dict[str, Any]:
    """Wall time of the library's deploy (warm clients) at each service count, and its growth."""
    results: dict[str, Any] = {}
    for n in counts:
        log(f"deploy wall time at {n} service(s)")
        results[str(n)] = summary(_deploy_samples(n, runs))
    first, last = results[str(counts[0])], results[str(counts[-1])]
    return {
        "service_counts": counts,
        "runs": runs,
        "results": results,
        "growth": last["median_s"] / first["median_s"],
        "growth_between": [counts[0], counts[-1]],
    }


def _deploy_samples(services: int, runs: int) -> list[float]:
    tracker = tracker_for(make_project(f"bench-deploy-{services}", services))
    publish_all(tracker, build=1)
    # Two releases deployed in turn: every measured deploy records a new deployment.
    releases = [new_release(tracker), new_release(tracker, allow_duplicate=True)]
    deploy_to(tracker, releases[1], "stage")  # warm-up: clients and connections
    return [_timed_deploy(tracker, releases[i % 2]) for i in range(runs)]


def _timed_deploy(tracker: Any, release_id: str) -> float:
    start = time.perf_counter()
    result = deploy_to(tracker, release_id, "stage")
    elapsed = time.perf_counter() - start
    if not result.recorded:
        raise RuntimeError("a measured deploy recorded nothing: it measured the wrong path")
    return elapsed
