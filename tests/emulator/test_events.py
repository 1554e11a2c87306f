"""EventBridge events on moto: a rule forwards them to an SQS queue, read back with plain boto3.

A bus that cannot take the event never undoes the deployment: a warning, a
`verify` finding, and `repair` sends it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Cli

REGISTRY = "registry.example"


def on_bus(project_file: Path, bus: str | None) -> Cli:
    """The CLI with TRACKER_EVENT_BUS set to ``bus`` (None: no events)."""
    return Cli(project_file, user="ophelia", env={"TRACKER_EVENT_BUS": bus or ""})


def forward_to_queue(aws: Any, bus: str) -> str:
    """A bus, a rule for the tracker's events and an SQS queue as its target; returns the queue URL."""
    events, sqs = aws.get("events"), aws.get("sqs")
    events.create_event_bus(Name=bus)
    queue = sqs.create_queue(QueueName=f"{bus}-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="to-queue", EventBusName=bus, EventPattern=json.dumps({"source": ["release-tracker"]})
    )
    events.put_targets(Rule="to-queue", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    return str(queue)


def received(aws: Any, queue: str) -> list[dict[str, Any]]:
    sqs = aws.get("sqs")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    )
    return [json.loads(m["Body"]) for m in messages]


def seed(tracker: Cli) -> str:
    for service in ("hatching", "feeding"):
        tracker("publish", service, f"{REGISTRY}/{service}:v1")
    return str(json.loads(tracker("release", "create", "-o", "json").stdout)["release_id"])


def test_deployments_freezes_and_unfreezes_reach_a_queue_through_a_rule(aws: Any, bugfarm_file: Path) -> None:
    queue = forward_to_queue(aws, "releases")
    tracker = on_bus(bugfarm_file, "releases")
    release_id = seed(tracker)
    tracker("deploy", release_id, "stage", "-d", "sprint 12")
    tracker("freeze", "stage", "--reason", "demo tomorrow", "--until", "2099-01-01T00:00:00Z")
    tracker("unfreeze", "stage", "-d", "demo done")
    events = received(aws, queue)
    assert [(e["source"], e["detail-type"]) for e in events] == [
        ("release-tracker", "Deployment"),
        ("release-tracker", "Freeze"),
        ("release-tracker", "Unfreeze"),
    ]
    deployment, frozen, unfrozen = (e["detail"] for e in events)
    images = {s: f"{REGISTRY}/{s}:v1" for s in ("hatching", "feeding")}
    assert deployment["project_id"] == "bugfarm_73649" and deployment["environment_id"] == "stage"
    assert deployment["release_id"] == release_id and deployment["images"] == images
    assert deployment["requested_by"] == {"id": "ophelia", "name": "ophelia"}
    assert deployment["description"] == "sprint 12" and deployment["date_requested"].endswith("Z")
    assert frozen["description"] == "demo tomorrow" and frozen["until"] == "2099-01-01T00:00:00.000Z"
    assert frozen["release_id"] == release_id and frozen["images"] == images
    assert unfrozen["description"] == "demo done"
    # An already-deployed release records nothing, and announces nothing.
    tracker("deploy", release_id, "stage")
    assert received(aws, queue) == []


def test_an_event_that_cannot_be_sent_is_a_warning_a_finding_and_repairable(
    aws: Any, bugfarm_file: Path
) -> None:
    tracker = on_bus(bugfarm_file, "not-yet")
    release_id = seed(tracker)
    done = tracker("deploy", release_id, "prod", "-d", "go")
    assert f"deployed: release {release_id} -> prod" in done.stdout
    warning = done.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith(
        "tracker: warning: the Deployment event was not sent ("
    )
    assert "the deployment itself is recorded" in warning[0]
    assert json.loads(tracker("status", "-o", "json").stdout)["prod"]["release_id"] == release_id

    found = tracker("verify", code=1).stdout
    assert (
        "drift: prod: the Deployment event of" in found
        and f"(release {release_id}) was not delivered" in found
    )

    queue = forward_to_queue(aws, "not-yet")
    assert "repaired: prod: the Deployment event" in tracker("repair").stdout
    assert [e["detail"]["release_id"] for e in received(aws, queue)] == [release_id]
    assert "ok:" in tracker("verify").stdout


def test_a_malformed_bus_is_refused_before_anything_is_written(
    aws: Any, bugfarm_file: Path, state: Any
) -> None:
    release_id = seed(on_bus(bugfarm_file, None))
    before = state()
    refused = on_bus(bugfarm_file, "no spaces allowed")("deploy", release_id, "prod", code=2)
    assert refused.stderr.strip().splitlines() == [
        "tracker: error: TRACKER_EVENT_BUS 'no spaces allowed' is not an EventBridge bus name or ARN "
        "(letters, digits, '.', '-', '_', '/'; or arn:aws:events:REGION:ACCOUNT:event-bus/NAME)"
    ]
    assert state() == before


@pytest.mark.parametrize("by_arn", [False, True])
def test_the_bus_may_be_named_by_arn(aws: Any, bugfarm_file: Path, by_arn: bool) -> None:
    queue = forward_to_queue(aws, "audit")
    arn = aws.get("events").describe_event_bus(Name="audit")["Arn"]
    tracker = on_bus(bugfarm_file, arn if by_arn else "audit")
    tracker("deploy", seed(tracker), "stage")
    assert [e["detail-type"] for e in received(aws, queue)] == ["Deployment"]
