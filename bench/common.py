"""What every benchmark section shares: the emulator, the installed package, projects and timing."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.support.counting import CallCounter

REPO = Path(__file__).resolve().parent.parent
BUGFARM = REPO / "examples" / "bugfarm" / ".wellcome_project"
REGION = "eu-west-1"
# The defaults of the tracker and of the Terraform modules.
RELEASES = "tracker-releases"
DEPLOYMENTS = "tracker-deployments"
USER = "bench"

_STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr: the full run takes minutes and the user should see where it is."""
    print(f"bench: [{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def bench_environment() -> None:
    """os.environ for the tracker's own commands (the emulator's AWS settings are already there)."""
    for key in ("TRACKER_PROJECT_FILE", "TF_WORKSPACE", "TF_DATA_DIR"):
        os.environ.pop(key, None)
    os.environ.update(
        TRACKER_RELEASES_TABLE=RELEASES, TRACKER_DEPLOYMENTS_TABLE=DEPLOYMENTS, TRACKER_USER=USER
    )


def create_tables(clients: Any) -> None:
    # The tests' definition, which tests/terraform/test_modules.py holds equal to the store module's.
    from tests.support.tables import create_tables as create

    create(clients.dynamodb, RELEASES, DEPLOYMENTS)


def machine_info() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "boto3": metadata.version("boto3"),
        "botocore": metadata.version("botocore"),
        "moto": metadata.version("moto"),
        "terraform": terraform_version(),
    }


def terraform_version() -> str:
    try:
        out = subprocess.run(
            ["terraform", "version", "-json"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "not installed"
    return str(json.loads(out).get("terraform_version", "unknown"))


# -- projects ----------------------------------------------------------------
ENVIRONMENTS = {"stage": "Staging", "prod": "Production"}


def service_ids(count: int) -> list[str]:
    return [f"svc{i:03d}" for i in range(1, count + 1)]


def manifest_text(project_id: str, services: int) -> str:
    """A project manifest (.wellcome_project) with ``services`` services and stage/prod."""
    return json.dumps(
        {
            "project": {"id": project_id, "name": f"Benchmark project, {services} services"},
            "services": [{"id": s, "name": f"Service {s}"} for s in service_ids(services)],
            "environments": [{"id": e, "name": n} for e, n in ENVIRONMENTS.items()],
        }
    )


def make_project(project_id: str, services: int) -> Any:
    from tracker.model.project import parse_project

    return parse_project(manifest_text(project_id, services), f"benchmark manifest {project_id}")


def image(project_id: str, service: str, build: int) -> str:
    return f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{project_id}/{service}:build-{build:05d}"


def tracker_for(project: Any, clients: Any | None = None) -> Any:
    """The tracker's façade over the emulator for ``project``, as the CLI builds it."""
    from tracker.app import Tracker
    from tracker.settings import Settings
    from tracker.stores.clients import Clients

    settings = Settings(releases_table=RELEASES, deployments_table=DEPLOYMENTS, user=USER)
    return Tracker(settings, clients=clients or Clients(), project=project)


def counted(counter: CallCounter, project: Any) -> Any:
    """A tracker whose every AWS call and DynamoDB item read ``counter`` sees."""
    from tracker.stores.clients import Clients

    return tracker_for(project, counter.attach_all(Clients()))


def push_all(project: Any, build: int) -> None:
    """What CI does before publishing: each service's image of ``build`` pushed to the emulator's ECR."""
    import boto3

    from tests.support.ecr import push

    ecr = boto3.client("ecr", region_name=REGION)
    for service in project.service_ids:
        push(ecr, f"{project.id}/{service}", f"build-{build:05d}", f"{project.id}-{service}-{build}")


def publish_all(tracker: Any, build: int) -> None:
    """Push (not counted: CI's own client) and publish every service's image of ``build``."""
    from tracker.model.requests import PublishRequest

    project = tracker.project
    push_all(project, build)
    for service in project.service_ids:
        image_uri = image(project.id, service, build)
        tracker.publish(PublishRequest(service_id=service, image_uri=image_uri, user_id=USER))


def new_release(tracker: Any, *, allow_duplicate: bool = False) -> str:
    from tracker.model.requests import ReleaseRequest

    request = ReleaseRequest(
        requested_by=tracker.person(), description="benchmark release", allow_duplicate=allow_duplicate
    )
    return str(tracker.create_release(request).release.release_id)


def deploy_to(tracker: Any, release_id: str | None, environment: str, **request: Any) -> Any:
    from tracker.model.requests import DeployRequest

    return tracker.deploy(
        DeployRequest(
            environment_id=environment,
            release=release_id,
            requested_by=tracker.person(),
            description="benchmark deployment",
            **request,
        )
    )


def seed_bugfarm() -> list[str]:
    """The RFC's bugfarm project with two releases, the second deployed to stage; returns their ids.

    Sections 3, 4 and 6 resolve and deploy these, as Terraform does.
    """
    from tracker.model.project import load_project

    tracker = tracker_for(load_project(BUGFARM))
    publish_all(tracker, build=1)
    first = new_release(tracker)
    publish_all(tracker, build=2)
    second = new_release(tracker)
    deploy_to(tracker, second, "stage")
    return [first, second]


# -- timing ----------------------------------------------------------------------
def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "runs": len(samples),
        "samples_s": samples,
    }


def interleaved(runners: dict[str, Callable[[], Any]], runs: int) -> dict[str, dict[str, Any]]:
    """Each runner ``runs`` times, in turn, after one warm-up each: drift hits them all alike."""
    for function in runners.values():
        function()
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, function in runners.items():
            samples[name].append(timed(function))
    return {name: summary(values) for name, values in samples.items()}


def command(
    argv: list[str], stdin: str = "", expect: str = "", env: dict[str, str] | None = None
) -> Callable[[], None]:
    """A function running ``argv`` once, failing unless it exits 0 and prints ``expect``."""

    def run() -> None:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env=env or dict(os.environ),
            cwd=REPO,
            timeout=300,
        )
        if done.returncode != 0 or expect not in done.stdout:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")

    return run
