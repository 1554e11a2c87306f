"""The ``tracker`` command: a thin layer that parses arguments, calls the library, prints.

Every expected failure is one line on stderr (``tracker: error: ...``, written
by :func:`tracker.errors.exit_with`) and a non-zero exit: 2 for bad input and
usage, 1 for everything else.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.errors import TrackerError, exit_with, warn
from tracker.model.images import PIN_MODES
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.model.project import Project, ProjectFile
    from tracker.model.records import DeployResult, Drift, HistoryEntry, Release
    from tracker.stores.clients import Clients
    from tracker.stores.events import EventBus
    from tracker.stores.parameters import ParameterStore
    from tracker.stores.tracking import TrackingStore
    from tracker.terraform.adapter import EnvironmentRoot

OUTPUT = click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Human-readable text, or JSON for machines.",
)
USER = click.option(
    "--user",
    help="Who requests it (the RFC's requested_by.id). Default: $TRACKER_USER, "
    "else the AWS caller identity (STS).",
)
USER_NAME = click.option("--user-name", help="Display name of --user. Default: the user id.")
DESCRIPTION = click.option("--description", "-d", default="", help="Why (free text, ≤ 1024 chars).")
RELEASE_HELP = "RELEASE is an id, a unique prefix of at least 8 characters, or 'latest'."
FORCE = click.option(
    "--force",
    is_flag=True,
    help="Deploy even though the environment is frozen or a deployment window closes it; needs "
    "--description saying why. The record says what it was forced through.",
)


class TrackerGroup(click.Group):
    """Turns the library's named exceptions and usage errors into one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as error:
            exit_with(str(error), error.exit_code)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help() if error.ctx else error.format_message())
            sys.exit(0)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "tracker"
            exit_with(f"{error.format_message()} (see '{where} --help')", 2)
        except click.ClickException as error:
            exit_with(error.format_message(), error.exit_code)
        except click.Abort:
            exit_with("aborted", 130)
        sys.exit(result if isinstance(result, int) else 0)


@dataclass
class Env:
    """The settings the global options select; the project, clients and stores are built on first use."""

    settings: Settings
    _clients: Clients | None = None
    _manifest: ProjectFile | None = None

    @property
    def clients(self) -> Clients:
        """Clients for the selected project: its region, role and account (see tracker.settings)."""
        if self._clients is None:
            self._clients = self.settings.clients(self.project())
        return self._clients

    def manifest(self) -> ProjectFile:
        """The manifest file, read once; its warnings (unknown keys) go to stderr then."""
        if self._manifest is None:
            from tracker.model.project import load_projects

            self._manifest = load_projects(self.settings.project_file)
            for message in self._manifest.warnings:
                warn(message)
        return self._manifest

    def project(self) -> Project:
        """The project the settings select (--project, TRACKER_PROJECT, else the file's only one)."""
        return self.manifest().select(self.settings.project)

    def store(self) -> TrackingStore:
        return self.settings.tracking_store(self.clients)

    def parameters(self) -> ParameterStore:
        from tracker.stores.parameters import ParameterStore

        return ParameterStore(self.clients)

    def events(self) -> EventBus | None:
        """The EventBridge bus of TRACKER_EVENT_BUS (checked before anything is written), or None."""
        return self.settings.events(self.clients)

    def user_id(self, user: str | None) -> str:
        if user or self.settings.user:
            return str(user or self.settings.user)
        from tracker.stores.clients import caller_identity

        return caller_identity(self.clients)

    def person(self, user: str | None, user_name: str | None) -> dict[str, str]:
        from tracker.workflows.releases import person

        return person(self.user_id(user), user_name)


pass_env = click.make_pass_decorator(Env)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def emit_images(
    images: dict[str, Any], indent: str = "  ", ecs: dict[str, tuple[str, ...]] | None = None
) -> None:
    """One line per service: id, image (a digest shortened), and (weco-deploy) the ECS services running it."""
    from tracker.model.images import display

    width = max((len(s) for s in images), default=0)
    for service, image in images.items():
        runs = _ecs_note(ecs.get(service) if ecs else None)
        click.echo(f"{indent}{service.ljust(width)}  {display(image)}{runs}")


