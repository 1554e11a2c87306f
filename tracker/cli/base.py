"""What every command shares: the group class that reports errors, common options, output helpers.

Every expected failure is one line on stderr (``tracker: error: ...``, written
by :func:`tracker.errors.exit_with`) and a non-zero exit (the table in
:mod:`tracker.errors`): 2 for bad input, configuration and usage, 1 for
everything else.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tracker.app import Tracker
from tracker.errors import TrackerError, exit_with


def description_limit() -> int:
    from tracker.model import schema

    return schema.limit("description")


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
DESCRIPTION = click.option(
    "--description", "-d", default="", help=f"Why (free text, at most {description_limit()} characters)."
)
FORCE = click.option(
    "--force",
    is_flag=True,
    help="Deploy even though the environment is frozen, a deployment window closes it or its promotion "
    "policy is not met (unless the policy says allow_force: false); needs --description saying why. "
    "The record says what it was forced through.",
)


def pin_option(help_text: str) -> Any:
    from tracker.model.ecr import PIN_MODES

    return click.option(
        "--pin",
        type=click.Choice(PIN_MODES),
        help=f"{help_text} [default: TRACKER_PIN_IMAGES, else tag+digest]",
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


# Hands a command the group's Tracker (built from the global options) as its first argument.
pass_tracker = click.make_pass_decorator(Tracker)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))
