"""The tracker CLI's features against the moto server (click's CliRunner, in-process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import REGISTRY, Cli, images


def test_images_and_release_list_show(tracker: Cli) -> None:
    assert tracker.json("images") == {"hatching": None, "feeding": None}
    tracker.publish("v1")
    assert tracker.json("images") == images("v1")
    first = tracker.release("--description", "first")
    tracker.publish("v2")
    second = tracker.release("--description", "second")
    listed = tracker.json("release", "list", "--limit", "1")
    assert [r["release_id"] for r in listed] == [second]
    assert [r["release_id"] for r in tracker.json("release", "list")] == [second, first]
    shown = tracker.json("release", "show", first)
    assert shown["release_manifest"]["images"] == images("v1")
    assert shown["deployed_at"] is None
    assert "first" in tracker("release", "list").stdout


def test_requested_by_defaults_to_the_aws_caller_identity(tracker: Cli) -> None:
    tracker.publish("v1")
    created = json.loads(tracker("release", "create", "-o", "json", user=None).stdout)
    # moto's STS answers with its default account's root/user ARN.
    assert created["release_manifest"]["requested_by"]["id"].startswith("arn:aws:")
    assert (
        created["release_manifest"]["requested_by"]["name"]
        == created["release_manifest"]["requested_by"]["id"]
    )


def test_deploying_the_running_release_again_records_nothing(tracker: Cli, aws: Any) -> None:
    tracker.publish("v1")
    release = tracker.release()
    assert tracker.json("deploy", release, "stage")["recorded"] is True
    again = tracker.json("deploy", release, "stage")
    assert again["recorded"] is False
    assert len(tracker.json("release", "show", release)["release_manifest"]["deployments"]) == 1


def test_history_diff_and_rollback(tracker: Cli) -> None:
    tracker.publish("v1")
    r1 = tracker.release()
    tracker("deploy", r1, "stage", "-d", "first")
    tracker.publish("v2", "hatching")
    r2 = tracker.release()
    tracker("deploy", r2, "stage", "-d", "second")
    tracker("promote", "stage", "prod", "-d", "ship it")

    stage = tracker.json("history", "stage")
    assert [(h["release_id"], h["description"]) for h in stage] == [(r2, "second"), (r1, "first")]
    assert stage[0]["images"] == images("v1", hatching="v2")
    everything = tracker.json("history", "--all", "--limit", "2")
    assert [(h["environment"]["id"], h["release_id"]) for h in everything] == [("prod", r2), ("stage", r2)]

    same = tracker("diff", "stage", "prod")
    assert "same" in same.stdout
    changed = tracker.json("diff", r1, "prod", code=1)
    assert changed["differ"] is True
    assert {s["service"]: s["change"] for s in changed["services"]} == {
        "feeding": "same",
        "hatching": "changed",
    }
    hatching = [s for s in changed["services"] if s["service"] == "hatching"][0]
    assert hatching["from"].endswith(":v2") and hatching["to"].endswith(":v1")  # prod now, then r1's

    rolled = tracker.json("rollback", "stage", "-d", "v2 crashes")
    assert rolled["release_id"] == r1
    latest = tracker.json("history", "stage", "--limit", "1")[0]
    assert latest["release_id"] == r1
    assert latest["description"] == f"rollback of stage from {r2} to {r1}: v2 crashes"
    assert tracker.json("status")["stage"]["images"] == images("v1")
    # Rolling back again goes to what ran before the rollback.
    assert tracker.json("rollback", "stage")["release_id"] == r2
    assert tracker.json("rollback", "prod", "--to", r1)["release_id"] == r1


def test_partial_release_takes_named_services_from_the_label(tracker: Cli) -> None:
    tracker.publish("v1")
    base = tracker.release()
    tracker.publish("v2")  # both services move on in the label...
    hotfix = tracker.json("release", "create", "--from-release", base, "--service", "feeding")
    # ...but only feeding is taken from it.
    assert hotfix["release_manifest"]["images"] == images("v1", feeding="v2")


def test_identical_release_is_refused_unless_allowed(tracker: Cli, state: Any) -> None:
    tracker.publish("v1")
    first = tracker.release()
    before = state()
    refused = tracker("release", "create", code=1)
    assert f"identical to the newest release '{first}'" in refused.stderr
    assert state() == before
    allowed = tracker("release", "create", "--allow-duplicate", "-o", "json")
    assert "warning: the images are identical" in allowed.stderr
    assert json.loads(allowed.stdout)["release_id"] != first


def test_status_text_and_verify_ok(tracker: Cli) -> None:
    assert "nothing deployed yet" in tracker("status").stdout
    tracker.publish("v1")
    release = tracker.release()
    tracker("deploy", release, "prod")
    assert f"prod: release {release}" in tracker("status").stdout
    assert "agree" in tracker("verify").stdout
    assert tracker.json("verify", "prod") == []


def test_verify_reports_drift_and_repair_converges(tracker: Cli, aws: Any) -> None:
    tracker.publish("v1")
    release = tracker.release()
    tracker("deploy", release, "prod")
    aws.ssm.put_parameter(
        Name="/bugfarm_73649/deployments/prod/hatching", Value="evil/image:1", Type="String", Overwrite=True
    )
    aws.ssm.put_parameter(Name="/bugfarm_73649/deployments/qa/feeding", Value="stray/image:1", Type="String")
    drift = tracker("verify", code=1).stdout
    assert (
        f"drift: prod/hatching: SSM has evil/image:1, release {release} has {REGISTRY}/hatching:v1" in drift
    )
    assert "drift: qa/feeding: SSM has stray/image:1 but the deployments table has no row" in drift
    repaired = tracker("repair", "prod").stdout
    assert "repaired: prod/hatching" in repaired
    assert tracker.json("verify", "prod") == []
    # The stray parameter is reported, never deleted.
    assert len(tracker.json("verify", code=1)) == 1


def test_crash_between_transaction_and_ssm_is_seen_by_verify_and_fixed_by_rerun(
    tracker: Cli, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.errors import AwsError
    from tracker.stores.parameters import ParameterStore

    tracker.publish("v1")
    release = tracker.release()

    def crash(self: Any, values: Any, description: str) -> None:
        raise AwsError("injected: connection reset while writing SSM")

    with monkeypatch.context() as patch:
        patch.setattr(ParameterStore, "put_values", crash)
        failed = tracker("deploy", release, "stage", code=1)
    assert "injected: connection reset" in failed.stderr
    assert f"the deployment of release {release} to stage is recorded, but SSM was not fully written" in (
        failed.stderr
    )
    assert len(tracker.json("verify", "stage", code=1)) == 2
    rerun = tracker.json("deploy", release, "stage")
    assert rerun["recorded"] is False  # the record existed; only SSM was completed
    assert tracker.json("verify") == []
    assert len(tracker.json("release", "show", release)["release_manifest"]["deployments"]) == 1


def every_command() -> list[str]:
    """Every command of the CLI, walked from the group (a new command is covered without a list)."""
    import click

    from tracker.cli import cli

    def walk(group: click.Group, prefix: str) -> list[str]:
        found = []
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            if isinstance(command, click.Group):
                found += walk(command, f"{prefix}{name} ")
            else:
                found.append(f"{prefix}{name}")
        return found

    return walk(cli, "")


def test_help_of_every_command_has_an_example() -> None:
    commands = every_command()
    assert {"deploy", "freeze", "pending", "release create", "terraform plan"} <= set(commands)
    for command in commands:
        shown = Cli()(*command.split(), "--help")
        assert "Usage: " in shown.stdout and "Example" in shown.stdout, command


def test_tables_from_the_environment(tracker: Cli) -> None:
    result = tracker("status", code=1, env={"TRACKER_DEPLOYMENTS_TABLE": "elsewhere"})
    assert "DynamoDB table 'elsewhere' does not exist" in result.stderr


HOSTILE = 'it\'s "quoted" $(touch {canary}) `touch {canary}` ${{HOME}} %{{if x}}\nsecond line ünïcødé ☃ 🚀'


def test_hostile_text_is_stored_verbatim_and_runs_nothing(tracker: Cli, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    text = HOSTILE.format(canary=canary)
    tracker.publish("v1")
    release = tracker.release("--description", text, "--user-name", text[:200])
    tracker("deploy", release, "stage", "--description", text, "--user", "o'brien $(id)")
    manifest = tracker.json("release", "show", release)["release_manifest"]
    assert manifest["description"] == text
    assert manifest["requested_by"]["name"] == text[:200]
    assert manifest["deployments"][0]["description"] == text
    assert manifest["deployments"][0]["requested_by"]["id"] == "o'brien $(id)"
    assert text in tracker("release", "show", release).stdout
    assert not canary.exists()


def test_bare_tracker_prints_help() -> None:
    result = Cli()()
    assert "Usage: " in result.stdout and "Commands:" in result.stdout and "\\n" not in result.stdout


def test_rollback_and_history_within_one_second(aws: Any, project: Any) -> None:
    from tests.support.library import deploy, library, person, publish, release
    from tracker.model.requests import RollbackRequest

    ids = []
    for tag in ("a", "b", "c"):
        publish(library(aws, project), tag)
        ids.append(release(library(aws, project)).release_id)
    for n, release_id in enumerate(ids):
        # Three deployments within one second, 1 ms apart.
        at = library(aws, project, clock=lambda n=n: 2_000_000_000.1 + n / 1000)
        deploy(at, release_id, "prod")
    assert [h.release_id for h in library(aws, project).history("prod")] == ids[::-1]
    late = library(aws, project, clock=lambda: 2_000_000_000.5)
    result = late.rollback(RollbackRequest(environment_id="prod", requested_by=person("ops")))
    assert result.release.release_id == ids[1]


def test_rows_written_without_a_version_are_deployable(tracker: Cli, aws: Any) -> None:
    tracker.publish("v1")
    old = tracker.release()
    tracker.publish("v2")
    new = tracker.release()
    # The RFC's bare three columns, as another tool would write them.
    aws.dynamodb.put_item(
        TableName="tracker-deployments",
        Item={
            "project_id": {"S": "bugfarm_73649"},
            "environment_id": {"S": "prod"},
            "release_id": {"S": old},
        },
    )
    assert tracker.json("deploy", new, "prod")["recorded"] is True
    assert tracker.json("status")["prod"]["release_id"] == new
    assert tracker.json("rollback", "prod")["release_id"] == old


def test_verify_reports_parameters_of_services_no_longer_in_the_release(
    tracker: Cli, aws: Any, tmp_path: Path
) -> None:
    tracker.publish("v1")
    tracker("deploy", tracker.release(), "prod")
    document = json.loads(tracker.project_file.read_text())
    document["services"] = [s for s in document["services"] if s["id"] == "hatching"]
    smaller = Cli(tmp_path / "smaller.json")
    smaller.project_file.write_text(json.dumps(document))
    smaller("deploy", smaller.release("--allow-duplicate"), "prod")
    drift = smaller("verify", "prod", code=1).stdout
    assert f"drift: prod/feeding: SSM has {REGISTRY}/feeding:v1 but release" in drift
    assert "has no such service" in drift


def test_make_passes_user_text_without_a_shell(aws: Any, bugfarm_file: Path, tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import REPO

    canary = tmp_path / "canary"
    text = f'fix `touch {canary}` and $(touch {canary}) "quoted" it\'s'
    env = {**__import__("os").environ, "TRACKER_USER": "ci"}
    for service in ("hatching", "feeding"):
        published = subprocess.run(
            [
                "make",
                "-s",
                "-C",
                str(REPO),
                "publish",
                f"SERVICE={service}",
                f"IMAGE={REGISTRY}/{service}:v1",
                f"PROJECT_FILE={bugfarm_file}",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert published.returncode == 0, published.stderr
    made = subprocess.run(
        ["make", "-s", "-C", str(REPO), "release", f"DESCRIPTION={text}", f"PROJECT_FILE={bugfarm_file}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    listed = Cli(bugfarm_file).json("release", "list")
    assert listed[0]["release_manifest"]["description"] == text
    assert not canary.exists()


def test_projects_shows_the_manifest(bugfarm_file: Path) -> None:
    tracker = Cli(bugfarm_file)
    assert tracker("projects", "--quiet").stdout == "bugfarm_73649\n"
    (shown,) = tracker.json("projects")
    assert shown["id"] == "bugfarm_73649" and [s["id"] for s in shown["services"]] == ["hatching", "feeding"]
    assert [e["id"] for e in shown["environments"]] == ["stage", "prod"]
    assert (
        "environments: stage (Simon's staging sideshow!), prod (Peters prod palace!)"
        in tracker("projects").stdout
    )