def _ecs_note(names: tuple[str, ...] | None) -> str:
    """``  (ECS: a, b)``: the ECS services running a repository's image (weco-deploy manifests)."""
    return f"  (ECS: {', '.join(names)})" if names else ""


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
# The TRACKER_* variables behind these defaults are read once, by Settings.resolve.
@click.option(
    "--project-file",
    "-p",
    help="Project manifest (the RFC's JSON or weco-deploy's YAML). "
    "Default: $TRACKER_PROJECT_FILE, else ./.wellcome_project.",
)
@click.option(
    "--project",
    "-P",
    "project_id",
    help="Which project of a manifest holding several (weco-deploy's format). Default: $TRACKER_PROJECT, "
    "else the file's only project.",
)
@click.option(
    "--region",
    help="AWS region of the tables and parameters. Default: $TRACKER_REGION, else the manifest's "
    "aws_region_name/region_name, else the standard AWS configuration.",
)
@click.option(
    "--no-assume-role",
    is_flag=True,
    help="Do not assume the manifest's role_arn: the caller already is that role "
    "(also TRACKER_ASSUME_ROLE=0). The account_id check still applies.",
)
@click.option(
    "--releases-table",
    help="Releases table. Default: $TRACKER_RELEASES_TABLE, else 'tracker-releases'.",
)
@click.option(
    "--deployments-table",
    help="Deployments table. Default: $TRACKER_DEPLOYMENTS_TABLE, else 'tracker-deployments'.",
)
@click.version_option(package_name="release-tracker", prog_name="tracker")
@click.pass_context
def cli(
    ctx: click.Context,
    project_file: str | None,
    project_id: str | None,
    region: str | None,
    no_assume_role: bool,
    releases_table: str | None,
    deployments_table: str | None,
) -> None:
    """Track releases and deployments of a project's container images (RFC 013).

    CI publishes images to SSM labels; a release snapshots a label; a
    deployment records a release in an environment and writes
    /{project}/deployments/{environment}/{service} for Terraform to read.

    AWS credentials and endpoint come from the standard AWS configuration
    (AWS_PROFILE, AWS_ENDPOINT_URL...); the region from --region, else the
    manifest, else AWS_REGION. A manifest's role_arn is assumed for every
    call (the caller stays the recorded requester) and its account_id is
    checked before anything is written. The indexes of the releases table
    are found by their key schema, or named by TRACKER_LATEST_RELEASES_INDEX /
    TRACKER_LATEST_DEPLOYMENTS_INDEX.

    \b
    Example:
      tracker publish hatching 123.dkr.ecr.eu-west-1.amazonaws.com/hatching:abc123
      RID=$(tracker release create --description "Sprint 12" --quiet)
      tracker deploy "$RID" stage
      tracker promote stage prod
    """
    ctx.obj = Env(
        Settings.resolve(
            project_file=project_file,
            project=project_id,
            region=region,
            assume_role="0" if no_assume_role else None,
            releases_table=releases_table,
            deployments_table=deployments_table,
        )
    )


def pin_option(help_text: str) -> Any:
    return click.option(
        "--pin",
        type=click.Choice(PIN_MODES),
        help=f"{help_text} [default: TRACKER_PIN_IMAGES, else tag+digest]",
    )


@cli.command()
@click.argument("service_id")
@click.argument("image_uri")
@click.option("--label", "-l", default="latest", show_default=True, help="Image label.")
@USER
@pin_option("'off': do not ask ECR whether the image exists.")
@pass_env
def publish(env: Env, service_id: str, image_uri: str, label: str, user: str | None, pin: str | None) -> None:
    """Point a label of a service at an image (SSM /{project}/images/{label}/{service}).

    SERVICE_ID is a service of the manifest: in weco-deploy's format, an
    image repository id. An image in ECR must exist (its tag, or its digest):
    one ecr:DescribeImages in the registry's account and region, read from the
    URI. The URI is written as given; 'release create' pins it to its digest.

    \b
    Example:
      tracker publish hatching 123.dkr.ecr.eu-west-1.amazonaws.com/hatching:abc123 --label latest
    """
    from tracker.workflows.releases import publish_image

    project = env.project()
    name = publish_image(
        project,
        env.parameters(),
        service_id,
        image_uri,
        label=label,
        user_id=env.user_id(user),
        pin=pin or env.settings.pin_images,
    )
    click.echo(f"{name} = {image_uri}")


@cli.command()
@click.option("--quiet", "-q", is_flag=True, help="Print only the project ids, one per line (for scripts).")
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["text", "json", "tfvars"]),
    default="text",
    show_default=True,
    help="Text, JSON, or tfvars: the selected project's project_id, region and role_arn as a "
    ".tfvars.json document for a store stack (what `make store` passes to terraform/store).",
)
@pass_env
def projects(env: Env, quiet: bool, output: str) -> None:
    """List the projects of the manifest: services (and the ECS services running them), environments.

    With --project (or TRACKER_PROJECT), only that project.

    \b
    Examples:
      tracker projects
      tracker --project-file .wellcome_project projects --output json
      PROJECT_ID=$(tracker projects --quiet)
    """
    found = env.manifest()
    chosen = [found.select(env.settings.project)] if env.settings.project else list(found.projects.values())
    if quiet:
        for project in chosen:
            click.echo(project.id)
    elif output == "json":
        emit_json([project.describe() for project in chosen])
    elif output == "tfvars":
        project = env.project()
        target = env.settings.target(project)
        emit_json({"project_id": project.id, "region": target.region, "role_arn": target.role_arn})
    else:
        click.echo(f"{found.source} ({'weco-deploy YAML' if found.format == 'yaml' else 'RFC JSON'}):")
        for project in chosen:
            _project_text(project)


