"""What every benchmark section shares: the emulator, the environment, projects and call counting."""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The interpreter running the benchmark is the project venv's (it imports tracker and moto).
VENV_BIN = Path(sys.executable).parent
PYTHON = str(VENV_BIN / "python")
TRACKER = str(VENV_BIN / "tracker")
BUGFARM = REPO / "examples" / "bugfarm" / ".wellcome_project"
REGION = "eu-west-1"
# The defaults of tracker.store and of the Terraform modules: the stage root's
# plan queries these names, so the emulator's tables must carry them.
RELEASES = "tracker-releases"
DEPLOYMENTS = "tracker-deployments"
USER = "bench"

# Environment variables that would point the tracker somewhere else than our emulator.
_FOREIGN_ENV = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_PROFILE",
    "TRACKER_PROJECT_FILE",
    "TF_WORKSPACE",
)


_STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr: the full run takes minutes and the user should see where it is."""
    print(f"bench: [{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@contextmanager
def emulator() -> Iterator[str]:
    """Our own moto server on loopback, and os.environ pointing every client (and child) at it."""
    from moto.server import ThreadedMotoServer

    # verbose=False still leaves werkzeug logging one line per request: thousands of them.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = dict(os.environ)
    for key in _FOREIGN_ENV:
        os.environ.pop(key, None)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        TRACKER_RELEASES_TABLE=RELEASES,
        TRACKER_DEPLOYMENTS_TABLE=DEPLOYMENTS,
        TRACKER_USER=USER,
    )
    try:
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def create_tables(clients: Any) -> None:
    # The tests' definition, which tests/test_terraform.py holds equal to the store module's.
    from tests.aws_fixtures import create_tables as create

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
    from tracker.project import parse_project

    return parse_project(manifest_text(project_id, services), f"benchmark manifest {project_id}")


def image(project_id: str, service: str, build: int) -> str:
    return f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{project_id}/{service}:build-{build:05d}"


@dataclass
class Stores:
    """The tracker's two stores over one Clients, as the CLI builds them."""

    clients: Any
    releases: Any
    parameters: Any

    @classmethod
    def build(cls, clients: Any | None = None) -> Stores:
        from tracker.aws import Clients
        from tracker.store import ParameterStore, ReleaseStore

        clients = clients or Clients()
        return cls(clients, ReleaseStore(clients, RELEASES, DEPLOYMENTS), ParameterStore(clients))


def publish_all(project: Any, stores: Stores, build: int) -> None:
    from tracker.releases import publish_image

    for service in project.service_ids:
        publish_image(project, stores.parameters, service, image(project.id, service, build), user_id=USER)


def new_release(project: Any, stores: Stores, *, allow_duplicate: bool = False) -> str:
    from tracker.releases import create_release, person

    created = create_release(
        project,
        stores.releases,
        stores.parameters,
        requested_by=person(USER),
        description="benchmark release",
        allow_duplicate=allow_duplicate,
    )
    return str(created.release.release_id)


def deploy_to(project: Any, stores: Stores, release_id: str, environment: str) -> Any:
    from tracker.deployments import deploy
    from tracker.releases import person

    return deploy(
        project,
        stores.releases,
        stores.parameters,
        release_id,
        environment,
        requested_by=person(USER),
        description="benchmark deployment",
    )


# -- counting API calls --------------------------------------------------------
_READ_PREFIXES = ("Get", "BatchGet", "Query", "Scan", "Describe", "List")


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


@dataclass
class CallCounter:
    """Counts API calls per (service, operation) through botocore's ``before-call`` event.

    ``before-call`` fires once per API call (a paginator's page is a call; a
    retry of the same call is not), which is what AWS bills and throttles.
    """

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._count)
        return client

    def _count(self, model: Any, **_: Any) -> None:
        # Must return None: a handler returning a value short-circuits the call.
        with self._lock:  # deploy writes SSM from a thread pool
            self.counts[(model.service_model.service_name, model.name)] += 1

    def measure(self, function: Callable[[], Any]) -> dict[str, dict[str, int]]:
        """The calls ``function`` makes, as {service: {operation: count}}."""
        with self._lock:
            self.counts.clear()
        function()
        result: dict[str, dict[str, int]] = {}
        for (service, operation), count in sorted(self.counts.items()):
            result.setdefault(service, {})[operation] = count
        return result


def counted_stores(counter: CallCounter) -> Stores:
    from tracker.aws import Clients

    clients = Clients()
    for service in ("dynamodb", "ssm", "sts"):
        counter.attach(clients.get(service))
    return Stores.build(clients)


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


def seed_bugfarm() -> str:
    """The RFC's bugfarm project with a release deployed to stage; returns the release id.

    Sections 3 and 4 resolve this release, as Terraform does on every plan.
    """
    from tracker.project import load_project

    project = load_project(BUGFARM)
    stores = Stores.build()
    publish_all(project, stores, build=1)
    release_id = new_release(project, stores)
    deploy_to(project, stores, release_id, "stage")
    return release_id
