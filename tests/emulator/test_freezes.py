"""Freezes and deployment windows: refused with one line, nothing written; --force records why.

Against the moto server over HTTP: the CLI (CliRunner) for what a user sees,
the library with an injected clock for schedules, and a store that freezes the
environment between the plan and the transaction for the race.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_project
from tests.support.cli import Cli
from tests.support.library import deploy, library, person, publish, release
from tracker.errors import EnvironmentClosedError, EnvironmentFrozenError
from tracker.model.clock import epoch
from tracker.model.project import load_project
from tracker.model.requests import FreezeRequest
from tracker.stores.tracking import DynamoTrackingStore


def one_error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def test_frozen_environment_refuses_deploy_promote_and_rollback_and_writes_nothing(
    tracker: Cli, state: Any
) -> None:
    tracker.publish("v1")
    r1 = tracker.release()
    tracker("deploy", r1, "stage")
    tracker("deploy", r1, "prod")
    tracker.publish("v2")
    r2 = tracker.release()
    tracker("deploy", r2, "stage")
    frozen = tracker("freeze", "prod", "--reason", "incident 42: payments failing", user="ophelia")
    assert "prod: frozen by ophelia since " in frozen.stdout
    before = state()
    for args in (("deploy", r2, "prod"), ("promote", "stage", "prod"), ("rollback", "prod", "--to", r2)):
        refused = tracker(*args, code=1)
        line = one_error_line(refused)
        assert line.startswith("tracker: error: environment 'prod' is frozen by ophelia since 20"), line
        assert '"incident 42: payments failing"' in line and "nothing was recorded" in line
        assert "--force" in line
    assert state() == before
    # Other environments are not frozen.
    tracker("rollback", "stage")
    status = tracker("status").stdout
    assert "FROZEN: frozen by ophelia since" in status and "incident 42" in status
    assert tracker.json("status")["prod"]["freeze"]["reason"] == "incident 42: payments failing"


def test_force_needs_a_description_and_the_record_says_what_it_forced(tracker: Cli, state: Any) -> None:
    tracker.publish("v1")
    r1 = tracker.release()
    tracker("deploy", r1, "prod")
    tracker.publish("v2")
    r2 = tracker.release()
    tracker("freeze", "prod", "--reason", "end of year", user="ophelia")
    before = state()
    bare = tracker("deploy", r2, "prod", "--force", code=2)
    assert one_error_line(bare) == (
        "tracker: error: --force needs --description saying why the freeze, window or policy is overridden"
    )
    assert state() == before

    forced = tracker.json("deploy", r2, "prod", "--force", "-d", "hotfix for incident 43")
    assert forced["forced"].startswith("the freeze: frozen by ophelia since ")
    entry = tracker.json("release", "show", r2)["release_manifest"]["deployments"][-1]
    assert entry["description"] == "hotfix for incident 43" and "end of year" in entry["forced"]
    history = tracker("history", "prod").stdout.splitlines()
    assert "[forced]" in history[0] and r2 in history[0]
    assert history[1].strip().startswith("forced through the freeze: frozen by ophelia")
    # Still frozen afterwards: forcing one deployment does not lift the freeze.
    assert tracker("rollback", "prod", code=1).stderr.count("is frozen") == 1
    rolled = tracker.json("rollback", "prod", "--force", "-d", "hotfix broke checkout")
    assert rolled["release_id"] == r1
    newest = tracker.json("history", "prod", "--limit", "1")[0]
    assert newest["rollback_from"] == r2 and newest["forced"]


def test_unfreeze_lifts_it_and_history_logs_both(tracker: Cli, state: Any) -> None:
    tracker.publish("v1")
    r1 = tracker.release()
    tracker("freeze", "prod", "--reason", "audit", user="ophelia")
    tracker("deploy", r1, "prod", code=1)
    tracker("unfreeze", "prod", "-d", "audit done", user="oscar")
    tracker("deploy", r1, "prod")
    before = state()
    again = tracker("unfreeze", "prod", code=1)
    assert one_error_line(again) == "tracker: error: environment 'prod' is not frozen; nothing was written"
    assert state() == before
    kinds = [(h["kind"], h["requested_by"]["id"], h["description"]) for h in tracker.json("history", "prod")]
    assert kinds == [
        ("deployment", "tester", ""),
        ("unfreeze", "oscar", "audit done"),
        ("freeze", "ophelia", "audit"),
    ]
    text = tracker("history", "--all").stdout
    assert "prod  UNFREEZE  by oscar — audit done" in text and "prod  FREEZE  by ophelia — audit" in text


def test_bad_freeze_input_is_one_line_and_writes_nothing(tracker: Cli, state: Any) -> None:
    before = state()
    cases = [
        (("freeze", "prod", "--reason", "   "), "tracker: error: --reason must not be empty"),
        (("freeze", "prod", "--reason", "x", "--until", "tomorrow"), "is not an ISO 8601 date-time"),
        (("freeze", "prod", "--reason", "x", "--until", "2001-01-01T00:00:00Z"), "is not in the future"),
        (("freeze", "qa", "--reason", "x"), "environment 'qa' is not declared"),
        (("history", "qa"), "environment 'qa' is not declared"),
    ]
    for args, expected in cases:
        # All bad input, the undeclared environment included: exit 2.
        assert expected in one_error_line(tracker(*args, code=2))
    assert state() == before


def seeded(aws: Any, manifest: Path) -> tuple[Any, str]:
    """The manifest's project with one release published and created; the façade and the release id."""
    tracker = library(aws, load_project(manifest))
    publish(tracker, "v1")
    return tracker, release(tracker).release_id


