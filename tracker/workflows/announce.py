"""Sending events: one per deployment, freeze and unfreeze, when an EventBridge bus is configured.

An event is sent after what it reports is recorded. Failing to send it never
undoes that record: the caller gets a warning, and the event is kept in the
environment's state item for ``tracker verify`` to report and ``tracker
repair`` to send again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.errors import AwsError, TrackerError
from tracker.model.entries import EnvironmentRef
from tracker.model.records import FreezeLogEntry

if TYPE_CHECKING:
    from tracker.workflows.context import Context


def send(ctx: Context, detail_type: str, detail: dict[str, Any]) -> list[str]:
    """Send one event; on failure, keep it in the environment's state item and return the warning."""
    if ctx.events is None:
        return []
    try:
        ctx.events.send(detail_type, detail)
        return []
    except AwsError as error:  # EventError
        problem = str(error)
    what = "deployment" if detail_type == "Deployment" else detail_type.lower()
    warning = (
        f"the {detail_type} event was not sent ({problem}); the {what} itself is recorded: "
        "`tracker verify` reports the event and `tracker repair` sends it again"
    )
    kept = {"detail_type": detail_type, "detail": detail, "error": problem}
    try:
        ctx.store.environments.add_undelivered(detail["project_id"], detail["environment_id"], kept)
    except TrackerError as error:
        warning += f" (it could not be kept for them either: {error})"
    return [warning]


def notify(
    ctx: Context, environment: EnvironmentRef, detail_type: str, logged: FreezeLogEntry, extra: dict[str, Any]
) -> list[str]:
    """Send a Freeze or Unfreeze event with what the environment runs; warnings if it was not sent."""
    if ctx.events is None:
        return []
    row = ctx.store.environments.row(ctx.project.id, environment.id)
    release = ctx.store.releases.get(row.release_id) if row else None
    detail = {
        "project_id": ctx.project.id,
        "environment_id": environment.id,
        "release_id": row.release_id if row else None,
        "images": release.images if release else {},
        "requested_by": logged.requested_by.to_item(),
        "date_requested": logged.date_requested,
        **extra,
    }
    return send(ctx, detail_type, detail)
