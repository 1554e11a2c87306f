"""``tracker wait`` and the ``--wait`` of deploy, promote and rollback: whether ECS runs the deployment."""

from __future__ import annotations

import sys
from typing import Any

import click

from tracker.app import Tracker
from tracker.cli.base import OUTPUT, USER, USER_NAME, emit_json, pass_tracker
from tracker.model.results import WaitResult


def _duration(what: str) -> Any:
    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
        from tracker.model.durations import parse_duration

        return None if value is None else parse_duration(value, what)

    return convert


def wait_options(function: Any) -> Any:
    """--timeout, --bake, --interval, --rollback-on-failure: what `wait` and every `--wait` take."""
    options = (
        click.option(
            "--timeout",
            default="15m",
            show_default=True,
            callback=_duration("--timeout"),
            help="How long the rollout may take (90s, 15m, 1h). Still waiting then: recorded as failed "
            "'timed out after ...', exit 3.",
        ),
        click.option(
            "--bake",
            callback=_duration("--bake"),
            help="Once every service runs the release, how long it must stay so (and the environment's "
            "alarms OK) before it is verified. Default: 5m when the manifest names alarms for the "
            "environment, else 0.",
        ),
        click.option(
            "--interval",
            default="5s",
            show_default=True,
            callback=_duration("--interval"),
            help="Time between two looks at ECS: a verdict is reported at most this long after ECS "
            "reaches it.",
        ),
        click.option(
            "--rollback-on-failure",
            is_flag=True,
            help="On failure, deploy the environment's last VERIFIED release (a rollback naming the failed "
            "deployment). A frozen environment refuses it unless --force.",
        ),
    )
    for option in reversed(options):
        function = option(function)
    return function


def run_wait(
    tracker: Tracker, environment_id: str, output: str, settings: dict[str, Any], **request: Any
) -> int:
    """Wait (progress on stderr), print the verdict, return the exit code."""
    result = wait_for(tracker, environment_id, settings, **request)
    if output == "json":
        emit_json(result.as_dict())
    else:
        _verdict(result)
    return finish(result)


def wait_for(tracker: Tracker, environment_id: str, settings: dict[str, Any], **request: Any) -> WaitResult:
    """The wait with the options of `wait_options` (``settings``), progress on stderr, warnings said."""
    from tracker.cli import render
    from tracker.model.requests import WaitRequest

    wait_request = WaitRequest(
        environment_id=environment_id,
        timeout=settings["timeout"],
        bake=settings["bake"],
        interval=settings["interval"],
        rollback_on_failure=settings["rollback_on_failure"],
        **request,
    )
    result = tracker.wait(wait_request, lambda line: click.echo(line, err=True))
    render.warnings(result.warnings)
    return result


def finish(result: WaitResult) -> int:
    """The exit code of a wait, with the one error line when it is not 0."""
    if result.exit_code:
        sys.stderr.write(f"tracker: error: {_failure(result)}\n")
    return result.exit_code


def _verdict(result: WaitResult) -> None:
    from tracker.cli import render

    if result.outcome is not None:
        what = "timed out (recorded as failed)" if result.status == "timed_out" else result.status
        click.echo(f"{what}: release {result.release_id} in {result.environment_id}")
        click.echo(f"  {result.outcome.reason}")
    if result.note:
        click.echo(result.note)
    if result.rollback is not None:
        click.echo("rolled back to the last verified release:")
        render.deployed(result.rollback)


def _failure(result: WaitResult) -> str:
    from tracker.errors import one_line

    if result.status == "superseded":
        return one_line(result.note or "superseded")
    reason = result.outcome.reason if result.outcome else ""
    return one_line(
        f"the deployment of release {result.release_id} to {result.environment_id} failed: {reason}"
    )


@click.command()
@click.argument("environment_id")
@wait_options
@click.option(
    "--force",
    is_flag=True,
    help="With --rollback-on-failure: roll back even though the environment is frozen or a window closes "
    "it (the rollback's record says so).",
)
@click.option("--description", "-d", default="", help="Why, added to the rollback's description.")
@click.option(
    "--skip-without-services",
    is_flag=True,
    help="When no ECS service is declared or found for the environment, say so and exit 0 without "
    "waiting (the deployment stays unverified). What `make deploy` uses.",
)
@USER
@USER_NAME
@OUTPUT
@pass_tracker
def wait(
    tracker: Tracker,
    environment_id: str,
    timeout: float,
    bake: float | None,
    interval: float,
    rollback_on_failure: bool,
    force: bool,
    description: str,
    skip_without_services: bool,
    user: str | None,
    user_name: str | None,
    output: str,
) -> int:
    """Wait until ECS runs the current deployment of ENVIRONMENT_ID; record verified or failed.

    Verified when every ECS service of every image in the release has a
    PRIMARY deployment whose task definition runs the released image (the
    same digest for a digest-pinned release), rollout COMPLETED and every
    task running -- and the environment's alarms stayed OK for the bake.
    Failed when a rollout FAILED (what ECS said is kept), ECS rolled back, an
    alarm fired, or the timeout passed while a service still runs another
    image (or none runs it). The verdict is recorded on that deployment
    (`history`, `status`, `release show`) only while it is still the
    environment's current one.

    ECS services are those tagged deployment:service=<service id> and
    deployment:env=ENVIRONMENT_ID in any cluster (weco-deploy's convention),
    or those the manifest declares for the environment (ecs_services).

    Progress, one line per change, goes to stderr. Exit codes: 0 verified;
    1 failed, or a newer deployment took the environment meanwhile; 3 timed
    out (recorded as failed; a later `wait` that sees it complete records
    verified).

    \b
    Examples:
      tracker wait prod
      tracker wait prod --timeout 30m --bake 10m --rollback-on-failure
    """
    settings = {
        "timeout": timeout,
        "bake": bake,
        "interval": interval,
        "rollback_on_failure": rollback_on_failure,
    }
    return run_wait(
        tracker,
        environment_id,
        output,
        settings,
        requested_by=tracker.person(user, user_name),
        force=force,
        description=description,
        skip_without_services=skip_without_services,
    )
