"""The container image: `make image` builds it offline, and its own entrypoint runs the RFC flow.

`make image` (podman here) builds on a Debian base made without any registry
(tests/support/base_image.py, cached in podman's storage between runs). podman
cannot start containers on this kind of machine (crun and the kernel's
cgroups), so the test does what `docker run` would do by hand: `podman create`
and `podman mount` give the container's filesystem, the manifest is put where
CI mounts the repository (/work), and the image's entrypoint runs there under
`chroot` as the image's user, sharing the host's network: the emulator on
127.0.0.1 is reachable. Everything it writes is read back with plain boto3.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, IMAGE, REGION, REPO
from tests.support import base_image
from tests.support.accounts import DEFAULT_ACCOUNT
from tests.support.ecr import push, uri

PROJECT = "bugfarm_73649"
SERVICES = ("hatching", "feeding")

pytestmark = pytest.mark.container


def podman(*args: str) -> str:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def package_version() -> str:
    import tomllib

    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])


@pytest.fixture
def container(image: dict[str, Any]) -> Iterator[Path]:
    """The root filesystem of a new container of the image (podman create + mount)."""
    name = podman("create", f"{IMAGE}:latest")
    try:
        yield Path(podman("mount", name))
    finally:
        subprocess.run(["podman", "umount", name], capture_output=True, check=False)
        subprocess.run(["podman", "rm", "--force", name], capture_output=True, check=False)


def run_entrypoint(image: dict[str, Any], root: Path, *args: str, code: int = 0) -> str:
    """What `docker run IMAGE ARGS` runs: the entrypoint in WORKDIR, as USER, with AWS_* passed (-e).

    Returns stdout; with a non-zero ``code``, stderr (which must be one line).
    """
    config = image["Config"]
    user = config["User"]
    workdir = config["WorkingDir"]
    passed = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    env = {
        **dict(item.split("=", 1) for item in config["Env"]),
        **passed,
        "HOME": "/home/tracker",
        "TRACKER_USER": "ci",
    }
    command = ["chroot", f"--userspec={user}", str(root), "/bin/sh", "-c", f'cd {workdir} && exec "$@"', "sh"]
    done = subprocess.run(
        [*command, *config["Entrypoint"], *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == code, done.stdout + done.stderr
    if code:
        assert done.stderr.count("\n") == 1, done.stderr
        return done.stderr
    return done.stdout


def test_the_image_is_labelled_small_and_runs_as_its_own_user(image: dict[str, Any], container: Path) -> None:
    labels = image["Config"]["Labels"]
    base = json.loads(podman("image", "inspect", base_image.NAME))[0]
    # The tracker adds a virtualenv (about 40 MB, mostly botocore) to its base, nothing more.
    assert 0 < image["Size"] - base["Size"] < 80_000_000, (image["Size"], base["Size"])
    assert labels["org.opencontainers.image.version"] == package_version()
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["org.opencontainers.image.source"].startswith("https://")
    assert image["Config"]["Entrypoint"] == ["/opt/tracker/bin/tracker"]
    assert image["Config"]["User"] == "10001:10001"
    assert "tracker" in (container / "etc/passwd").read_text()
    tags = podman("image", "list", "--format", "{{.Tag}}", IMAGE).split()
    assert sorted(tags) == sorted(["latest", package_version()])
    # No compilers, no pip, no wheels, no caches in the final image.
    for absent in ["usr/bin/gcc", "usr/bin/cc", "opt/tracker/bin/pip", "wheels", "root/.cache/pip"]:
        assert not (container / absent).exists(), absent
    assert not list((container / "opt/tracker/lib").glob("python3*/site-packages/pip"))
    help_text = run_entrypoint(image, container, "--help")
    assert "Track releases and deployments" in help_text
    assert package_version() in run_entrypoint(image, container, "--version")


def test_the_rfc_flow_runs_through_the_images_entrypoint(
    image: dict[str, Any], container: Path, aws: Any
) -> None:
    """Publish, release, deploy, promote: the image against the emulator, ECR tags pinned."""
    work = container / "work"
    shutil.copy(BUGFARM, work / ".wellcome_project")  # what `-v "$PWD:/work"` gives the container
    ecr = boto3.client("ecr", region_name=REGION)
    digests = {s: push(ecr, s, "v1", f"{s}-container") for s in SERVICES}
    for service in SERVICES:
        run_entrypoint(image, container, "publish", service, uri(DEFAULT_ACCOUNT, REGION, service, "v1"))
    release_id = run_entrypoint(
        image, container, "release", "create", "--quiet", "-d", "from the image"
    ).strip()
    run_entrypoint(image, container, "deploy", release_id, "stage")
    run_entrypoint(image, container, "promote", "stage", "prod")
    status = json.loads(run_entrypoint(image, container, "status", "--output", "json"))
    pinned = {s: f"{uri(DEFAULT_ACCOUNT, REGION, s, 'v1')}@{digests[s]}" for s in SERVICES}
    assert (status["prod"]["release_id"], status["prod"]["images"]) == (release_id, pinned)
    assert status["prod"]["freeze"] is None
    # Read back without the tracker: SSM for prod, and the deployments table's rows.
    ssm = boto3.client("ssm", region_name=REGION)
    for service in SERVICES:
        name = f"/{PROJECT}/deployments/prod/{service}"
        assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == pinned[service]
    rows = boto3.client("dynamodb", region_name=REGION).scan(TableName=DEPLOYMENTS)["Items"]
    assert {r["environment_id"]["S"]: r["release_id"]["S"] for r in rows} == {
        "stage": release_id,
        "prod": release_id,
    }
    # A tag CI never pushed: refused inside the image too, one line, nothing written.
    missing = run_entrypoint(
        image, container, "publish", "hatching", uri(DEFAULT_ACCOUNT, REGION, "hatching", "v2"), code=1
    )
    assert "tag 'v2' is not in ECR repository 'hatching'" in missing
    assert ssm.get_parameter(Name=f"/{PROJECT}/images/latest/hatching")["Parameter"]["Value"].endswith(":v1")
