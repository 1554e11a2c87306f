"""Freezes: stop (and allow again) deployments, promotions and rollbacks to an environment.

A freeze (``tracker freeze ENV --reason ...``) lives in the environment's state
item of the deployments table. The gate (:mod:`tracker.workflows.gate`)
refuses a deployment planned while it holds, and every deployment's
transaction checks it again, so nothing is deployed to a frozen environment
unless forced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.errors import InvalidInputError, NotFrozenError
from tracker.model import schema
from tracker.model.checks import check_description
from tracker.model.clock import epoch, iso8601, now
from tracker.model.records import Freeze, FreezeLogEntry
from tracker.model.requests import FreezeRequest, UnfreezeRequest
from tracker.workflows.announce import notify

if TYPE_CHECKING:
    from tracker.workflows.context import Context


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


def freeze(ctx: Context, request: FreezeRequest) -> tuple[Freeze, list[str]]:
    """Freeze an environment (again: the new reason and end replace the old); returns it and warnings."""
    environment = ctx.project.environment(request.environment_id)
    _ = ctx.events  # built (a malformed bus refused) before anything is written
    reason = request.reason.strip()
    schema.check_text("--reason", reason, schema.limit("description"), required=True)
    at = now(ctx.clock)
    until = parse_until(request.until, at) if request.until else None
    chosen = Freeze(reason, request.requested_by, iso8601(at), until)
    logged = FreezeLogEntry("freeze", chosen.since, request.requested_by, reason, until)
    ctx.store.environments.set_freeze(ctx.project.id, environment.id, chosen, logged)
    warnings = notify(ctx, environment, "Freeze", logged, {"description": reason, "until": until})
    return chosen, warnings


def unfreeze(ctx: Context, request: UnfreezeRequest) -> list[str]:
    """Lift an environment's freeze (NotFrozenError, nothing written, if there is none); returns warnings."""
    environment = ctx.project.environment(request.environment_id)
    check_description(request.description)
    _ = ctx.events  # built (a malformed bus refused) before anything is written
    logged = FreezeLogEntry("unfreeze", iso8601(now(ctx.clock)), request.requested_by, request.description)
    if not ctx.store.environments.set_freeze(ctx.project.id, environment.id, None, logged):
        raise NotFrozenError(f"environment '{environment.id}' is not frozen; nothing was written")
    return notify(ctx, environment, "Unfreeze", logged, {"description": request.description})
