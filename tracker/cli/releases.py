"""Commands about images and releases: ``publish``, ``images``, ``release create|show|list``."""

from __future__ import annotations

import click

from tracker.app import Tracker
from tracker.cli import render
from tracker.cli.base import (
    DESCRIPTION,
    OUTPUT,
    USER,
    USER_NAME,
    TrackerGroup,
    emit_json,
    pass_tracker,
    pin_option,
)


@click.command()
@click.argument("service_id")
@click.argument("image_uri")
@click.option("--label", "-l", default="latest", show_default=True, help="Image label.")
@click.option(
    "--revision",
    help="The commit the image was built from. Default: the CI system's variable (GITHUB_SHA, "
    "CI_COMMIT_SHA, BUILDKITE_COMMIT, CIRCLE_SHA1, BITBUCKET_COMMIT, CODEBUILD_RESOLVED_SOURCE_VERSION, "
    "GIT_COMMIT, BUILD_SOURCEVERSION, TRAVIS_COMMIT, DRONE_COMMIT_SHA); none outside CI.",
)
@click.option(
    "--committed",
    metavar="DATE",
    help="When that commit was made (ISO 8601). Default: $CI_COMMIT_TIMESTAMP, else git's commit date "
    "of the revision when run in a checkout that has it.",
)
@USER
@pin_option("'off': do not ask ECR whether the image exists.")
@pass_tracker
def publish(
    tracker: Tracker,
    service_id: str,
    image_uri: str,
    label: str,
    revision: str | None,
    committed: str | None,
    user: str | None,
    pin: str | None,
) -> None:
    """Point a label of a service at an image (SSM /{project}/images/{label}/{service}).

    SERVICE_ID is a service of the manifest: in weco-deploy's format, an
    image repository id. An image in ECR must exist (its tag, or its digest):
    one ecr:DescribeImages in the registry's account and region, read from the
    URI. The URI is written as given; 'release create' pins it to its digest.

    Next to it, in .../{service}/published, publish records when and by whom,
    and the commit (--revision, --committed): releases copy that record, and
    'tracker metrics' measures lead time for changes from it.

    \b
    Examples:
      tracker publish hatching 123.dkr.ecr.eu-west-1.amazonaws.com/hatching:abc123 --label latest
      tracker publish hatching "$IMAGE" --revision "$(git rev-parse HEAD)"
    """
    import os

    from tracker.model.provenance import CI_COMMITTED_VARIABLES, CI_REVISION_VARIABLES, ci_value
    from tracker.model.requests import PublishRequest

    if revision is None:
        found = ci_value(os.environ, CI_REVISION_VARIABLES)
        revision = found[1] if found else None
    if committed is None and revision is not None:
        found = ci_value(os.environ, CI_COMMITTED_VARIABLES)
        committed = found[1] if found else _git_commit_date(revision)
    request = PublishRequest(
        service_id=service_id,
        image_uri=image_uri,
        user_id=tracker.user_id(user),
        label=label,
        pin=tracker.pin(pin),
        revision=revision,
        committed=committed,
    )
    click.echo(f"{tracker.publish(request)} = {image_uri}" + (f" (revision {revision})" if revision else ""))


