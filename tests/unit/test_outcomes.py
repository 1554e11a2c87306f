"""``tracker wait``'s rules on the in-memory stores and the memory ECS: verdicts, recording, rollback.

The clock is the test's: ``sleep`` moves it, so a 15-minute timeout takes
microseconds. The same rules against moto's ECS (driven by
tests/support/rollouts.py) are in tests/emulator/test_outcomes.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import BUGFARM
from tests.support.library import deploy, person, publish, release
from tests.support.rollouts import MemoryDriver, deployment
from tracker.app import Tracker
from tracker.errors import InvalidInputError
from tracker.model.clock import epoch
from tracker.model.durations import describe, parse_duration
from tracker.model.project import load_project
from tracker.model.requests import WaitRequest
from tracker.model.rollouts import container_image, repository, same_image

START = epoch("2030-01-01T12:00:00Z")
DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


class Clock:
    """Time the test owns: reading it costs nothing, sleeping moves it."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []
        self.on_sleep: list[Any] = []  # callables run at each sleep (a rollout moving on)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep.pop(0)()


def make(project: Any = None) -> tuple[Tracker, Clock, MemoryDriver]:
    clock = Clock()
    found = Tracker.in_memory(project or load_project(BUGFARM), clock=clock, sleep=clock.sleep)
    return found, clock, MemoryDriver(found.ecs)


def tags(service: str, env: str = "prod") -> dict[str, str]:
    return {"deployment:service": service, "deployment:env": env}


def deployed(t: Tracker, tag: str = "v1", env: str = "prod") -> str:
    """Publish ``tag`` for every service, release it, deploy it to ``env``; the release id."""
    publish(t, tag)
    made = release(t)
    deploy(t, made.release_id, env)
    return made.release_id


def image(service: str, tag: str) -> str:
    return f"registry.example/{service}:{tag}"


def running(
    driver: MemoryDriver, tag: str, env: str = "prod", services: tuple[str, ...] = ("hatching", "feeding")
) -> dict[str, str]:
    """One ECS service per image, tagged for ``env``, its rollout of ``tag`` completed; task ARNs."""
    tasks = {}
    for service in services:
        tasks[service] = driver.task(f"{service}-{tag}", image(service, tag))
        driver.service("main", f"{service}-{env}", tasks[service], tags(service, env))
    return tasks


def wait(t: Tracker, env: str = "prod", **request: Any) -> Any:
    lines: list[str] = []
    result = t.wait(WaitRequest(environment_id=env, requested_by=person("ci"), **request), lines.append)
    result.lines = lines
    return result


def stored_entry(t: Tracker, release_id: str, env: str = "prod") -> Any:
    return t.store.releases.get(release_id).last_entry(env)


# -- the verdicts -------------------------------------------------------------------------------


def test_every_service_running_the_release_is_verified_on_the_entry_the_row_and_the_event() -> None:
    t, clock, driver = make()
    rid = deployed(t)
    running(driver, "v1")
    result = wait(t)
    assert result.status == "verified" and result.exit_code == 0
    entry = stored_entry(t, rid)
    assert entry.verdict == "verified" and entry.outcome.date == "2030-01-01T12:00:00.000Z"
    assert (
        "hatching @ main/hatching-prod: runs registry.example/hatching:v1 (2/2 tasks)" in entry.outcome.reason
    )
    row = t.store.environments.row(t.project.id, "prod")
    assert row.outcome == entry.outcome
    assert t.store.environments.state(t.project.id, "prod").last_verified.release_id == rid
    assert [kind for kind, _ in t.events.sent][-1] == "Deployment Verified"
    assert clock.slept == []  # verified at the first look: no bake without alarms


def test_a_rollout_in_progress_is_followed_with_one_line_per_change_until_it_completes() -> None:
    t, clock, driver = make()
    deployed(t, "v1")
    tasks = running(driver, "v1")
    deployed(t, "v2")
    new = {s: driver.task(f"{s}-v2", image(s, "v2")) for s in ("hatching", "feeding")}
    driver.completed("main", "feeding-prod", new["feeding"])
    driver.in_progress("main", "hatching-prod", new["hatching"], tasks["hatching"], running=1)
    clock.on_sleep = [
        lambda: None,  # still 1/2 after the first interval: no new line
        lambda: driver.completed("main", "hatching-prod", new["hatching"]),
    ]
    result = wait(t, interval=5)
    assert result.status == "verified"
    assert clock.slept == [5, 5]
    hatching = [line for line in result.lines if "hatching" in line]
    assert hatching == [
        "prod: hatching @ main/hatching-prod: rolling out registry.example/hatching:v2 "
        "(1/2 tasks, IN_PROGRESS)",
        "prod: hatching @ main/hatching-prod: runs registry.example/hatching:v2 (2/2 tasks)",
    ]


