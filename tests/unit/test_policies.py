"""Promotion policies on the in-memory stores: each rule alone and together, force, approvals, races.

The clock is the test's (soak times pass in microseconds). The same rules over
the real calls, through the CLI, make and Terraform, are in
tests/emulator/test_policies.py and tests/terraform/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import BUGFARM
from tests.support.library import deploy, person, publish, release, verdict
from tracker.app import Tracker
from tracker.errors import NotApprovedError, PolicyRefusedError, ProjectManifestError
from tracker.model.clock import epoch
from tracker.model.policies import Policy, judge
from tracker.model.project import parse_project, parse_projects
from tracker.model.requests import ApproveRequest, DeployRequest, PlanRequest, RollbackRequest
from tracker.stores.memory import MemoryTrackingStore
from tracker.stores.transaction import DeploymentWrite

START = epoch("2030-01-01T12:00:00Z")


class Clock:
    """Time the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def manifest(**policy: Any) -> str:
    document = json.loads(BUGFARM.read_text())
    document["environments"].append({"id": "qa", "name": "QA"})
    document["environments"][1]["policy"] = policy  # prod
    return json.dumps(document)


def make(**policy: Any) -> tuple[Tracker, Clock]:
    clock = Clock()
    return Tracker.in_memory(parse_project(manifest(**policy)), clock=clock), clock


def released(t: Tracker, tag: str = "v1") -> str:
    publish(t, tag)
    return release(t).release_id


def approve(t: Tracker, ref: str, env: str = "prod", user: str = "ops_ophelia", **more: Any) -> Any:
    return t.approve(ApproveRequest(release=ref, environment_id=env, requested_by=person(user), **more))


def nothing_written(t: Tracker, release_id: str, env: str = "prod") -> None:
    assert t.store.environments.row(t.project.id, env) is None
    stored = t.store.releases.get(release_id)
    assert stored is not None and not stored.entries_in(env)
    assert not any(name.startswith(f"/{t.project.id}/deployments/{env}/") for name in t.parameters.values)  # type: ignore[attr-defined]


# -- each rule alone --------------------------------------------------------------------------


def test_promote_from_refuses_a_release_that_never_ran_there_and_takes_one_that_did() -> None:
    t, _ = make(promote_from=["stage"])
    rid = released(t)
    with pytest.raises(PolicyRefusedError) as refused:
        deploy(t, rid, "prod")
    line = str(refused.value)
    assert line.startswith(f"prod takes releases from stage: {rid.rpartition(':')[2][:8]} never ran there")
    assert "nothing was recorded" in line and "--force" in line
    nothing_written(t, rid)
    deploy(t, rid, "stage")
    assert deploy(t, rid, "prod").recorded
    # qa has no policy: anything goes.
    assert deploy(t, released(t, "v2"), "qa").recorded


def test_require_verified_needs_an_outcome_and_refuses_a_failed_one() -> None:
    t, clock = make(promote_from=["stage"], require_verified=True)
    rid = released(t)
    deploy(t, rid, "stage")
    with pytest.raises(
        PolicyRefusedError, match="ran in stage but no outcome was recorded .`tracker wait stage`"
    ):
        deploy(t, rid, "prod")
    clock.now += 60
    verdict(t, rid, "stage", "failed")
    with pytest.raises(PolicyRefusedError, match=r"failed in stage \(failed by the test\)"):
        deploy(t, rid, "prod")
    nothing_written(t, rid)
    clock.now += 60
    verdict(t, rid, "stage", "verified")  # a later wait verified it: the latest verdict counts
    assert deploy(t, rid, "prod").recorded


def test_soak_counts_from_the_release_deployment_there_and_says_when_it_ends() -> None:
    t, clock = make(promote_from=["stage"], soak="30m")
    rid = released(t)
    deploy(t, rid, "stage")  # at 12:00:00
    clock.now += 18 * 60
    with pytest.raises(PolicyRefusedError) as refused:
        deploy(t, rid, "prod")
    assert str(refused.value).startswith(
        "soak: 12m left (until 12:30Z): prod takes releases 30m after they were deployed in stage"
    )
    # Per release, not per occupancy: stage moving on to another release does not restart it.
    clock.now += 60
    deploy(t, released(t, "v2"), "stage")
    clock.now += 11 * 60
    assert deploy(t, rid, "prod").recorded


