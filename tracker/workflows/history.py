"""The deployment history: every deployment of a project, newest first, read without a scan."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from tracker.errors import InvalidInputError
from tracker.model import schema
from tracker.model.entries import DeploymentEntry, Release
from tracker.model.project import Project
from tracker.model.records import EnvironmentState
from tracker.model.results import HistoryEntry

if TYPE_CHECKING:
    from tracker.workflows.context import Context

# An entry waiting to be yielded: (time, release id, position in its manifest) orders
# it -- newest first, true ties by release id then position, never by chance.
Pending = tuple[float, str, int, Release]


def iter_history(ctx: Context, environment_id: str | None = None) -> Iterator[HistoryEntry]:
    """Deployments newest first, as history lists them (see :func:`iter_deployments`)."""
    for release, position in iter_deployments(ctx, environment_id):
        entry = release.deployments[position]
        approvals = tuple(a for _, a in release.approvals_for(entry.environment.id))
        yield HistoryEntry("deployment", release.release_id, entry, release.images, approvals=approvals)


def iter_deployments(
    ctx: Context, environment_id: str | None = None, page_size: int = 10
) -> Iterator[tuple[Release, int]]:
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
    for release in ctx.store.releases.recently_deployed(ctx.project.id, page_size=page_size):
        yield from _flush(pending, release.deployed_at or 0)
        pending.extend(
            (entry.at, release.release_id, position, release)
            for position, entry in enumerate(release.deployments)
            if environment_id is None or entry.environment.id == environment_id
        )
    yield from _flush(pending, None)


def _flush(pending: list[Pending], horizon: float | None) -> Iterator[tuple[Release, int]]:
    """Yield pending entries newer than anything in releases deployed at or before ``horizon``."""
    pending.sort(key=lambda p: p[:3], reverse=True)
    ready = len(pending)
    if horizon is not None:
        ready = next((i for i, p in enumerate(pending) if p[0] < horizon + 1), len(pending))
    taken = pending[:ready]
    del pending[:ready]
    for _, _, position, release in taken:
        yield release, position


def freeze_entries(project: Project, states: list[EnvironmentState]) -> list[HistoryEntry]:
    """The freezes and unfreezes logged in environments' state items, newest first."""
    entries = [
        HistoryEntry(
            kind=logged.action,
            release_id="",
            entry=DeploymentEntry(
                environment=project.environment_ref(state.environment_id),
                date_requested=logged.date_requested,
                requested_by=logged.requested_by,
                description=logged.description,
            ),
            until=logged.until,
        )
        for state in states
        for logged in state.log
    ]
    return sorted(entries, key=lambda e: (e.entry.at, e.environment.id), reverse=True)


def iter_timeline(ctx: Context, environment_id: str | None = None) -> Iterator[HistoryEntry]:
    """Deployments, freezes and unfreezes, newest first (one more read for the freeze log)."""
    project, environments = ctx.project, ctx.store.environments
    if environment_id is not None:
        project.environment(environment_id)
        states = [environments.state(project.id, environment_id)]
    else:
        states = list(environments.all(project.id)[1].values())
    return heapq.merge(
        iter_history(ctx, environment_id),
        freeze_entries(project, states),
        key=lambda e: e.entry.at,
        reverse=True,
    )


def history(ctx: Context, environment_id: str | None = None, limit: int = 20) -> list[HistoryEntry]:
    """The ``limit`` newest deployments, freezes and unfreezes (of one environment, or all).

    An environment the manifest does not declare is refused, as ``deploy`` refuses it.
    """
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    return list(islice(iter_timeline(ctx, environment_id), limit))
