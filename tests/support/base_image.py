"""Test and offline tooling: a Debian base image with Python 3.11, built without any container registry.

``make image`` takes ``BASE_IMAGE`` (an official slim Python image by
default). Where no registry can be reached (this workplace's machines and CI),
this builds a stand-in once: ``debootstrap --variant=minbase`` of Debian
bookworm with python3 and python3-venv (Python 3.11, as the default base),
trimmed of apt's caches and lists, documentation and locales the way slim
images are, then ``podman import``. podman keeps it in its own storage, so
later runs on the same machine reuse it (``podman image exists``).

    python -m tests.support.base_image [--name localhost/tracker-base:bookworm]

Needs root, podman and debootstrap (``make setup`` installs them) and access
to a Debian mirror (``DEBIAN_MIRROR``, default deb.debian.org).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAME = "localhost/tracker-base:bookworm"
SUITE = "bookworm"
PACKAGES = "python3,python3-venv"
TRIM = [
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
]


def exists(name: str = NAME) -> bool:
    return subprocess.run(["podman", "image", "exists", name], check=False).returncode == 0


def ensure(name: str = NAME) -> str:
    """The base image's name, built first if podman does not have it yet."""
    if exists(name):
        return name
    mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
    with tempfile.TemporaryDirectory(prefix="tracker-base-", dir="/var/tmp") as work:
        root = Path(work) / "root"
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(root), mirror],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for relative in TRIM:
            target = root / relative
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir()
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(
            ["podman", "import", "--quiet", "--change", "CMD=/bin/bash", "-", name],
            stdin=tar.stdout,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if tar.wait() != 0:
            raise RuntimeError("tar of the debootstrap tree failed")
    return name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default=NAME, help=f"image name (default {NAME})")
    args = parser.parse_args()
    print(ensure(args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
