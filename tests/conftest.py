"""Fixtures shared by every kind of test: one emulator for the session, reset before each test.

Tests are split by kind: ``unit/`` (no AWS), ``emulator/`` (the library and
the CLI against a moto server over HTTP), ``terraform/`` (the real terraform
binary against the same server). ``support/`` holds the test tooling: the
emulator, the offline Terraform configuration and the ``external`` stand-in.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import configuration, settings

from tests.support.tables import create_tables, snapshot

# Hypothesis keeps no example database and its caches in a temporary folder:
# tests never write into the checkout.
settings.register_profile("tracker", database=None)
settings.load_profile("tracker")
configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-"))

REPO = Path(__file__).resolve().parent.parent
BUGFARM = REPO / "examples" / "bugfarm" / ".wellcome_project"
RELEASES = "tracker-releases"
DEPLOYMENTS = "tracker-deployments"
REGION = "eu-west-1"
# Tests choose their own settings: none is inherited from the shell or from make, whose targets
# export TRACKER_PROJECT_FILE, TRACKER_STATE_DIR and TRACKER_INTERFACE=make (which would change
# every hint the tests read).
for _variable in [name for name in os.environ if name.startswith("TRACKER_")]:
    del os.environ[_variable]


@pytest.fixture(autouse=True)
def cli_interface() -> None:
    """Hints in the command line's words, whatever the test before set (the Terraform programs
    in-process set Terraform's)."""
    from tracker.errors import set_interface

    set_interface("cli")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real AWS HTTP endpoint (moto server) on 127.0.0.1, and the environment that points at it."""
    from tests.support.emulator import in_process

    with in_process() as endpoint:
        yield endpoint


def reset_moto(endpoint: str) -> None:
    from tests.support.emulator import reset

    reset(endpoint)


@pytest.fixture
def aws(moto_endpoint: str) -> Any:
    """A clean emulator with the tracking tables; returns the tracker's Clients."""
    from tracker.stores.clients import Clients

    reset_moto(moto_endpoint)
    clients = Clients()
    create_tables(clients.dynamodb, RELEASES, DEPLOYMENTS)
    return clients


@pytest.fixture
def state(aws: Any) -> Any:
    """A function returning everything written so far (tables and SSM)."""
    return lambda: snapshot(aws.dynamodb, aws.ssm, RELEASES, DEPLOYMENTS)


@pytest.fixture
def bugfarm_file(tmp_path: Path) -> Path:
    path = tmp_path / ".wellcome_project"
    path.write_text(BUGFARM.read_text())
    return path


@pytest.fixture
def project() -> Any:
    from tracker.model.project import load_project

    return load_project(BUGFARM)


@pytest.fixture
def lib(aws: Any, project: Any) -> Any:
    """The library's façade (tracker.app.Tracker) over the emulator, for the bugfarm project."""
    from tests.support.library import library

    return library(aws, project)


@pytest.fixture
def tracker(aws: Any, bugfarm_file: Path) -> Any:
    """The CLI, in-process, on a copy of the bugfarm manifest (tests/support/cli.py)."""
    from tests.support.cli import Cli

    return Cli(bugfarm_file)


def write_project(path: Path, document: Any) -> Path:
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


IMAGE = "localhost/release-tracker-test"


def podman(*args: str) -> str:
    import subprocess

    done = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture(scope="session")
def image() -> Iterator[dict[str, Any]]:
    """`make image` on the offline base, once per session (the container tests and the benchmark's
    smoke run measure the same image); its configuration. Removed afterwards."""
    import subprocess
    import tomllib

    from tests.support import base_image

    base = base_image.ensure()
    env = {**os.environ, "BASE_IMAGE": base, "IMAGE_NAME": IMAGE}
    done = subprocess.run(["make", "image"], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    config = json.loads(podman("image", "inspect", f"{IMAGE}:latest"))[0]
    yield config
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    subprocess.run(["podman", "rmi", "--force", f"{IMAGE}:latest", f"{IMAGE}:{version}"], check=False)