def test_soak_with_require_verified_counts_from_the_verification() -> None:
    t, clock = make(promote_from=["stage"], require_verified=True, soak="1h")
    rid = released(t)
    deploy(t, rid, "stage")
    clock.now += 50 * 60
    verdict(t, rid, "stage")  # verified at 12:50
    clock.now += 20 * 60  # 13:10: 1h10 after the deployment, 20m after the verification
    with pytest.raises(
        PolicyRefusedError, match=r"soak: 40m left \(until 13:50Z\).*after they were verified"
    ):
        deploy(t, rid, "prod")
    clock.now += 40 * 60
    assert deploy(t, rid, "prod").recorded


def test_soak_left_is_whole_minutes_rounded_up_past_the_first() -> None:
    t, clock = make(promote_from=["stage"], soak="2h")
    rid = released(t)
    deploy(t, rid, "stage")
    for passed, left in (
        (0.4, "2h"),
        (61, "1h59m"),
        (2 * 3600 - 61, "2m"),
        (2 * 3600 - 59.5, "1m"),
        (2 * 3600 - 30, "30s"),
    ):
        clock.now = START + passed
        with pytest.raises(PolicyRefusedError, match=rf"^soak: {left} left "):
            deploy(t, rid, "prod")


def test_soak_ending_another_day_gives_the_date() -> None:
    t, clock = make(promote_from=["stage"], soak="1d")
    rid = released(t)
    deploy(t, rid, "stage")
    with pytest.raises(PolicyRefusedError, match=r"soak: 1d left \(until 2030-01-02 12:00Z\)"):
        deploy(t, rid, "prod")


def test_approvals_from_approvers_never_count_the_requester() -> None:
    t, _ = make(approvals=1, approvers=["ops_ophelia", "lead_lee"])
    rid = released(t)
    with pytest.raises(PolicyRefusedError) as refused:
        deploy(t, rid, "prod", user="ops_ophelia")
    assert str(refused.value).startswith(
        "prod needs 1 approval from ops_ophelia, lead_lee; approved by: none (`tracker approve "
    )
    approve(t, "latest", user="ops_ophelia", description="looked at it")
    with pytest.raises(PolicyRefusedError, match=r"approved by: ops_ophelia \(the requester: not counted\)"):
        deploy(t, rid, "prod", user="ops_ophelia")
    nothing_written(t, rid)
    assert deploy(t, rid, "prod", user="dev_dave").recorded


def test_only_named_approvers_approve_and_twice_counts_once() -> None:
    t, _ = make(approvals=2, approvers=["ops_ophelia", "lead_lee"])
    rid = released(t)
    with pytest.raises(
        PolicyRefusedError, match="dev_dave is not an approver of prod .approvers: ops_ophelia, lead_lee"
    ):
        approve(t, rid, user="dev_dave")
    assert t.store.releases.get(rid).approvals == []  # type: ignore[union-attr]
    first = approve(t, rid.rpartition(":")[2][:8])  # a prefix
    again = approve(t, rid)
    assert first.recorded and not again.recorded and first.counted == ["ops_ophelia"] and first.needed == 2
    with pytest.raises(PolicyRefusedError, match="needs 2 approvals .*approved by: ops_ophelia "):
        deploy(t, rid, "prod", user="dev_dave")
    approve(t, rid, user="lead_lee")
    assert deploy(t, rid, "prod", user="dev_dave").recorded


def test_revoke_withdraws_ones_own_approval_and_keeps_it_in_the_manifest() -> None:
    t, clock = make(approvals=1)
    rid = released(t)
    with pytest.raises(
        NotApprovedError, match="ops_ophelia has no approval of release .* for prod to revoke"
    ):
        approve(t, rid, revoke=True)
    approve(t, rid, description="fine")
    clock.now += 5
    revoked = approve(t, rid, revoke=True, description="found a bug")
    assert revoked.action == "revoke" and revoked.counted == []
    (kept,) = t.store.releases.get(rid).approvals  # type: ignore[union-attr]
    assert kept.revoked is not None and kept.revoked.description == "found a bug"
    assert '(revoked 2030-01-01T12:00:05.000Z: "found a bug")' in kept.describe()
    with pytest.raises(PolicyRefusedError, match="approved by: none"):
        deploy(t, rid, "prod", user="dev_dave")
    # Someone else's approval is not yours to revoke.
    approve(t, rid, user="lead_lee")
    with pytest.raises(NotApprovedError):
        approve(t, rid, revoke=True)
    assert deploy(t, rid, "prod", user="dev_dave").recorded
    events = t.events.sent  # type: ignore[attr-defined]
    sent = [(detail["action"], detail["approved_by"]["id"]) for kind, detail in events if kind == "Approval"]
    assert sent == [("approve", "ops_ophelia"), ("revoke", "ops_ophelia"), ("approve", "lead_lee")]


