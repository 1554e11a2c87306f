"""`tracker init`: a manifest written by script, from flags or from what CI already published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import reset_moto
from tests.support.accounts import account_session
from tests.support.cli import Cli, Outcome
from tracker.model.project import load_projects

IMAGE = "registry.example/app:v1"


def init(path: Path, *args: str, code: int = 0) -> Outcome:
    return Cli(path, user="t")("init", *args, code=code)


@pytest.fixture
def emulator(moto_endpoint: str) -> None:
    reset_moto(moto_endpoint)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_init_from_flags_writes_a_manifest_that_passes_the_schema(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ".wellcome_project"
    done = init(
        path,
        "--project-id",
        "shop",
        "--name",
        "Online Shop",
        "--service",
        "web=Website",
        "--service",
        "worker",
        "--environment",
        "stage",
        "--environment",
        "prod=Production",
        "--role-arn",
        "arn:aws:iam::111122223333:role/shop-ci",
        "--account-id",
        "111122223333",
        "--aws-region-name",
        "eu-west-2",
        "--format",
        fmt,
    )
    assert (
        done.stdout
        == f"wrote {path} ({fmt}): project shop with services web, worker; environments stage, prod\n"
    )
    found = load_projects(path)
    assert found.format == fmt
    project = found.select()
    assert project.name == "Online Shop"
    assert project.services == {"web": "Website", "worker": "worker"}
    assert project.environments == {"stage": "stage", "prod": "Production"}
    assert (project.role_arn, project.account_id, project.region) == (
        "arn:aws:iam::111122223333:role/shop-ci",
        "111122223333",
        "eu-west-2",
    )
    if fmt == "json":
        assert json.loads(path.read_text())["project"]["id"] == "shop"


def test_init_discovers_what_ci_published(emulator: None, tmp_path: Path) -> None:
    ssm = account_session("123456789012", "eu-west-1").client("ssm")
    for service in ("web", "worker", "cron"):
        ssm.put_parameter(Name=f"/shop/images/latest/{service}", Value=IMAGE, Type="String")
    ssm.put_parameter(Name="/shop/images/stable/only-stable", Value=IMAGE, Type="String")
    ssm.put_parameter(Name="/shop/images/latest/deeper/nested", Value=IMAGE, Type="String")
    path = tmp_path / "m.yaml"
    init(path, "--project-id", "shop", "--discover", "--service", "web=Website", "--format", "yaml")
    project = load_projects(path).select()
    assert project.services == {"web": "Website", "cron": "cron", "worker": "worker"}
    stable = tmp_path / "stable.json"
    init(stable, "--project-id", "shop", "--discover", "--label", "stable")
    assert load_projects(stable).select().services == {"only-stable": "only-stable"}


def test_discovery_runs_as_the_role_in_its_account(emulator: None, tmp_path: Path) -> None:
    ssm = account_session("111122223333", "eu-west-2").client("ssm")
    ssm.put_parameter(Name="/shop/images/latest/web", Value=IMAGE, Type="String")
    path = tmp_path / "m.json"
    role = ("--role-arn", "arn:aws:iam::111122223333:role/shop-ci", "--aws-region-name", "eu-west-2")
    init(path, "--project-id", "shop", "--discover", *role)
    assert load_projects(path).select().services == {"web": "web"}


def test_nothing_to_discover_writes_nothing(emulator: None, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    failed = init(path, "--project-id", "shop", "--discover", code=1)
    assert failed.stderr == (
        "tracker: error: no services: give --service ID or --discover "
        "(nothing published under SSM /shop/images/latest/)\n"
    )
    assert not path.exists()
    assert init(path, "--project-id", "shop", code=2).stderr == (
        "tracker: error: no services: give --service ID or --discover\n"
    )
    assert not path.exists()


def test_an_existing_manifest_is_never_overwritten_without_force(tmp_path: Path) -> None:
    path = tmp_path / ".wellcome_project"
    init(path, "--project-id", "shop", "--service", "web")
    before = path.read_bytes()
    failed = init(path, "--project-id", "other", "--service", "api", code=2)
    assert failed.stderr == (
        f"tracker: error: {path} exists: use --force to overwrite it "
        "(or --format yaml --add to add a project)\n"
    )
    assert path.read_bytes() == before
    init(path, "--project-id", "other", "--service", "api", "--force")
    assert list(load_projects(path).projects) == ["other"]
    assert [p.name for p in tmp_path.iterdir()] == [".wellcome_project"]  # no temporary file left


def test_add_appends_a_project_keeping_the_file_text(tmp_path: Path) -> None:
    path = tmp_path / ".wellcome_project"
    original = "# our projects\nshop:   # the shop\n  image_repositories:\n    - id: web\n"
    path.write_text(original)
    init(path, "--project-id", "reports", "--service", "renderer", "--format", "yaml", "--add")
    text = path.read_text()
    assert text.startswith(original)
    assert list(load_projects(path).projects) == ["shop", "reports"]
    again = init(path, "--project-id", "shop", "--service", "x", "--format", "yaml", "--add", code=2)
    assert again.stderr == f"tracker: error: project 'shop' is already in {path}\n"
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project-id", "a/b", "--service", "web"], "project id 'a/b' is not SSM-path-safe"),
        (["--project-id", "shop", "--service", "we b"], "service id 'we b' is not SSM-path-safe"),
        (
            ["--project-id", "shop", "--service", "web", "--service", "web=Web"],
            "service 'web' is given twice",
        ),
        (
            ["--project-id", "shop", "--service", "web", "--environment", "aws"],
            "environment id 'aws' must not",
        ),
        (["--project-id", "shop", "--discover", "--account-id", "12"], "--account-id '12' is not a 12-digit"),
        (
            ["--project-id", "shop", "--discover", "--role-arn", "role"],
            "--role-arn 'role' is not an IAM role ARN",
        ),
        (
            ["--project-id", "shop", "--discover", "--aws-region-name", "Ireland"],
            "--aws-region-name 'Ireland' is not an AWS region name",
        ),
        (
            ["--project-id", "shop", "--discover", "--role-arn", "arn:aws:iam::111122223333:role/x"]
            + ["--account-id", "444455556666"],
            "--role-arn and --account-id: role_arn is in account 111122223333 but account_id says 4444",
        ),
        (["--project-id", "shop", "--service", "web", "--add"], "--add needs --format yaml"),
        (["--project-id", "shop", "--service", "web", "--format", "yaml", "--add"], "cannot add to"),
    ],
)
def test_bad_init_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / ".wellcome_project"
    failed = init(path, *args, code=2)
    assert message in failed.stderr and failed.stderr.count("\n") == 1, failed.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_help_explains(tmp_path: Path) -> None:
    shown = Cli()("init", "--help")
    assert "--discover" in shown.stdout and "never overwritten without --force" in shown.stdout
