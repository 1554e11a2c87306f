"""`tracker metrics` and publish's revisions over the emulator (moto over HTTP).

The hand-worked numbers are in tests/unit/test_metrics.py; here the same
history, written through DynamoDB and read back through its GSI, must give the
same numbers, in one Query and no scan; then the CLI's text, JSON and CSV, and
the revisions publish records, shown by images, release show and diff.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.support.cli import REGISTRY, Cli
from tests.support.counting import CallCounter
from tests.support.library import library
from tests.unit.test_metrics import Clock, history, make, week

KEYS = [
    "environment",
    "since",
    "until",
    "by",
    "counted_as_failure",
    "deployment_frequency",
    "lead_time_seconds",
    "commit_lead_time_seconds",
    "change_failure_rate",
    "recovery_time_seconds",
    "failed_deployments",
    "periods",
]


def test_metrics_read_from_dynamodb_equal_the_hand_worked_ones_in_one_query(aws: Any, project: Any) -> None:
    clock = Clock()
    t = library(aws, project, clock=clock)
    history(t, clock)
    expected, memory_clock = make()
    history(expected, memory_clock)
    counter = CallCounter()
    counter.attach_all(aws)
    found, worked = week(t), week(expected)
    for failed in (*found["failed_deployments"], *worked["failed_deployments"]):
        failed.pop("release_id")  # random uuids; the rest must be equal
    assert found == worked
    # Four releases deployed: one Query page of the latest-deployments index, nothing else.
    assert dict(counter.counts) == {("dynamodb", "Query"): 1}
    assert counter.items_read == 4


def test_the_cli_speaks_text_json_and_csv(tracker: Cli) -> None:
    tracker.publish("v1")
    r1 = tracker.release()
    tracker("deploy", r1, "stage")
    tracker("promote", "stage", "prod")
    tracker.publish("v2")
    r2 = tracker.release()
    tracker("deploy", r2, "prod")
    tracker("rollback", "prod", "-d", "v2 broke checkout")

    found = tracker.json("metrics")  # prod, the manifest's last environment
    assert list(found) == KEYS and found["environment"] == "prod"
    assert found["deployment_frequency"]["deployments"] == 3
    assert found["change_failure_rate"] == {"rate": 0.3333, "failures": 1, "deployments": 3}
    assert found["failed_deployments"][0]["release_id"] == r2
    assert found["lead_time_seconds"]["changes"] == 4  # v1 and v2 of both services; the rollback none
    assert found["recovery_time_seconds"]["incidents"] == 1
    every = tracker.json("metrics", "--all")
    assert [m["environment"] for m in every] == ["stage", "prod"]

    rows = list(
        csv.reader(
            io.StringIO(tracker("metrics", "--all", "-o", "csv", "--since", "2d", "--by", "day").stdout)
        )
    )
    assert rows[0][:4] == ["environment", "period_start", "period_end", "deployments"]
    assert len(rows) == 1 + 2 * 3  # two environments × three days (the day 2 d ago, yesterday, today)
    assert [r[0] for r in rows[1:]] == ["stage"] * 3 + ["prod"] * 3
    assert sum(int(r[3]) for r in rows[1:] if r[0] == "prod") == 3

    text = tracker("metrics").stdout.splitlines()
    assert text[0].startswith("prod: ") and text[0].endswith(", by week")
    assert text[1] == "  deployment frequency   3 deployments · 0.1/day · 0.7/week"
    assert text[4].startswith("  change failure rate    33.3% (1 of 3; counted: failed, rollback, forced")
    assert text[6].split() == ["week", "deploys", "failures", "lead", "time", "recovery"]

    line = tracker("metrics", "--since", "last week", code=2).error_line()
    assert line == (
        "tracker: error: --since 'last week' is neither a duration (30d, 12h) "
        "nor an ISO 8601 date (2026-11-01)"
    )


def test_publish_records_the_revision_and_every_view_shows_it(tracker: Cli, state: Any, aws: Any) -> None:
    ci = {"GITHUB_SHA": "1111111aaaaaaabbbbbbb", "CI_COMMIT_TIMESTAMP": "2026-11-28T09:00:00+01:00"}
    for service in ("hatching", "feeding"):
        tracker("publish", service, f"{REGISTRY}/{service}:v1", env=ci)
    r1 = tracker.release()
    published = tracker.json("release", "show", r1)["release_manifest"]["published"]
    assert published["hatching"]["revision"] == "1111111aaaaaaabbbbbbb"
    assert published["hatching"]["committed"] == "2026-11-28T08:00:00.000Z"
    assert "(revision 1111111aaaaa)" in tracker("release", "show", r1).stdout
    tracker("deploy", r1, "prod")

    out = tracker("publish", "hatching", f"{REGISTRY}/hatching:v2", "--revision", "2222222ccc").stdout
    assert out.endswith("= registry.example/hatching:v2 (revision 2222222ccc)\n")
    assert f"{REGISTRY}/hatching:v2  (revision 2222222ccc)" in tracker("images").stdout
    assert tracker.json("images")["hatching"] == f"{REGISTRY}/hatching:v2"  # JSON keeps its shape
    tracker.release()
    diff = tracker("diff", "latest", "prod", code=1).stdout
    assert "(from latest; revision 1111111aaaaa → 2222222ccc)" in diff
    services = {s["service"]: s for s in tracker.json("diff", "latest", "prod", code=1)["services"]}
    assert (services["hatching"]["before_revision"], services["hatching"]["after_revision"]) == (
        "1111111aaaaaaabbbbbbb",
        "2222222ccc",
    )

    # An image published by other means: its record (naming v2) is ignored; the time is SSM's.
    name = "/bugfarm_73649/images/latest/hatching"
    aws.ssm.put_parameter(Name=name, Value=f"{REGISTRY}/hatching:v3", Type="String", Overwrite=True)
    r3 = tracker.release()
    hatching = tracker.json("release", "show", r3)["release_manifest"]["published"]["hatching"]
    assert set(hatching) == {"date"}
    before = state()
    line = tracker(
        "publish", "feeding", f"{REGISTRY}/feeding:v4", "--revision", "not a sha", code=2
    ).error_line()
    assert line.startswith("tracker: error: --revision 'not a sha' is not a commit sha or ref")
    assert state() == before
