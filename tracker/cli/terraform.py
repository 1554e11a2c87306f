"""``tracker terraform ...``: drive a root for one environment, and the programs Terraform runs.

The orchestration itself is in :mod:`tracker.terraform.stack`; these commands
only parse. Arguments come in the order of the commands without Terraform:
``deploy RELEASE ENVIRONMENT`` like ``tracker deploy``, ``promote FROM TO``
like ``tracker promote``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tracker.app import Tracker
from tracker.cli.base import DESCRIPTION, USER, USER_NAME, TrackerGroup, pass_tracker


@click.group(cls=TrackerGroup)
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
    help="Where state and data directories go: STATE_DIR/projects/PROJECT/ENVIRONMENT. "
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
TF_FORCE = click.option(
    "--force",
    is_flag=True,
    help="Deploy through a freeze or closed window (the root's `force` variable); needs --description.",
)


def _stack_options(function: Any) -> Any:
    for option in (BACKEND, STATE_DIR, ROOT, USER_NAME, USER, DESCRIPTION):
        function = option(function)
    return pass_tracker(function)


def _run(tracker: Tracker, command: str, environment_id: str, options: dict[str, Any], **what: Any) -> None:
    from tracker.terraform.stack import StackRequest, run_stack

    request = StackRequest(
        command=command,
        environment_id=environment_id,
        root=options["root"],
        user=options["user"],
        user_name=options["user_name"],
        description=options["description"],
        force=options.get("force", False),
        state_dir=options["state_dir"],
        backend_config=tuple(options["backend_config"]),
        **what,
    )
    run_stack(tracker, request)


@terraform.command("deploy")
@click.argument("release_id")
@click.argument("environment_id")
@TF_FORCE
@_stack_options
def terraform_deploy(tracker: Tracker, release_id: str, environment_id: str, **options: Any) -> None:
    """terraform apply of ROOT for ENVIRONMENT_ID with RELEASE_ID (id, prefix or 'latest').

    The arguments are in the order of `tracker deploy RELEASE ENVIRONMENT`.

    \b
    Example:
      tracker terraform deploy latest stage --root terraform/environment
    """
    from tracker.terraform.stack import check_order

    check_order(tracker, release_id, environment_id)
    _run(tracker, "apply", environment_id, options, release=release_id)


@terraform.command("promote")
@click.argument("from_environment")
@click.argument("to_environment")
@TF_FORCE
@_stack_options
def terraform_promote(tracker: Tracker, from_environment: str, to_environment: str, **options: Any) -> None:
    """terraform apply of ROOT for TO_ENVIRONMENT with the release FROM_ENVIRONMENT runs.

    \b
    Example:
      tracker terraform promote stage prod --root terraform/environment
    """
    _run(tracker, "apply", to_environment, options, from_environment=from_environment)


@terraform.command("plan")
@click.argument("arguments", nargs=-1, required=True, metavar="[RELEASE_ID] ENVIRONMENT_ID")
@click.option("--from", "from_environment", help="Plan promoting what this environment runs.")
@_stack_options
def terraform_plan(
    tracker: Tracker, arguments: tuple[str, ...], from_environment: str | None, **options: Any
) -> None:
    """terraform plan of ROOT for ENVIRONMENT_ID: what deploy would do, changing nothing.

    With RELEASE_ID first (the order of `tracker deploy`), the plan of
    deploying it; with --from, of promoting what that environment runs;
    with neither, what the environment runs.

    \b
    Examples:
      tracker terraform plan latest prod --root terraform/environment
      tracker terraform plan prod --from stage
    """
    from tracker.terraform.stack import check_order

    if len(arguments) > 2:
        raise click.UsageError("give at most RELEASE_ID and ENVIRONMENT_ID")
    release = arguments[0] if len(arguments) == 2 else None
    environment_id = arguments[-1]
    if release is not None:
        check_order(tracker, release, environment_id)
    _run(tracker, "plan", environment_id, options, release=release, from_environment=from_environment)


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
