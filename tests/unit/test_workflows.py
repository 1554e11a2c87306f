"""The workflows' rules on the in-memory stores: no emulator, milliseconds per test.

The same rules are proven against the real calls by tests/emulator/ (the
DynamoDB store over moto); tests/emulator/test_store_contract.py holds the two
stores to one contract. Here: the decisions -- what a deployment records, what
the gate refuses, what a refused write means, what history and verify say.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUGFARM
from tests.support.library import deploy, person, publish, release
from tracker.app import Tracker
from tracker.errors import (
    ConcurrentDeploymentError,
    EnvironmentClosedError,
    EnvironmentFrozenError,
    InvalidInputError,
    NothingToRollBackError,
    ReleaseNotFoundError,
    UnknownEnvironmentError,
    WriteRefused,
)
from tracker.model.clock import epoch
from tracker.model.entries import DeploymentEntry, Release
from tracker.model.project import load_project, parse_project
from tracker.model.requests import FreezeRequest, PlanRequest, RollbackRequest, UnfreezeRequest
from tracker.stores.memory import MemoryEvents, MemoryParameters, MemoryTrackingStore
from tracker.stores.transaction import ENTRY, DeploymentWrite

START = epoch("2030-01-01T12:00:00Z")


class Clock:
    """A clock the test moves: each reading one second later than the one before."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1
        return self.now


def tracker(project: Any = None, store: Any = None) -> Tracker:
    found = Tracker.in_memory(project or load_project(BUGFARM), clock=Clock())
    if store is not None:
        found.__dict__["store"] = store
    return found


@pytest.fixture
def lib() -> Tracker:
    """The bugfarm project over the in-memory stores, one release published and created."""
    found = tracker()
    publish(found, "v1")
    return found


def memory(t: Tracker) -> tuple[MemoryTrackingStore, MemoryParameters, MemoryEvents]:
    return t.store, t.parameters, t.events  # type: ignore[return-value]


def test_a_deployment_records_the_rfc_entry_the_row_and_ssm(lib: Tracker) -> None:
    made = release(lib, "dev_dave", "Dave Dollop", description="Some stuff wot I did.")
    result = deploy(lib, made.release_id, "stage", description="testing")
    store, parameters, events = memory(lib)
    stored = store.releases.items[made.release_id]
    (entry,) = stored.deployments
    assert entry.to_item() == {
        "environment": {"id": "stage", "name": "Simon's staging sideshow!"},
        "date_requested": entry.date_requested,
        "requested_by": {"id": "ops", "name": "ops"},
        "description": "testing",
    }
    assert stored.deployed_at == entry.at and result.recorded and result.entry == entry
    row = store.environments.rows[("bugfarm_73649", "stage")]
    assert (row.release_id, row.version, row.previous_release_id) == (made.release_id, 1, None)
    images = {k: v for k, v in parameters.values.items() if not k.endswith("/published")}
    assert images == {
        "/bugfarm_73649/images/latest/hatching": "registry.example/hatching:v1",
        "/bugfarm_73649/images/latest/feeding": "registry.example/feeding:v1",
        "/bugfarm_73649/deployments/stage/hatching": "registry.example/hatching:v1",
        "/bugfarm_73649/deployments/stage/feeding": "registry.example/feeding:v1",
    }
    assert [kind for kind, _ in events.sent] == ["Deployment"]
    # Again: nothing recorded, SSM made to match.
    assert deploy(lib, made.release_id, "stage").recorded is False
    assert len(store.releases.items[made.release_id].deployments) == 1


def test_promote_and_rollback_name_what_they_replace(lib: Tracker) -> None:
    first = release(lib).release_id
    deploy(lib, first, "stage")
    publish(lib, "v2")
    second = release(lib).release_id
    deploy(lib, second, "stage")
    promoted = deploy(lib, None, "prod", from_environment="stage")
    assert promoted.release.release_id == second
    rolled = lib.rollback(
        RollbackRequest(environment_id="stage", requested_by=person("ops"), description="v2 bad")
    )
    assert rolled.release.release_id == first and rolled.entry is not None
    assert rolled.entry.rollback_from == second and rolled.entry.is_rollback
    assert rolled.entry.description == f"rollback of stage from {second} to {first}: v2 bad"
    history = lib.history("stage")
    assert [(h.release_id, h.entry.rollback_from) for h in history] == [
        (first, second),
        (second, None),
        (first, None),
    ]
    with pytest.raises(NothingToRollBackError, match="already runs release"):
        lib.rollback(RollbackRequest(environment_id="stage", requested_by=person("ops"), to_release=first))


