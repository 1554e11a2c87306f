"""Commands about the project manifest: ``projects`` (read it) and ``init`` (write one)."""

from __future__ import annotations

import click

from tracker.app import Tracker
from tracker.cli import render
from tracker.cli.base import emit_json, pass_tracker
from tracker.errors import exit_with
from tracker.model.paths import images_path


@click.command()
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
@pass_tracker
def projects(tracker: Tracker, quiet: bool, output: str) -> None:
    """List the projects of the manifest: services (and the ECS services running them), environments.

    With --project (or TRACKER_PROJECT), only that project.

    \b
    Examples:
      tracker projects
      tracker --project-file .wellcome_project projects --output json
      PROJECT_ID=$(tracker projects --quiet)
    """
    found = tracker.manifest
    selected = tracker.settings.project
    chosen = [found.select(selected)] if selected else list(found.projects.values())
    if quiet:
        for project in chosen:
            click.echo(project.id)
    elif output == "json":
        emit_json([project.describe() for project in chosen])
    elif output == "tfvars":
        target = tracker.target()
        emit_json({"project_id": tracker.project.id, "region": target.region, "role_arn": target.role_arn})
    else:
        click.echo(f"{found.source} ({'weco-deploy YAML' if found.format == 'yaml' else 'RFC JSON'}):")
        for project in chosen:
            render.project(project)


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


@click.command()
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
@pass_tracker
def init(
    tracker: Tracker,
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
    from tracker.model.project import Project, resolve_path
    from tracker.model.writing import check_writable, write_manifest

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
    path = resolve_path(tracker.settings.project_file)
    existing = check_writable(path, project_id, fmt, add=add, force=force)
    if discover:
        from tracker.stores.parameters import ParameterStore
        from tracker.workflows.releases import discover_services

        # Discovery runs in the new project's region, role and account.
        parameters = ParameterStore(tracker.clients_for(project))
        for service in discover_services(project, parameters, label):
            declared.setdefault(service, service)
    if not declared:
        where = f" (nothing published under SSM {images_path(project_id, label)}/)" if discover else ""
        exit_with(f"no services: give --service ID or --discover{where}", 1 if discover else 2)
    shown = write_manifest(path, project, fmt, existing)
    click.echo(
        f"wrote {path} ({fmt}): project {project_id} with services {', '.join(shown.services)}"
        + (f"; environments {', '.join(shown.environments)}" if shown.environments else "")
    )
