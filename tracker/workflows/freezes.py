"""Freezes, deployment windows, and the events that tell others about deployments and freezes.

A freeze (``tracker freeze ENV --reason ...``) lives in the environment's state
item of the deployments table; every deployment's transaction checks it, so
nothing is deployed to a frozen environment unless forced. Windows
(:mod:`tracker.model.windows`) come from the manifest and are checked when a
deployment is about to be recorded. ``--force`` (with a description) deploys
through either, and the deployment entry says what it was forced through.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tracker.errors import EnvironmentClosedError, EnvironmentFrozenError, InvalidInputError, TrackerError
from tracker.model import schema
from tracker.model.clock import Clock, epoch, iso8601, now
from tracker.model.project import Project
from tracker.model.records import FORCE_HINT, Freeze
from tracker.model.windows import Closure, closure
from tracker.stores.tracking import TrackingStore

if TYPE_CHECKING:
    from tracker.stores.events import EventBus


def closed_now(project: Project, environment_id: str, moment: float) -> Closure | None:
    """The window that closes the environment at ``moment``, if any (no windows: None, nothing imported)."""
    windows = project.windows.get(environment_id)
    if not windows:
        return None
    return closure(windows, datetime.fromtimestamp(moment, UTC))


def check_force(force: bool, description: str) -> None:
    """``--force`` must say why: bad input before anything is read or written."""
    if force and not description.strip():
        raise InvalidInputError("--force needs --description saying why the freeze or window is overridden")


def gate(
    project: Project, store: TrackingStore, environment_id: str, moment: float, force: bool
) -> str | None:
    """Whether a deployment may be recorded now; with ``force``, what it overrides (None: nothing).

    Without force, a window closing the environment refuses here, and a freeze
    is left to the deployment's transaction (its ConditionCheck); with force,
    one GetItem reads the freeze so that the record names it.
    """
    closed = closed_now(project, environment_id, moment)
    if not force:
        if closed is not None:
            raise EnvironmentClosedError(
                f"environment '{environment_id}' takes no deployments now: {closed.describe()}; "
                f"nothing was recorded ({FORCE_HINT})"
            )
        return None
    overridden = []
    freeze = store.get_state(project.id, environment_id).active_freeze(moment)
    if freeze is not None:
        overridden.append(f"the freeze: {freeze.describe()}")
    if closed is not None:
        overridden.append(f"the {closed.window.describe()}")
    return "; ".join(overridden) or None


def check_open(project: Project, store: TrackingStore, environment_id: str, moment: float) -> None:
    """Refuse now what recording would refuse (a window, a freeze): for plans, e.g. Terraform's.

    One GetItem (the freeze). The deployment's own transaction checks the
    freeze again when it is recorded.
    """
    gate(project, store, environment_id, moment, force=False)
    freeze = store.get_state(project.id, environment_id).active_freeze(moment)
    if freeze is not None:
        raise EnvironmentFrozenError(freeze.refusal(environment_id))


def parse_until(until: str, moment: float) -> str:
    """``--until`` as the tracker's ISO 8601 (UTC, milliseconds); it must be in the future."""
    try:
        at = epoch(until)
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"--until {until[:60]!r} is not an ISO 8601 date-time such as 2026-12-01T09:00:00Z"
        ) from None
    if at <= moment:
        raise InvalidInputError(f"--until {until} is not in the future")
    return iso8601(at)


def freeze(
    project: Project,
    store: TrackingStore,
    environment_id: str,
    *,
    reason: str,
    requested_by: dict[str, str],
    until: str | None = None,
    events: EventBus | None = None,
    clock: Clock = time.time,
) -> tuple[Freeze, list[str]]:
    """Freeze an environment (again: the new reason and end replace the old); returns it and warnings."""
    environment = project.environment(environment_id)
    schema.check_text("--reason", reason.strip(), schema.limit("description"), required=True)
    at = now(clock)
    chosen = Freeze(reason.strip(), requested_by, iso8601(at), parse_until(until, at) if until else None)
    entry = {"action": "freeze", "date_requested": chosen.since, "requested_by": requested_by}
    entry.update({"description": chosen.reason, **({"until": chosen.until} if chosen.until else {})})
    store.set_freeze(project.id, environment_id, chosen, entry)
    detail = {"description": chosen.reason, "until": chosen.until}
    return chosen, notify(project, store, events, environment, "Freeze", entry, detail)


def unfreeze(
    project: Project,
    store: TrackingStore,
    environment_id: str,
    *,
    requested_by: dict[str, str],
    description: str = "",
    events: EventBus | None = None,
    clock: Clock = time.time,
) -> list[str]:
    """Lift an environment's freeze (NotFrozenError if there is none); returns warnings."""
    environment = project.environment(environment_id)
    schema.check_text("description", description, schema.limit("description"))
    entry = {
        "action": "unfreeze",
        "date_requested": iso8601(now(clock)),
        "requested_by": requested_by,
        "description": description,
    }
    store.set_freeze(project.id, environment_id, None, entry)
    return notify(project, store, events, environment, "Unfreeze", entry, {"description": description})


def notify(
    project: Project,
    store: TrackingStore,
    events: EventBus | None,
    environment: dict[str, str],
    detail_type: str,
    entry: dict[str, Any],
    extra: dict[str, Any],
) -> list[str]:
    """Send a Freeze or Unfreeze event with what the environment runs; warnings if it was not sent."""
    if events is None:
        return []
    row = store.get_deployment(project.id, environment["id"])
    release = store.get_release(row.release_id) if row else None
    detail = {
        "project_id": project.id,
        "environment_id": environment["id"],
        "release_id": row.release_id if row else None,
        "images": release.images if release else {},
        "requested_by": entry["requested_by"],
        "date_requested": entry["date_requested"],
        **extra,
    }
    return send(store, events, detail_type, detail)


def send(
    store: TrackingStore, events: EventBus | None, detail_type: str, detail: dict[str, Any]
) -> list[str]:
    """Send one event; on failure, keep it in the environment's state item and return the warning."""
    if events is None:
        return []
    from tracker.stores.events import EventError

    try:
        events.send(detail_type, detail)
        return []
    except EventError as error:
        problem = str(error)
    what = "deployment" if detail_type == "Deployment" else detail_type.lower()
    warning = (
        f"the {detail_type} event was not sent ({problem}); the {what} itself is recorded: "
        "`tracker verify` reports the event and `tracker repair` sends it again"
    )
    kept = {"detail_type": detail_type, "detail": detail, "error": problem}
    try:
        store.add_undelivered(detail["project_id"], detail["environment_id"], kept)
    except TrackerError as error:
        warning += f" (it could not be kept for them either: {error})"
    return [warning]