def _git_commit_date(revision: str) -> str | None:
    """The commit date git knows for ``revision`` here, or None (no git, no such commit)."""
    import subprocess

    if revision.startswith("-"):
        return None
    try:
        done = subprocess.run(
            ["git", "show", "-s", "--format=%cI", revision, "--"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    date = done.stdout.strip()
    return date if done.returncode == 0 and date else None


@click.command()
@click.option("--label", "-l", default="latest", show_default=True, help="Image label.")
@OUTPUT
@pass_tracker
def images(tracker: Tracker, label: str, output: str) -> None:
    """Show the image each service's label points at now in SSM, and the commit it was built from.

    JSON maps each service to its image URI (null: none), as it always has;
    the revisions are in the text, and in each release's manifest
    ('release show -o json', key 'published').

    \b
    Example:
      tracker images --label stable --output json
    """
    found, published = tracker.label_sources(label)
    if output == "json":
        emit_json(found)
    else:
        click.echo(f"label {label}:")
        render.images(found, ecs=tracker.project.ecs_services, published=published)


@click.group(cls=TrackerGroup)
def release() -> None:
    """Create and read releases (snapshots of a label's images)."""


@release.command("create")
@click.option("--label", "-l", default="latest", show_default=True, help="Image label to snapshot.")
@DESCRIPTION
@USER
@USER_NAME
@click.option("--from-release", help="Take services not named by --service from this release (id, prefix).")
@click.option(
    "--service",
    "services",
    multiple=True,
    help="With --from-release: a service to take from the label (repeatable).",
)
@click.option("--allow-duplicate", is_flag=True, help="Create it even if identical to the newest release.")
@pin_option(
    "How ECR images are recorded: 'tag+digest' (repo:tag@sha256:...), 'digest' (repo@sha256:...) "
    "or 'off' (as the label holds them; ECR is not asked)."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the new release's id (for scripts).")
@OUTPUT
@pass_tracker
def release_create(
    tracker: Tracker,
    label: str,
    description: str,
    user: str | None,
    user_name: str | None,
    from_release: str | None,
    services: tuple[str, ...],
    allow_duplicate: bool,
    pin: str | None,
    quiet: bool,
    output: str,
) -> None:
    """Snapshot every service's image at a label into a new release.

    An image in ECR is recorded pinned to the digest its tag names now
    (repo:tag@sha256:..., which ECS, Docker and Kubernetes pull by digest), so
    pushing the tag again changes no release and no deployment. Refuses,
    writing nothing, if any service has no image at the label, if an ECR image
    does not exist, or if the release would be identical to the newest one
    (unless --allow-duplicate). The new release id is '{project_id}:{uuid}'.

    \b
    Examples:
      RID=$(tracker release create --label latest --description "Sprint 12" --quiet)
      tracker release create --from-release 3f1c9b9e --service hatching   # hotfix one service
    """
    from tracker.model.requests import ReleaseRequest

    request = ReleaseRequest(
        requested_by=tracker.person(user, user_name),
        label=label,
        description=description,
        from_release=from_release,
        services=services,
        allow_duplicate=allow_duplicate,
        pin=tracker.pin(pin),
    )
    created = tracker.create_release(request)
    render.warnings(created.warnings)
    if quiet:
        click.echo(created.release.release_id)
    elif output == "json":
        emit_json(created.release.as_row())
    else:
        click.echo(f"created release {created.release.release_id}")
        render.images(created.release.images, published=created.release.published)


@release.command("show")
@click.argument("release_id")
@OUTPUT
@pass_tracker
def release_show(tracker: Tracker, release_id: str, output: str) -> None:
    """Show a release: its row of the releases table and its manifest (with every deployment).

    RELEASE_ID is an id, a unique prefix of at least 8 characters, or 'latest'.

    \b
    Example:
      tracker release show 3f1c9b9e --output json
    """
    found = tracker.release(release_id)
    if output == "json":
        emit_json(found.as_row())
    else:
        render.release_summary(found, tracker.project.ecs_services)


@release.command("list")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many.")
@OUTPUT
@pass_tracker
def release_list(tracker: Tracker, limit: int, output: str) -> None:
    """List the newest releases of the project (the latest-releases index).

    \b
    Example:
      tracker release list --limit 5
    """
    from tracker.model.clock import iso8601

    found = tracker.releases(limit)
    if output == "json":
        emit_json([r.as_row() for r in found])
        return
    for r in found:
        deployed = sorted({entry.environment.id for entry in r.deployments})
        where = f"  deployed: {', '.join(deployed)}" if deployed else ""
        click.echo(f"{r.release_id}  {iso8601(r.created_at)}  {r.description}{where}")
