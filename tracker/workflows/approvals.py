"""Approvals: who approved a release for an environment, and withdrawing one's own.

An approval is appended to the release manifest's ``approvals`` (one
UpdateItem on the release's item, conditioned on it being the project's);
withdrawing one (``revoke``) marks it revoked in place, conditioned on it
still being the approver's and unrevoked. Nothing is ever removed: the
manifest keeps who approved, when and why, and who withdrew it. The promotion
policy (:mod:`tracker.model.policies`) counts the active ones; a deployment's
transaction requires those it counted to be still active.

Reads: the release (one GetItem for an id; ``latest`` and prefixes as
``release show`` reads them). Writes: one UpdateItem; with an event bus, one
PutEvents (``Approval``, ``action`` approve or revoke).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tracker.errors import NotApprovedError, PolicyRefusedError
from tracker.model.clock import iso8601, now
from tracker.model.entries import Approval, Release, Revocation, short_id
from tracker.model.results import ApprovalResult
from tracker.workflows.releases import resolve_release

if TYPE_CHECKING:
    from tracker.model.requests import ApproveRequest
    from tracker.workflows.context import Context


def approve(ctx: Context, request: ApproveRequest) -> ApprovalResult:
    """Approve the release for the environment (or, with ``request.revoke``, withdraw one's approval)."""
    request.check()
    environment = ctx.project.environment(request.environment_id)
    _ = ctx.events  # built (a malformed bus refused) before anything is written
    release = resolve_release(ctx, request.release)
    if request.revoke:
        return _revoke(ctx, request, release)
    who = request.requested_by
    policy = ctx.project.policies.get(environment.id)
    if policy is not None and policy.approvers and who.id not in policy.approvers:
        raise PolicyRefusedError(
            f"{who.id} is not an approver of {environment.id} (approvers: {', '.join(policy.approvers)}); "
            "nothing was recorded"
        )
    mine = _active(release, environment.id, who.id)
    if mine is not None:
        return _result(ctx, release, mine[1], "approve", recorded=False)
    approval = Approval(environment, who, iso8601(now(ctx.clock)), request.description)
    ctx.store.releases.add_approval(release, approval)
    release.approvals.append(approval)
    result = _result(ctx, release, approval, "approve", recorded=True)
    if policy is None or not policy.approvals:
        result.warnings.append(
            f"{environment.id} has no policy asking for approvals: this one is recorded, nothing needs it"
        )
    result.warnings += _announce(ctx, release, approval, "approve")
    return result


def _revoke(ctx: Context, request: ApproveRequest, release: Release) -> ApprovalResult:
    environment_id, who = request.environment_id, request.requested_by
    mine = _active(release, environment_id, who.id)
    if mine is None:
        raise NotApprovedError(
            f"{who.id} has no approval of release {short_id(release.release_id)} for {environment_id} "
            "to revoke; nothing was written"
        )
    index, approval = mine
    revocation = Revocation(iso8601(now(ctx.clock)), request.description)
    if not ctx.store.releases.revoke_approval(release, index, revocation):
        raise NotApprovedError(
            f"the approval of release {short_id(release.release_id)} for {environment_id} by {who.id} "
            "was revoked a moment ago; nothing was written"
        )
    withdrawn = replace(approval, revoked=revocation)
    release.approvals[index] = withdrawn
    result = _result(ctx, release, withdrawn, "revoke", recorded=True)
    result.warnings += _announce(ctx, release, withdrawn, "revoke")
    return result


def _active(release: Release, environment_id: str, user_id: str) -> tuple[int, Approval] | None:
    """The person's newest active approval of the release for the environment."""
    found = [(i, a) for i, a in release.approvals_for(environment_id) if a.active]
    return next(((i, a) for i, a in reversed(found) if a.approved_by.id == user_id), None)


def counted(ctx: Context, release: Release, environment_id: str) -> list[str]:
    """The people whose active approvals the environment's policy counts (before a requester is known)."""
    from tracker.model.policies import counted_approvals

    policy = ctx.project.policies.get(environment_id)
    found, _ = counted_approvals(policy.approvers if policy is not None else (), environment_id, release)
    return [name for _, name in found.values()]


def _result(
    ctx: Context, release: Release, approval: Approval, action: str, recorded: bool
) -> ApprovalResult:
    environment_id = approval.environment.id
    policy = ctx.project.policies.get(environment_id)
    needed = policy.approvals if policy is not None else 0
    people = counted(ctx, release, environment_id)
    return ApprovalResult(release.release_id, environment_id, approval, action, recorded, people, needed)


def _announce(ctx: Context, release: Release, approval: Approval, action: str) -> list[str]:
    """The Approval event (approve or revoke); a warning if it was not sent."""
    from tracker.workflows.announce import send

    if ctx.events is None:
        return []
    detail = {
        "project_id": ctx.project.id,
        "environment_id": approval.environment.id,
        "release_id": release.release_id,
        "action": action,
        **approval.to_item(),
    }
    return send(ctx, "Approval", detail)
