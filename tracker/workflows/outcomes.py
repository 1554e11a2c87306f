"""Whether ECS runs a deployment: ``tracker wait``, its verdict recorded, and rollback on failure.

:func:`wait` reads the environment's current deployment (its row, then its
release), then polls: each poll reads the row again (a newer deployment
ends the wait: its verdict is not this one's to give), then ECS (the
services running the project's images, see :mod:`tracker.stores.ecs`) and
checks each against the released image (:mod:`tracker.model.rollouts`).

* All ready: the bake starts (the environment's alarms must stay ``OK`` and
  every service ready until it ends; without alarms and ``--bake`` the
  verdict is immediate) -> **verified**.
* A rollout FAILED, ECS rolled back, an alarm fired (or does not exist), a
  service stopped being ready during the bake -> **failed**, naming the
  service, the image it runs and the one released.
* The timeout passed while something still waits (no service found, a
  service never updated, tasks not yet running) -> **failed** "timed out
  after ..." (exit 3 rather than 1: a later ``wait`` that sees it complete
  records verified, and both stay in the history).

The verdict is recorded on that deployment -- its manifest entry's
``outcomes`` and the row's ``outcome``, in one transaction conditioned on the
row still naming it (:func:`tracker.stores.transaction.outcome_parts`) -- and
sent as a ``Deployment Verified`` / ``Deployment Failed`` event. With
``rollback_on_failure`` a failure then deploys the environment's last
*verified* release (the state item's ``last_verified``: one read, whatever
the history's length), recorded as a rollback naming the failed deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tracker.errors import TrackerError, WriteRefused
from tracker.model.clock import iso8601
from tracker.model.durations import describe
from tracker.model.entries import Outcome, Release, short_id
from tracker.model.results import WaitResult
from tracker.model.rollouts import (
    FAILED,
    READY,
    ServiceCheck,
    check_service,
    missing_image,
    overall,
    timed_out,
)
from tracker.workflows.deployments import current_row
from tracker.workflows.releases import require_release

if TYPE_CHECKING:
    from tracker.model.records import DeploymentRow
    from tracker.model.requests import WaitRequest
    from tracker.model.rollouts import EcsService
    from tracker.workflows.context import Context

Progress = Callable[[str], None]
REASON_LIMIT = 4000  # the schema's 4096, with room for the "timed out after ..." prefix


class _Watch:
    """One wait: the deployment it is about, what was last said per service, the bake."""

    def __init__(self, ctx: Context, request: WaitRequest, progress: Progress) -> None:
        self.ctx, self.request, self.say = ctx, request, progress
        project = ctx.project
        self.env = project.environment(request.environment_id).id
        self.row: DeploymentRow = current_row(ctx, self.env)
        self.release: Release = require_release(ctx, self.row.release_id)
        self.index = _entry_index(self.release, self.env, self.row)
        self.declared = project.ecs_declared.get(self.env)
        self.tag_ids = project.ecs_tag_ids()
        self.alarms = project.alarms.get(self.env, ())
        self.bake = request.bake if request.bake is not None else (300.0 if self.alarms else 0.0)
        self.shown: dict[tuple[str, str], str] = {}

    @property
    def expected(self) -> list[str]:
        """The images that must run in ECS: those the manifest ties to ECS services, else all."""
        if self.declared:
            ids = set(self.declared)
        elif self.ctx.project.ecs_services:
            ids = set(self.ctx.project.ecs_services)
        else:
            ids = set(self.release.images)
        return [sid for sid in self.release.images if sid in ids]

    @property
    def searched(self) -> str:
        if self.declared:
            return "as declared in the manifest"
        return f"searched by the tags deployment:service and deployment:env={self.env}"

    def checks(self, services: list[EcsService]) -> list[ServiceCheck]:
        ecs = self.ctx.ecs
        found: list[ServiceCheck] = []
        for service_id in self.expected:
            released = self.release.images[service_id]
            mine = [s for s in services if s.service_id == service_id]
            if not mine:
                found.append(missing_image(service_id, released, self.env, self.searched))
            found.extend(check_service(s, released, ecs.images_of) for s in mine)
        return found

    def report(self, checks: list[ServiceCheck]) -> None:
        """One line per service whose state changed since the last poll."""
        for check in checks:
            key = (check.service_id, check.label)
            if self.shown.get(key) != check.detail:
                self.shown[key] = check.detail
                self.say(f"{self.env}: {check.line}")

    def superseded(self) -> DeploymentRow | None:
        """The row, if a newer deployment replaced the one this wait is about."""
        now = self.ctx.store.environments.row(self.ctx.project.id, self.env)
        if now is None or now.token != self.row.token:
            return now or self.row
        return None


def wait(ctx: Context, request: WaitRequest, progress: Progress = lambda line: None) -> WaitResult:
    """Wait for the environment's current deployment to run in ECS; record and return the verdict."""
    request.check()
    watch = _Watch(ctx, request, progress)
    start = ctx.clock()
    deadline, bake_until = start + request.timeout, None
    first = True
    while True:
        newer = watch.superseded()
        if newer is not None:
            return _superseded(watch, newer)
        services = ctx.ecs.services(watch.env, watch.tag_ids, watch.declared, ctx.project.id)
        if first and not services and request.skip_without_services and not watch.declared:
            return WaitResult(watch.env, watch.release.release_id, "no_services", note=_no_services(watch))
        first = False
        checks = watch.checks(services)
        watch.report(checks)
        state, now = overall(checks), ctx.clock()
        if state == READY:
            fired = _alarms(watch)
            if fired:
                return _finish(watch, "failed", fired, checks)
            if bake_until is None:
                bake_until = now + watch.bake
                if watch.bake:
                    alarms = f" (alarms: {', '.join(watch.alarms)})" if watch.alarms else ""
                    progress(
                        f"{watch.env}: every service runs the release; "
                        f"baking for {describe(watch.bake)}{alarms}"
                    )
            if now >= bake_until:
                return _finish(watch, "verified", [c.line for c in checks], checks)
        elif state == FAILED:
            return _finish(watch, "failed", [c.line for c in checks if c.state == FAILED], checks)
        elif bake_until is not None:
            lost = [f"during the bake: {c.line}" for c in checks if c.state != READY]
            return _finish(watch, "failed", lost, checks)
        elif now >= deadline:
            after = describe(request.timeout)
            late = [timed_out(c, after) for c in checks]
            return _finish(watch, "failed", [c.line for c in late if c.state == FAILED], late, timed_out=True)
        until = bake_until if bake_until is not None else deadline
        ctx.sleep(max(0.0, min(request.interval, until - now)))


