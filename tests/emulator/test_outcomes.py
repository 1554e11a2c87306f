"""``tracker wait`` against moto's ECS and CloudWatch over HTTP, rollouts moved by the test driver.

moto does not model rollouts (see tests/support/rollouts.py): services,
task definitions and alarms are created with real API calls, then the driver
sets each service's deployments in the emulator's backend as ECS would report
them. The tracker reads them with its real calls (ListClusters, ListServices,
DescribeServices with tags, DescribeTaskDefinition, DescribeAlarms) and
records verdicts with its real transaction. Moments "during" a wait are the
injected sleep's: the test moves the rollout when the tracker sleeps.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES, write_project
from tests.support.accounts import account_session
from tests.support.cli import Cli
from tests.support.counting import CallCounter
from tests.support.library import deploy, library, person, publish, release
from tests.support.rollouts import EmulatorDriver
from tests.support.tables import create_tables
from tracker.model.project import load_project
from tracker.model.requests import WaitRequest

REGISTRY = "registry.example"
CLUSTER = "bugfarm-prod"


def image(service: str, tag: str) -> str:
    return f"{REGISTRY}/{service}:{tag}"


@pytest.fixture
def driver(aws: Any) -> EmulatorDriver:
    return EmulatorDriver(boto3.session.Session())


def services(driver: EmulatorDriver, tag: str, env: str = "prod", cluster: str = CLUSTER) -> dict[str, str]:
    """One tagged ECS service per image in ``cluster``, running ``tag`` (rollout completed)."""
    tasks = {}
    for service in ("hatching", "feeding"):
        tasks[service] = driver.task(f"{service}-{tag}", image(service, tag))
        driver.service(
            cluster,
            f"{service}-{env}",
            tasks[service],
            {"deployment:service": service, "deployment:env": env},
        )
        driver.completed(cluster, f"{service}-{env}", tasks[service])
    return tasks


def move(driver: EmulatorDriver, tag: str, *names: str, env: str = "prod") -> dict[str, str]:
    """Complete the rollout of ``tag`` on the named services (default both)."""
    tasks = {}
    for service in names or ("hatching", "feeding"):
        tasks[service] = driver.task(f"{service}-{tag}", image(service, tag))
        driver.completed(CLUSTER, f"{service}-{env}", tasks[service])
    return tasks


class Moments:
    """A clock and a sleep the test owns: each sleep moves time and runs the next step."""

    def __init__(self) -> None:
        self.now = 2_000_000_000.0
        self.steps: list[Any] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.steps:
            self.steps.pop(0)()


def waiting(aws: Any, project: Any = None) -> tuple[Any, Moments]:
    moments = Moments()
    lib = library(aws, project or load_project(BUGFARM), clock=moments)
    lib.sleep = moments.sleep
    return lib, moments


def wait(lib: Any, **request: Any) -> Any:
    return lib.wait(WaitRequest(environment_id="prod", requested_by=person("ci"), **request))


def shipped(lib: Any, tag: str) -> str:
    publish(lib, tag)
    made = release(lib)
    deploy(lib, made.release_id, "prod")
    return made.release_id


def test_a_completed_rollout_is_verified_with_the_real_calls_counted(
    aws: Any, driver: EmulatorDriver
) -> None:
    lib, _ = waiting(aws)
    rid = shipped(lib, "v1")
    services(driver, "v1")
    counter = CallCounter()
    counter.attach_all(lib.clients)
    found: list[Any] = []
    calls = counter.measure(lambda: found.append(wait(lib)))
    assert found[0].status == "verified"
    assert calls == {
        # the row (which deployment), the release, the row again at the poll (still current?)
        "dynamodb": {"GetItem": 3, "TransactWriteItems": 1},
        "ecs": {"ListClusters": 1, "ListServices": 1, "DescribeServices": 1, "DescribeTaskDefinition": 2},
    }
    stored = lib.release(rid).last_entry("prod")
    assert stored.verdict == "verified"
    item = aws.dynamodb.get_item(
        TableName=DEPLOYMENTS, Key={"project_id": {"S": "bugfarm_73649"}, "environment_id": {"S": "prod"}}
    )["Item"]
    assert item["outcome"]["M"]["status"]["S"] == "verified"


def test_the_circuit_breaker_rolling_back_is_failed_saying_what_ecs_said(
    aws: Any, driver: EmulatorDriver
) -> None:
    lib, _ = waiting(aws)
    shipped(lib, "v1")
    old = services(driver, "v1")
    rid = shipped(lib, "v2")
    new = move(driver, "v2", "feeding")
    del new
    driver.circuit_breaker(
        CLUSTER, "hatching-prod", driver.task("hatching-v2", image("hatching", "v2")), old["hatching"]
    )
    result = wait(lib)
    assert result.status == "failed"
    reason = lib.release(rid).last_entry("prod").outcome.reason
    assert reason.startswith(
        f"hatching @ {CLUSTER}/hatching-prod: ECS rolled back to hatching-v1:1: "
        f"runs {image('hatching', 'v1')}, "
        f"released {image('hatching', 'v2')}: ECS deployment circuit breaker: tasks failed to start."
    )


def test_an_alarm_firing_during_the_bake_fails_it(aws: Any, driver: EmulatorDriver) -> None:
    project = replace(load_project(BUGFARM), alarms={"prod": ("bugfarm-5xx", "bugfarm-latency")})
    lib, moments = waiting(aws, project)
    rid = shipped(lib, "v1")
    services(driver, "v1")
    driver.alarm("bugfarm-5xx", "OK")
    driver.alarm("bugfarm-latency", "INSUFFICIENT_DATA")  # a quiet alarm without data is not firing
    moments.steps = [lambda: None, lambda: driver.alarm("bugfarm-5xx", "ALARM")]
    result = wait(lib, bake=600, interval=60)
    assert result.status == "failed" and moments.now == 2_000_000_000.0 + 120
    assert lib.release(rid).last_entry("prod").outcome.reason == "alarm bugfarm-5xx is in ALARM"


def test_a_service_never_updated_times_out(aws: Any, driver: EmulatorDriver) -> None:
    lib, _ = waiting(aws)
    shipped(lib, "v1")
    services(driver, "v1")
    rid = shipped(lib, "v2")
    move(driver, "v2", "feeding")
    result = wait(lib, timeout=60, interval=30)
    assert result.status == "timed_out"
    assert lib.release(rid).last_entry("prod").outcome.reason == (
        f"hatching @ {CLUSTER}/hatching-prod: timed out after 1m: runs {image('hatching', 'v1')}, "
        f"released {image('hatching', 'v2')}"
    )


def test_two_services_for_one_image_where_one_fails(aws: Any, driver: EmulatorDriver) -> None:
    lib, _ = waiting(aws)
    shipped(lib, "v1")
    tasks = services(driver, "v1")
    tags = {"deployment:service": "hatching", "deployment:env": "prod"}
    driver.service("bugfarm-canary", "hatching-canary", tasks["hatching"], tags)
    driver.failed("bugfarm-canary", "hatching-canary", tasks["hatching"])
    result = wait(lib)
    assert result.status == "failed"
    assert [c.label for c in result.checks if c.state == "failed"] == ["bugfarm-canary/hatching-canary"]


def test_an_image_no_service_runs_is_not_verified(aws: Any, driver: EmulatorDriver) -> None:
    lib, _ = waiting(aws)
    shipped(lib, "v1")
    task = driver.task("feeding-v1", image("feeding", "v1"))
    driver.service(CLUSTER, "feeding-prod", task, {"deployment:service": "feeding", "deployment:env": "prod"})
    driver.completed(CLUSTER, "feeding-prod", task)
    result = wait(lib, timeout=10)
    assert result.status == "timed_out"
    assert (
        "hatching @ (none): timed out after 10s: no ECS service runs registry.example/hatching:v1 in prod"
        in (result.outcome.reason)
    )


def test_a_newer_deployment_arriving_while_waiting_gets_no_verdict_of_this_wait(
    aws: Any, driver: EmulatorDriver
) -> None:
    lib, moments = waiting(aws)
    first = shipped(lib, "v1")
    services(driver, "v0")
    later: list[str] = []
    moments.steps = [lambda: later.append(shipped(lib, "v2"))]
    result = wait(lib)
    assert result.status == "superseded"
    assert lib.release(first).last_entry("prod").outcomes is None
    assert lib.release(later[0]).last_entry("prod").outcomes is None


def test_the_verdict_races_a_newer_deployment_and_the_transaction_refuses_it(
    aws: Any, driver: EmulatorDriver
) -> None:
    """The row moves between the last poll and the write: the transaction's condition refuses it."""
    lib, _ = waiting(aws)
    first = shipped(lib, "v1")
    services(driver, "v1")
    store = lib.store
    original = store.record_outcome
    later: list[str] = []

    def deploy_then_record(write: Any) -> None:
        later.append(shipped(lib, "v2"))
        original(write)

    store.record_outcome = deploy_then_record
    result = wait(lib)
    assert result.status == "superseded"
    assert lib.release(first).last_entry("prod").outcomes is None
    row = aws.dynamodb.get_item(
        TableName=DEPLOYMENTS, Key={"project_id": {"S": "bugfarm_73649"}, "environment_id": {"S": "prod"}}
    )["Item"]
    assert row["release_id"]["S"] == later[0] and "outcome" not in row