# -- together, force, rollback ----------------------------------------------------------------

ALL = {
    "promote_from": ["stage"],
    "require_verified": True,
    "soak": "30m",
    "approvals": 1,
    "approvers": ["ops_ophelia", "lead_lee"],
}


def test_every_rule_not_met_is_named_on_one_line_and_force_records_them() -> None:
    t, clock = make(**ALL)
    rid = released(t)
    deploy(t, rid, "stage")
    clock.now += 60
    verdict(t, rid, "stage")
    with pytest.raises(PolicyRefusedError) as refused:
        deploy(t, rid, "prod", user="dev_dave")
    line = str(refused.value)
    assert "\n" not in line and line.startswith("soak: 30m left (until 12:31Z)")
    assert "; prod needs 1 approval from ops_ophelia, lead_lee; approved by: none" in line
    forced = deploy(t, rid, "prod", user="dev_dave", force=True, description="hotfix for incident 7")
    assert forced.forced is not None and forced.forced.startswith("the policy: soak: 30m left")
    assert "prod needs 1 approval" in forced.forced
    assert t.store.releases.get(rid).last_entry("prod").forced == forced.forced  # type: ignore[union-attr]


def test_all_rules_met_deploy_and_promote_pass() -> None:
    t, clock = make(**ALL)
    rid = released(t)
    deploy(t, rid, "stage")
    verdict(t, rid, "stage")
    approve(t, "latest", user="lead_lee")
    clock.now += 30 * 60
    result = t.deploy(
        DeployRequest(environment_id="prod", from_environment="stage", requested_by=person("dev_dave"))
    )
    assert result.recorded and result.forced is None


def test_allow_force_false_closes_the_emergency_lane() -> None:
    t, _ = make(promote_from=["stage"], allow_force=False)
    rid = released(t)
    with pytest.raises(PolicyRefusedError) as refused:
        deploy(t, rid, "prod", force=True, description="please")
    line = str(refused.value)
    assert "prod's policy cannot be forced (allow_force: false)" in line and "--force with" not in line
    with pytest.raises(PolicyRefusedError) as plain:
        deploy(t, rid, "prod")
    assert "to deploy anyway" not in str(plain.value)
    nothing_written(t, rid)


def test_a_release_the_environment_ran_before_passes_the_rules() -> None:
    t, clock = make(promote_from=["stage"], approvals=1)
    old = released(t)
    deploy(t, old, "stage")
    approve(t, old, user="lead_lee")
    deploy(t, old, "prod", user="dev_dave")
    new = released(t, "v2")
    deploy(t, new, "stage")
    approve(t, new, user="lead_lee")
    deploy(t, new, "prod", user="dev_dave")
    # lead_lee withdraws the old approval: a rollback to what prod ran before still passes.
    approve(t, old, user="lead_lee", revoke=True)
    back = t.rollback(RollbackRequest(environment_id="prod", requested_by=person("dev_dave")))
    assert back.recorded and back.release.release_id == old and back.forced is None
    # A release prod never ran is judged as usual, even by rollback --to.
    third = released(t, "v3")
    with pytest.raises(PolicyRefusedError, match="never ran there"):
        t.rollback(RollbackRequest(environment_id="prod", requested_by=person("dev_dave"), to_release=third))


def test_no_policy_judges_nothing_and_plans_without_the_module() -> None:
    document = json.loads(manifest())
    del document["environments"][1]["policy"]
    plain = Tracker.in_memory(parse_project(json.dumps(document)), clock=Clock())
    rid = released(plain)
    plan = plain.plan(PlanRequest(environment_id="prod", release=rid))
    assert plan.judgement is None and plan.overridden is None and plain.project.policies == {}


# -- the race: an approval revoked between the plan and the write -------------------------------