def _entry_index(release: Release, environment_id: str, row: DeploymentRow) -> int:
    """The position of the row's deployment in the release's entries (its newest there, by time)."""
    mine = [(i, e) for i, e in enumerate(release.deployments) if e.environment.id == environment_id]
    if not mine:
        raise TrackerError(
            f"release '{release.release_id}' has no deployment entry for '{environment_id}'; "
            "`tracker verify` explains the disagreement"
        )
    exact = [i for i, e in mine if row.deployed_at and abs(e.at - row.deployed_at) < 0.0005]
    return exact[-1] if exact else max(mine, key=lambda pair: pair[1].at)[0]


def _alarms(watch: _Watch) -> list[str]:
    """What is wrong with the environment's alarms now (none: all OK or without data)."""
    if not watch.alarms:
        return []
    states = watch.ctx.ecs.alarms(watch.alarms)
    problems = []
    for name in watch.alarms:
        state = states.get(name)
        if state is None:
            problems.append(f"alarm {name} does not exist (named in the manifest for {watch.env})")
        elif state == "ALARM":
            problems.append(f"alarm {name} is in ALARM")
    if problems:
        watch.say(f"{watch.env}: {'; '.join(problems)}")
    return problems


def _finish(
    watch: _Watch, status: str, reasons: list[str], checks: list[ServiceCheck], timed_out: bool = False
) -> WaitResult:
    ctx, request = watch.ctx, watch.request
    reason = "; ".join(reasons) or "no ECS service checked"
    if status == "verified":
        bake = f" (baked {describe(watch.bake)})" if watch.bake else ""
        reason = f"every service runs the release{bake}: {reason}"
    outcome = Outcome(status, iso8601(ctx.clock()), reason[:REASON_LIMIT], request.requested_by)
    from tracker.stores.transaction import CURRENT, OutcomeWrite

    write = OutcomeWrite(watch.release, watch.index, watch.row, outcome)
    try:
        ctx.store.record_outcome(write)
    except WriteRefused as refused:
        if CURRENT in refused.failed:
            newer = ctx.store.environments.row(ctx.project.id, watch.env)
            return _superseded(watch, newer or watch.row)
        raise TrackerError(
            f"the deployment entry of release {watch.release.release_id} in {watch.env} changed while "
            "its outcome was recorded; nothing was recorded, run `tracker wait` again"
        ) from None
    result = WaitResult(
        watch.env,
        watch.release.release_id,
        "timed_out" if timed_out else status,
        outcome=outcome,
        checks=checks,
        date_requested=write.entry.date_requested,
    )
    result.warnings.extend(_announce(watch, outcome, write.entry.date_requested))
    if status == "failed" and request.rollback_on_failure:
        _roll_back(watch, result)
    return result


def _announce(watch: _Watch, outcome: Outcome, date_requested: str) -> list[str]:
    from tracker.workflows.announce import send

    detail = {
        "project_id": watch.ctx.project.id,
        "environment_id": watch.env,
        "release_id": watch.release.release_id,
        "images": watch.release.images,
        "date_requested": date_requested,
        "outcome": outcome.to_item(),
    }
    kind = "Deployment Verified" if outcome.status == "verified" else "Deployment Failed"
    return send(watch.ctx, kind, detail)


def _roll_back(watch: _Watch, result: WaitResult) -> None:
    """Deploy the last verified release, as a rollback naming the failed deployment."""
    from tracker.model.requests import RollbackRequest
    from tracker.workflows.deployments import rollback

    ctx, request = watch.ctx, watch.request
    verified = ctx.store.environments.state(ctx.project.id, watch.env).last_verified
    if verified is None or verified.release_id == watch.release.release_id:
        result.note = f"{watch.env} has no other verified release to roll back to; nothing rolled back"
        return
    why = f"after the failed rollout of {short_id(watch.release.release_id)}"
    described = f"{why}: {request.description}" if request.description else why
    try:
        result.rollback = rollback(
            ctx,
            RollbackRequest(
                environment_id=watch.env,
                requested_by=request.requested_by,
                to_release=verified.release_id,
                description=described,
                force=request.force,
                rollback_of=result.date_requested,
            ),
        )
    except TrackerError as error:
        result.note = f"the rollback to release {verified.release_id} (last verified) was refused: {error}"


def _superseded(watch: _Watch, newer: DeploymentRow) -> WaitResult:
    note = (
        f"{watch.env} now runs a newer deployment (release {newer.release_id}"
        f"{', deployed ' + iso8601(newer.deployed_at) if newer.deployed_at else ''}); "
        f"the verdict on release {watch.release.release_id} is not recorded"
    )
    return WaitResult(watch.env, watch.release.release_id, "superseded", note=note)


def _no_services(watch: _Watch) -> str:
    return (
        f"no ECS service runs {watch.ctx.project.id}'s images in {watch.env} ({watch.searched}); "
        "not waiting: the deployment stays unverified"
    )