def test_the_gate_is_part_of_the_plan(lib: Tracker) -> None:
    made = release(lib).release_id
    plan = lib.plan(PlanRequest(environment_id="prod", release=made))
    assert plan.overridden is None and plan.at > START and plan.state is not None
    lib.freeze(FreezeRequest(environment_id="prod", requested_by=person("ophelia"), reason="incident 42"))
    with pytest.raises(EnvironmentFrozenError, match=r"frozen by ophelia since .*\"incident 42\"; nothing"):
        lib.plan(PlanRequest(environment_id="prod", release=made))
    forced = lib.plan(PlanRequest(environment_id="prod", release=made, force=True))
    assert forced.overridden is not None and forced.overridden.startswith("the freeze: frozen by ophelia")
    # A plan that only reads what runs there is never refused.
    assert lib.plan(PlanRequest(environment_id="prod")).release is None


def test_forcing_needs_a_description_and_the_entry_says_what_it_went_through(lib: Tracker) -> None:
    made = release(lib).release_id
    lib.freeze(FreezeRequest(environment_id="prod", requested_by=person("ophelia"), reason="audit"))
    with pytest.raises(InvalidInputError, match="--force needs --description"):
        deploy(lib, made, "prod", force=True)
    result = deploy(lib, made, "prod", force=True, description="hotfix")
    assert result.forced is not None and '"audit"' in result.forced
    assert memory(lib)[2].sent[-1][1]["forced"] == result.forced  # the event carries it too
    # Forcing one deployment does not lift the freeze.
    publish(lib, "v2")
    with pytest.raises(EnvironmentFrozenError):
        deploy(lib, release(lib).release_id, "prod")
    lib.unfreeze(UnfreezeRequest(environment_id="prod", requested_by=person("oscar")))
    kinds = [(h.kind, h.requested_by.id) for h in lib.history("prod")]
    assert kinds == [("unfreeze", "oscar"), ("deployment", "ops"), ("freeze", "ophelia")]


class FreezingStore(MemoryTrackingStore):
    """Another person freezes the environment between the plan and the write."""

    def record(self, write: DeploymentWrite) -> Any:
        from tracker.model.records import Freeze, FreezeLogEntry

        someone = person("ophelia")
        freeze = Freeze("a moment earlier", someone, "2030-01-01T12:00:00.500Z")
        logged = FreezeLogEntry("freeze", freeze.since, someone, freeze.reason)
        self.environments.set_freeze(write.release.project_id, write.environment_id, freeze, logged)
        return super().record(write)


def test_a_freeze_landing_between_plan_and_write_wins_and_nothing_is_written() -> None:
    lib = tracker(store=FreezingStore())
    publish(lib, "v1")
    made = release(lib).release_id
    before = {k: v for k, v in memory(lib)[1].values.items()}
    with pytest.raises(EnvironmentFrozenError, match="frozen by ophelia .*a moment earlier"):
        deploy(lib, made, "prod")
    store, parameters, events = memory(lib)
    assert store.releases.items[made].deployments == [] and store.environments.rows == {}
    assert parameters.values == before and events.sent == []


class OvertakingStore(MemoryTrackingStore):
    """Another deployment takes the environment between the plan and the write (once)."""

    overtaken = False

    def record(self, write: DeploymentWrite) -> Any:
        if not self.overtaken and write.previous is not None:
            self.overtaken = True
            row = write.previous.following(write.previous.release_id, write.at - 0.5)
            self.environments.rows[(row.project_id, row.environment_id)] = row
        return super().record(write)


def test_a_deployment_overtaken_between_plan_and_write_is_refused_and_safe_to_retry() -> None:
    lib = tracker(store=OvertakingStore())
    publish(lib, "v1")
    first = release(lib).release_id
    deploy(lib, first, "prod")
    publish(lib, "v2")
    second = release(lib).release_id
    with pytest.raises(ConcurrentDeploymentError, match="nothing was recorded, it is safe to retry"):
        deploy(lib, second, "prod")
    assert memory(lib)[0].releases.items[second].deployments == []
    assert deploy(lib, second, "prod").recorded  # the retry


class BusyStore(MemoryTrackingStore):
    """The same release was deployed elsewhere a moment later, first: the entry's condition fails once."""

    refused = 0

    def record(self, write: DeploymentWrite) -> Any:
        if not self.refused:
            self.refused += 1
            raise WriteRefused(frozenset({ENTRY}))
        return super().record(write)


