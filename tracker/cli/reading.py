"""Commands that read and check: status, history, pending, diff, verify, repair, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracker.app import Tracker
from tracker.cli import render
from tracker.cli.base import OUTPUT, USER, emit_json, pass_tracker, pin_option
from tracker.errors import TrackerError, exit_with

if TYPE_CHECKING:
    from tracker.model.entries import Release


@click.command()
@OUTPUT
@pass_tracker
def status(tracker: Tracker, output: str) -> None:
    """Per environment: the release it runs, its images, who deployed it when and why, and freezes.

    An environment that is frozen (tracker freeze) or that a deployment window
    of the manifest closes now says so, even with nothing deployed yet. The
    text starts with the project and the manifest it was read from.

    \b
    Example:
      tracker status --output json
    """
    project = tracker.project
    found = tracker.status()
    if output == "json":
        ecs = (
            {"ecs_services": {k: list(v) for k, v in project.ecs_services.items()}}
            if project.ecs_services
            else {}
        )
        emit_json({s.environment_id: {**s.as_dict(), **ecs} for s in found})
    else:
        render.status(found, project)


@click.command()
@click.argument("environment_id", required=False)
@click.option("--all", "all_environments", is_flag=True, help="Every environment of the project.")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many.")
@OUTPUT
@pass_tracker
def history(
    tracker: Tracker, environment_id: str | None, all_environments: bool, limit: int, output: str
) -> None:
    """Deployments, freezes and unfreezes, newest first: release, images, who, when and why.

    Rollbacks and deployments forced through a freeze or window are marked.
    Reads the latest-deployments index and stops as soon as the LIMIT newest
    are certain (no table scan); the freezes come from the environment's
    state item. An environment the manifest does not declare is refused.

    \b
    Examples:
      tracker history prod --limit 5
      tracker history --all --output json
    """
    if bool(environment_id) == all_environments:
        raise click.UsageError("give either ENVIRONMENT_ID or --all")
    entries = tracker.history(environment_id, limit)
    if output == "json":
        emit_json([e.as_dict() for e in entries])
    else:
        render.history(entries, show_env=all_environments)


@click.command()
@click.argument("environment_id", required=False)
@click.option("--label", "-l", default="latest", show_default=True, help="Image label CI publishes to.")
@pin_option("How label images are compared: pinned as 'release create' would pin them.")
@OUTPUT
@pass_tracker
def pending(tracker: Tracker, environment_id: str | None, label: str, pin: str | None, output: str) -> None:
    """What waits to ship: per service, the label's image, the newest release's, and what runs.

    Marks images published at the label but in no release yet ("release
    create" would take them: ECR tags are pinned first, so a tag pushed again
    counts), and images of the newest release that ENVIRONMENT_ID (without it:
    every declared environment) does not run. Exit 0 when nothing waits, 1 when
    something does (a CI gate), 2 on error.

    \b
    Examples:
      tracker pending prod
      tracker pending --output json
    """
    try:
        found = tracker.pending(environment_id, label, pin)
    except TrackerError as error:
        exit_with(str(error), 2)  # 1 means "something waits"
    if output == "json":
        emit_json(found.as_dict())
    else:
        render.pending(found)
    sys.exit(1 if found.waiting else 0)


@click.command()
@click.argument("source")
@click.argument("target")
@OUTPUT
@pass_tracker
def diff(tracker: Tracker, source: str, target: str, output: str) -> None:
    """What TARGET would change to if it took SOURCE's images (as `promote SOURCE TARGET` would).

    SOURCE and TARGET are each an environment or a release id, prefix or
    'latest'. Each changed service reads `TARGET: now → after (from SOURCE)`.
    When TARGET is an environment of the manifest, the last line says what
    would refuse SOURCE's release there now (a freeze, a closed window, the
    promotion policy), or that nothing would.
    A changed image also shows the commits each side was built from, when
    publish recorded them (--revision).
    Exit code 0 when they run the same images, 1 when they differ, 2 on error.

    \b
    Examples:
      tracker diff stage prod           # what would promoting stage to prod change in prod?
      tracker diff latest prod          # what would deploying the newest release to prod change?
    """
    from tracker.model.records import compare_images

    try:
        label_source, release_source = tracker.release_of(source)
        label_target, release_target = tracker.release_of(target)
        blocked = None
        if label_target.startswith("environment ") and release_source.release_id != release_target.release_id:
            blocked = tracker.blocked_in(release_source, target)
    except TrackerError as error:
        exit_with(str(error), 2)  # like diff(1): 1 means "they differ", so errors are 2
    changes = compare_images(release_target.images, release_source.images)  # from TARGET's, to SOURCE's
    differ = any(c.change != "same" for c in changes)
    if output == "json":
        emit_json(
            {
                "source": label_source,
                "target": label_target,
                "differ": differ,
                "services": [
                    {
                        **c.as_dict(),
                        "before_revision": _revision(release_target, c.service),
                        "after_revision": _revision(release_source, c.service),
                    }
                    for c in changes
                ],
                "blocked": blocked,
            }
        )
    else:
        revisions = {
            c.service: (_revision(release_target, c.service), _revision(release_source, c.service))
            for c in changes
        }
        render.diff(source, target, (label_source, label_target), changes, blocked, revisions)
    sys.exit(1 if differ else 0)


def _revision(release: Release, service: str) -> str | None:
    found = release.published.get(service)
    return found.revision if found is not None else None


@click.command()
@click.argument("environment_id", required=False)
@OUTPUT
@pass_tracker
def verify(tracker: Tracker, environment_id: str | None, output: str) -> None:
    """Check that the deployments table, the release manifests and SSM agree.

    Prints each disagreement (per environment and service) and exits 1 on
    drift: suitable for CI and cron. Text output also says, per environment,
    whether ECS runs its current deployment (`tracker wait`'s verdict, or
    unverified); that is not drift.

    \b
    Examples:
      tracker verify            # every environment
      tracker verify prod --output json
    """
    outcomes: dict[str, str] = {}
    drifts = tracker.verify(environment_id, outcomes)
    if output == "json":
        emit_json([d.as_dict() for d in drifts])
    else:
        render.drift(drifts, "drift")
        for env, line in sorted(outcomes.items()):
            click.echo(f"outcome: {env}: {line}")
    if drifts:
        sys.exit(1)


@click.command()
@click.argument("environment_id", required=False)
@USER
@OUTPUT
@pass_tracker
def repair(tracker: Tracker, environment_id: str | None, user: str | None, output: str) -> None:
    """Rewrite SSM deployment parameters from the deployments table where they drifted.

    The deployments table is the record; SSM follows it. Parameters with no
    row behind them are reported by verify but never deleted. With
    TRACKER_EVENT_BUS, events that were not delivered are sent again.

    \b
    Example:
      tracker repair prod
    """
    repaired = tracker.repair(environment_id, user)
    if output == "json":
        emit_json([d.as_dict() for d in repaired])
    else:
        render.drift(repaired, "repaired")


@click.command()
@click.option(
    "--output",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    default="html",
    show_default=True,
    help="Self-contained HTML page, or Markdown.",
)
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout).")
@click.option(
    "--limit",
    "-n",
    default=20,
    show_default=True,
    type=int,
    help="Timeline entries (deployments and freezes).",
)
@pass_tracker
def report(tracker: Tracker, fmt: str, out: str | None, limit: int) -> None:
    """A page to look at: environments, what runs where, what waits, delivery metrics, recent deployments.

    Per environment: the release it runs, when it was deployed (and how long
    ago), by whom and why, and freezes or closed windows. Then the services ×
    environments grid with verify's drift, what waits to ship (`tracker
    pending`), the delivery metrics of the last 30 days (`tracker metrics
    --all`: the four keys, with deployments and median lead time per week as
    charts), and the timeline with the images each deployment changed,
    rollbacks, forced deployments, freezes. Release ids show their short id;
    the whole id is on hover and in a click's selection. One colour, one
    meaning (legend on the page). The HTML is one self-contained file (no
    scripts, no network).

    A manifest of several projects (weco-deploy's YAML) without --project gives
    one page: a summary of what each project's environments run, then each
    project, read with its own region and role. A project that cannot be read
    is said so on the page and in a warning; the others are still shown.

    \b
    Examples:
      tracker report -o release-report.html
      tracker report --output markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from tracker.errors import warn
    from tracker.report.html import render_html
    from tracker.report.markdown import render_markdown

    data = tracker.report(limit)
    for part in data.get("projects", ()):
        if part.get("error"):
            warn(f"project {part['project']['id']}: {part['error']}")
    text = render_html(data) if fmt == "html" else render_markdown(data)
    if not out:
        click.echo(text, nl=False)
        return
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        exit_with(f"cannot write {out}: {error.strerror}", 2)
    click.echo(f"wrote {out}")
