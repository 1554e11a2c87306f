"""Sections 3 and 5: wall time of the commands Terraform and people run, and of deploy."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any

from bench.common import (
    BUGFARM,
    DEPLOYMENTS,
    PYTHON,
    RELEASES,
    REPO,
    TRACKER,
    Stores,
    deploy_to,
    log,
    make_project,
    new_release,
    publish_all,
    summary,
    timed,
)

TARGET_RATIO = 1.5
FLOOR = "python -c 'import boto3'"


def _runner(argv: list[str], stdin: str = "", expect: str = "") -> Callable[[], None]:
    """A function running ``argv`` once, failing unless it exits 0 and prints ``expect``."""

    def run() -> None:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, env=dict(os.environ), cwd=REPO, timeout=120
        )
        if done.returncode != 0 or expect not in done.stdout:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")

    return run


def resolve_query(release_id: str) -> dict[str, str]:
    """The query the release-deployment module sends to the external program."""
    return {
        "project_file": str(BUGFARM),
        "environment": "stage",
        "release_id": release_id,
        "releases_table": RELEASES,
        "deployments_table": DEPLOYMENTS,
    }


def commands(release_id: str) -> dict[str, Callable[[], None]]:
    """The floor first, then what the ratio target applies to, then --help (reported only)."""
    query = resolve_query(release_id)
    resolve = [PYTHON, str(REPO / "scripts" / "resolve_release.py")]
    return {
        FLOOR: _runner([PYTHON, "-c", "import boto3"]),
        "scripts/resolve_release.py": _runner(resolve, json.dumps(query, sort_keys=True), release_id),
        "tracker status": _runner([TRACKER, "--project-file", str(BUGFARM), "status"], expect=release_id),
        "tracker --help": _runner([TRACKER, "--help"], expect="Usage"),
    }


def help_imports_boto3() -> dict[str, Any]:
    """Whether ``tracker --help`` imports boto3 or botocore (it must not: it would pay their import)."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "tracker", "--help"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
        timeout=120,
        check=True,
    )
    lines = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    heavy = sorted({m for m in lines if m.split(".")[0] in ("boto3", "botocore")})
    return {"imports_boto3": bool(heavy), "heavy_modules": heavy[:20], "modules_imported": len(lines)}


# Where the external program's time goes, stage by stage, in one fresh interpreter.
_BREAKDOWN = """
import json, sys, time
marks = [("start", time.perf_counter())]
import boto3
marks.append(("import_boto3", time.perf_counter()))
import jsonschema
marks.append(("import_jsonschema", time.perf_counter()))
from tracker.project import load_project
load_project(json.loads(sys.argv[1])["project_file"])
marks.append(("load_project", time.perf_counter()))
from tracker.aws import Clients
clients = Clients()
clients.dynamodb
marks.append(("create_client", time.perf_counter()))
from tracker.tfprograms import resolve
resolve(json.loads(sys.argv[1]), clients)
marks.append(("resolve_calls", time.perf_counter()))
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""


def resolve_breakdown(query: dict[str, str], runs: int) -> dict[str, float]:
    """Median seconds of each stage of resolving a release (explains the ratio to the floor)."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, "-c", _BREAKDOWN, json.dumps(query)],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            cwd=REPO,
            timeout=120,
            check=True,
        )
        for stage, value in json.loads(done.stdout).items():
            samples.setdefault(stage, []).append(value)
    return {stage: statistics.median(values) for stage, values in samples.items()}


def run_commands(release_id: str, runs: int) -> dict[str, Any]:
    """Median wall time of each command, runs interleaved so machine drift hits them all alike."""
    runners = commands(release_id)
    for function in runners.values():
        function()  # warm-up: .pyc files and the page cache, not measured
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, function in runners.items():
            samples[name].append(timed(function))
    floor = summary(samples[FLOOR])
    results = {}
    for name, values in samples.items():
        figures = summary(values)
        figures["ratio"] = figures["median_s"] / floor["median_s"]
        figures["min_ratio"] = figures["min_s"] / floor["min_s"]
        if name in ("scripts/resolve_release.py", "tracker status"):
            figures["target_ratio"] = TARGET_RATIO
            figures["met"] = figures["ratio"] <= TARGET_RATIO
        results[name] = figures
    return {
        "floor": FLOOR,
        "runs": runs,
        "commands": results,
        "help": help_imports_boto3(),
        "resolve_breakdown_s": resolve_breakdown(resolve_query(release_id), runs),
    }


def run_deploys(counts: list[int], runs: int) -> dict[str, Any]:
    """Wall time of the library's deploy (warm clients) at each service count, and its growth."""
    results: dict[str, Any] = {}
    for n in counts:
        log(f"deploy wall time at {n} service(s)")
        results[str(n)] = summary(_deploy_samples(n, runs))
    first, last = results[str(counts[0])], results[str(counts[-1])]
    growth = last["median_s"] / first["median_s"]
    return {
        "service_counts": counts,
        "runs": runs,
        "results": results,
        "growth": growth,
        "growth_between": [counts[0], counts[-1]],
    }


def _deploy_samples(services: int, runs: int) -> list[float]:
    project = make_project(f"bench-deploy-{services}", services)
    stores = Stores.build()
    publish_all(project, stores, build=1)
    # Two releases deployed in turn: every measured deploy records a new deployment.
    releases = [new_release(project, stores), new_release(project, stores, allow_duplicate=True)]
    deploy_to(project, stores, releases[1], "stage")  # warm-up: clients and connections
    return [_timed_deploy(project, stores, releases[i % 2]) for i in range(runs)]


def _timed_deploy(project: Any, stores: Stores, release_id: str) -> float:
    start = time.perf_counter()
    result = deploy_to(project, stores, release_id, "stage")
    elapsed = time.perf_counter() - start
    if not result.recorded:
        raise RuntimeError("a measured deploy recorded nothing: it measured the wrong path")
    return elapsed