class RevokingStore(MemoryTrackingStore):
    """Revokes the approval (as its approver, from elsewhere) just before the deployment is written."""

    tracker: Tracker

    def record(self, write: DeploymentWrite) -> Any:
        approve(self.tracker, write.release.release_id, user="lead_lee", revoke=True)
        return super().record(write)


def test_an_approval_revoked_between_plan_and_write_refuses_the_deployment() -> None:
    clock = Clock()
    store = RevokingStore()
    t = Tracker.in_memory(parse_project(manifest(approvals=1)), clock=clock)
    t.__dict__["store"] = store
    store.tracker = t
    rid = released(t)
    approve(t, rid, user="lead_lee")
    with pytest.raises(PolicyRefusedError, match="approved by: none"):
        deploy(t, rid, "prod", user="dev_dave")
    nothing_written(t, rid)


def test_a_verdict_changed_between_plan_and_write_refuses_the_deployment() -> None:
    clock = Clock()

    class FailingStore(MemoryTrackingStore):
        def record(self, write: DeploymentWrite) -> Any:
            if write.environment_id == "prod":
                verdict(t, write.release.release_id, "stage", "failed")
            return super().record(write)

    t = Tracker.in_memory(parse_project(manifest(promote_from=["stage"], require_verified=True)), clock=clock)
    t.__dict__["store"] = FailingStore()
    rid = released(t)
    deploy(t, rid, "stage")
    verdict(t, rid, "stage")
    with pytest.raises(PolicyRefusedError, match="failed in stage"):
        deploy(t, rid, "prod")
    nothing_written(t, rid)


# -- reading policies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"promote_from": ["prod"]}, "environments[1].policy: 'prod' cannot promote from itself"),
        (
            {"promote_from": ["dev"]},
            "promote_from names 'dev', which is not an environment (stage, prod, qa)",
        ),
        ({"promote_from": ["stage"], "soak": "-30m"}, "soak '-30m' is negative"),
        ({"promote_from": ["stage"], "soak": "half an hour"}, "soak 'half an hour' is not a duration"),
        ({"soak": "30m"}, "soak needs promote_from"),
        ({"require_verified": True}, "require_verified needs promote_from"),
        ({"approvers": ["lead_lee"]}, "approvers are named but approvals is 0"),
        ({"approvals": 3, "approvers": ["a", "b"]}, "needs 3 approvals but names 2 approver(s)"),
        ({"approvals": -1}, "environments[1].policy.approvals"),
        ({"promote_from": ["stage"], "typo": 1}, "typo"),
    ],
)
def test_bad_policies_are_refused_when_the_manifest_loads(policy: dict[str, Any], expected: str) -> None:
    with pytest.raises(ProjectManifestError) as refused:
        parse_project(manifest(**policy))
    assert expected in str(refused.value), str(refused.value)


def test_a_cycle_is_refused() -> None:
    document = json.loads(manifest(promote_from=["qa"]))
    document["environments"][2]["policy"] = {"promote_from": ["stage"]}
    document["environments"][0]["policy"] = {"promote_from": ["prod"]}
    with pytest.raises(
        ProjectManifestError, match=r"promote_from forms a cycle \(.*\): no release could enter it"
    ):
        parse_project(json.dumps(document))


WECO = """
bugfarm:
  image_repositories:
    - id: hatching
  environments:
    - id: stage
    - id: prod
      policy:
        promote_from: [stage]
        require_verified: true
        soak: 30m
        approvals: 1
        approvers: [ops_ophelia, lead_lee]
        allow_force: false
"""


def test_weco_yaml_declares_the_same_policy() -> None:
    (project,) = parse_projects(WECO).projects.values()
    assert project.policies["prod"] == Policy(
        promote_from=("stage",),
        require_verified=True,
        soak=1800,
        approvals=1,
        approvers=("ops_ophelia", "lead_lee"),
        allow_force=False,
    )
    with pytest.raises(ProjectManifestError, match="'prod' cannot promote from itself"):
        parse_projects(WECO.replace("[stage]", "[prod]"))


def test_judge_is_pure_and_names_what_it_rests_on() -> None:
    t, _ = make(approvals=1)
    rid = released(t)
    approve(t, rid, user="lead_lee")
    stored = t.store.releases.get(rid)
    assert stored is not None
    found = judge(t.project.policies["prod"], "prod", stored, "dev_dave", START)
    assert found.passed and found.basis.approvals == (0,)
    assert not judge(t.project.policies["prod"], "prod", stored, "lead_lee", START).passed
