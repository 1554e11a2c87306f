"""Sections 4 and 6: `terraform plan` of roots using the module, and `make deploy`, against baselines.

Section 4 plans two root shapes, each against the same root with a no-op
program in place of the tracker (it prints exactly what the tracker printed,
so both plan the same thing): this repository's environment root, and a team's
stack (the README's example: the AWS provider, the module and an ECS task
definition). Section 6 runs `make plan` and `make deploy` against a bare
`terraform plan` and `terraform apply` of the same root, state and variables.
Everything runs in copies under the benchmark's temporary directory, with the
installed package on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import BUGFARM, REPO, interleaved, log

PLAN_TARGET = 1.08
DEPLOY_TARGET = 1.10
_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", ".tracker-state")
EMULATOR_PROVIDER = """provider "aws" {
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""


def tf_env(bin_dir: Path, data_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    config = REPO / ".terraformrc"
    if config.is_file():  # offline provider mirror + external stand-in (`make setup`)
        env["TF_CLI_CONFIG_FILE"] = str(config)
    env.update(
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",  # no version check against checkpoint.hashicorp.com: offline it stalls
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    if data_dir is not None:
        env["TF_DATA_DIR"] = str(data_dir)
    return env


def terraform(root: Path, env: dict[str, str], *args: str) -> str:
    """Run terraform in ``root``; its stdout, or RuntimeError with everything it printed."""
    done = subprocess.run(
        ["terraform", f"-chdir={root}", *args, "-input=false", "-no-color"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"terraform {args[0]} in {root} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def noop_command(bin_dir: Path, release_id: str, environment: str) -> list[str]:
    """A program printing what the tracker prints for this query, without doing any of its work."""
    query = json.dumps({"project_file": str(BUGFARM), "environment": environment, "release_id": release_id})
    answer = subprocess.run(
        [str(bin_dir / "tracker"), "terraform", "resolve"],
        input=query,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [sys.executable, "-S", "-c", f"import sys; sys.stdout.write({answer!r})"]


def _readme_stack(dest: Path, module: Path) -> Path:
    """The README's "Use it in your own stack" example, its module source pointed at ``module``."""
    section = (REPO / "README.md").read_text().split("## Use it in your own stack", 1)[1].split("\n## ", 1)[0]
    example = re.search(r"```hcl\n(.*?)```", section, re.S)
    if example is None:
        raise RuntimeError("the README's 'Use it in your own stack' section has no hcl block")
    dest.mkdir(parents=True)
    (dest / "main.tf").write_text(re.sub(r'source = "git::[^"]+"', f'source = "{module}"', example.group(1)))
    (dest / "emulator_override.tf").write_text(EMULATOR_PROVIDER)
    # The README's s3 backend as a local one here (an override file replaces the backend).
    (dest / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    shutil.copy(BUGFARM, dest / ".wellcome_project")
    return dest


def plan_roots(workdir: Path, bin_dir: Path, release_id: str) -> dict[str, Callable[[], Any]]:
    """name -> a function planning it once; each root copied and initialised first."""
    tree = workdir / "tree"
    for part in ("terraform", "modules"):
        shutil.copytree(REPO / part, tree / part, ignore=_IGNORE)
    module = tree / "modules" / "release-deployment"
    plans: dict[str, Callable[[], Any]] = {}
    for variant in ("tracker", "no-op"):
        root = tree / "terraform" / "environment"
        env = tf_env(bin_dir, workdir / f"data-environment-{variant}")
        terraform(root, env, "init", f"-backend-config=path={workdir / f'environment-{variant}.tfstate'}")
        tracker = ["tracker"] if variant == "tracker" else noop_command(bin_dir, release_id, "stage")
        variables = [
            f"-var=project_file={BUGFARM}",
            "-var=environment=stage",
            f"-var=release_id={release_id}",
        ]
        variables.append(f"-var=tracker_command={json.dumps(tracker)}")
        plans[f"environment root, {variant}"] = partial(
            terraform, root, env, "plan", "-lock=false", *variables
        )

        stack = _readme_stack(workdir / f"stack-{variant}", module)
        if variant == "no-op":
            command = json.dumps(noop_command(bin_dir, release_id, "prod"))
            (stack / "noop_override.tf").write_text(
                f'module "release" {{\n  tracker_command = {command}\n}}\n'
            )
        env = tf_env(bin_dir, workdir / f"data-stack-{variant}")
        terraform(stack, env, "init", f"-backend-config=path={workdir / f'stack-{variant}.tfstate'}")
        plans[f"team stack, {variant}"] = partial(
            terraform,
            stack,
            env,
            "plan",
            "-lock=false",
            "-var=environment=prod",
            f"-var=release_id={release_id}",
        )
    return plans


def run_plans(workdir: Path, bin_dir: Path, release_id: str, runs: int) -> dict[str, Any]:
    log("terraform init of the roots for section 4")
    figures = interleaved(plan_roots(workdir, bin_dir, release_id), runs)
    ratios = {
        shape: figures[f"{shape}, tracker"]["median_s"] / figures[f"{shape}, no-op"]["median_s"]
        for shape in ("environment root", "team stack")
    }
    return {
        "runs": runs,
        "release_id": release_id,
        "plans": figures,
        "ratios": ratios,
        "target_ratio": PLAN_TARGET,
        "met": ratios["environment root"] <= PLAN_TARGET,
        "offline_external_stand_in": (REPO / ".terraformrc").is_file(),
    }


def run_make(workdir: Path, bin_dir: Path, release_ids: list[str], runs: int) -> dict[str, Any]:
    """`make plan` and `make deploy` against a bare `terraform plan`/`apply` of the same root and state."""
    root = workdir / "deploy-tree" / "terraform" / "environment"
    for part in ("terraform", "modules"):
        shutil.copytree(REPO / part, root.parent.parent / part, ignore=_IGNORE)
    venv, state = bin_dir.parent, workdir / "deploy-state"
    (venv / ".setup-done").touch()  # the Makefile's set-up stamp: this venv is set up
    make_env = tf_env(bin_dir)
    make = ["make", "-s", "-C", str(REPO), "ENV=stage", f"VENV={venv}", f"ROOT={root}"]
    make += [f"STATE_DIR={state}", f"PROJECT_FILE={BUGFARM}"]
    bare_env = tf_env(bin_dir, state / "projects" / "bugfarm_73649" / "stage" / ".terraform")
    variables = [f"-var=project_file={BUGFARM}", "-var=environment=stage"]

    runners = {
        # Plans of a release the environment does not run: both plan the same change.
        "make plan": lambda: _checked([*make, "plan", f"RELEASE={release_ids[0]}"], make_env),
        "terraform plan": lambda: terraform(
            root, bare_env, "plan", *variables, f"-var=release_id={release_ids[0]}"
        ),
        # Deploys alternate the two releases: every run records a deployment.
        # WAIT=0: the same work as the bare apply (the ECS wait after it is measured in section 8).
        "make deploy": lambda: _checked([*make, "deploy", f"RELEASE={release_ids[0]}", "WAIT=0"], make_env),
        "terraform apply": lambda: terraform(
            root, bare_env, "apply", "-auto-approve", *variables, f"-var=release_id={release_ids[1]}"
        ),
    }
    log("make plan and deploy against terraform plan and apply")
    figures = interleaved(runners, runs)
    ratios = {
        "plan": figures["make plan"]["median_s"] / figures["terraform plan"]["median_s"],
        "deploy": figures["make deploy"]["median_s"] / figures["terraform apply"]["median_s"],
    }
    return {
        "runs": runs,
        "figures": figures,
        "ratios": ratios,
        "target_ratio": DEPLOY_TARGET,
        "met": all(r <= DEPLOY_TARGET for r in ratios.values()),
    }


def _checked(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
