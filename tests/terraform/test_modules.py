"""The real terraform binary against a moto server: modules, roots and make's promote path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEPLOYMENTS, RELEASES, REPO, reset_moto
from tests.support.tables import create_tables

pytestmark = pytest.mark.terraform

RFC_IMAGES = {
    "hatching": "http://example.com/images/hatching/00001",
    "feeding": "http://example.com/images/feeding/00001",
}
ROOTS = [
    "terraform/store",
    "terraform/environments/stage",
    "terraform/environments/prod",
    "modules/deployed-images/examples/basic",
]


def tf_env() -> dict[str, str]:
    config = REPO / ".terraformrc"
    if not config.is_file() and "TRACKER_TEST_ONLINE" not in os.environ:
        pytest.fail(f"{config} is missing: run `make setup` (it writes the offline Terraform config)")
    env = dict(os.environ)
    if config.is_file():
        env["TF_CLI_CONFIG_FILE"] = str(config)
    env.update(TF_IN_AUTOMATION="1", TF_VAR_python=sys.executable, TF_VAR_local_emulator="true")
    env.pop("TF_WORKSPACE", None)
    return env


def terraform(
    root: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["terraform", f"-chdir={root}", *args, "-no-color"],
        capture_output=True,
        text=True,
        env=env or tf_env(),
        timeout=300,
    )
    if check:
        assert result.returncode == 0, f"terraform {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def tf_vars(variables: dict[str, str]) -> list[str]:
    return [f"-var={name}={value}" for name, value in variables.items()]


def apply(root: Path, check: bool = True, **variables: str) -> subprocess.CompletedProcess[str]:
    return terraform(root, "apply", "-auto-approve", "-input=false", *tf_vars(variables), check=check)


def plan(root: Path, *flags: str, check: bool = True, **variables: str) -> subprocess.CompletedProcess[str]:
    return terraform(root, "plan", "-input=false", *flags, *tf_vars(variables), check=check)


@pytest.fixture(scope="session")
def tf_tree(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str) -> Path:
    """A copy of the repository's Terraform code, each root initialised once per session."""
    tree = tmp_path_factory.mktemp("tf")
    for part in ("terraform", "modules", "scripts", "examples"):
        shutil.copytree(
            REPO / part,
            tree / part,
            ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "terraform.tfstate.d"),
        )
    for root in ROOTS:
        result = subprocess.run(
            ["terraform", f"-chdir={tree / root}", "init", "-input=false", "-no-color"],
            capture_output=True,
            text=True,
            env=tf_env(),
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return tree


@pytest.fixture
def tf(tf_tree: Path, moto_endpoint: str) -> Path:
    """A clean emulator and no Terraform state: every test starts from nothing."""
    reset_moto(moto_endpoint)
    for root in ROOTS:
        for state in (tf_tree / root).glob("terraform.tfstate*"):
            state.unlink()
    return tf_tree


def clients() -> Any:
    from tracker.stores.clients import Clients

    return Clients()


def seed_release(aws: Any) -> str:
    """Publish the RFC's images and create a release through the library; returns its id."""
    from tracker.model.project import load_project
    from tracker.stores.parameters import ParameterStore
    from tracker.stores.tracking import TrackingStore
    from tracker.workflows.releases import create_release, person, publish_image

    project = load_project(REPO / "examples/bugfarm/.wellcome_project")
    parameters = ParameterStore(aws)
    for service, image in RFC_IMAGES.items():
        publish_image(project, parameters, service, image, user_id="dev_dave")
    created = create_release(
        project,
        TrackingStore(aws, RELEASES, DEPLOYMENTS),
        parameters,
        requested_by=person("dev_dave", "Dave Dollop"),
        description="Some stuff wot I did.",
    )
    return created.release.release_id


def deploy_other_release(aws: Any, environment: str) -> str:
    """Publish other images, release and deploy them with the library (outside Terraform)."""
    from tracker.model.project import load_project
    from tracker.stores.parameters import ParameterStore
    from tracker.stores.tracking import TrackingStore
    from tracker.workflows.deployments import deploy
    from tracker.workflows.releases import create_release, person, publish_image

    project = load_project(REPO / "examples/bugfarm/.wellcome_project")
    releases, parameters = TrackingStore(aws, RELEASES, DEPLOYMENTS), ParameterStore(aws)
    for service in project.service_ids:
        publish_image(project, parameters, service, f"registry.example/{service}:other", user_id="ci")
    release = create_release(project, releases, parameters, requested_by=person("ci")).release
    deploy(project, releases, parameters, release.release_id, environment, requested_by=person("cli-user"))
    return release.release_id


def release_item(aws: Any, release_id: str) -> dict[str, Any]:
    from tracker.stores.tracking import TrackingStore

    release = TrackingStore(aws, RELEASES, DEPLOYMENTS).get_release(release_id)
    assert release is not None
    return release.as_row()


def deployment_params(aws: Any) -> dict[str, str]:
    params = aws.ssm.get_parameters_by_path(Path="/bugfarm_73649/deployments", Recursive=True)
    return {p["Name"]: p["Value"] for p in params["Parameters"]}


def deployment_rows(aws: Any) -> list[tuple[str, str, str]]:
    items = aws.dynamodb.scan(TableName=DEPLOYMENTS)["Items"]
    return sorted((i["project_id"]["S"], i["environment_id"]["S"], i["release_id"]["S"]) for i in items)


def test_store_root_creates_exactly_the_rfc_tables(tf: Path) -> None:
    apply(tf / "terraform/store")
    aws = clients()
    actual = {t: aws.dynamodb.describe_table(TableName=t)["Table"] for t in (RELEASES, DEPLOYMENTS)}

    # The same definitions the Python tests create: the two must never drift apart.
    reset_moto(os.environ["AWS_ENDPOINT_URL"])
    create_tables(aws.dynamodb, RELEASES, DEPLOYMENTS)
    expected = {t: aws.dynamodb.describe_table(TableName=t)["Table"] for t in (RELEASES, DEPLOYMENTS)}

    def shape(table: dict[str, Any]) -> dict[str, Any]:
        return {
            "keys": table["KeySchema"],
            "attributes": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
            "gsis": sorted(
                (g["IndexName"], json.dumps(g["KeySchema"]), g["Projection"]["ProjectionType"])
                for g in table.get("GlobalSecondaryIndexes", [])
            ),
            "billing": table["BillingModeSummary"]["BillingMode"],
        }

    for name in (RELEASES, DEPLOYMENTS):
        assert shape(actual[name]) == shape(expected[name])
    assert shape(actual[RELEASES])["gsis"] == [
        (
            "latest_deployments",
            json.dumps(
                [
                    {"AttributeName": "project_id", "KeyType": "HASH"},
                    {"AttributeName": "deployed_at", "KeyType": "RANGE"},
                ]
            ),
            "ALL",
        ),
        (
            "latest_releases",
            json.dumps(
                [
                    {"AttributeName": "project_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ]
            ),
            "ALL",
        ),
    ]
    assert actual[RELEASES]["SSEDescription"]["Status"] == "ENABLED"
    assert actual[RELEASES]["DeletionProtectionEnabled"] is True


def test_stage_then_prod_reproduce_the_rfc_example(tf: Path) -> None:
    apply(tf / "terraform/store")
    aws = clients()
    release_id = seed_release(aws)
    stage, prod = tf / "terraform/environments/stage", tf / "terraform/environments/prod"

    planned = plan(stage, release_id=release_id)
    assert f'+ release_id = "{release_id}"' in planned.stdout
    assert 'hatching = "(none) -> http://example.com/images/hatching/00001"' in planned.stdout

    apply(
        stage,
        release_id=release_id,
        requested_by="ops_ophelia",
        requested_by_name="Ophelia Oppenheimer",
        description="Some stuff wot dave did for testing.",
    )
    promote = subprocess.run(
        [
            sys.executable,
            str(tf / "scripts/terraform_deploy.py"),
            "--project-file",
            str(tf / "examples/bugfarm/.wellcome_project"),
            "--requested-by",
            "ops_ophelia",
            "--requested-by-name",
            "Ophelia Oppenheimer",
            "--description",
            "Some stuff wot dave did for releasing.",
            "promote",
            "stage",
            "prod",
        ],
        capture_output=True,
        text=True,
        env=tf_env(),
        timeout=300,
        cwd=tf,
    )
    assert promote.returncode == 0, promote.stdout + promote.stderr
    assert f"prod now runs release {release_id}" in promote.stdout

    row = release_item(aws, release_id)
    assert row["project_id"] == "bugfarm_73649" and row["deployed_at"] >= row["created_at"]
    manifest = row["release_manifest"]
    assert manifest["images"] == RFC_IMAGES
    assert [(d["environment"], d["requested_by"], d["description"]) for d in manifest["deployments"]] == [
        (
            {"id": "stage", "name": "Simon's staging sideshow!"},
            {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"},
            "Some stuff wot dave did for testing.",
        ),
        (
            {"id": "prod", "name": "Peters prod palace!"},
            {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"},
            "Some stuff wot dave did for releasing.",
        ),
    ]
    assert deployment_rows(aws) == [
        ("bugfarm_73649", "prod", release_id),
        ("bugfarm_73649", "stage", release_id),
    ]
    assert deployment_params(aws) == {
        f"/bugfarm_73649/deployments/{env}/{svc}": uri
        for env in ("stage", "prod")
        for svc, uri in RFC_IMAGES.items()
    }

    # Applying the same release again: no changes planned, nothing recorded.
    again = plan(stage, "-detailed-exitcode", check=False, release_id=release_id, requested_by="ops_ophelia")
    assert again.returncode == 0, again.stdout + again.stderr
    apply(stage, release_id=release_id, requested_by="ops_ophelia")
    assert len(release_item(aws, release_id)["release_manifest"]["deployments"]) == 2

    # A stack that only reads: the deployed-images module.
    reader = tf / "modules/deployed-images/examples/basic"
    apply(reader)
    images = json.loads(terraform(reader, "output", "-json", "images").stdout)
    assert images == RFC_IMAGES

    # destroy never deletes tracking history.
    before = (release_item(aws, release_id), deployment_rows(aws), deployment_params(aws))
    terraform(prod, "destroy", "-auto-approve", "-input=false", *tf_vars({"release_id": release_id}))
    assert (release_item(aws, release_id), deployment_rows(aws), deployment_params(aws)) == before


def faulty_python(tmp_path: Path) -> str:
    launcher = tmp_path / "faulty-python"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{REPO / "tests/faulty_python.py"}" "$@"\n')
    launcher.chmod(0o755)
    return str(launcher)


def test_failed_recorder_fails_the_apply_and_the_rerun_converges_once(tf: Path, tmp_path: Path) -> None:
    apply(tf / "terraform/store")
    aws = clients()
    release_id = seed_release(aws)
    stage = tf / "terraform/environments/stage"

    failed = apply(
        stage, check=False, release_id=release_id, python=faulty_python(tmp_path), requested_by="ops"
    )
    assert failed.returncode != 0
    assert "injected fault: SSM PutParameter failed" in failed.stdout + failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    # The transaction went through, SSM did not: verify sees the drift.
    assert deployment_rows(aws) == [("bugfarm_73649", "stage", release_id)]
    assert deployment_params(aws) == {}
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracker",
            "--project-file",
            str(REPO / "examples/bugfarm/.wellcome_project"),
            "verify",
            "stage",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 1
    assert "stage/hatching: SSM has no parameter" in verify.stdout

    apply(stage, release_id=release_id, requested_by="ops")
    deployments = release_item(aws, release_id)["release_manifest"]["deployments"]
    assert [d["environment"]["id"] for d in deployments] == ["stage"]
    assert deployment_params(aws) == {
        f"/bugfarm_73649/deployments/stage/{s}": u for s, u in RFC_IMAGES.items()
    }

    # Something else is deployed to stage outside Terraform (a CLI rollback, say):
    # re-applying the same release_id must deploy it again, not plan "no changes".
    other = deploy_other_release(aws, "stage")
    replanned = plan(stage, "-detailed-exitcode", check=False, release_id=release_id, requested_by="ops")
    assert replanned.returncode == 2, replanned.stdout + replanned.stderr
    apply(stage, release_id=release_id, requested_by="ops")
    assert deployment_rows(aws) == [("bugfarm_73649", "stage", release_id)]
    deployments = release_item(aws, release_id)["release_manifest"]["deployments"]
    assert [d["environment"]["id"] for d in deployments] == ["stage", "stage"]
    assert other != release_id
    settled = plan(stage, "-detailed-exitcode", check=False, release_id=release_id, requested_by="ops")
    assert settled.returncode == 0, settled.stdout


def test_unknown_release_fails_the_plan_cleanly_and_writes_nothing(tf: Path) -> None:
    apply(tf / "terraform/store")
    aws = clients()
    seed_release(aws)
    stage = tf / "terraform/environments/stage"
    for bad, message in [
        ("0000-nope", "release '0000-nope' not found"),
        ("../etc", "release id '../etc' is not SSM-path-safe"),
    ]:
        result = apply(stage, check=False, release_id=bad)
        assert result.returncode != 0
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    assert deployment_rows(aws) == []
    assert deployment_params(aws) == {}


INJECTION = (
    'it\'s "quoted" $(touch {canary}) `touch {canary}` ${{var.x}} %{{if true}}x%{{endif}}\nline2 ünïcødé ☃'
)


def test_hostile_text_passes_through_terraform_verbatim(tf: Path, tmp_path: Path) -> None:
    apply(tf / "terraform/store")
    aws = clients()
    release_id = seed_release(aws)
    canary = tmp_path / "canary"
    text = INJECTION.format(canary=canary)
    var_file = tmp_path / "hostile.tfvars.json"
    var_file.write_text(
        json.dumps(
            {
                "release_id": release_id,
                "description": text,
                "requested_by": "o'brien $(id)",
                "requested_by_name": text[:200],
            }
        )
    )
    terraform(
        tf / "terraform/environments/stage", "apply", "-auto-approve", "-input=false", f"-var-file={var_file}"
    )
    entry = release_item(aws, release_id)["release_manifest"]["deployments"][0]
    assert entry["description"] == text
    assert entry["requested_by"] == {"id": "o'brien $(id)", "name": text[:200]}
    assert not canary.exists()
