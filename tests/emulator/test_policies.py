"""Promotion policies against the moto server over HTTP: the CLI a release manager uses, and the races.

What the user sees (one line, exit 1, nothing written; approvals in `release
show` and `history`; `latest` and prefixes), the conditions DynamoDB evaluates
in the deployment's transaction (an approval revoked, a verdict changed between
the plan and the write), weco-deploy's YAML, and the Approval events.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_project
from tests.emulator.test_events import forward_to_queue, received
from tests.support.cli import Cli
from tests.support.library import DEPLOYMENTS, RELEASES, deploy, library, person, publish, release, verdict
from tests.unit.test_policies import ALL
from tracker.errors import PolicyRefusedError
from tracker.model.clock import epoch
from tracker.model.entries import short_id
from tracker.model.project import load_project
from tracker.model.requests import ApproveRequest
from tracker.stores.tracking import DynamoTrackingStore


def with_policy(path: Path, **policy: Any) -> Path:
    document = json.loads(path.read_text())
    document["environments"][1]["policy"] = policy  # prod
    return write_project(path, document)


def test_a_release_manager_walks_a_release_through_every_rule(
    aws: Any, bugfarm_file: Path, state: Any
) -> None:
    cli = Cli(
        with_policy(bugfarm_file, promote_from=["stage"], approvals=1, approvers=["ops_ophelia", "lead_lee"])
    )
    cli.publish("v1")
    rid = cli.release()
    before = state()
    line = cli("deploy", rid, "prod", code=1).error_line()
    assert line == (
        f"tracker: error: prod takes releases from stage: {short_id(rid)} never ran there; prod needs 1 "
        "approval from ops_ophelia, lead_lee; approved by: none (`tracker approve "
        f"{short_id(rid)} prod`); nothing was recorded (to deploy anyway: --force with --description "
        "saying why)"
    )
    assert (
        cli("promote", "stage", "prod", code=1).error_line().startswith("tracker: error: nothing is deployed")
    )
    assert state() == before
    cli("deploy", "latest", "stage")
    # Someone who is not an approver is refused, one line, nothing written.
    written = state()
    refused = cli("approve", "latest", "prod", user="dev_dave", code=1).error_line()
    assert refused == (
        "tracker: error: dev_dave is not an approver of prod (approvers: ops_ophelia, lead_lee); "
        "nothing was recorded"
    )
    assert state() == written
    approved = cli("approve", short_id(rid), "prod", "-d", "changelog read", user="ops_ophelia")
    assert approved.stdout.splitlines() == [
        f"approved: release {short_id(rid)} for prod by ops_ophelia",
        "prod asks for 1; approved by: ops_ophelia (the deployer's own never counts)",
    ]
    # The approver cannot deploy on their own approval.
    own = cli("promote", "stage", "prod", user="ops_ophelia", code=1).error_line()
    assert "approved by: ops_ophelia (the requester: not counted)" in own
    cli("promote", "stage", "prod", user="dev_dave")
    shown = cli("release", "show", rid).stdout
    assert "approvals:\n  prod  approved by ops_ophelia 20" in shown and '"changelog read"' in shown
    history = cli("history", "prod").stdout
    assert "    approved by ops_ophelia 20" in history
    (entry,) = cli.json("history", "prod")
    assert entry["approvals"][0]["approved_by"] == {"id": "ops_ophelia", "name": "ops_ophelia"}
    assert entry["approvals"][0]["revoked"] is None


def test_approve_takes_latest_and_prefixes_json_and_revoke(aws: Any, bugfarm_file: Path, state: Any) -> None:
    cli = Cli(with_policy(bugfarm_file, approvals=1))
    cli.publish("v1")
    rid = cli.release()
    found = cli.json("approve", "latest", "prod", "-d", "ok", user="lead_lee")
    assert found["release_id"] == rid and found["action"] == "approve" and found["recorded"] is True
    assert found["approval"]["approved_by"]["id"] == "lead_lee" and found["approval"]["description"] == "ok"
    assert found["approved_by"] == ["lead_lee"] and found["approvals_needed"] == 1
    again = cli("approve", short_id(rid), "prod", user="lead_lee")
    assert again.stdout.startswith(f"already approved: release {short_id(rid)} for prod by lead_lee (20")
    before = state()
    nothing = cli("approve", "latest", "prod", "--revoke", user="ops_ophelia", code=1).error_line()
    assert nothing == (
        f"tracker: error: ops_ophelia has no approval of release {short_id(rid)} for prod to revoke; "
        "nothing was written"
    )
    assert state() == before
    revoked = cli("approve", "latest", "prod", "--revoke", "-d", "regression", user="lead_lee")
    assert revoked.stdout.startswith(f"revoked: the approval of release {short_id(rid)} for prod by lead_lee")
    assert "approved by: none" in cli("deploy", rid, "prod", user="dev_dave", code=1).error_line()
    shown = cli("release", "show", rid, "-o", "json")
    (approval,) = json.loads(shown.stdout)["release_manifest"]["approvals"]
    assert approval["revoked"]["description"] == "regression"
    # Bad input: one line, exit 2, nothing written.
    before = state()
    assert "environment 'qa' is not declared" in cli("approve", rid, "qa", code=2).error_line()
    assert "release 'ffffffff' not found" in cli("approve", "ffffffff", "prod", code=1).error_line()
    assert state() == before


def test_without_a_policy_approve_records_and_says_nothing_needs_it(tracker: Cli) -> None:
    tracker.publish("v1")
    rid = tracker.release()
    done = tracker("approve", rid, "prod")
    assert "prod has no policy asking for approvals: this one is recorded, nothing needs it" in done.stderr
    tracker("deploy", rid, "prod")  # no policy: nothing is judged


def test_require_verified_and_soak_through_dynamodb(aws: Any, bugfarm_file: Path, state: Any) -> None:
    project = load_project(with_policy(bugfarm_file, **ALL))
    start = epoch("2030-01-01T12:00:00Z")
    at = lambda moment: library(aws, project, clock=lambda: moment)  # noqa: E731
    publish(at(start), "v1")
    rid = release(at(start)).release_id
    deploy(at(start), rid, "stage")
    with pytest.raises(PolicyRefusedError, match="ran in stage but no outcome was recorded"):
        deploy(at(start + 60), rid, "prod", user="dev_dave")
    verdict(at(start + 120), rid, "stage")
    at(start + 130).approve(
        ApproveRequest(release=rid, environment_id="prod", requested_by=person("lead_lee"))
    )
    before = state()
    with pytest.raises(PolicyRefusedError, match=r"^soak: 10m left \(until 12:32Z\)"):
        deploy(at(start + 1320), rid, "prod", user="dev_dave")
    assert state() == before
    done = deploy(at(start + 1920), rid, "prod", user="dev_dave")
    assert done.recorded and done.forced is None


class RevokingStore(DynamoTrackingStore):
    """lead_lee revokes their approval (from another process) right before the deployment's transaction."""

    project: Any = None

    def record(self, write: Any) -> Any:
        other = library(self.db.clients, self.project)
        request = ApproveRequest(
            release=write.release.release_id,
            environment_id="prod",
            requested_by=person("lead_lee"),
            revoke=True,
        )
        other.approve(request)
        return super().record(write)


