"""Running the real terraform binary (and the tracker's own Terraform commands) in tests.

Everything happens in copies under a temporary directory: roots, lock files,
data directories and state. Nothing is written into the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TRACKER = str(VENV_BIN / "tracker")
_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", ".tracker-state")


def tf_env(plugin_cache: Path | None = None, **extra: str) -> dict[str, str]:
    """os.environ (the emulator's AWS settings) plus the offline CLI config and this venv on PATH."""
    config = REPO / ".terraformrc"
    if not config.is_file():
        raise AssertionError(
            f"{config} is missing: run `make setup` (it writes the offline Terraform config)"
        )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_LOG")}
    env.update(
        TF_CLI_CONFIG_FILE=str(config),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        TF_VAR_local_emulator="true",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if plugin_cache is not None:
        env["TF_PLUGIN_CACHE_DIR"] = str(plugin_cache)
    env.update(extra)
    return env


def copy_tree(dest: Path, parts: tuple[str, ...] = ("terraform", "modules")) -> Path:
    """Copies of the repository's Terraform folders under ``dest`` (relative layout kept)."""
    for part in parts:
        shutil.copytree(REPO / part, dest / part, ignore=_IGNORE)
    return dest


def terraform(
    root: Path, *args: str, env: dict[str, str], check: bool = True, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["terraform", f"-chdir={root}", *args, "-no-color"],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, f"terraform {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def tracker(
    *args: str, env: dict[str, str], check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed ``tracker`` command, as a user runs it."""
    result = subprocess.run([TRACKER, *args], capture_output=True, text=True, env=env, timeout=600, cwd=cwd)
    if check:
        assert result.returncode == 0, f"tracker {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def make(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """This repository's Makefile, run in place (its targets take ROOT= and STATE_DIR= copies)."""
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(REPO), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, f"make {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result