def test_the_circuit_breaker_rolling_back_fails_the_deployment_saying_what_ecs_said() -> None:
    t, _, driver = make()
    deployed(t, "v1")
    old = running(driver, "v1")
    rid = deployed(t, "v2")
    new = driver.task("hatching-v2", image("hatching", "v2"))
    driver.completed("main", "feeding-prod", driver.task("feeding-v2", image("feeding", "v2")))
    driver.circuit_breaker("main", "hatching-prod", new, back_to=old["hatching"])
    result = wait(t)
    assert result.status == "failed" and result.exit_code == 1
    reason = stored_entry(t, rid).outcome.reason
    assert reason.startswith(
        "hatching @ main/hatching-prod: ECS rolled back to hatching-v1:1: runs "
        "registry.example/hatching:v1, released registry.example/hatching:v2: "
    )
    assert "ECS deployment circuit breaker: tasks failed to start. (3 tasks failed to start)" in reason
    assert [kind for kind, _ in t.events.sent][-1] == "Deployment Failed"


def test_a_failed_rollout_without_rollback_fails_too() -> None:
    t, _, driver = make()
    deployed(t, "v1")
    tasks = running(driver, "v1")
    driver.failed("main", "feeding-prod", tasks["feeding"])
    result = wait(t)
    assert result.status == "failed"
    assert (
        "feeding @ main/feeding-prod: rollout failed (0/2 tasks): ECS deployment circuit breaker"
        in result.outcome.reason
    )


def test_a_service_never_updated_times_out_as_failed_naming_what_it_runs_and_exits_3() -> None:
    t, clock, driver = make()
    deployed(t, "v1")
    running(driver, "v1")
    rid = deployed(t, "v2")
    driver.completed("main", "feeding-prod", driver.task("feeding-v2", image("feeding", "v2")))
    result = wait(t, timeout=60, interval=20)
    assert result.status == "timed_out" and result.exit_code == 3
    assert clock.now == START + 60 and clock.slept == [20, 20, 20]
    assert stored_entry(t, rid).outcome.reason == (
        "hatching @ main/hatching-prod: timed out after 1m: runs registry.example/hatching:v1, "
        "released registry.example/hatching:v2"
    )


def test_a_later_wait_that_sees_it_complete_records_verified_and_both_stay() -> None:
    t, _, driver = make()
    deployed(t, "v1")
    running(driver, "v1")
    rid = deployed(t, "v2")
    new = {s: driver.task(f"{s}-v2", image(s, "v2")) for s in ("hatching", "feeding")}
    driver.completed("main", "feeding-prod", new["feeding"])
    assert wait(t, timeout=10).status == "timed_out"
    driver.completed("main", "hatching-prod", new["hatching"])
    assert wait(t).status == "verified"
    assert [o.status for o in stored_entry(t, rid).outcomes] == ["failed", "verified"]


def test_an_image_no_service_runs_is_never_verified() -> None:
    t, _, driver = make()
    rid = deployed(t, "v1")
    running(driver, "v1", services=("feeding",))
    result = wait(t, timeout=30)
    assert result.status == "timed_out"
    assert stored_entry(t, rid).outcome.reason == (
        "hatching @ (none): timed out after 30s: no ECS service runs registry.example/hatching:v1 in prod "
        "(searched by the tags deployment:service and deployment:env=prod)"
    )


def test_no_service_at_all_with_skip_records_nothing_and_says_the_deployment_stays_unverified() -> None:
    t, clock, _ = make()
    rid = deployed(t, "v1")
    result = wait(t, skip_without_services=True)
    assert result.status == "no_services" and result.exit_code == 0
    assert "not waiting: the deployment stays unverified" in result.note
    assert stored_entry(t, rid).outcomes is None and clock.slept == []


