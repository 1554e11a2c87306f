"""The library as tests drive it: the :class:`tracker.app.Tracker` façade, over the emulator or in memory.

Tests that are about what a user sees go through the CLI (tests/support/cli.py);
tests about the library's own contract (call counts, races, injected clocks)
go through the façade, as the CLI does, with these few helpers so that each
test says only what it is about.
"""

from __future__ import annotations

import time
from typing import Any

from tracker.app import Tracker
from tracker.model.clock import Clock
from tracker.model.entries import Person, Release
from tracker.model.project import Project
from tracker.model.requests import DeployRequest, PublishRequest, ReleaseRequest
from tracker.model.results import DeployResult
from tracker.settings import Settings

RELEASES = "tracker-releases"
DEPLOYMENTS = "tracker-deployments"
REGISTRY = "registry.example"


def library(clients: Any, project: Project, *, clock: Clock = time.time, **settings: Any) -> Tracker:
    """The façade over ``clients`` (the emulator's), on the test tables."""
    chosen = {"releases_table": RELEASES, "deployments_table": DEPLOYMENTS, **settings}
    return Tracker(Settings(**chosen), clients=clients, project=project, clock=clock)


def person(user_id: str, name: str | None = None) -> Person:
    return Person.of(user_id, name)


def publish(tracker: Tracker, tag: str, *services: str, label: str = "latest", pin: str = "off") -> None:
    """Publish ``registry.example/{service}:{tag}`` for the services (default: all of the project's)."""
    for service in services or tracker.project.service_ids:
        request = PublishRequest(
            service_id=service, image_uri=f"{REGISTRY}/{service}:{tag}", user_id="ci", label=label, pin=pin
        )
        tracker.publish(request)


def release(tracker: Tracker, user: str = "ci", name: str | None = None, **request: Any) -> Release:
    """A new release of the label (ReleaseRequest's fields as keywords)."""
    return tracker.create_release(ReleaseRequest(requested_by=person(user, name), **request)).release


def deploy(
    tracker: Tracker, release_id: str | None, environment_id: str, user: str = "ops", **request: Any
) -> DeployResult:
    """Deploy (``release_id`` None and ``from_environment=`` for a promotion)."""
    return tracker.deploy(
        DeployRequest(environment_id=environment_id, release=release_id, requested_by=person(user), **request)
    )


def verdict(tracker: Tracker, release_id: str, environment: str, status: str = "verified") -> None:
    """Record `tracker wait`'s verdict on the environment's current deployment, as wait records it
    (one outcome transaction), at the tracker's clock; for tests and benchmarks that need an outcome
    without an ECS rollout."""
    from tracker.model.clock import iso8601
    from tracker.model.entries import Outcome
    from tracker.stores.transaction import OutcomeWrite

    stored = tracker.store.releases.get(release_id)
    row = tracker.store.environments.row(tracker.project.id, environment)
    assert stored is not None and row is not None and row.release_id == release_id
    index = max(i for i, e in enumerate(stored.deployments) if e.environment.id == environment)
    outcome = Outcome(status, iso8601(tracker.clock()), f"{status} by the test")
    tracker.store.record_outcome(OutcomeWrite(stored, index, row, outcome))
