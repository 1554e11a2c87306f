"""Commands that deploy or hold an environment: deploy, promote, rollback, approve, freeze, unfreeze."""

from __future__ import annotations

from typing import Any

import click

from tracker.app import Tracker
from tracker.cli import render
from tracker.cli.base import (
    DESCRIPTION,
    FORCE,
    OUTPUT,
    USER,
    USER_NAME,
    description_limit,
    emit_json,
    pass_tracker,
)
from tracker.cli.rollouts import finish, run_wait, wait_for, wait_options
from tracker.model.entries import Person
from tracker.model.results import DeployResult

WAIT = click.option(
    "--wait",
    "wait_for_ecs",
    is_flag=True,
    help="Then wait until ECS runs it, as `tracker wait` does (with its --timeout, --bake, --interval, "
    "--rollback-on-failure); exit 0 verified, 1 failed, 3 timed out.",
)


def _deployment_options(function: Any) -> Any:
    """Why, --force, who, the output format and --wait: what every command that deploys takes."""
    function = wait_options(function)
    for option in (OUTPUT, USER_NAME, USER, FORCE, DESCRIPTION, WAIT):
        function = option(function)
    return pass_tracker(function)


def _report(tracker: Tracker, result: DeployResult, output: str, given: dict[str, Any], who: Person) -> int:
    """Print what was deployed; with --wait, wait for ECS and return its exit code."""
    render.warnings(result.warnings)
    if not given["wait_for_ecs"]:
        if output == "json":
            emit_json(result.as_dict())
        else:
            render.deployed(result)
        return 0
    if output != "json":
        render.deployed(result)
        return run_wait(tracker, result.environment_id, output, given, requested_by=who)
    waited = wait_for(tracker, result.environment_id, given, requested_by=who)
    emit_json({**result.as_dict(), "wait": waited.as_dict()})
    return finish(waited)


@click.command()
@click.argument("release_id")
@click.argument("environment_id")
@_deployment_options
def deploy(
    tracker: Tracker,
    release_id: str,
    environment_id: str,
    description: str,
    force: bool,
    user: str | None,
    user_name: str | None,
    output: str,
    **given: Any,
) -> int:
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
    from tracker.model.requests import DeployRequest

    request = DeployRequest(
        environment_id=environment_id,
        release=release_id,
        requested_by=tracker.person(user, user_name),
        description=description,
        force=force,
    )
    return _report(tracker, tracker.deploy(request), output, given, request.requested_by)


@click.command()
@click.argument("from_environment")
@click.argument("to_environment")
@_deployment_options
def promote(
    tracker: Tracker,
    from_environment: str,
    to_environment: str,
    description: str,
    force: bool,
    user: str | None,
    user_name: str | None,
    output: str,
    **given: Any,
) -> int:
    """Deploy the release FROM_ENVIRONMENT runs to TO_ENVIRONMENT (same release id).

    \b
    Example:
      tracker promote stage prod --description "Release sprint 12"
    """
    from tracker.model.requests import DeployRequest

    request = DeployRequest(
        environment_id=to_environment,
        from_environment=from_environment,
        requested_by=tracker.person(user, user_name),
        description=description,
        force=force,
    )
    return _report(tracker, tracker.deploy(request), output, given, request.requested_by)


@click.command()
@click.argument("environment_id")
@click.option("--to", "to_release", help="Release to roll back to (id, prefix; default: the previous one).")
@_deployment_options
def rollback(
    tracker: Tracker,
    environment_id: str,
    to_release: str | None,
    description: str,
    force: bool,
    user: str | None,
    user_name: str | None,
    output: str,
    **given: Any,
) -> int:
    """Deploy the release that ran in ENVIRONMENT_ID before the current one.

    Recorded as an ordinary deployment whose entry names the release it
    replaces (rollback_from) and whose description starts with "rollback of
    ENV from OLD to NEW".

    \b
    Examples:
      tracker rollback prod --description "hatching crashes on start"
      tracker rollback prod --to 3f1c9b9e
    """
    from tracker.model.requests import RollbackRequest

    request = RollbackRequest(
        environment_id=environment_id,
        requested_by=tracker.person(user, user_name),
        to_release=to_release,
        description=description,
        force=force,
    )
    return _report(tracker, tracker.rollback(request), output, given, request.requested_by)


@click.command()
@click.argument("environment_id")
@click.option(
    "--reason",
    "-r",
    required=True,
    help=f"Why (free text, at most {description_limit()} characters): shown to whoever is refused.",
)
@click.option(
    "--until",
    help="When the freeze ends by itself (ISO 8601, e.g. 2026-12-01T09:00:00Z; without an offset, UTC). "
    "Default: until `tracker unfreeze`.",
)
@USER
@USER_NAME
@OUTPUT
@pass_tracker
def freeze(
    tracker: Tracker,
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
    from tracker.model.requests import FreezeRequest

    request = FreezeRequest(
        environment_id=environment_id,
        requested_by=tracker.person(user, user_name),
        reason=reason,
        until=until,
    )
    chosen, warnings = tracker.freeze(request)
    render.warnings(warnings)
    if output == "json":
        emit_json({"environment_id": environment_id, "freeze": chosen.as_dict()})
    else:
        click.echo(f"{environment_id}: {chosen.describe()}")


@click.command()
@click.argument("environment_id")
@DESCRIPTION
@USER
@USER_NAME
@pass_tracker
def unfreeze(
    tracker: Tracker, environment_id: str, description: str, user: str | None, user_name: str | None
) -> None:
    """Lift the freeze of ENVIRONMENT_ID (refused, writing nothing, if it is not frozen).

    Deployment windows of the manifest still apply. Logged in `tracker history`.

    \b
    Example:
      tracker unfreeze prod --description "incident 42 resolved"
    """
    from tracker.model.requests import UnfreezeRequest

    request = UnfreezeRequest(
        environment_id=environment_id, requested_by=tracker.person(user, user_name), description=description
    )
    render.warnings(tracker.unfreeze(request))
    click.echo(f"{environment_id}: unfrozen")


@click.command()
@click.argument("release_id")
@click.argument("environment_id")
@DESCRIPTION
@click.option(
    "--revoke",
    is_flag=True,
    help="Withdraw your own approval instead (kept in the manifest, marked revoked).",
)
@USER
@USER_NAME
@OUTPUT
@pass_tracker
def approve(
    tracker: Tracker,
    release_id: str,
    environment_id: str,
    description: str,
    revoke: bool,
    user: str | None,
    user_name: str | None,
    output: str,
) -> None:
    """Approve RELEASE_ID (an id, a unique prefix or 'latest') for ENVIRONMENT_ID.

    An environment whose policy asks for approvals ("approvals": N, from
    "approvers" if it names them) takes a release only once N people other
    than the one deploying it have approved it there. The approval (who,
    when, --description why) is kept in the release manifest, shown by
    `release show` and `history`, and sent as an `Approval` event. Approving
    twice records nothing; --revoke withdraws your own (the deployment's
    transaction checks the approvals it counted are still there).

    \b
    Examples:
      tracker approve latest prod --description "checked the changelog with QA"
      tracker approve 3f2a9c1e prod --revoke --description "found a regression"
    """
    from tracker.model.requests import ApproveRequest

    request = ApproveRequest(
        release=release_id,
        environment_id=environment_id,
        requested_by=tracker.person(user, user_name),
        description=description,
        revoke=revoke,
    )
    result = tracker.approve(request)
    render.warnings(result.warnings)
    if output == "json":
        emit_json(result.as_dict())
    else:
        render.approval(result)