def test_two_services_for_one_image_where_one_fails_fail_the_deployment() -> None:
    t, _, driver = make()
    rid = deployed(t, "v1")
    tasks = running(driver, "v1")
    driver.service("canary", "hatching-canary", tasks["hatching"], tags("hatching"))
    driver.failed("canary", "hatching-canary", tasks["hatching"])
    result = wait(t)
    assert result.status == "failed"
    assert [c.label for c in result.checks if c.state == "failed"] == ["canary/hatching-canary"]
    assert stored_entry(t, rid).outcome.reason.startswith("hatching @ canary/hatching-canary: rollout failed")


def test_services_of_other_environments_and_untagged_ones_are_not_read_as_this_ones() -> None:
    t, _, driver = make()
    deployed(t, "v1", env="prod")
    stage = running(driver, "v0", env="stage")  # another image, in stage: must not count
    driver.service("main", "hatching-untagged", stage["hatching"], {})
    running(driver, "v1", env="prod")
    result = wait(t)
    assert result.status == "verified"
    assert sorted(c.label for c in result.checks) == ["main/feeding-prod", "main/hatching-prod"]


def test_a_service_tagged_for_another_project_is_not_this_ones() -> None:
    t, _, driver = make()
    deployed(t, "v1")
    theirs = driver.task("hatching-theirs", "registry.example/hatching:theirs")
    driver.service(
        "shared", "hatching-other", theirs, {**tags("hatching"), "deployment:project": "otherproj"}
    )
    running(driver, "v1")
    mine = {**tags("feeding"), "deployment:project": t.project.id}
    driver.service("shared", "feeding-mine", driver.task("feeding-x", image("feeding", "v1")), mine)
    result = wait(t)
    assert result.status == "verified"
    assert sorted(c.label for c in result.checks) == [
        "main/feeding-prod",
        "main/hatching-prod",
        "shared/feeding-mine",
    ]


def test_an_alarm_firing_during_the_bake_fails_the_deployment() -> None:
    t, clock, driver = make(_with(alarms={"prod": ("prod-5xx",)}))
    rid = deployed(t)
    running(driver, "v1")
    driver.alarm("prod-5xx", "OK")
    clock.on_sleep = [lambda: None, lambda: driver.alarm("prod-5xx", "ALARM")]
    result = wait(t, bake=120, interval=30)
    assert result.status == "failed"
    assert stored_entry(t, rid).outcome.reason == "alarm prod-5xx is in ALARM"
    assert clock.now == START + 60


def test_alarms_that_stay_ok_for_the_bake_verify_and_the_bake_defaults_to_5_minutes() -> None:
    t, clock, driver = make(_with(alarms={"prod": ("prod-5xx",)}))
    rid = deployed(t)
    running(driver, "v1")
    driver.alarm("prod-5xx", "OK")
    result = wait(t, interval=60)
    assert result.status == "verified" and clock.now == START + 300
    assert stored_entry(t, rid).outcome.reason.startswith("every service runs the release (baked 5m): ")
    assert any("baking for 5m (alarms: prod-5xx)" in line for line in result.lines)


def test_an_alarm_that_does_not_exist_fails_rather_than_verifying() -> None:
    t, _, driver = make(_with(alarms={"prod": ("prod-typo",)}))
    deployed(t)
    running(driver, "v1")
    result = wait(t, bake=0)
    assert result.status == "failed"
    assert result.outcome.reason == "alarm prod-typo does not exist (named in the manifest for prod)"


def test_a_service_losing_tasks_during_the_bake_fails() -> None:
    t, clock, driver = make()
    deployed(t)
    tasks = running(driver, "v1")
    clock.on_sleep = [
        lambda: driver.set_deployments(
            "main", "feeding-prod", [deployment(tasks["feeding"], state="IN_PROGRESS", running=1)], []
        )
    ]
    result = wait(t, bake=60, interval=30)
    assert result.status == "failed"
    assert result.outcome.reason == (
        "during the bake: feeding @ main/feeding-prod: rolling out registry.example/feeding:v1 "
        "(1/2 tasks, IN_PROGRESS)"
    )


def test_a_newer_deployment_arriving_while_waiting_ends_the_wait_and_its_verdict_never_lands_on_it() -> None:
    t, clock, driver = make()
    first = deployed(t, "v1")
    running(driver, "v0")  # ECS still runs something else
    second: list[str] = []
    clock.on_sleep = [lambda: second.append(deployed(t, "v2"))]
    result = wait(t)
    assert result.status == "superseded" and result.exit_code == 1
    assert f"prod now runs a newer deployment (release {second[0]}" in result.note
    assert stored_entry(t, first).outcomes is None and stored_entry(t, second[0]).outcomes is None