def _project_text(project: Project) -> None:
    environments = ", ".join(k if v == k else f"{k} ({v})" for k, v in (project.environments or {}).items())
    click.echo(f"{project.id}  {project.name}")
    click.echo("  services:")
    width = max(len(s) for s in project.services)
    for service, name in project.services.items():
        label = f"  {name}" if name != service else ""
        runs = _ecs_note(project.ecs_services.get(service))
        click.echo(f"    {service.ljust(width)}{label}{runs}".rstrip())
    click.echo(f"  environments: {environments or ('(any)' if project.environments is None else '(none)')}")
    for key, value in (
        ("role", project.role_arn),
        ("account", project.account_id),
        ("region", project.region),
    ):
        if value:
            click.echo(f"  {key + ':':13} {value}")
    unused = _flatten(project.unused)
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


def _check_init_flags(
    project_id: str, role_arn: str | None, account_id: str | None, region: str | None
) -> None:
    """Refuse bad ``tracker init`` flags by name, before discovery calls AWS."""
    from tracker.model import schema
    from tracker.model.project import check_role_account

    schema.check_id("project id", project_id)
    for rule, value, flag in (
        ("role_arn", role_arn, "--role-arn"),
        ("account_id", account_id, "--account-id"),
        ("region", region, "--aws-region-name"),
    ):
        if value is not None:
            schema.check_value(rule, value, flag)
    check_role_account("--role-arn and --account-id", role_arn, account_id)


def _pairs(kind: str, values: tuple[str, ...]) -> dict[str, str]:
    """``ID[=NAME]`` options as id -> name (the name defaults to the id), refusing duplicates."""
    from tracker.model import schema

    result: dict[str, str] = {}
    for value in values:
        ident, _, name = value.partition("=")
        schema.check_id(f"{kind} id", ident)
        if ident in result:
            raise click.BadParameter(f"{kind} '{ident}' is given twice", param_hint=f"--{kind}")
        result[ident] = name or ident
    return result


@cli.command()
@click.option("--project-id", required=True, help="The project id (SSM-path-safe).")
@click.option("--name", help="Display name of the project. Default: the id.")
@click.option("--service", "services", multiple=True, help="ID[=NAME] of a service (repeatable).")
@click.option(
    "--environment", "environments", multiple=True, help="ID[=NAME] of an environment (repeatable)."
)
@click.option(
    "--discover",
    is_flag=True,
    help="Add the services already published under SSM /{project}/images/{label}/.",
)
@click.option("--label", "-l", default="latest", show_default=True, help="Label --discover looks at.")
@click.option("--role-arn", help="Role every AWS call of the project runs as (written to the manifest).")
@click.option("--account-id", help="Account the project must act in (written to the manifest).")
@click.option("--aws-region-name", help="Region of the project's tables and parameters (written).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="The RFC's JSON manifest, or weco-deploy's YAML (several projects per file).",
)
@click.option("--add", is_flag=True, help="YAML only: append the project to an existing manifest.")
@click.option("--force", is_flag=True, help="Overwrite an existing manifest.")
@pass_env
def init(
    env: Env,
    project_id: str,
    name: str | None,
    services: tuple[str, ...],
    environments: tuple[str, ...],
    discover: bool,
    label: str,
    role_arn: str | None,
    account_id: str | None,
    aws_region_name: str | None,
    fmt: str,
    add: bool,
    force: bool,
) -> None:
    """Write a project manifest (the --project-file, else ./.wellcome_project).

    Services come from --service options and, with --discover, from what CI
    already published. What is written is validated against the format's
    schema first; an existing file is never overwritten without --force.

    \b
    Examples:
      tracker init --project-id shop --service web=Website --service worker \\
          --environment stage --environment prod=Production
      tracker --region eu-west-1 init --project-id shop --discover --format yaml
      tracker -p .wellcome_project init --project-id reports --discover --format yaml --add
    """
    from tracker.model.project import Project, check_writable, resolve_path, write_manifest

    _check_init_flags(project_id, role_arn, account_id, aws_region_name)
    declared = _pairs("service", services)
    project = Project(
        id=project_id,
        name=name or project_id,
        services=declared,
        environments=_pairs("environment", environments) if environments else None,
        role_arn=role_arn,
        account_id=account_id,
        region=aws_region_name,
    )
    path = resolve_path(env.settings.project_file)
    existing = check_writable(path, project_id, fmt, add=add, force=force)
    if discover:
        from tracker.stores.parameters import ParameterStore
        from tracker.workflows.releases import discover_services

        # Discovery runs in the new project's region, role and account.
        parameters = ParameterStore(env.settings.clients(project))
        for service in discover_services(project, parameters, label):
            declared.setdefault(service, service)
    if not declared:
        where = f" (nothing published under SSM /{project_id}/images/{label}/)" if discover else ""
        exit_with(f"no services: give --service ID or --discover{where}", 1 if discover else 2)
    shown = write_manifest(path, project, fmt, existing)
    click.echo(
        f"wrote {path} ({fmt}): project {project_id} with services {', '.join(shown.services)}"
        + (f"; environments {', '.join(shown.environments)}" if shown.environments else "")
    )


