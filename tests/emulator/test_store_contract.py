"""One contract, two stores: the DynamoDB store (over the moto server) and the in-memory one.

The workflows' unit tests (tests/unit/test_workflows.py) run on the memory
store; these cases hold it to what the DynamoDB store does with the real
calls -- ordering, the deployment's write and its named refusals, the reads --
so a rule proven in memory holds on DynamoDB.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.library import DEPLOYMENTS, RELEASES, person
from tracker.errors import WriteRefused
from tracker.model.entries import DeploymentEntry, EnvironmentRef, ProjectRef, Release
from tracker.model.records import DeploymentRow, Freeze, FreezeLogEntry
from tracker.stores.memory import MemoryTrackingStore
from tracker.stores.transaction import ENTRY, NOT_FROZEN, ROW, DeploymentWrite

PROJECT = "bugfarm_73649"


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryTrackingStore()
    from tracker.stores.dynamo import Dynamo, Tables
    from tracker.stores.tracking import DynamoTrackingStore

    aws = request.getfixturevalue("aws")
    return DynamoTrackingStore(Dynamo(aws, Tables(RELEASES, DEPLOYMENTS)))


def a_release(release_id: str, created_at: float, project: str = PROJECT) -> Release:
    return Release(
        release_id=f"{project}:{release_id}",
        project_id=project,
        created_at=created_at,
        project=ProjectRef(project, project),
        date_requested="2030-01-01T00:00:00.000Z",
        requested_by=person("ci"),
        description="",
        images={"hatching": f"registry.example/hatching:{release_id}"},
    )


def entry(environment: str, date: str = "2030-01-01T00:01:00.000Z") -> DeploymentEntry:
    return DeploymentEntry(EnvironmentRef(environment, environment), date, person("ops"), "")


def test_releases_are_listed_newest_first_ties_by_descending_id(store: Any) -> None:
    for release_id, at in (("a", 3.0), ("b", 2.0), ("d", 2.0), ("c", 2.0), ("e", 1.0)):
        store.releases.put(a_release(release_id, at))
    store.releases.put(a_release("x", 9.0, project="otherproj"))
    listed = [r.release_id.split(":")[1] for r in store.releases.newest(PROJECT)]
    assert listed == ["a", "d", "c", "b", "e"]
    assert [r.release_id for r in store.releases.with_prefix(PROJECT, "d")] == [f"{PROJECT}:d"]
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        store.releases.put(a_release("a", 4.0))  # an id is never overwritten


def test_a_deployment_write_and_each_named_refusal(store: Any) -> None:
    release = a_release("r1", 1.0)
    store.releases.put(release)
    snapshot = store.read(PROJECT, release.release_id, ["stage"], state_of="stage")
    assert snapshot.release == release and snapshot.rows == {} and snapshot.state.freeze is None
    row = store.record(DeploymentWrite(release, entry("stage"), 10.0, None))
    assert (row.release_id, row.version, row.deployed_at) == (release.release_id, 1, 10.0)

    def refused(write: DeploymentWrite) -> frozenset[str]:
        with pytest.raises(WriteRefused) as caught:
            store.record(write)
        return caught.value.failed

    stale = DeploymentRow(PROJECT, "stage", "someone-else", 5.0, 7)
    assert refused(DeploymentWrite(release, entry("stage"), 11.0, stale)) == {ROW}
    assert refused(DeploymentWrite(release, entry("prod"), 9.0, None)) == {ENTRY}  # older than deployed_at
    someone = person("ophelia")
    frozen = Freeze("audit", someone, "2030-01-01T00:00:00.000Z")
    store.environments.set_freeze(PROJECT, "prod", frozen, FreezeLogEntry("freeze", frozen.since, someone))
    assert refused(DeploymentWrite(release, entry("prod"), 12.0, None)) == {NOT_FROZEN}
    # Nothing of a refused write is there; a forced write skips the freeze check.
    after = store.read(PROJECT, release.release_id, ["stage", "prod"], state_of="prod")
    assert [e.environment.id for e in after.release.deployments] == ["stage"]
    assert set(after.rows) == {"stage"} and after.state.freeze == frozen
    store.record(DeploymentWrite(release, entry("prod"), 13.0, None, check_freeze=False))
    assert store.environments.row(PROJECT, "prod").release_id == release.release_id
    assert store.releases.get(release.release_id).deployed_at == 13.0


def test_freeze_state_and_rows_read_back_alike(store: Any) -> None:
    someone = person("ophelia")
    lifted = FreezeLogEntry("unfreeze", "2030-01-01T00:00:00.000Z", someone)
    assert store.environments.set_freeze(PROJECT, "prod", None, lifted) is False  # not frozen: nothing
    assert store.environments.state(PROJECT, "prod").log == []
    frozen = Freeze("audit", someone, "2030-01-01T00:00:00.000Z", "2030-01-02T00:00:00.000Z")
    store.environments.set_freeze(PROJECT, "prod", frozen, FreezeLogEntry("freeze", frozen.since, someone))
    rows, states = store.environments.all(PROJECT)
    assert (
        rows == []
        and states["prod"].freeze == frozen
        and [e.action for e in states["prod"].log] == ["freeze"]
    )
    assert store.environments.set_freeze(PROJECT, "prod", None, lifted) is True
    state = store.environments.state(PROJECT, "prod")
    assert state.freeze is None and [e.action for e in state.log] == ["freeze", "unfreeze"]
