"""The ``tracker`` command: a thin layer that parses arguments, calls :class:`tracker.app.Tracker`, prints.

Commands are grouped by concern, each module holding its own (see
:data:`COMMANDS`): :mod:`.manifests` (projects, init), :mod:`.releases` (publish,
images, release ...), :mod:`.deployments` (deploy, promote, rollback, approve,
freeze, unfreeze), :mod:`.reading` (status, history, pending, diff, verify, repair,
report), :mod:`.metrics` and :mod:`.terraform` (terraform ...). How results read as text is in
:mod:`.render`. Exit codes: see :mod:`tracker.errors`.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from tracker.app import Tracker
from tracker.cli.base import TrackerGroup
from tracker.errors import set_interface
from tracker.settings import Settings

# The module of each command. A command's module is imported when the command runs (all of them
# for --help): `tracker terraform plan`, which `make plan` runs before Terraform, loads only its own.
COMMANDS = {
    **dict.fromkeys(("projects", "init"), "manifests"),
    **dict.fromkeys(("publish", "images", "release"), "releases"),
    **dict.fromkeys(("deploy", "promote", "rollback", "approve", "freeze", "unfreeze"), "deployments"),
    **dict.fromkeys(("status", "history", "pending", "diff", "verify", "repair", "report"), "reading"),
    "wait": "rollouts",
    "metrics": "metrics",
    "terraform": "terraform",
}


class Commands(TrackerGroup):
    """The top-level group: commands loaded from their modules on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Any:
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"tracker.cli.{COMMANDS[name]}"), name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Say on stderr which manifest, project and tables are used, and where each setting came from.",
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
    verbose: bool,
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

    Exit codes: 0 done; 1 refused or failed (and: verify found drift, pending
    found something waiting, diff found a difference, wait found the
    rollout failed); 2 bad input, configuration or usage; 3 wait timed out.

    \b
    Example:
      tracker publish hatching 123.dkr.ecr.eu-west-1.amazonaws.com/hatching:abc123
      RID=$(tracker release create --description "Sprint 12" --quiet)
      tracker deploy "$RID" stage
      tracker promote stage prod --wait
    """
    settings = Settings.resolve(
        project_file=project_file,
        project=project_id,
        region=region,
        assume_role="0" if no_assume_role else None,
        releases_table=releases_table,
        deployments_table=deployments_table,
    )
    set_interface(settings.interface or "cli")
    ctx.obj = Tracker(settings)
    if verbose:
        _explain(settings)


def _explain(settings: Settings) -> None:
    """What --verbose says: which manifest and tables, and where each value came from."""
    from tracker.model.project import resolve_path

    def say(what: str, value: str, name: str) -> None:
        click.echo(f"tracker: {what} {value} (from {settings.origin(name)})", err=True)

    say("manifest", str(resolve_path(settings.project_file).absolute()), "project_file")
    if settings.project:
        say("project", settings.project, "project")
    say("releases table", settings.releases_table, "releases_table")
    say("deployments table", settings.deployments_table, "deployments_table")
    if settings.region:
        say("region", settings.region, "region")


def main() -> None:
    cli(prog_name="tracker")