def test_a_cross_account_role_reads_ecs_in_the_projects_account(aws: Any, tmp_path: Path) -> None:
    account = "222233334444"
    document = json.loads(BUGFARM.read_text())
    document["project"]["role_arn"] = f"arn:aws:iam::{account}:role/bugfarm-ci"
    document["project"]["account_id"] = account
    path = write_project(tmp_path / "cross.json", document)
    session = account_session(account, "eu-west-1")
    create_tables(session.client("dynamodb"), RELEASES, DEPLOYMENTS)
    from tracker.stores.clients import Clients, Target

    clients = Clients(
        target=Target(region="eu-west-1", role_arn=document["project"]["role_arn"], account_id=account)
    )
    lib = library(clients, load_project(path))
    rid = shipped(lib, "v1")
    theirs = EmulatorDriver(session)
    for service in ("hatching", "feeding"):
        task = theirs.task(f"{service}-v1", image(service, "v1"))
        theirs.service(
            CLUSTER, f"{service}-prod", task, {"deployment:service": service, "deployment:env": "prod"}
        )
        theirs.completed(CLUSTER, f"{service}-prod", task)
    mine = EmulatorDriver(boto3.session.Session())  # the caller's own account has other services
    task = mine.task("hatching-v0", image("hatching", "v0"))
    mine.service(CLUSTER, "hatching-prod", task, {"deployment:service": "hatching", "deployment:env": "prod"})
    assert wait(lib).status == "verified"
    assert lib.release(rid).last_entry("prod").verdict == "verified"