@cli.command()
@click.option("--label", "-l", default="latest", show_default=True, help="Image label.")
@OUTPUT
@pass_env
def images(env: Env, label: str, output: str) -> None:
    """Show the image each service's label points at now in SSM.

    \b
    Example:
      tracker images --label stable --output json
    """
    from tracker.workflows.releases import label_images

    project = env.project()
    found = label_images(project, env.parameters(), label)
    if output == "json":
        emit_json(found)
    else:
        click.echo(f"label {label}:")
        emit_images(found, ecs=project.ecs_services)


@cli.group(cls=TrackerGroup)
def release() -> None:
    """Create and read releases (snapshots of a label's images)."""


def release_summary(release: Release, ecs: dict[str, tuple[str, ...]] | None = None) -> None:
    manifest = release.release_manifest
    click.echo(f"release     {release.release_id}")
    click.echo(f"project     {manifest['project']['id']} ({manifest['project']['name']})")
    click.echo(f"requested   {manifest['date_requested']} by {manifest['requested_by']['name']}")
    if release.description:
        click.echo(f"description {release.description}")
    click.echo("images:")
    emit_images(release.images, ecs=ecs)
    if release.deployments:
        click.echo("deployments:")
        for d in release.deployments:
            why = f" — {d['description']}" if d["description"] else ""
            click.echo(
                f"  {d['date_requested']}  {d['environment']['id']}  by {d['requested_by']['name']}{why}"
            )


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
@pass_env
def release_create(
    env: Env,
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
    from tracker.workflows.releases import create_release

    project = env.project()
    created = create_release(
        project,
        env.store(),
        env.parameters(),
        requested_by=env.person(user, user_name),
        label=label,
        description=description,
        from_release=from_release,
        services=list(services),
        allow_duplicate=allow_duplicate,
        pin=pin or env.settings.pin_images,
    )
    for message in created.warnings:
        warn(message)
    if quiet:
        click.echo(created.release.release_id)
    elif output == "json":
        emit_json(created.release.as_row())
    else:
        click.echo(f"created release {created.release.release_id}")
        emit_images(created.release.images)


@release.command("show")
@click.argument("release_id")
@OUTPUT
@pass_env
def release_show(env: Env, release_id: str, output: str) -> None:
    """Show a release: its row of the releases table and its manifest.

    RELEASE_ID is an id, a unique prefix of at least 8 characters, or 'latest'.

    \b
    Example:
      tracker release show 3f1c9b9e --output json
    """
    from tracker.workflows.releases import resolve_release

    project = env.project()
    found = resolve_release(project, env.store(), release_id)
    if output == "json":
        emit_json(found.as_row())
    else:
        release_summary(found, project.ecs_services)


@release.command("list")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many.")
@OUTPUT
@pass_env
def release_list(env: Env, limit: int, output: str) -> None:
    """List the newest releases of the project (the latest-releases index).

    \b
    Example:
      tracker release list --limit 5
    """
    from tracker.model.clock import iso8601
    from tracker.workflows.releases import list_releases

    found = list_releases(env.project(), env.store(), limit)
    if output == "json":
        emit_json([r.as_row() for r in found])
        return
    for r in found:
        deployed = sorted({d["environment"]["id"] for d in r.deployments})
        where = f"  deployed: {', '.join(deployed)}" if deployed else ""
        click.echo(f"{r.release_id}  {iso8601(r.created_at)}  {r.description}{where}")


def report_deploy(result: DeployResult, output: str) -> None:
    for message in result.warnings:
        warn(message)
    if output == "json":
        emit_json(result.as_dict())
        return
    verb = "deployed" if result.recorded else "already deployed (nothing recorded; SSM checked)"
    click.echo(f"{verb}: release {result.release.release_id} -> {result.environment_id}")
    if result.forced:
        click.echo(f"forced through {result.forced}")
    emit_images(result.images)
    if result.superseded_by:
        click.echo(
            f"note: a later deployment of release {result.superseded_by} has since taken "
            f"{result.environment_id}"
        )


@cli.command()
@click.argument("release_id")
@click.argument("environment_id")
@DESCRIPTION
@FORCE
@USER
@USER_NAME
@OUTPUT
@pass_env
def deploy(
    env: Env,
    release_id: str,
    environment_id: str,
    description: str,
    force: bool,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Record a deployment of a release to an environment and write its SSM parameters.

    RELEASE_ID is an id, a unique prefix of at least 8 characters, or 'latest'.
    Deploying the release an environment already runs records nothing and
    only makes SSM match (safe to re-run after a failure).

    \b
    Examples:
      tracker deploy 3f1c9b9e stage --description "Testing sprint 12"
      tracker deploy latest stage
      tracker deploy latest prod --force --description "hotfix for incident 42"
    """
    from tracker.workflows.deployments import deploy as do_deploy

    result = do_deploy(
        env.project(),
        env.store(),
        env.parameters(),
        release_id,
        environment_id,
        requested_by=env.person(user, user_name),
        description=description,
        force=force,
        events=env.events(),
    )
    report_deploy(result, output)


@cli.command()
@click.argument("from_environment")
@click.argument("to_environment")
@DESCRIPTION
@FORCE
@USER
@USER_NAME
@OUTPUT
@pass_env
def promote(
    env: Env,
    from_environment: str,
    to_environment: str,
    description: str,
    force: bool,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Deploy the release FROM_ENVIRONMENT runs to TO_ENVIRONMENT (same release id).

    \b
    Example:
      tracker promote stage prod --description "Release sprint 12"
    """
    from tracker.workflows.deployments import promote as do_promote

    result = do_promote(
        env.project(),
        env.store(),
        env.parameters(),
        from_environment,
        to_environment,
        requested_by=env.person(user, user_name),
        description=description,
        force=force,
        events=env.events(),
    )
    report_deploy(result, output)


@cli.command()
@OUTPUT
@pass_env
def status(env: Env, output: str) -> None:
    """Per environment: the release it runs, its images, who deployed it when and why, and freezes.

    An environment that is frozen (tracker freeze) or that a deployment window
    of the manifest closes now says so, even with nothing deployed yet.

    \b
    Example:
      tracker status --output json
    """
    from tracker.workflows.audit import status as do_status

    project = env.project()
    found = do_status(project, env.store())
    if output == "json":
        ecs = (
            {"ecs_services": {k: list(v) for k, v in project.ecs_services.items()}}
            if project.ecs_services
            else {}
        )
        emit_json({s.environment_id: {**s.as_dict(), **ecs} for s in found})
        return
    if not found:
        click.echo("nothing deployed yet")
    for s in found:
        if s.release_id is None:
            click.echo(f"{s.environment_id}: nothing deployed yet")
        else:
            last = s.last or {}
            when = last.get("date_requested") or _iso(s.deployed_at)
            who = f" by {last['requested_by']['name']}" if last.get("requested_by") else ""
            why = f" — {last['description']}" if last.get("description") else ""
            click.echo(f"{s.environment_id}: release {s.release_id} (deployed {when}{who}){why}")
        if s.freeze is not None:
            click.echo(f"  FROZEN: {s.freeze.describe()}")
        if s.closed is not None:
            click.echo(f"  CLOSED: {s.closed}")
        if last_forced := (s.last or {}).get("forced"):
            click.echo(f"  forced through {last_forced}")
        emit_images(s.images, ecs=project.ecs_services)


def _iso(moment: float | None) -> str:
    from tracker.model.clock import iso8601

    return iso8601(moment) if moment else "?"


def _history_text(entries: list[HistoryEntry], show_env: bool) -> None:
    if not entries:
        click.echo("no deployments yet")
    for e in entries:
        where = f"{e.environment['id']}  " if show_env else ""
        why = f" — {e.description}" if e.description else ""
        if e.kind != "deployment":
            until = f" until {e.until}" if e.until else ""
            click.echo(
                f"{e.date_requested}  {where}{e.kind.upper()}{until}  by {e.requested_by['name']}{why}"
            )
            continue
        marks = "".join(
            f"  [{mark}]" for mark, shown in (("rollback", e.rollback_from), ("forced", e.forced)) if shown
        )
        click.echo(f"{e.date_requested}  {where}{e.release_id}{marks}  by {e.requested_by['name']}{why}")
        if e.forced:
            click.echo(f"    forced through {e.forced}")
        emit_images(e.images, indent="    ")


@cli.command()
@click.argument("environment_id", required=False)
@click.option("--all", "all_environments", is_flag=True, help="Every environment of the project.")
@click.option("--limit", "-n", default=20, show_default=True, type=int, help="How many.")
@OUTPUT
@pass_env
def history(env: Env, environment_id: str | None, all_environments: bool, limit: int, output: str) -> None:
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
    from tracker.workflows.history import history as do_history

    if bool(environment_id) == all_environments:
        raise click.UsageError("give either ENVIRONMENT_ID or --all")
    entries = do_history(env.project(), env.store(), environment_id, limit)
    if output == "json":
        emit_json([e.as_dict() for e in entries])
    else:
        _history_text(entries, show_env=all_environments)


@cli.command()
@click.argument("environment_id", required=False)
@click.option("--label", "-l", default="latest", show_default=True, help="Image label CI publishes to.")
@pin_option("How label images are compared: pinned as 'release create' would pin them.")
@OUTPUT
@pass_env
def pending(env: Env, environment_id: str | None, label: str, pin: str | None, output: str) -> None:
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
    from tracker.workflows.pending import pending as do_pending

    try:
        project, store = env.project(), env.store()
        found = do_pending(
            project,
            store,
            env.parameters(),
            environment_id,
            label=label,
            pin=pin or env.settings.pin_images,
        )
    except TrackerError as error:
        exit_with(str(error), 2)  # 1 means "something waits"
    if output == "json":
        emit_json(found.as_dict())
    else:
        _pending_text(found)
    sys.exit(1 if found.waiting else 0)


def _pending_text(found: Any) -> None:
    from tracker.model.images import display
    from tracker.model.records import short_id

    newest = found.newest_release_id
    click.echo(f"label {found.label}; newest release {newest or '(none yet)'}")
    for environment, release_id in found.environments.items():
        click.echo(f"  {environment} runs {release_id or 'nothing yet'}")
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


@cli.command()
@click.argument("source")
@click.argument("target")
@OUTPUT
@pass_env
def diff(env: Env, source: str, target: str, output: str) -> None:
    """What TARGET would change to if it took SOURCE's images (as `promote SOURCE TARGET` would).

    SOURCE and TARGET are each an environment or a release id, prefix or
    'latest'. Each changed service reads `TARGET: now → after (from SOURCE)`.
    Exit code 0 when they run the same images, 1 when they differ, 2 on error.

    \b
    Examples:
      tracker diff stage prod           # what would promoting stage to prod change in prod?
      tracker diff latest prod          # what would deploying the newest release to prod change?
    """
    from tracker.model.images import display
    from tracker.model.records import compare_images
    from tracker.workflows.audit import resolve_images

    try:
        project, store = env.project(), env.store()
        label_source, images_source = resolve_images(project, store, source)
        label_target, images_target = resolve_images(project, store, target)
    except TrackerError as error:
        exit_with(str(error), 2)  # like diff(1): 1 means "they differ", so errors are 2
    changes = compare_images(images_target, images_source)  # from what TARGET has, to SOURCE's
    differ = any(c.change != "same" for c in changes)
    if output == "json":
        emit_json(
            {
                "source": label_source,
                "target": label_target,
                "differ": differ,
                "services": [c.as_dict() for c in changes],
            }
        )
    else:
        click.echo(f"what {target} would change to take {source}'s images:")
        click.echo(f"  source {source}: {label_source}")
        click.echo(f"  target {target}: {label_target}")
        width = max((len(c.service) for c in changes), default=0)
        for c in changes:
            if c.change == "same":
                click.echo(f"  {c.service.ljust(width)}  same     {display(c.after)}")
            else:
                click.echo(
                    f"  {c.service.ljust(width)}  {c.change.ljust(7)}  "
                    f"{target}: {display(c.before)} → {display(c.after)} (from {source})"
                )
    sys.exit(1 if differ else 0)


@cli.command()
@click.argument("environment_id")
@click.option("--to", "to_release", help="Release to roll back to (id, prefix; default: the previous one).")
@DESCRIPTION
@FORCE
@USER
@USER_NAME
@OUTPUT
@pass_env
def rollback(
    env: Env,
    environment_id: str,
    to_release: str | None,
    description: str,
    force: bool,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Deploy the release that ran in ENVIRONMENT_ID before the current one.

    Recorded as an ordinary deployment whose description starts with
    "rollback of ENV from OLD to NEW".

    \b
    Examples:
      tracker rollback prod --description "hatching crashes on start"
      tracker rollback prod --to 3f1c9b9e
    """
    from tracker.workflows.deployments import rollback as do_rollback

    result = do_rollback(
        env.project(),
        env.store(),
        env.parameters(),
        environment_id,
        requested_by=env.person(user, user_name),
        to_release=to_release,
        description=description,
        force=force,
        events=env.events(),
    )
    report_deploy(result, output)


@cli.command()
@click.argument("environment_id")
@click.option(
    "--reason", "-r", required=True, help="Why (free text, ≤ 1024 chars): shown to whoever is refused."
)
@click.option(
    "--until",
    help="When the freeze ends by itself (ISO 8601, e.g. 2026-12-01T09:00:00Z; without an offset, UTC). "
    "Default: until `tracker unfreeze`.",
)
@USER
@USER_NAME
@OUTPUT
@pass_env
def freeze(
    env: Env,
    environment_id: str,
    reason: str,
    until: str | None,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Freeze ENVIRONMENT_ID: deploy, promote and rollback to it are refused until it is unfrozen.

    Refused with one line naming the reason, who froze it and since when, from
    the CLI, make and Terraform alike; `--force --description WHY` deploys
    anyway and the record says it was forced through the freeze. Freezing a
    frozen environment replaces its reason and end. The freeze is in the
    deployments table beside the environment's row, and every deployment's
    transaction checks it. Logged in `tracker history`.

    \b
    Examples:
      tracker freeze prod --reason "incident 42: payments are failing"
      tracker freeze prod --reason "end-of-year freeze" --until 2027-01-04T09:00:00Z
    """
    from tracker.workflows.freezes import freeze as do_freeze

    project = env.project()
    events = env.events()
    chosen, warnings = do_freeze(
        project,
        env.store(),
        environment_id,
        reason=reason,
        requested_by=env.person(user, user_name),
        until=until,
        events=events,
    )
    for message in warnings:
        warn(message)
    if output == "json":
        emit_json({"environment_id": environment_id, "freeze": chosen.as_dict()})
    else:
        click.echo(f"{environment_id}: {chosen.describe()}")


@cli.command()
@click.argument("environment_id")
@DESCRIPTION
@USER
@USER_NAME
@pass_env
def unfreeze(
    env: Env, environment_id: str, description: str, user: str | None, user_name: str | None
) -> None:
    """Lift the freeze of ENVIRONMENT_ID (refused, writing nothing, if it is not frozen).

    Deployment windows of the manifest still apply. Logged in `tracker history`.

    \b
    Example:
      tracker unfreeze prod --description "incident 42 resolved"
    """
    from tracker.workflows.freezes import unfreeze as do_unfreeze

    project = env.project()
    events = env.events()
    warnings = do_unfreeze(
        project,
        env.store(),
        environment_id,
        requested_by=env.person(user, user_name),
        description=description,
        events=events,
    )
    for message in warnings:
        warn(message)
    click.echo(f"{environment_id}: unfrozen")


def _report_drift(drifts: list[Drift], output: str, verb: str) -> None:
    if output == "json":
        emit_json([d.as_dict() for d in drifts])
    elif drifts:
        for d in drifts:
            click.echo(f"{verb}: {d}")
    else:
        click.echo("ok: the deployments table, the release manifests and SSM agree")


@cli.command()
@click.argument("environment_id", required=False)
@OUTPUT
@pass_env
def verify(env: Env, environment_id: str | None, output: str) -> None:
    """Check that the deployments table, the release manifests and SSM agree.

    Prints each disagreement (per environment and service) and exits 1 on
    drift: suitable for CI and cron.

    \b
    Examples:
      tracker verify            # every environment
      tracker verify prod --output json
    """
    from tracker.workflows.audit import verify as do_verify

    drifts = do_verify(env.project(), env.store(), env.parameters(), environment_id)
    _report_drift(drifts, output, "drift")
    if drifts:
        sys.exit(1)


@cli.command()
@click.argument("environment_id", required=False)
@USER
@OUTPUT
@pass_env
def repair(env: Env, environment_id: str | None, user: str | None, output: str) -> None:
    """Rewrite SSM deployment parameters from the deployments table where they drifted.

    The deployments table is the record; SSM follows it. Parameters with no
    row behind them are reported by verify but never deleted. With
    TRACKER_EVENT_BUS, events that were not delivered are sent again.

    \b
    Example:
      tracker repair prod
    """
    from tracker.workflows.audit import repair as do_repair

    project = env.project()
    repaired = do_repair(
        project,
        env.store(),
        env.parameters(),
        environment_id,
        user_id=env.user_id(user),
        events=env.events(),
    )
    _report_drift(repaired, output, "repaired")


@cli.command()
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
@pass_env
def report(env: Env, fmt: str, out: str | None, limit: int) -> None:
    """A page to look at: environments, what runs where, what waits, and recent deployments.

    Per environment: the release it runs (full id), when it was deployed (and
    how long ago), by whom and why, and freezes or closed windows. Then the
    services × environments grid with verify's drift, what waits to ship
    (`tracker pending`), and the timeline with the images each deployment
    changed, rollbacks, forced deployments, freezes. One colour, one meaning
    (legend on the page). The HTML is one self-contained file (no scripts, no
    network).

    \b
    Examples:
      tracker report -o release-report.html
      tracker report --output markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from tracker.report import gather, render_html, render_markdown

    project = env.project()
    data = gather(project, env.store(), env.parameters(), limit=limit, pin=env.settings.pin_images)
    text = render_html(data) if fmt == "html" else render_markdown(data)
    if out:
        try:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            with open(out, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as error:
            exit_with(f"cannot write {out}: {error.strerror}", 2)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


# -- Terraform ----------------------------------------------------------------------------------
@cli.group(cls=TrackerGroup)
def terraform() -> None:
    """Run Terraform for an environment, and the programs Terraform runs.

    plan/deploy/promote apply a root that uses modules/release-deployment
    (this repository's terraform/environment, or your own) for one environment
    of the project, with Terraform state kept per project and environment.
    resolve/record are what the module runs; you do not call them yourself.
    """


ROOT = click.option(
    "--root",
    envvar="TRACKER_TF_ROOT",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Terraform root using modules/release-deployment. Default: $TRACKER_TF_ROOT, else here.",
)
STATE_DIR = click.option(
    "--state-dir",
    envvar="TRACKER_STATE_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where state and data directories go: STATE_DIR/PROJECT/ENVIRONMENT. "
    "Default: $TRACKER_STATE_DIR, else ROOT/.tracker-state.",
)
BACKEND = click.option(
    "--backend-config",
    "backend_config",
    multiple=True,
    envvar="TRACKER_BACKEND_CONFIG",
    help="KEY=VALUE for terraform init -backend-config; {project} and {environment} are filled in "
    "(repeatable; default: the local backend's path under STATE_DIR). "
    "E.g. 'key=release-tracker/{project}/{environment}.tfstate' for S3.",
)


def _stack(root: Path, state_dir: Path | None, backend_config: tuple[str, ...]) -> EnvironmentRoot:
    from tracker.terraform.adapter import LOCAL_BACKEND, EnvironmentRoot

    return EnvironmentRoot(root, state_dir or root / ".tracker-state", list(backend_config) or LOCAL_BACKEND)


def _run_stack(
    env: Env, command: str, environment_id: str, extra: dict[str, str], options: dict[str, Any]
) -> None:
    """Check what can be checked without AWS (before Terraform starts), then plan or apply."""
    from tracker.model import schema
    from tracker.model.project import resolve_path
    from tracker.workflows.freezes import check_force

    project = env.project()
    project.environment(environment_id)
    schema.check_text("description", options["description"], schema.limit("description"))
    if options.get("force"):
        check_force(True, options["description"])
        extra = {**extra, "force": "true"}  # only when given: a root without `force` keeps working
    if extra.get("release_id"):
        schema.check_release_ref(extra["release_id"])
    if extra.get("from_environment"):
        project.environment(extra["from_environment"])
    variables = {
        "project_file": str(resolve_path(env.settings.project_file).resolve()),
        "environment": environment_id,
        "requested_by": options["user"] or "",
        "requested_by_name": options["user_name"] or "",
        "description": options["description"],
        **extra,
    }
    stack = _stack(options["root"], options["state_dir"], options["backend_config"])
    run = stack.plan if command == "plan" else stack.apply
    # project_id travels as TF_VAR_project_id: Terraform ignores it in a root that does not declare
    # it (a -var for an undeclared variable is an error), and the programs get TRACKER_PROJECT.
    environ = {
        **_tracker_environment(env.settings),
        "TF_VAR_project_id": project.id,
        "TRACKER_PROJECT": project.id,
    }
    run(project.id, environment_id, variables, environ)


def _tracker_environment(settings: Settings) -> dict[str, str]:
    """The settings this process resolved, for the programs Terraform runs (they read TRACKER_*)."""
    from tracker.settings import ENVIRONMENT

    values = {name: getattr(settings, name) for name in ENVIRONMENT if name != "project_file"}
    return {ENVIRONMENT[name]: str(value) for name, value in values.items() if value}


TF_FORCE = click.option(
    "--force",
    is_flag=True,
    help="Deploy through a freeze or closed window (the root's `force` variable); needs --description.",
)


def _terraform_command(function: Any) -> Any:
    for option in (BACKEND, STATE_DIR, ROOT, USER_NAME, USER, DESCRIPTION):
        function = option(function)
    return pass_env(function)


@terraform.command("deploy")
@click.argument("environment_id")
@click.argument("release_id")
@TF_FORCE
@_terraform_command
def terraform_deploy(env: Env, environment_id: str, release_id: str, **options: Any) -> None:
    """terraform apply of ROOT for ENVIRONMENT_ID with RELEASE_ID (id, prefix or 'latest').

    \b
    Example:
      tracker terraform deploy stage latest --root terraform/environment
    """
    _run_stack(env, "apply", environment_id, {"release_id": release_id}, options)


@terraform.command("promote")
@click.argument("from_environment")
@click.argument("to_environment")
@TF_FORCE
@_terraform_command
def terraform_promote(env: Env, from_environment: str, to_environment: str, **options: Any) -> None:
    """terraform apply of ROOT for TO_ENVIRONMENT with the release FROM_ENVIRONMENT runs.

    \b
    Example:
      tracker terraform promote stage prod --root terraform/environment
    """
    _run_stack(env, "apply", to_environment, {"from_environment": from_environment}, options)


@terraform.command("plan")
@click.argument("environment_id")
@click.argument("release_id", required=False)
@click.option("--from", "from_environment", help="Plan promoting what this environment runs.")
@_terraform_command
def terraform_plan(
    env: Env, environment_id: str, release_id: str | None, from_environment: str | None, **options: Any
) -> None:
    """terraform plan of ROOT for ENVIRONMENT_ID: what deploy would do, changing nothing.

    Without RELEASE_ID (or --from), the plan shows what the environment runs.

    \b
    Example:
      tracker terraform plan prod latest --root terraform/environment
    """
    extra = {"release_id": release_id or "", "from_environment": from_environment or ""}
    _run_stack(env, "plan", environment_id, extra, options)


@terraform.command("resolve")
def terraform_resolve() -> None:
    """The external data source program: a query on stdin, the deployment plan on stdout.

    \b
    Example (what modules/release-deployment runs):
      echo '{"project_file": ".wellcome_project", "environment": "stage"}' | tracker terraform resolve
    """
    from tracker.terraform.programs import resolve_main

    resolve_main()


@terraform.command("record")
def terraform_record() -> None:
    """The local-exec recorder: records the deployment TRACKER_* variables describe.

    \b
    Example (what modules/release-deployment runs):
      TRACKER_PROJECT_FILE=.wellcome_project TRACKER_RELEASE_ID=... TRACKER_ENVIRONMENT=stage \\
        tracker terraform record
    """
    from tracker.terraform.programs import record_main

    record_main()


def main() -> None:
    cli(prog_name="tracker")