def at(tracker: Any, moment: float) -> Any:
    """The same tracker with its clock stopped at ``moment``."""
    return library(tracker.clients, tracker.project, clock=lambda: moment)


def test_freeze_until_ends_by_itself(aws: Any, bugfarm_file: Path) -> None:
    tracker, release_id = seeded(aws, bugfarm_file)
    start = epoch("2030-01-01T12:00:00Z")
    at(tracker, start).freeze(
        FreezeRequest(
            environment_id="prod",
            requested_by=person("ophelia"),
            reason="launch",
            until="2030-01-01T13:00:00Z",
        )
    )
    with pytest.raises(EnvironmentFrozenError, match="until 2030-01-01T13:00:00.000Z"):
        deploy(at(tracker, start + 3599), release_id, "prod")
    assert tracker.store.environments.row(tracker.project.id, "prod") is None
    done = deploy(at(tracker, start + 3600), release_id, "prod")
    assert done.recorded and done.forced is None


class FreezingStore(DynamoTrackingStore):
    """Freezes the environment (as another person would) right before the deployment's transaction."""

    project: Any = None

    def record(self, write: Any) -> Any:
        other = library(self.db.clients, self.project)
        other.freeze(
            FreezeRequest(environment_id="prod", requested_by=person("ophelia"), reason="a moment earlier")
        )
        return super().record(write)


def test_a_freeze_set_between_plan_and_record_wins(aws: Any, bugfarm_file: Path, state: Any) -> None:
    from tests.support.library import DEPLOYMENTS, RELEASES
    from tracker.app import Tracker
    from tracker.stores.dynamo import Dynamo, Tables

    seeding, release_id = seeded(aws, bugfarm_file)
    store = FreezingStore(Dynamo(aws, Tables(RELEASES, DEPLOYMENTS)))
    store.project = seeding.project
    tracker = Tracker(seeding.settings, clients=aws, project=seeding.project, store=store)
    with pytest.raises(EnvironmentFrozenError, match="frozen by ophelia since .*a moment earlier"):
        deploy(tracker, release_id, "prod")
    project_id = seeding.project.id
    assert store.environments.row(project_id, "prod") is None
    assert store.releases.get(release_id).deployments == []  # type: ignore[union-attr]
    assert seeding.parameters.get_path(f"/{project_id}/deployments", recursive=True) == {}


WEEKEND = {
    "name": "weekend",
    "type": "deny",
    "rrule": "FREQ=WEEKLY;BYDAY=FR",
    "start": "2026-01-02T16:00",
    "duration": "P2DT16H",
    "timezone": "Europe/London",
}
OFFICE = {
    "name": "office hours",
    "type": "allow",
    "rrule": "FREQ=WEEKLY;BYDAY=TU,WE,TH",
    "start": "2026-01-06T09:00",
    "duration": "PT7H",
    "timezone": "Europe/London",
}


