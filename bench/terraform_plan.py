"""Section 4: `terraform plan` of the stage root against a baseline root, in a temporary copy.

The roots are copied (with modules/, scripts/ and examples/, keeping their
relative layout) and get their own TF_DATA_DIR, so nothing -- lock files,
providers, state -- is ever written into the repository's roots.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, log, summary, timed

TARGET_RATIO = 1.2
# name -> root (relative to the repository); the stage root is the one measured against the baseline.
ROOTS = {
    "baseline": "bench/baseline_root",
    "baseline + external": "bench/baseline_external_root",
    "stage": "terraform/environments/stage",
}
_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "terraform.tfstate.d")


def copy_tree(dest: Path, names: list[str]) -> dict[str, Path]:
    """The named roots, copied under ``dest`` with what they reference; returns name -> root."""
    for part in ("modules", "scripts", "examples", *(ROOTS[name] for name in names)):
        shutil.copytree(REPO / part, dest / part, ignore=_IGNORE)
    return {name: dest / ROOTS[name] for name in names}


def tf_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    config = REPO / ".terraformrc"
    if config.is_file():  # offline provider mirror + external stand-in (`make setup`)
        env["TF_CLI_CONFIG_FILE"] = str(config)
    env.update(
        TF_DATA_DIR=str(data_dir),
        TF_IN_AUTOMATION="1",
        TF_VAR_python=PYTHON,
        TF_VAR_local_emulator="true",
        # No version check against checkpoint.hashicorp.com: offline it would stall every run.
        CHECKPOINT_DISABLE="1",
    )
    env.pop("TF_WORKSPACE", None)
    return env


def terraform(root: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["terraform", f"-chdir={root}", *args, "-input=false", "-no-color"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"terraform {args[0]} in {root} failed:\n{done.stdout}\n{done.stderr}")


def run(workdir: Path, release_id: str, runs: int, diagnose: bool) -> dict[str, Any]:
    """Plan times of the baseline and stage roots (and, with ``diagnose``, baseline + external)."""
    names = list(ROOTS) if diagnose else ["baseline", "stage"]
    roots = copy_tree(workdir / "tf", names)
    plans: dict[str, Callable[[], None]] = {}
    for name, root in roots.items():
        env = tf_env(workdir / "tf-data" / name.replace(" ", "").replace("+", "-"))
        log(f"terraform init of the {name} root")
        terraform(root, env, "init")
        extra = [f"-var=release_id={release_id}"] if name == "stage" else []
        plans[name] = partial(terraform, root, env, "plan", "-lock=false", *extra)
    samples: dict[str, list[float]] = {name: [] for name in roots}
    for i in range(runs):
        log(f"terraform plan, round {i + 1} of {runs}")
        for name, plan in plans.items():  # interleaved: drift hits every root alike
            samples[name].append(timed(plan))
    figures = {name: summary(values) for name, values in samples.items()}
    base = figures["baseline"]["median_s"]
    for values in figures.values():
        values["ratio"] = values["median_s"] / base
    ratio = figures["stage"]["ratio"]
    return {
        "runs": runs,
        "release_id": release_id,
        "roots": {name: ROOTS[name] for name in names},
        "plans": figures,
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
        "offline_external_stand_in": (REPO / ".terraformrc").is_file(),
    }
