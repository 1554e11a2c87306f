"""How the commands' results read as text (JSON is each record's ``as_dict``/``to_json``).

Kept apart from the commands: a command parses, calls the tracker, and hands
the result here. Images are shown with digests shortened; JSON keeps them whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tracker.errors import warn

if TYPE_CHECKING:
    from tracker.model.entries import DeploymentEntry, Published, Release
    from tracker.model.project import Project
    from tracker.model.results import ApprovalResult, DeployResult, Drift, EnvironmentStatus, HistoryEntry
    from tracker.workflows.pending import Pending


def images(
    mapping: dict[str, Any],
    indent: str = "  ",
    ecs: dict[str, tuple[str, ...]] | None = None,
    published: dict[str, Published] | None = None,
) -> None:
    """One line per service: id, image (a digest shortened), the revision it was built from, and
    (weco-deploy) the ECS services running it."""
    from tracker.model.images import display

    width = max((len(s) for s in mapping), default=0)
    for service, image in mapping.items():
        runs = ecs_note(ecs.get(service) if ecs else None)
        click.echo(
            f"{indent}{service.ljust(width)}  {display(image)}{revision_note(published, service)}{runs}"
        )


def revision_note(published: dict[str, Published] | None, service: str) -> str:
    """``  (revision 3f2a9c1b0e4d)``: the commit an image was built from, when publish recorded one."""
    found = (published or {}).get(service)
    return f"  (revision {found.short_revision})" if found is not None and found.revision else ""


def ecs_note(names: tuple[str, ...] | None) -> str:
    """``  (ECS: a, b)``: the ECS services running a repository's image (weco-deploy manifests)."""
    return f"  (ECS: {', '.join(names)})" if names else ""


def project(found: Project) -> None:
    """A project as ``tracker projects`` lists it."""
    environments = ", ".join(k if v == k else f"{k} ({v})" for k, v in (found.environments or {}).items())
    click.echo(f"{found.id}  {found.name}")
    click.echo("  services:")
    width = max(len(s) for s in found.services)
    for service, name in found.services.items():
        label = f"  {name}" if name != service else ""
        click.echo(f"    {service.ljust(width)}{label}{ecs_note(found.ecs_services.get(service))}".rstrip())
    click.echo(f"  environments: {environments or ('(any)' if found.environments is None else '(none)')}")
    for key, value in (("role", found.role_arn), ("account", found.account_id), ("region", found.region)):
        if value:
            click.echo(f"  {key + ':':13} {value}")
    for env, by_service in found.ecs_declared.items():
        listed = "; ".join(
            f"{sid}: {', '.join(f'{c}/{n}' for c, n in targets)}" for sid, targets in by_service.items()
        )
        click.echo(f"  ECS in {env}: {listed}")
    for env, alarms in found.alarms.items():
        click.echo(f"  alarms in {env}: {', '.join(alarms)}")
    for env, policy in found.policies.items():
        click.echo(f"  policy of {env}: {policy.describe()}")
    if found.metrics is not None:
        click.echo(f"  metrics count as failed: {found.metrics.describe()}")
    unused = _flatten(found.unused)
    if unused:
        click.echo("  accepted, not used:")
        for key, value in unused:
            click.echo(f"    {key} = {value}")


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}}`` as ``[("a.b", "1")]``, for one line per kept key."""
    if not isinstance(value, dict):
        return [(prefix, str(value))]
    return [
        pair for key, inner in value.items() for pair in _flatten(inner, f"{prefix}.{key}" if prefix else key)
    ]


def entry_line(entry: DeploymentEntry, lead: str) -> str:
    """``DATE  LEAD  by NAME — why``: one deployment entry on one line."""
    why = f" — {entry.description}" if entry.description else ""
    return f"{entry.date_requested}  {lead}  by {entry.requested_by.name}{why}"


def release_summary(release: Release, ecs: dict[str, tuple[str, ...]] | None = None) -> None:
    click.echo(f"release     {release.release_id}")
    click.echo(f"project     {release.project.id} ({release.project.name})")
    click.echo(f"requested   {release.date_requested} by {release.requested_by.name}")
    if release.description:
        click.echo(f"description {release.description}")
    click.echo("images:")
    images(release.images, ecs=ecs, published=release.published)
    if release.deployments:
        click.echo("deployments:")
        for entry in release.deployments:
            click.echo(f"  {entry_line(entry, entry.environment.id + _marks(entry))}")
            for outcome in entry.outcomes or ():
                click.echo(f"      {outcome.describe()}")
    if release.approvals:
        click.echo("approvals:")
        for approval in release.approvals:
            click.echo(f"  {approval.environment.id}  {approval.describe()}")


def approval(result: ApprovalResult) -> None:
    """What ``tracker approve`` did, and how many approvals the environment's policy counts now."""
    from tracker.model.entries import short_id

    found, env, rid = result.approval, result.environment_id, short_id(result.release_id)
    if result.action == "revoke":
        click.echo(f"revoked: the approval of release {rid} for {env} by {found.approved_by.name}")
    elif result.recorded:
        click.echo(f"approved: release {rid} for {env} by {found.approved_by.name}")
    else:
        click.echo(
            f"already approved: release {rid} for {env} by {found.approved_by.name} ({found.date}); "
            "nothing recorded"
        )
    if result.needed:
        people = ", ".join(result.counted) or "none"
        click.echo(f"{env} asks for {result.needed}; approved by: {people} (the deployer's own never counts)")