class FailingStore(DynamoTrackingStore):
    """stage's verdict turns to failed (a later `tracker wait`) right before prod's transaction."""

    project: Any = None

    def record(self, write: Any) -> Any:
        if write.environment_id == "prod":
            verdict(library(self.db.clients, self.project), write.release.release_id, "stage", "failed")
        return super().record(write)


@pytest.mark.parametrize("racing", [RevokingStore, FailingStore])
def test_state_changed_between_plan_and_write_refuses_the_deployment(
    aws: Any, bugfarm_file: Path, racing: type[DynamoTrackingStore]
) -> None:
    from tracker.app import Tracker
    from tracker.stores.dynamo import Dynamo, Tables

    policy = {"promote_from": ["stage"], "require_verified": True, "approvals": 1}
    project = load_project(with_policy(bugfarm_file, **policy))
    seeding = library(aws, project)
    publish(seeding, "v1")
    rid = release(seeding).release_id
    deploy(seeding, rid, "stage")
    verdict(seeding, rid, "stage")
    seeding.approve(ApproveRequest(release=rid, environment_id="prod", requested_by=person("lead_lee")))
    store = racing(Dynamo(aws, Tables(RELEASES, DEPLOYMENTS)))
    store.project = project  # type: ignore[attr-defined]
    tracker = Tracker(seeding.settings, clients=aws, project=project, store=store)
    expected = "approved by: none" if racing is RevokingStore else "failed in stage"
    with pytest.raises(PolicyRefusedError, match=expected):
        deploy(tracker, rid, "prod", user="dev_dave")
    assert seeding.store.environments.row(project.id, "prod") is None
    assert not seeding.store.releases.get(rid).entries_in("prod")  # type: ignore[union-attr]
    assert seeding.parameters.get_path(f"/{project.id}/deployments/prod", recursive=True) == {}


WECO = """
bugfarm:
  image_repositories:
    - id: hatching
    - id: feeding
  environments:
    - id: stage
    - id: prod
      policy:
        promote_from: [stage]
        approvals: 1
        allow_force: false
"""


def test_weco_yaml_policy_through_the_cli(aws: Any, tmp_path: Path, state: Any) -> None:
    cli = Cli(write_project(tmp_path / "projects.yaml", WECO))
    assert "policy of prod: from stage, 1 approval, no --force" in cli("projects").stdout
    cli.publish("v1")
    rid = cli.release()
    before = state()
    forced = cli("deploy", rid, "prod", "--force", "-d", "hotfix", code=1).error_line()
    assert forced.endswith("prod's policy cannot be forced (allow_force: false); nothing was recorded")
    assert state() == before
    cli("deploy", rid, "stage")
    cli("approve", "latest", "prod", user="lead_lee")
    cli("promote", "stage", "prod", user="dev_dave")