def test_a_busy_release_is_retried_by_deploy_itself() -> None:
    lib = tracker(store=BusyStore())
    publish(lib, "v1")
    made = release(lib).release_id
    assert deploy(lib, made, "stage").recorded
    assert lib.store.refused == 1  # type: ignore[attr-defined]


def test_a_window_closes_an_environment_until_it_opens() -> None:
    document = BUGFARM.read_text().replace(
        '"name": "Peters prod palace!"',
        '"name": "Peters prod palace!", "windows": [{"name": "migration", "type": "deny", '
        '"rrule": "FREQ=YEARLY;COUNT=1", "start": "2030-01-01T00:00", "duration": "P1D", "timezone": "UTC"}]',
    )
    lib = tracker(parse_project(document))
    publish(lib, "v1")
    made = release(lib).release_id
    with pytest.raises(
        EnvironmentClosedError, match="inside its deny window 'migration'.*opens Wed 2030-01-02"
    ):
        deploy(lib, made, "prod")
    assert deploy(lib, made, "stage").recorded
    assert deploy(lib, made, "prod", force=True, description="early").forced == (
        "the deny window 'migration' (FREQ=YEARLY;COUNT=1 from 00:00 for P1D, UTC)"
    )


def test_entries_written_by_a_newer_version_keep_their_fields_and_do_not_block_deploys(lib: Tracker) -> None:
    made = release(lib)
    store = memory(lib)[0]
    newer = DeploymentEntry.from_item(
        {
            "environment": {"id": "stage", "name": "Staging"},
            "date_requested": "2030-01-01T11:00:00.000Z",
            "requested_by": {"id": "bot", "name": "bot"},
            "description": "",
            "outcome": {"status": "verified"},  # a key this version does not know
        }
    )
    assert newer.extra == {"outcome": {"status": "verified"}}
    store.releases.items[made.release_id].deployments.append(newer)
    deploy(lib, made.release_id, "prod")
    kept = store.releases.items[made.release_id]
    assert kept.deployments[0].to_item()["outcome"] == {"status": "verified"}
    assert Release.from_row(kept.as_row()).release_manifest == kept.release_manifest


def test_verify_and_repair_follow_the_record(lib: Tracker) -> None:
    made = release(lib).release_id
    deploy(lib, made, "prod")
    parameters = memory(lib)[1]
    parameters.values["/bugfarm_73649/deployments/prod/hatching"] = "evil/image:1"
    parameters.values["/bugfarm_73649/deployments/qa/feeding"] = "stray/image:1"
    drifts = [str(d) for d in lib.verify()]
    assert drifts == [
        f"prod/hatching: SSM has evil/image:1, release {made} has registry.example/hatching:v1",
        "qa/feeding: SSM has stray/image:1 but the deployments table has no row",
    ]
    assert [str(d) for d in lib.repair("prod", "ops")] == [drifts[0]]
    assert [str(d) for d in lib.verify()] == [drifts[1]]  # never deleted


def test_an_event_that_was_not_sent_is_kept_reported_and_sent_again(lib: Tracker) -> None:
    made = release(lib).release_id
    events = memory(lib)[2]
    events.fail = "bus missing"
    result = deploy(lib, made, "stage")
    assert result.recorded and "the Deployment event was not sent (bus missing)" in result.warnings[0]
    (drift,) = lib.verify()
    assert "was not delivered to EventBridge (bus missing)" in drift.problem
    events.fail = None
    assert len(lib.repair(user="ops")) == 1 and [kind for kind, _ in events.sent] == ["Deployment"]
    assert lib.verify() == []


def test_status_and_pending_read_the_stores(lib: Tracker) -> None:
    made = release(lib).release_id
    deploy(lib, made, "stage")
    (stage,) = lib.status()
    assert stage.release_id == made and stage.last is not None and stage.last.requested_by.id == "ops"
    waiting = lib.pending(pin="off")
    assert waiting.environments == {"stage": made, "prod": None} and waiting.waiting
    assert [s.undeployed for s in waiting.services] == [["prod"], ["prod"]]


def test_bad_requests_are_refused_before_anything_is_read(lib: Tracker) -> None:
    with pytest.raises(UnknownEnvironmentError, match="environment 'qa' is not declared"):
        lib.plan(PlanRequest(environment_id="qa", release="latest"))
    with pytest.raises(InvalidInputError, match="not both"):
        lib.plan(PlanRequest(environment_id="prod", release="latest", from_environment="stage"))
    with pytest.raises(ReleaseNotFoundError, match="has no release yet"):
        deploy(lib, "latest", "prod")