def _marks(entry: DeploymentEntry) -> str:
    """``  [rollback]  [forced]  [verified]``: what sets a deployment apart, in text output."""
    return "".join(
        f"  [{mark}]"
        for mark, shown in (
            ("rollback", entry.rollback_from),
            ("forced", entry.forced),
            (entry.verdict, entry.outcome),
        )
        if shown
    )


def outcome_line(entry: DeploymentEntry | None, environment_id: str) -> str:
    """Whether ECS runs the deployment: its latest verdict, or that it was never checked."""
    outcome = entry.outcome if entry else None
    if outcome is None:
        return f"unverified: nobody checked that ECS runs it (`tracker wait {environment_id}`)"
    earlier = len(entry.outcomes or ()) - 1 if entry else 0
    before = f" (after {earlier} earlier verdict{'s' if earlier > 1 else ''})" if earlier else ""
    status = outcome.status.upper() if outcome.status == "failed" else outcome.status
    return f"{status} {outcome.date}{before}: {outcome.reason}"


def deployed(result: DeployResult) -> None:
    verb = "deployed" if result.recorded else "already deployed (nothing recorded; SSM checked)"
    click.echo(f"{verb}: release {result.release.release_id} -> {result.environment_id}")
    if result.forced:
        click.echo(f"forced through {result.forced}")
    images(result.images)
    if result.superseded_by:
        click.echo(
            f"note: a later deployment of release {result.superseded_by} has since taken "
            f"{result.environment_id}"
        )


def warnings(messages: list[str]) -> None:
    for message in messages:
        warn(message)


def status(found: list[EnvironmentStatus], project_: Project) -> None:
    source = f" ({project_.source})" if project_.source else ""
    click.echo(f"project {project_.id}{source}")
    if not found:
        click.echo("nothing deployed yet")
    for s in found:
        last = s.last
        if s.release_id is None:
            click.echo(f"{s.environment_id}: nothing deployed yet")
        else:
            when = last.date_requested if last else _iso(s.deployed_at)
            who = f" by {last.requested_by.name}" if last else ""
            why = f" — {last.description}" if last and last.description else ""
            click.echo(f"{s.environment_id}: release {s.release_id} (deployed {when}{who}){why}")
        if s.freeze is not None:
            click.echo(f"  FROZEN: {s.freeze.describe()}")
        if s.closed is not None:
            click.echo(f"  CLOSED: {s.closed}")
        if last and last.forced:
            click.echo(f"  forced through {last.forced}")
        if s.release_id is not None:
            click.echo(f"  {outcome_line(last, s.environment_id)}")
        images(s.images, ecs=project_.ecs_services)


