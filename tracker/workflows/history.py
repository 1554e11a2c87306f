"""The deployment history: every deployment of a project, newest first, read without a scan."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any

from tracker.errors import InvalidInputError
from tracker.model import schema
from tracker.model.clock import epoch
from tracker.model.project import Project
from tracker.model.records import EnvironmentState, HistoryEntry, Release
from tracker.stores.tracking import TrackingStore

# An entry waiting to be yielded: (time, release id, position in its manifest) orders
# it -- newest first, true ties by release id then position, never by chance.
Pending = tuple[float, str, int, HistoryEntry]


def iter_history(
    project: Project, store: TrackingStore, environment_id: str | None = None
) -> Iterator[HistoryEntry]:
    """Deployments newest first, read through the latest-deployments GSI.

    A release's ``deployed_at`` is the time of its newest deployment, and the
    GSI yields releases by descending ``deployed_at``; so once a release with
    ``deployed_at`` D has been read, every pending entry from D + 1 s on is
    certainly newer than anything still unread, and can be yielded. (One second
    and not one millisecond: rows written by earlier versions hold whole
    seconds, truncated.) The reader stops as soon as its caller does: no scan.
    """
    if environment_id is not None:
        schema.check_id("environment id", environment_id)
    pending: list[Pending] = []
    for release in store.latest_deployed_releases(project.id, page_size=10):
        yield from _flush(pending, release.deployed_at or 0)
        pending.extend(_entries(release, environment_id))
    yield from _flush(pending, None)


def _entries(release: Release, environment_id: str | None) -> Iterator[Pending]:
    for position, entry in enumerate(release.deployments):
        if environment_id is None or entry["environment"]["id"] == environment_id:
            time_ = epoch(entry["date_requested"])
            yield (time_, release.release_id, position, _history_entry(release, entry))


def _flush(pending: list[Pending], horizon: float | None) -> Iterator[HistoryEntry]:
    """Yield pending entries newer than anything in releases deployed at or before ``horizon``."""
    pending.sort(key=lambda p: p[:3], reverse=True)
    while pending and (horizon is None or pending[0][0] >= horizon + 1):
        yield pending.pop(0)[3]


def _history_entry(release: Release, entry: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        release_id=release.release_id,
        environment=entry["environment"],
        date_requested=entry["date_requested"],
        requested_by=entry["requested_by"],
        description=entry["description"],
        images=release.images,
        forced=entry.get("forced"),
        rollback_from=entry.get("rollback_from"),
    )


def freeze_entries(project: Project, states: list[EnvironmentState]) -> list[HistoryEntry]:
    """The freezes and unfreezes logged in environments' state items, newest first."""
    entries = [
        HistoryEntry(
            release_id="",
            environment=_environment(project, state.environment_id),
            date_requested=logged["date_requested"],
            requested_by=logged["requested_by"],
            description=logged.get("description", ""),
            images={},
            kind=logged["action"],
            until=logged.get("until"),
        )
        for state in states
        for logged in state.log
    ]
    return sorted(entries, key=lambda e: (epoch(e.date_requested), e.environment["id"]), reverse=True)


def _environment(project: Project, environment_id: str) -> dict[str, str]:
    return {"id": environment_id, "name": (project.environments or {}).get(environment_id, environment_id)}


def iter_timeline(
    project: Project, store: TrackingStore, environment_id: str | None = None
) -> Iterator[HistoryEntry]:
    """Deployments, freezes and unfreezes, newest first (one more read for the freeze log)."""
    if environment_id is not None:
        project.environment(environment_id)
        states = [store.get_state(project.id, environment_id)]
    else:
        states = list(store.list_environments(project.id)[1].values())
    return heapq.merge(
        iter_history(project, store, environment_id),
        freeze_entries(project, states),
        key=lambda e: epoch(e.date_requested),
        reverse=True,
    )


def history(
    project: Project, store: TrackingStore, environment_id: str | None = None, limit: int = 20
) -> list[HistoryEntry]:
    """The ``limit`` newest deployments, freezes and unfreezes (of one environment, or all).

    An environment the manifest does not declare is refused, as ``deploy`` refuses it.
    """
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    return list(islice(iter_timeline(project, store, environment_id), limit))