def test_a_verdict_written_after_a_newer_deployment_is_refused_by_the_transaction() -> None:
    """The race the per-poll read cannot close: the row moves between the last read and the write."""
    t, _, driver = make()
    first = deployed(t, "v1")
    running(driver, "v1")
    store = t.store
    original = store.record_outcome
    second: list[str] = []

    def deploy_first_then_record(write: Any) -> None:
        second.append(deployed(t, "v2"))
        original(write)

    store.record_outcome = deploy_first_then_record  # type: ignore[method-assign]
    result = wait(t)
    assert result.status == "superseded"
    assert stored_entry(t, first).outcomes is None and stored_entry(t, second[0]).outcomes is None
    assert t.store.environments.row(t.project.id, "prod").outcome is None


def test_rollback_on_failure_deploys_the_last_verified_release_not_merely_the_previous_one() -> None:
    t, _, driver = make()
    good = deployed(t, "v1")
    tasks = running(driver, "v1")
    assert wait(t).status == "verified"
    bad = deployed(t, "v2")  # never verified
    worse = deployed(t, "v3")
    driver.circuit_breaker(
        "main", "hatching-prod", driver.task("hatching-v3", image("hatching", "v3")), tasks["hatching"]
    )
    result = wait(t, rollback_on_failure=True)
    assert result.status == "failed" and result.rollback is not None
    assert t.store.environments.row(t.project.id, "prod").release_id == good != bad
    entry = stored_entry(t, good)
    assert entry.rollback_from == worse and entry.rollback_of == result.date_requested
    assert entry.description.startswith(
        f"rollback of prod from {worse} to {good}: after the failed rollout of "
    )


def test_rollback_on_failure_without_a_verified_release_says_so_and_rolls_nothing_back() -> None:
    t, _, driver = make()
    deployed(t, "v1")
    tasks = running(driver, "v1")
    driver.failed("main", "feeding-prod", tasks["feeding"])
    result = wait(t, rollback_on_failure=True)
    assert result.status == "failed" and result.rollback is None
    assert result.note == "prod has no other verified release to roll back to; nothing rolled back"


def test_rollback_on_failure_into_a_frozen_environment_is_refused_unless_forced() -> None:
    from tracker.model.requests import FreezeRequest

    t, _, driver = make()
    good = deployed(t, "v1")
    tasks = running(driver, "v1")
    wait(t)
    bad = deployed(t, "v2")
    driver.failed("main", "hatching-prod", driver.task("hatching-v2", image("hatching", "v2")))
    t.freeze(FreezeRequest(environment_id="prod", requested_by=person("ops"), reason="incident 7"))
    result = wait(t, rollback_on_failure=True)
    assert result.rollback is None and "was refused: environment 'prod' is frozen" in result.note
    assert t.store.environments.row(t.project.id, "prod").release_id == bad
    forced = wait(t, rollback_on_failure=True, force=True, description="incident 7: back to v1")
    assert forced.rollback is not None and t.store.environments.row(t.project.id, "prod").release_id == good
    assert stored_entry(t, good).forced is not None
    del tasks


def test_declared_services_replace_the_tag_search() -> None:
    declared = {"prod": {"hatching": (("main", "hatch-svc"),), "feeding": (("main", "feed-svc"),)}}
    t, _, driver = make(_with(ecs_declared=declared))
    deployed(t)
    for service, name in (("hatching", "hatch-svc"), ("feeding", "feed-svc")):
        driver.service("main", name, driver.task(service, image(service, "v1")), {})
    result = wait(t)
    assert result.status == "verified"
    assert driver.ecs.calls.count("ListClusters") == 0 and driver.ecs.calls.count("DescribeServices") == 1


def test_a_declared_service_that_does_not_exist_times_out_naming_it() -> None:
    declared = {"prod": {"hatching": (("main", "gone"),)}}
    t, _, driver = make(_with(ecs_declared=declared))
    deployed(t)
    result = wait(t, timeout=5)
    assert (
        result.outcome.reason
        == "hatching @ main/gone: timed out after 5s: not found in its cluster (declared in the manifest)"
    )