def test_approvals_are_sent_as_events(aws: Any, bugfarm_file: Path) -> None:
    queue = forward_to_queue(aws, "releases")
    cli = Cli(with_policy(bugfarm_file, approvals=1), user="lead_lee", env={"TRACKER_EVENT_BUS": "releases"})
    cli.publish("v1")
    rid = cli.release()
    cli("approve", rid, "prod", "-d", "ship it")
    cli("approve", rid, "prod", "--revoke", "-d", "not yet")
    approve, revoke = (e["detail"] for e in received(aws, queue) if e["detail-type"] == "Approval")
    assert (
        approve["action"] == "approve"
        and approve["release_id"] == rid
        and approve["description"] == "ship it"
    )
    assert approve["approved_by"] == {"id": "lead_lee", "name": "lead_lee"}
    assert approve["environment_id"] == "prod" and approve["project_id"] == "bugfarm_73649"
    assert revoke["action"] == "revoke" and revoke["revoked"]["description"] == "not yet"


def test_pending_and_diff_say_what_blocks_each_release(aws: Any, bugfarm_file: Path, state: Any) -> None:
    cli = Cli(with_policy(bugfarm_file, promote_from=["stage"], approvals=1))
    cli.publish("v1")
    first = cli.release()
    cli("deploy", first, "stage")
    cli("approve", first, "prod", user="lead_lee")
    cli("promote", "stage", "prod", user="dev_dave")
    cli.publish("v2")
    second = cli.release()
    cli("deploy", second, "stage")
    cli.publish("v3")
    third = cli.release()
    cli("freeze", "stage", "--reason", "demo")
    before = state()
    text = cli("pending", code=1).stdout
    assert (
        f"  stage runs {second}\n    newest release {short_id(third)}: blocked: stage is frozen by tester"
        in text
    )
    assert (
        f"  prod runs {first}\n    newest release {short_id(third)}: blocked: prod takes releases from "
        f"stage: {short_id(third)} never ran there; prod needs 1 approval from anyone but the requester; "
        "approved by: none"
    ) in text
    assert f"    release {short_id(second)}: blocked: prod needs 1 approval" in text
    one = cli.json("pending", "prod", code=1)["blocked"]
    assert list(one["prod"]) == [third, second] and one["prod"][second][0].startswith("prod needs 1 approval")
    assert state() == before  # reading what blocks writes nothing
    cli("approve", second, "prod", user="lead_lee")
    before = state()
    assert f"    release {short_id(second)}: nothing blocks it" in cli("pending", "prod", code=1).stdout
    shown = cli("diff", "stage", "prod", code=1).stdout
    assert shown.splitlines()[-1] == "nothing blocks it in prod"
    blocked = cli.json("diff", "latest", "prod", code=1)["blocked"]
    assert blocked[0] == f"prod takes releases from stage: {short_id(third)} never ran there"
    assert cli.json("diff", "stage", "latest", code=1)["blocked"] is None  # the target is a release
    assert state() == before


@pytest.mark.parametrize(
    ("policy", "refused", "then"),
    [
        (
            {"promote_from": ["stage"]},
            "prod takes releases from stage: {rid} never ran there",
            "deploy stage",
        ),
        (
            {"promote_from": ["stage"], "require_verified": True},
            "prod takes releases verified in stage: {rid} ran in stage but no outcome was recorded",
            "verify stage",
        ),
        (
            {"promote_from": ["stage"], "soak": "2h"},
            "soak: 2h left (until ",
            None,  # time passing: the library tests with a clock (test_require_verified_and_soak...)
        ),
        (
            {"approvals": 1},
            "prod needs 1 approval from anyone but the requester; approved by: none",
            "approve",
        ),
    ],
)
def test_each_rule_alone_through_the_cli(
    aws: Any, bugfarm_file: Path, state: Any, policy: dict[str, Any], refused: str, then: str | None
) -> None:
    manifest = with_policy(bugfarm_file, **policy)
    cli = Cli(manifest, user="dev_dave")
    cli.publish("v1")
    rid = cli.release()
    if "soak" in policy or "require_verified" in policy:
        cli("deploy", rid, "stage")
    before = state()
    line = cli("deploy", rid, "prod", code=1).error_line()
    assert line.startswith("tracker: error: " + refused.format(rid=short_id(rid))), line
    assert line.endswith("nothing was recorded (to deploy anyway: --force with --description saying why)")
    assert state() == before
    if then is None:
        return
    if then == "deploy stage":
        cli("deploy", rid, "stage")
    elif then == "verify stage":
        verdict(library(aws, load_project(manifest)), rid, "stage")
    else:
        cli("approve", rid, "prod", user="lead_lee")
    assert cli("deploy", rid, "prod").stdout.startswith(f"deployed: release {rid} -> prod")
