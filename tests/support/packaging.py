"""The package as users get it: a wheel built from the checkout's files, installed in a fresh virtualenv.

Used by the tests of a team's own stack and by the benchmarks (an installed
package carries compiled bytecode; the editable checkout may not, e.g. under
PYTHONDONTWRITEBYTECODE). Builds run in a copy: setuptools writes build/ and
*.egg-info next to the sources.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(*argv: str, cwd: Path | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_wheel(workdir: Path) -> Path:
    """The wheel of the checkout as it is (committed or not), built in ``workdir``."""
    source, dist = workdir / "source", workdir / "dist"
    for name in _run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=REPO).splitlines():
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(dist),
        str(source),
    )
    (wheel,) = dist.glob("release_tracker-*.whl")
    return wheel


def install(wheel: Path, home: Path) -> Path:
    """A fresh virtualenv at ``home`` with only the wheel and its dependencies; returns its bin directory."""
    _run(sys.executable, "-m", "venv", str(home))
    _run(str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel))
    return home / "bin"