# -- through the command line -------------------------------------------------------------------


def test_wait_on_the_command_line_prints_progress_and_the_verdict_and_exits_0(
    tracker: Cli, driver: EmulatorDriver
) -> None:
    for service in ("hatching", "feeding"):
        tracker("publish", service, image(service, "v1"))
    rid = tracker("release", "create", "--quiet").stdout.strip()
    out = tracker("deploy", rid, "prod", "--wait", "--interval", "0.1s", "--timeout", "0.5s", code=3)
    assert "deployed: release" in out.stdout and "timed out (recorded as failed)" in out.stdout
    assert "prod: hatching @ (none): no ECS service runs registry.example/hatching:v1 in prod" in out.stderr
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith(f"tracker: error: the deployment of release {rid} to prod failed: ")
    )
    services(driver, "v1")
    verified = tracker("wait", "prod", "--interval", "0.1s")
    assert verified.stdout.startswith(f"verified: release {rid} in prod\n  every service runs the release: ")
    history = tracker("history", "prod").stdout
    assert "[verified]" in history and "    failed " in history and "    verified " in history
    status = tracker("status").stdout
    assert "  verified " in status
    shown = tracker("release", "show", rid, "-o", "json").stdout
    assert [o["status"] for o in json.loads(shown)["release_manifest"]["deployments"][0]["outcomes"]] == [
        "failed",
        "verified",
    ]
    assert f"outcome: prod: release {rid}: verified " in tracker("verify").stdout
    report = tracker("report", "--output", "markdown").stdout
    assert "**verified** every service runs the release" in report and "deployment verified" in report
    page = tracker("report").stdout
    assert 'class="b k-verified" title="' in page and "verified: ECS runs it (tracker wait)" in page


def test_status_says_unverified_until_someone_waits(tracker: Cli) -> None:
    for service in ("hatching", "feeding"):
        tracker("publish", service, image(service, "v1"))
    rid = tracker("release", "create", "--quiet").stdout.strip()
    tracker("deploy", rid, "stage")
    assert "  unverified: nobody checked that ECS runs it (`tracker wait stage`)" in tracker("status").stdout


def test_skip_without_services_exits_0_and_records_nothing(tracker: Cli, state: Any) -> None:
    for service in ("hatching", "feeding"):
        tracker("publish", service, image(service, "v1"))
    rid = tracker("release", "create", "--quiet").stdout.strip()
    tracker("deploy", rid, "prod")
    before = state()
    out = tracker("wait", "prod", "--skip-without-services")
    assert "not waiting: the deployment stays unverified" in out.stdout
    assert state() == before


def test_bad_durations_are_one_line_and_write_nothing(tracker: Cli, state: Any) -> None:
    before = state()
    out = tracker("wait", "prod", "--timeout", "15", code=2)
    assert out.error_line() == (
        "tracker: error: --timeout '15' is not a duration: write a number and a unit, e.g. 90s, 15m, 1h or 1d"
    )
    assert state() == before


def test_deploy_wait_as_json_is_one_document_with_the_wait_inside(
    tracker: Cli, driver: EmulatorDriver
) -> None:
    for service in ("hatching", "feeding"):
        tracker("publish", service, image(service, "v1"))
    rid = tracker("release", "create", "--quiet").stdout.strip()
    services(driver, "v1")
    out = tracker("deploy", rid, "prod", "--wait", "--interval", "0.1s", "-o", "json")
    document = json.loads(out.stdout)
    assert document["release_id"] == rid and document["recorded"] is True
    assert document["wait"]["status"] == "verified" and document["wait"]["outcome"]["status"] == "verified"
    assert sorted(s["ecs_service"] for s in document["wait"]["services"]) == [
        f"{CLUSTER}/feeding-prod",
        f"{CLUSTER}/hatching-prod",
    ]
