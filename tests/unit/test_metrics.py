"""DORA metrics on histories built in memory with the test's clock, the numbers worked out by hand.

Each test builds prod's history with real workflows (publish, release, deploy,
rollback, freeze and force, a recorded verdict), moving the clock by hand, and
compares `Tracker.metrics` with the numbers in its comments. The CLI's text,
JSON and CSV over the emulator are in tests/emulator/test_metrics.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUGFARM
from tests.support.library import deploy, person, release, verdict
from tracker.app import Tracker
from tracker.errors import InvalidInputError, ProjectManifestError
from tracker.model.clock import epoch
from tracker.model.metrics import approx, p90, periods
from tracker.model.project import parse_project
from tracker.model.requests import FreezeRequest, PublishRequest, RollbackRequest, UnfreezeRequest

T = epoch("2030-01-01T12:00:00Z")  # a Tuesday
H = 3600.0
DAY = 24 * H


class Clock:
    def __init__(self) -> None:
        self.now = T - DAY

    def __call__(self) -> float:
        return self.now

    def at(self, hours: float) -> Clock:
        self.now = T + hours * H
        return self


def make(text: str | None = None) -> tuple[Tracker, Clock]:
    clock = Clock()
    return Tracker.in_memory(parse_project(text or BUGFARM.read_text()), clock=clock), clock


def publish(t: Tracker, tag: str, committed_hours_before: float | None = None) -> None:
    """Both services at ``tag``, with a revision (and the commit's time, when given)."""
    from tracker.model.clock import iso8601

    for service in t.project.service_ids:
        committed = None
        if committed_hours_before is not None:
            committed = iso8601(t.clock() - committed_hours_before * H)
        t.publish(
            PublishRequest(
                service_id=service,
                image_uri=f"registry.example/{service}:{tag}",
                user_id="ci",
                pin="off",
                revision=f"{tag}0c0ffee",
                committed=committed,
            )
        )


def week(t: Tracker, **options: Any) -> dict[str, Any]:
    """prod's metrics for the week from T (by week unless told)."""
    options = {"since": "2030-01-01T12:00:00Z", "until": "2030-01-08T12:00:00Z", **options}
    (found,) = t.metrics("prod", **options)
    return found.as_dict()


def history(t: Tracker, clock: Clock) -> None:
    """prod, hour by hour (T + h):

    0    publish v1            0.5  release A
    1    d1 deploy A           (verified at 2)
    4    publish v2, release B
    5    d2 deploy B           (failed at 5.5)
    6    d3 rollback to A
    20   publish v3, release C
    24   d4 deploy C
    25   publish v4, release D; prod frozen
    26   d5 deploy D, forced through the freeze (a fix 2 h after d4); unfrozen at 27
    50   d6 deploy C again (not a rollback: no new change)
    """
    clock.at(0)
    publish(t, "v1")
    clock.at(0.5)
    a = release(t).release_id
    clock.at(1)
    deploy(t, a, "prod")
    clock.at(2)
    verdict(t, a, "prod")
    clock.at(4)
    publish(t, "v2")
    b = release(t).release_id
    clock.at(5)
    deploy(t, b, "prod")
    clock.at(5.5)
    verdict(t, b, "prod", "failed")
    clock.at(6)
    t.rollback(RollbackRequest(environment_id="prod", requested_by=person("ops"), description="v2 broke"))
    clock.at(20)
    publish(t, "v3")
    c = release(t).release_id
    clock.at(24)
    deploy(t, c, "prod")
    clock.at(25)
    publish(t, "v4")
    d = release(t).release_id
    t.freeze(FreezeRequest(environment_id="prod", requested_by=person("ops"), reason="incident"))
    clock.at(26)
    deploy(t, d, "prod", force=True, description="hotfix")
    clock.at(27)
    t.unfreeze(UnfreezeRequest(environment_id="prod", requested_by=person("ops")))
    clock.at(50)
    deploy(t, c, "prod")
    clock.now = T + 8 * DAY


def test_an_empty_window_measures_nothing_and_says_so() -> None:
    t, clock = make()
    publish(t, "v1")
    deploy(t, release(t).release_id, "prod")  # a day before the window
    clock.now = T + 8 * DAY
    found = week(t)
    assert found["deployment_frequency"] == {"deployments": 0, "per_day": 0.0, "per_week": 0.0}
    assert found["lead_time_seconds"] == {"median": None, "p90": None, "changes": 0, "measured": 0}
    assert found["change_failure_rate"] == {"rate": None, "failures": 0, "deployments": 0}
    assert found["recovery_time_seconds"] == {"median": None, "incidents": 0, "unrecovered": 0}
    assert found["failed_deployments"] == []


def test_a_single_deployment_counts_lead_time_from_publish_and_from_the_commit() -> None:
    t, clock = make()
    clock.at(0)
    publish(t, "v1", committed_hours_before=2)  # committed at T-2h, published at T
    clock.at(1)
    rid = release(t).release_id
    clock.at(3)
    deploy(t, rid, "prod")
    found = week(t)
    # 1 deployment in 7 days; 2 changes (both services), each 3 h from publish, 5 h from commit.
    assert found["deployment_frequency"] == {"deployments": 1, "per_day": 0.143, "per_week": 1.0}
    assert found["lead_time_seconds"] == {"median": 3 * H, "p90": 3 * H, "changes": 2, "measured": 2}
    assert found["commit_lead_time_seconds"] == {"median": 5 * H, "p90": 5 * H, "measured": 2}
    assert found["change_failure_rate"] == {"rate": 0.0, "failures": 0, "deployments": 1}
    assert t.store.releases.get(rid).published["hatching"].revision == "v10c0ffee"  # type: ignore[union-attr]


def test_failed_outcome_rollback_forced_fix_and_a_release_deployed_twice() -> None:
    t, clock = make()
    history(t, clock)
    found = week(t)
    # 6 deployments. Failed: d2 (failed outcome, then rolled back) and d4 (a forced fix 2 h later).
    assert found["deployment_frequency"]["deployments"] == 6
    assert found["change_failure_rate"] == {"rate": 0.3333, "failures": 2, "deployments": 6}
    assert [f["why"] for f in found["failed_deployments"]] == [["failed", "rollback"], ["forced"]]
    # Changes: d1 2 × 1 h, d2 2 × 1 h, d3 a rollback (none), d4 2 × 4 h, d5 2 × 1 h, d6 none (C ran
    # before). Sorted [1,1,1,1,1,1,4,4] h: median 1 h; p90 the ⌈0.9 × 8⌉ = 8th, 4 h.
    assert found["lead_time_seconds"] == {"median": H, "p90": 4 * H, "changes": 8, "measured": 8}
    assert found["commit_lead_time_seconds"] == {"median": None, "p90": None, "measured": 0}
    # Incidents: d2 (5 h) → d3 (6 h) = 1 h; d4 (24 h) → d5 (26 h) = 2 h. Median 1.5 h.
    assert found["recovery_time_seconds"] == {"median": 1.5 * H, "incidents": 2, "unrecovered": 0}
    # Weeks from Monday, clipped to the window: all six in the first.
    assert [(p["start"], p["deployment_frequency"]["deployments"]) for p in found["periods"]] == [
        ("2030-01-01T12:00:00.000Z", 6),
        ("2030-01-07T00:00:00.000Z", 0),
    ]


def test_what_counts_as_a_failure_is_a_setting() -> None:
    t, clock = make()
    history(t, clock)
    # Only failed outcomes: d2 alone; its incident ends at d3 (1 h).
    only_failed = week(t, failures="failed")
    assert only_failed["change_failure_rate"]["failures"] == 1
    assert only_failed["recovery_time_seconds"]["median"] == H
    # Forced fixes within 1 h only: d5 came 2 h after d4, so nothing.
    assert week(t, failures="forced", fix_window="1h")["change_failure_rate"]["failures"] == 0
    assert week(t, failures="none")["change_failure_rate"] == {"rate": 0.0, "failures": 0, "deployments": 6}
    # The manifest's setting is the default.
    document = BUGFARM.read_text().rstrip().removesuffix("}") + ', "metrics": {"failures": ["rollback"]}}'
    t2, clock2 = make(document)
    history(t2, clock2)
    assert week(t2)["change_failure_rate"]["failures"] == 1
    assert week(t2)["counted_as_failure"] == {"failures": ["rollback"], "fix_window_seconds": DAY}


def test_a_window_opening_mid_history_compares_with_what_ran_then() -> None:
    t, clock = make()
    history(t, clock)
    found = week(t, since="2030-01-02T08:00:00Z")  # T + 20 h: d4, d5, d6 inside; d3 ran then
    # d4 changes v1 → v3 (2 × 4 h), d5 2 × 1 h, d6 none: [1,1,4,4] h, median 2.5 h, p90 4 h.
    assert found["lead_time_seconds"] == {"median": 2.5 * H, "p90": 4 * H, "changes": 4, "measured": 4}
    assert found["change_failure_rate"] == {"rate": 0.3333, "failures": 1, "deployments": 3}
    assert found["recovery_time_seconds"] == {"median": 2 * H, "incidents": 1, "unrecovered": 0}


def test_an_incident_not_recovered_yet_is_counted_apart() -> None:
    t, clock = make()
    publish(t, "v1")
    clock.at(0)
    rid = release(t).release_id
    clock.at(1)
    deploy(t, rid, "prod")
    clock.at(2)
    verdict(t, rid, "prod", "failed")
    found = week(t)
    assert found["recovery_time_seconds"] == {"median": None, "incidents": 1, "unrecovered": 1}
    assert found["change_failure_rate"]["rate"] == 1.0


def test_every_environment_and_the_default_one() -> None:
    t, clock = make()
    clock.at(0)
    publish(t, "v1")
    rid = release(t).release_id
    clock.at(1)
    deploy(t, rid, "stage")
    clock.at(2)
    deploy(t, rid, "prod")
    clock.at(3)
    (default,) = t.metrics(since="2030-01-01T00:00:00Z")
    assert default.environment_id == "prod"  # the manifest's last environment
    found = {m.environment_id: m.as_dict() for m in t.metrics(every=True, since="2030-01-01T00:00:00Z")}
    assert list(found) == ["stage", "prod"]
    assert found["stage"]["lead_time_seconds"]["median"] == 1 * H
    assert found["prod"]["lead_time_seconds"]["median"] == 2 * H


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "last tuesday"}, "--since 'last tuesday' is neither a duration"),
        ({"since": "2030-01-02", "until": "2030-01-01"}, "the window is empty"),
        ({"failures": "rollback,crash"}, "--failures 'rollback,crash': use failed, rollback and forced"),
        ({"fix_window": "soon"}, "--fix-window 'soon' is not a duration"),
        ({"by": "month"}, "--by must be one of day, week"),
        ({"environment_id": "qa"}, "environment 'qa' is not declared"),
        ({"environment_id": "prod", "every": True}, "name an environment or give --all, not both"),
    ],
)
def test_bad_options_are_one_line(options: dict[str, Any], message: str) -> None:
    t, _ = make()
    with pytest.raises(InvalidInputError) as refused:
        t.metrics(**options)
    assert str(refused.value).startswith(message)