def windowed(path: Path, *windows: dict[str, str]) -> Path:
    document = json.loads(path.read_text())
    document["environments"][1]["windows"] = list(windows)  # prod
    return write_project(path, document)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday 27 November 2026, 18:00 UTC (18:00 in London): inside the weekend.
        ("2026-11-27T18:00:00Z", "inside its deny window 'weekend'"),
        ("2026-11-30T07:59:59Z", "it opens Mon 2026-11-30 08:00 Europe/London (2026-11-30T08:00:00Z)"),
        # Summer time: Friday 3 July 2026 15:30 UTC is 16:30 in London.
        ("2026-07-03T15:30:00Z", "it opens Mon 2026-07-06 08:00 Europe/London (2026-07-06T07:00:00Z)"),
        ("2026-11-30T08:00:00Z", None),
        ("2026-11-27T15:59:59Z", None),
    ],
)
def test_deny_window_refuses_inside_and_says_when_it_opens(
    aws: Any, bugfarm_file: Path, moment: str, expected: str | None
) -> None:
    tracker, release_id = seeded(aws, windowed(bugfarm_file, WEEKEND))
    then = at(tracker, epoch(moment))
    if expected is None:
        assert deploy(then, release_id, "prod").recorded
        return
    with pytest.raises(EnvironmentClosedError) as refused:
        deploy(then, release_id, "prod")
    assert expected in str(refused.value) and "nothing was recorded" in str(refused.value)
    assert tracker.store.environments.row(tracker.project.id, "prod") is None
    # stage has no windows
    assert deploy(then, release_id, "stage").recorded


def test_allow_window_refuses_outside_and_force_records_the_window(aws: Any, bugfarm_file: Path) -> None:
    tracker, release_id = seeded(aws, windowed(bugfarm_file, WEEKEND, OFFICE))
    monday = at(tracker, epoch("2026-11-30T10:00:00Z"))  # after the weekend, but no office hours on Monday
    with pytest.raises(
        EnvironmentClosedError, match="outside its allow window 'office hours'.*opens Tue 2026-12-01 09:00"
    ):
        deploy(monday, release_id, "prod")
    friday = at(tracker, epoch("2026-11-27T17:00:00Z"))  # inside the weekend: it opens Tuesday, not Monday
    with pytest.raises(EnvironmentClosedError, match="deny window 'weekend'.*opens Tue 2026-12-01 09:00"):
        deploy(friday, release_id, "prod")
    forced = deploy(monday, release_id, "prod", description="security fix", force=True)
    assert forced.forced == f"the {tracker.project.windows['prod'][1].describe()}"
    tuesday = at(tracker, epoch("2026-12-01T09:30:00Z"))
    assert deploy(tuesday, release_id, "stage").recorded


def test_cli_refuses_a_closed_window_with_one_line(bugfarm_file: Path, aws: Any, state: Any) -> None:
    forever = dict(
        WEEKEND, name="migration", rrule="FREQ=YEARLY;COUNT=1", start="2020-01-01T00:00", duration="P36500D"
    )
    tracker = Cli(windowed(bugfarm_file, forever))
    tracker.publish("v1")
    release_id = tracker.release()
    before = state()
    line = one_error_line(tracker("deploy", release_id, "prod", code=1))
    assert line.startswith(
        "tracker: error: environment 'prod' takes no deployments now: inside its deny window 'migration'"
    )
    assert "it opens Fri 2119-12-08 00:00 Europe/London" in line
    assert state() == before
    assert "CLOSED: inside its deny window 'migration'" in tracker("status").stdout
    tracker("deploy", release_id, "prod", "--force", "-d", "the migration is done early")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "is not an RFC 5545 RRULE"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"duration": "P0D"}, "is zero"),
        ({"duration": "2 days"}, "windows[0].duration"),
        ({"type": "maybe"}, "windows[0].type"),
        ({"rrule": "DTSTART:20260101T000000\nRRULE:FREQ=DAILY"}, "must not contain DTSTART"),
    ],
)
def test_bad_windows_are_refused_when_the_manifest_is_read(
    bugfarm_file: Path, aws: Any, change: dict[str, str], expected: str
) -> None:
    tracker = Cli(windowed(bugfarm_file, dict(WEEKEND, **change)))
    line = one_error_line(tracker("status", code=2))
    assert "environments[1]" in line and expected in line, line
