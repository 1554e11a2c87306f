"""Section 8: `tracker wait` -- AWS calls per poll as ECS services grow, and how late a verdict is seen.

ECS services are created with real calls on the emulator and their rollouts
moved by the test suite's driver (tests/support/rollouts.py: moto models no
rollouts). Calls per poll are the difference between a wait that needs two
polls (the rollout completes during the first sleep) and one that needs one;
the delay is measured in real time: the rollout completes at a random moment
while `wait` polls at its interval, and the delay is from that moment to the
verdict.
"""

from __future__ import annotations

import math
import random
import threading
import time
from typing import Any

from bench.common import counted, deploy_to, log, make_project, new_release, publish_all
from tests.support.counting import CallCounter

CLUSTER = "bench"


def _services(tracker: Any, driver: Any, release_id: str, tag: str) -> dict[str, str]:
    """One ECS service per image, tagged for prod; the task definitions of ``release_id``."""
    release = tracker.release(release_id)
    tasks = {}
    for service, uri in release.images.items():
        tasks[service] = driver.task(f"{tracker.project.id}-{service}-{tag}", uri)
    return tasks


def _project(services: int, name: str = "ecs") -> tuple[Any, Any, dict[str, str], dict[str, str]]:
    """A project whose prod ran an old release and now runs a new one (unverified); ECS runs the old."""
    import boto3

    from tests.support.rollouts import EmulatorDriver

    project = make_project(f"bench-{name}-{services}", services)
    tracker = counted(CallCounter(), project)
    driver = EmulatorDriver(boto3.session.Session())
    publish_all(tracker, build=1)
    old = new_release(tracker)
    publish_all(tracker, build=2)
    new = new_release(tracker)
    deploy_to(tracker, old, "prod")
    deploy_to(tracker, new, "prod")
    before, after = _services(tracker, driver, old, "old"), _services(tracker, driver, new, "new")
    for service, task in before.items():
        # Every bench project has svc001...: deployment:project keeps each project's services its own.
        tags = {"deployment:service": service, "deployment:env": "prod", "deployment:project": project.id}
        driver.service(f"{CLUSTER}-{name}-{services}", f"{service}-prod", task, tags)
    return project, driver, before, after


def _wait(tracker: Any, **request: Any) -> Any:
    from tracker.model.requests import WaitRequest

    result = tracker.wait(WaitRequest(environment_id="prod", requested_by=tracker.person(), **request))
    if result.status != "verified":
        raise RuntimeError(f"wait said {result.status}: {result.outcome or result.note}")
    return result


def _again(tracker: Any) -> None:
    """Prod back to the old release and then the new one again: a new, unverified deployment of it."""
    from tracker.model.requests import RollbackRequest

    back = tracker.rollback(RollbackRequest(environment_id="prod", requested_by=tracker.person()))
    deploy_to(tracker, back.entry.rollback_from, "prod")


def calls_per_poll(services: int) -> dict[str, Any]:
    """Calls of a wait verified at its first poll, and of each further poll (each from a fresh process's
    state: task definitions not yet described)."""
    project, driver, before, after = _project(services)
    cluster = f"{CLUSTER}-ecs-{services}"
    for service in before:
        driver.in_progress(cluster, f"{service}-prod", after[service], before[service])

    def complete(_: float) -> None:
        for service in after:
            driver.completed(cluster, f"{service}-prod", after[service])

    counter = CallCounter()
    tracker = counted(counter, project)
    tracker.person()
    tracker.sleep = complete
    two = counter.measure(lambda: _wait(tracker))  # in progress, then completed during the sleep
    _again(tracker)
    counter = CallCounter()
    tracker = counted(counter, project)
    tracker.person()
    one = counter.measure(lambda: _wait(tracker))  # completed at the first look
    further: dict[str, dict[str, int]] = {}
    for service, ops in two.items():
        for op, n in ops.items():
            extra = n - one.get(service, {}).get(op, 0)
            if extra:
                further.setdefault(service, {})[op] = extra
    # What the tag search has to go through: every cluster and service of the account and region.
    clusters = driver.ecs.list_clusters()["clusterArns"]
    sizes = [len(driver.ecs.list_services(cluster=c, maxResults=100)["serviceArns"]) for c in clusters]
    return {
        "first_poll_and_record": one,
        "each_further_poll": further,
        "account": {"clusters": len(clusters), "services": sum(sizes)},
        "expected_describe_calls": sum(math.ceil(n / 10) for n in sizes),
    }


def _finish(driver: Any, cluster: str, service: str, task: str, delay: float, at: list[float]) -> None:
    """After ``delay`` seconds, complete the rollout of ``task``; note when."""
    time.sleep(delay)
    driver.completed(cluster, f"{service}-prod", task)
    at.append(time.monotonic())


def verdict_delay(interval: float, runs: int) -> dict[str, Any]:
    """Seconds from the rollout completing (at a random moment) to `wait` returning verified."""
    project, driver, before, after = _project(1, "delay")
    tracker = counted(CallCounter(), project)
    cluster = f"{CLUSTER}-delay-1"
    (service,) = before
    delays = []
    for run in range(runs):
        if run:
            _again(tracker)
        driver.in_progress(cluster, f"{service}-prod", after[service], before[service])
        completed: list[float] = []
        worker = threading.Thread(
            target=_finish,
            args=(driver, cluster, service, after[service], random.uniform(0.2, 2 * interval), completed),
        )
        worker.start()
        _wait(tracker, interval=interval)
        seen = time.monotonic()
        worker.join()
        delays.append(round(seen - completed[0], 3))
    # What one look and the record take (ECS already done): the part of the delay that is not waiting.
    _again(tracker)
    driver.completed(cluster, f"{service}-prod", after[service])
    started = time.monotonic()
    _wait(tracker, interval=interval)
    one_poll = time.monotonic() - started
    return {
        "interval": interval,
        "runs": runs,
        "delays": delays,
        "max": max(delays),
        "one_poll_and_record_s": round(one_poll, 3),
        # A rollout completing just after a poll read ECS is seen one interval later, and reported once
        # that poll and the record are done.
        "within_budget": max(delays) <= interval + 2 * one_poll,
    }


def run(counts: list[int], interval: float, runs: int) -> dict[str, Any]:
    result: dict[str, Any] = {"service_counts": counts, "calls": {}}
    for n in counts:
        log(f"tracker wait: calls per poll at {n} ECS service(s)")
        result["calls"][str(n)] = calls_per_poll(n)
    log(f"tracker wait: verdict delay at a {interval} s interval, {runs} run(s)")
    result["delay"] = verdict_delay(interval, runs)
    return result