def test_the_manifest_setting_is_checked() -> None:
    document = BUGFARM.read_text().rstrip().removesuffix("}") + ', "metrics": {"failures": ["oops"]}}'
    with pytest.raises(ProjectManifestError, match="metrics"):
        parse_project(document)


def test_helpers_round_and_rank_as_documented() -> None:
    assert [approx(s) for s in (45, 720, 3 * H + 720, 2 * DAY + 4 * H, 3 * H)] == [
        "45s",
        "12m",
        "3h12m",
        "2d4h",
        "3h",
    ]
    assert p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 9 and p90([5]) == 5
    # Days: [since, until) cut at UTC midnights.
    assert periods(T, T + DAY, "day") == [
        (T, epoch("2030-01-02T00:00:00Z")),
        (epoch("2030-01-02T00:00:00Z"), T + DAY),
    ]


def test_an_environment_new_to_a_long_history_reads_a_bounded_lookback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tracker.workflows.metrics as workflow

    t, clock = make()
    for build in range(30):  # stage only, before the window
        clock.now = T - DAY + build * 60
        publish(t, f"b{build}")
        deploy(t, release(t).release_id, "stage")
    clock.at(1)
    deploy(t, "latest", "prod")  # prod's first deployment, inside the window
    clock.at(2)
    releases = t.store.releases
    read: list[str] = []
    original = releases.recently_deployed

    def counting(*args: object, **kwargs: object) -> object:
        for found in original(*args, **kwargs):  # type: ignore[arg-type]
            read.append(found.release_id)
            yield found

    monkeypatch.setattr(releases, "recently_deployed", counting)
    monkeypatch.setattr(workflow, "LOOKBACK", 5)
    found = week(t)
    # Five stage deployments past the window, then it stops: prod's first deployment is counted,
    # its changes are not (what ran before it is unknown), and 24 releases stay unread.
    assert len(read) <= 7
    assert found["deployment_frequency"]["deployments"] == 1
    assert found["lead_time_seconds"]["changes"] == 0


def test_weco_yaml_declares_the_setting_per_project() -> None:
    from tracker.model.project import parse_projects

    yaml = """
shop:
  image_repositories: [{id: web}]
  environments: [{id: stage}, {id: prod}]
  metrics:
    failures: [failed, rollback]
    fix_window: 4h
"""
    (project,) = parse_projects(yaml).projects.values()
    assert project.metrics is not None and project.metrics.describe() == "failed, rollback"
    expected = {"failures": ["failed", "rollback"], "fix_window_seconds": 14400.0}
    assert project.describe()["metrics"] == expected
    with pytest.raises(ProjectManifestError, match=r"shop\.metrics\.fix_window 'soon' is not a duration"):
        parse_projects(yaml.replace("4h", "soon"))
