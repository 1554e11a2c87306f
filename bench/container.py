"""Section 7: the container image, its size and the start-up time of `tracker --help` inside it.

Built as `make image` builds it (scripts/build-image.sh) on the offline Debian
base of tests/support/base_image.py, or on ``BENCH_BASE_IMAGE``. podman cannot
start containers on this kind of machine, so the entrypoint runs in the
container's mounted filesystem under chroot (as tests/container does): the
same files and interpreter as `docker run`, without the engine's own start-up
(namespaces, cgroups), which this figure therefore leaves out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, command, interleaved, log
from tests.support import base_image

IMAGE = "localhost/release-tracker-bench"


def _podman(*args: str) -> str:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True).stdout.strip()


def _size(image: str) -> int:
    return int(json.loads(_podman("image", "inspect", image))[0]["Size"])


def build(base: str) -> float:
    """Seconds to build the image (wheels included), as `make image` does."""
    env = {**os.environ, "PY": sys.executable, "BASE_IMAGE": base, "IMAGE_NAME": IMAGE}
    start = time.perf_counter()
    subprocess.run(["bash", "scripts/build-image.sh"], cwd=REPO, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def run(bin_dir: Path, runs: int, built: str | None = None) -> dict[str, Any]:
    """Build the image (or measure ``built``, an image `make image` already built) and time it."""
    base = os.environ.get("BENCH_BASE_IMAGE") or base_image.ensure()
    log(f"container image on {base}")
    name = built or f"{IMAGE}:latest"
    build_s = None if built else build(base)
    version = json.loads(_podman("image", "inspect", name))[0]["Config"]["Labels"][
        "org.opencontainers.image.version"
    ]
    container = _podman("create", name)
    try:
        root = _podman("mount", container)
        inside = ["chroot", "--userspec=10001:10001", root, "/opt/tracker/bin/tracker", "--help"]
        figures = interleaved(
            {
                "tracker --help (in the image)": command(inside, expect="Usage"),
                "tracker --help (installed wheel, host)": command(
                    [str(bin_dir / "tracker"), "--help"], expect="Usage"
                ),
            },
            runs,
        )
    finally:
        subprocess.run(["podman", "umount", container], capture_output=True, check=False)
        subprocess.run(["podman", "rm", "--force", container], capture_output=True, check=False)
    result = {
        "base_image": base,
        "image_bytes": _size(name),
        "base_bytes": _size(base),
        "build_s": build_s,
        "runs": runs,
        "startup": figures,
    }
    if not built:  # an image given is its builder's to remove
        subprocess.run(
            ["podman", "rmi", "--force", f"{IMAGE}:latest", f"{IMAGE}:{version}"],
            capture_output=True,
            check=False,
        )
    return result
