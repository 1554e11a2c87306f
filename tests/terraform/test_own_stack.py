"""A team's own stack: the package installed from a wheel in a fresh virtualenv, the module copied
alone, and the README's "Use it in your own stack" example applied exactly as written (its module
source pointed at that copy, its AWS provider at the emulator).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUGFARM, REGION, reset_moto
from tests.support.accounts import DEFAULT_ACCOUNT
from tests.support.ecr import push, uri
from tests.support.rollouts import realistic_ecs_services
from tests.support.tables import create_tables
from tests.support.terraform import REPO, terraform, tf_env

pytestmark = pytest.mark.terraform

EMULATOR_OVERRIDE = """
# Test only: the README's `provider "aws" {}` pointed at the emulator (AWS_ENDPOINT_URL).
provider "aws" {
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""


def run(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_ships_the_package_and_nothing_of_the_repository(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "tracker/model/schemas/common.schema.json" in names
    assert "tracker/model/schemas/project_manifest.schema.json" in names
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "bench/", "modules/", "terraform/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tracker = tracker.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_command_works_far_from_the_repository(
    venv: Path, aws: Any, tmp_path: Path, bugfarm_file: Path
) -> None:
    env = {**os.environ, "TRACKER_USER": "ci", "TRACKER_PROJECT_FILE": str(bugfarm_file)}
    tracker = str(venv / "tracker")
    assert "Usage: tracker" in run(tracker, "--help", cwd=tmp_path, env=env)
    for service in ("hatching", "feeding"):
        run(tracker, "publish", service, f"registry.example/{service}:1", cwd=tmp_path, env=env)
    release_id = run(tracker, "release", "create", "--quiet", cwd=tmp_path, env=env).strip()
    run(tracker, "deploy", "latest", "stage", cwd=tmp_path, env=env)
    status = json.loads(run(tracker, "status", "-o", "json", cwd=tmp_path, env=env))
    assert status["stage"]["release_id"] == release_id
    query = json.dumps({"project_file": str(bugfarm_file), "environment": "stage"})
    done = subprocess.run(
        [tracker, "terraform", "resolve"], input=query, capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["release_id"] == release_id


def readme_example() -> str:
    """The HCL block of the README's "Use it in your own stack" section."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Use it in your own stack", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```hcl\n(.*?)```", section, re.S)
    assert match, "the README's 'Use it in your own stack' section has no hcl block"
    return match.group(1)


def test_the_readme_example_stack_deploys_every_environment_with_the_module_copied_alone(
    venv: Path, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prod: applied by hand, its ECS services roll out and the apply ends with the verdict (verified);
    stage: driven by the installed tracker, its rollout fails (the circuit breaker), so the apply
    fails and the deployment is recorded as failed, never as running."""
    from tests.support.library import library, release
    from tracker.model.project import load_project
    from tracker.model.requests import PublishRequest
    from tracker.stores.clients import Clients

    reset_moto(moto_endpoint)
    # The emulator (in this process) reports each new ECS service's rollout as ECS would at its end.
    rollouts = realistic_ecs_services(monkeypatch)
    clients = Clients()
    create_tables(clients.dynamodb, "tracker-releases", "tracker-deployments")
    for environment in ("prod", "stage"):
        clients.get("ecs").create_cluster(clusterName=f"bugfarm-{environment}")
    tracker = library(clients, load_project(BUGFARM))
    # The images are in ECR under a mutable tag: the release pins them, so the stack runs a digest.
    ecr = clients.get("ecr", REGION)
    digests = {s: push(ecr, s, "v7", f"{s}-7") for s in tracker.project.service_ids}
    for service in tracker.project.service_ids:
        image = uri(DEFAULT_ACCOUNT, REGION, service, "v7")
        tracker.publish(PublishRequest(service_id=service, image_uri=image, user_id="ci"))
    release_id = release(tracker).release_id

    vendored = tmp_path / "vendor" / "release-deployment"  # the module's folder, alone
    shutil.copytree(REPO / "modules" / "release-deployment", vendored)
    stack = tmp_path / "stack"
    stack.mkdir()
    example = readme_example()
    source = re.search(r'source = "(git::[^"]+)"', example)
    assert source and "//modules/release-deployment?ref=" in source.group(1)
    assert 'backend "s3"' in example and 'variable "environment"' in example
    (stack / "main.tf").write_text(example.replace(source.group(1), str(vendored)))
    (stack / "emulator_override.tf").write_text(EMULATOR_OVERRIDE)
    # Test only: the README's s3 backend as a local one (an override file replaces the backend).
    (stack / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    shutil.copy(BUGFARM, stack / ".wellcome_project")

    # Only the fresh virtualenv's `tracker` is on PATH (besides terraform itself).
    path = os.pathsep.join(
        [str(venv), str(Path(shutil.which("terraform") or "terraform").parent), "/usr/bin", "/bin"]
    )
    (tmp_path / "plugins").mkdir()
    env = tf_env(tmp_path / "plugins", PATH=path, TRACKER_USER="ops", TF_DATA_DIR=str(tmp_path / "data"))
    terraform(
        stack, "init", "-input=false", "-backend-config=path=" + str(tmp_path / "prod.tfstate"), env=env
    )

    # A new environment, no release given: one line saying to give one (not an invalid index).
    empty = terraform(stack, "plan", "-input=false", "-var=environment=prod", env=env, check=False)
    words = " ".join((empty.stdout + empty.stderr).split())
    assert empty.returncode != 0 and "Invalid index" not in words
    assert "nothing is deployed to environment 'prod' of project 'bugfarm_73649' yet" in words
    assert "(give a release: -var release_id=latest" in words

    by_hand = ["-input=false", "-var=environment=prod", "-var=release_id=latest"]
    planned = terraform(stack, "plan", *by_hand, env=env).stdout
    short = f"{uri(DEFAULT_ACCOUNT, REGION, 'hatching', 'v7')} (sha256:{digests['hatching'][7:19]})"
    assert f'hatching = "(none) -> {short}"' in planned  # the plan shows the tag and a short digest
    applied = terraform(stack, "apply", "-auto-approve", *by_hand, env=env).stdout
    assert f"verified: release {release_id} in prod" in applied
    family = clients.get("ecs").describe_task_definition(taskDefinition="hatching-prod")["taskDefinition"]
    pinned = f"{uri(DEFAULT_ACCOUNT, REGION, 'hatching', 'v7')}@{digests['hatching']}"
    assert family["containerDefinitions"][0]["image"] == pinned
    row = tracker.store.environments.row("bugfarm_73649", "prod")
    assert row is not None and row.release_id == release_id and row.outcome.status == "verified"
    again = terraform(stack, "plan", "-detailed-exitcode", *by_hand, env=env, check=False)
    assert again.returncode == 0, again.stdout + again.stderr

    # The same root, driven by the installed tracker for another environment, with its own state.
    state = tmp_path / "tracker-state"
    drive = {**env, "TF_DATA_DIR": ""}
    rollouts.rollout = "failed"
    failed = subprocess.run(
        [str(venv / "tracker"), "terraform", "deploy", "latest", "stage", "--root", str(stack),
         "--state-dir", str(state)], capture_output=True, text=True, cwd=stack, env=drive, timeout=600,
    )  # fmt: skip
    words = " ".join((failed.stdout + failed.stderr).split())
    assert failed.returncode != 0, words
    assert (
        "hatching @ bugfarm-stage/hatching-stage: rollout failed (0/2 tasks): ECS deployment circuit breaker"
        in words
    )
    row = tracker.store.environments.row("bugfarm_73649", "stage")
    assert row is not None and row.outcome.status == "failed"  # recorded, and known not to run
    assert (state / "projects" / "bugfarm_73649" / "stage" / "terraform.tfstate").is_file()
    status = run(str(venv / "tracker"), "status", cwd=stack, env=drive)
    assert "\n  FAILED " in status.split("\nstage: ", 1)[1].split("\nprod: ", 1)[0]