def _iso(moment: float | None) -> str:
    from tracker.model.clock import iso8601

    return iso8601(moment) if moment else "?"


def history(entries: list[HistoryEntry], show_env: bool) -> None:
    if not entries:
        click.echo("no deployments yet")
    for e in entries:
        where = f"{e.environment.id}  " if show_env else ""
        if e.kind != "deployment":
            until = f" until {e.until}" if e.until else ""
            click.echo(entry_line(e.entry, f"{where}{e.kind.upper()}{until}"))
            continue
        click.echo(entry_line(e.entry, f"{where}{e.release_id}{_marks(e.entry)}"))
        if e.entry.forced:
            click.echo(f"    forced through {e.entry.forced}")
        for outcome in e.entry.outcomes or ():
            click.echo(f"    {outcome.describe()}")
        for approval in e.approvals:
            click.echo(f"    {approval.describe()}")
        images(e.images, indent="    ")


def pending(found: Pending) -> None:
    from tracker.model.entries import short_id
    from tracker.model.images import display

    newest = found.newest_release_id
    click.echo(f"label {found.label}; newest release {newest or '(none yet)'}")
    for environment, release_id in found.environments.items():
        click.echo(f"  {environment} runs {release_id or 'nothing yet'}")
        for candidate, lines in found.blocked.get(environment, {}).items():
            what = "newest release" if candidate == newest else "release"
            verdict = "blocked: " + "; ".join(lines) if lines else "nothing blocks it"
            click.echo(f"    {what} {short_id(candidate)}: {verdict}")
    for s in found.services:
        click.echo(f"{s.service}:")
        mark = "  <- published, not released" if s.unreleased else ""
        click.echo(f"  label {found.label:<10} {display(s.label_image) if s.label_image else '(none)'}{mark}")
        release = f"release {short_id(newest)}" if newest else "release"
        click.echo(f"  {release:<16} {display(s.release_image) if s.release_image else '(none)'}")
        for environment, image in s.deployed.items():
            mark = "  <- released, not deployed" if environment in s.undeployed else ""
            click.echo(f"  {environment:<16} {display(image) if image else '(nothing)'}{mark}")
    click.echo(
        "something waits to ship"
        if found.waiting
        else "nothing waits: everything published is released and deployed"
    )


def diff(
    source: str,
    target: str,
    labels: tuple[str, str],
    changes: list[Any],
    blocked: list[str] | None = None,
    revisions: dict[str, tuple[str | None, str | None]] | None = None,
) -> None:
    """What TARGET changes to; when TARGET is an environment, what would refuse it now (``blocked``)."""
    from tracker.model.images import display

    click.echo(f"what {target} would change to take {source}'s images:")
    click.echo(f"  source {source}: {labels[0]}")
    click.echo(f"  target {target}: {labels[1]}")
    width = max((len(c.service) for c in changes), default=0)
    for c in changes:
        if c.change == "same":
            click.echo(f"  {c.service.ljust(width)}  same     {display(c.after)}")
        else:
            before, after = (revisions or {}).get(c.service, (None, None))
            commits = f"; revision {(before or '?')[:12]} → {(after or '?')[:12]}" if before or after else ""
            click.echo(
                f"  {c.service.ljust(width)}  {c.change.ljust(7)}  "
                f"{target}: {display(c.before)} → {display(c.after)} (from {source}{commits})"
            )
    if blocked is not None:
        click.echo(
            f"blocked in {target}: {'; '.join(blocked)}" if blocked else f"nothing blocks it in {target}"
        )


def drift(drifts: list[Drift], verb: str) -> None:
    if drifts:
        for d in drifts:
            click.echo(f"{verb}: {d}")
    else:
        click.echo("ok: the deployments table, the release manifests and SSM agree")