def test_a_digest_pinned_release_is_verified_by_digest_whatever_the_tag_in_the_task_definition() -> None:
    assert same_image(f"r.example/app:v1@{DIGEST}", f"r.example/app@{DIGEST}")
    assert same_image(f"r.example/app@{DIGEST}", f"r.example/app:v2@{DIGEST}")
    assert not same_image(f"r.example/app@{OTHER}", f"r.example/app@{DIGEST}")
    assert not same_image("r.example/app:v1", f"r.example/app:v1@{DIGEST}")  # a tag alone proves no digest
    assert not same_image(f"r.example/other@{DIGEST}", f"r.example/app@{DIGEST}")
    assert same_image("r.example/app:v1", "r.example/app:v1") and not same_image(
        "r.example/app:v2", "r.example/app:v1"
    )


def test_the_container_for_the_image_is_found_by_repository_among_sidecars() -> None:
    images = {"envoy": "public.ecr.aws/envoy:v1", "app": "host:5000/team/app:v3"}
    assert repository("host:5000/team/app:v3") == "host:5000/team/app"
    assert container_image(images, "host:5000/team/app:v4") == "host:5000/team/app:v3"
    assert container_image(images, "host:5000/team/else:v4") is None
    assert container_image({"only": "x/y:1"}, "a/b:2") == "x/y:1"


def test_durations_read_as_people_write_them_and_anything_else_is_refused() -> None:
    assert [parse_duration(v) for v in ("90s", "15m", "1h", "1d", "0", "0.5s")] == [
        90,
        900,
        3600,
        86400,
        0,
        0.5,
    ]
    assert [describe(v) for v in (90, 900, 5400, 0)] == ["1m30s", "15m", "1h30m", "0s"]
    for bad in ("15", "m", "-5m", "1w", "5 m"):
        with pytest.raises(InvalidInputError, match=f"--timeout '{bad}' is not a duration"):
            parse_duration(bad, "--timeout")


def test_waiting_on_an_environment_with_nothing_deployed_is_refused() -> None:
    from tracker.errors import NothingDeployedError

    t, _, _ = make()
    with pytest.raises(NothingDeployedError, match="nothing is deployed to environment 'prod'"):
        wait(t)


def _with(**changes: Any) -> Any:
    return replace(load_project(BUGFARM), **changes)


# -- the manifest's declarations, both formats ------------------------------------------------------

RFC_DECLARING = {
    "project": {"id": "shop", "name": "Shop"},
    "services": [{"id": "web", "name": "Web"}],
    "environments": [
        {
            "id": "prod",
            "name": "Production",
            "ecs_services": {
                "web": [{"cluster": "prod", "service": "web-a"}, {"cluster": "prod", "service": "web-b"}]
            },
            "alarms": ["prod-5xx"],
        }
    ],
}
WECO_DECLARING = """
shop:
  environments:
    - id: prod
      ecs_services: {web: [{cluster: prod, service: web-a}, {cluster: prod, service: web-b}]}
      alarms: [prod-5xx]
  image_repositories:
    - id: web
      services: [web-frontend]
"""


def test_both_formats_declare_ecs_services_and_alarms_per_environment() -> None:
    import json

    from tracker.model.project import parse_project

    for text in (json.dumps(RFC_DECLARING), WECO_DECLARING):
        found = parse_project(text)
        assert found.ecs_declared == {"prod": {"web": (("prod", "web-a"), ("prod", "web-b"))}}
        assert found.alarms == {"prod": ("prod-5xx",)}
    assert parse_project(WECO_DECLARING).ecs_tag_ids() == {"web-frontend": "web"}
    assert parse_project(json.dumps(RFC_DECLARING)).ecs_tag_ids() == {"web": "web"}


def test_a_declaration_for_a_service_the_manifest_lacks_is_refused_when_it_loads() -> None:
    import json

    from tracker.errors import ProjectManifestError
    from tracker.model.project import parse_project

    bad = json.loads(json.dumps(RFC_DECLARING))
    bad["environments"][0]["ecs_services"] = {"api": [{"cluster": "prod", "service": "api"}]}
    with pytest.raises(ProjectManifestError, match=r"environments\[0\].ecs_services: 'api' is not a service"):
        parse_project(json.dumps(bad))
    bad["environments"][0]["ecs_services"] = {"web": [{"cluster": "prod"}]}
    with pytest.raises(ProjectManifestError, match="'service' is a required property"):
        parse_project(json.dumps(bad))
