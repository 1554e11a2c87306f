"""The two programs Terraform runs (see modules/release-deployment).

* ``tracker terraform resolve`` -- the ``data "external"`` program: reads the
  query (a JSON object of strings) on stdin, makes the deployment plan
  (:func:`tracker.workflows.deployments.plan_deployment`, through
  :class:`tracker.app.Tracker`) and prints it as a JSON object of strings;
  maps travel JSON-encoded (``jsondecode`` in HCL). Read-only: Terraform runs
  it on every plan and refresh.
* ``tracker terraform record`` -- the ``local-exec`` recorder: every value comes
  from the environment (``TRACKER_*``, ``TRACKER_PROJECT`` for the project of a
  manifest holding several), and it deploys through the same
  :meth:`tracker.app.Tracker.deploy` as ``tracker deploy``.

An expected failure is one line on stderr and the exit code the CLI would
give (2 for bad input, 1 otherwise); Terraform shows it as the error of the
data source or the provisioner. Hints speak Terraform's words (``force =
true``), or make's when make started Terraform (``TRACKER_INTERFACE=make``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tracker.errors import NothingDeployedError, QueryError, TrackerError, exit_with, set_interface, warn

if TYPE_CHECKING:
    from tracker.app import Tracker
    from tracker.model.entries import Person
    from tracker.model.records import DeploymentPlan

# Exactly the keys modules/release-deployment sends (a test holds the two together).
QUERY_KEYS = {
    "project_file",
    "project_id",
    "environment",
    "release_id",
    "from_environment",
    "force",
    "requested_by",
    "allow_nothing_deployed",
    "releases_table",
    "deployments_table",
}
REQUIRED_KEYS = ("project_file", "environment")


def parse_query(text: str) -> dict[str, str]:
    """The external data source's query: a JSON object of strings with the keys the module sends."""
    try:
        query = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise QueryError(f"query on stdin is not JSON: {error.msg}") from None
    except RecursionError:
        raise QueryError("query on stdin is nested too deeply") from None
    if not isinstance(query, dict):
        raise QueryError("query on stdin must be a JSON object")
    bad = sorted(k for k, v in query.items() if not isinstance(v, str))
    if bad:
        raise QueryError(f"query values must be strings: {', '.join(map(str, bad))}")
    unknown = sorted(set(query) - QUERY_KEYS)
    if unknown:
        raise QueryError(f"unknown query key(s): {', '.join(unknown)}")
    missing = [k for k in REQUIRED_KEYS if not query.get(k)]
    if missing:
        raise QueryError(f"query is missing: {', '.join(missing)}")
    return query


def _tracker(environ: Mapping[str, str], **given: str | None) -> Tracker:
    from tracker.app import Tracker

    tracker = Tracker.from_environment(environ, **given)
    set_interface(tracker.settings.interface or "terraform")
    return tracker


def resolve(
    query: dict[str, str], environ: Mapping[str, str] = os.environ, tracker: Tracker | None = None
) -> dict[str, str]:
    """The deployment plan for the query, as the flat JSON object of strings Terraform expects.

    A deployment planned to a frozen environment, or one a window closes, fails
    the plan (unless ``force``): the gate is part of the plan. Reading an
    environment where nothing is deployed yet, without a release, is refused
    with a line saying to give one (a stack using ``images`` would otherwise
    fail later on an empty map), unless ``allow_nothing_deployed``.
    """
    from tracker.model.requests import PlanRequest

    tracker = tracker or _tracker(
        environ,
        project=query.get("project_id"),
        **{k: query.get(k) for k in ("project_file", "releases_table", "deployments_table")},
    )
    # Who would deploy, for a policy's approvals (never theirs): the module's requested_by, else
    # TRACKER_USER; not the AWS caller (an STS call on every plan). Unknown: every approval counts
    # here, and the recorder, which knows, judges again.
    user = query.get("requested_by") or tracker.settings.user
    request = PlanRequest(
        environment_id=query["environment"],
        release=query.get("release_id") or None,
        from_environment=query.get("from_environment") or None,
        force=_true(query.get("force")),
        requested_by=_person(user) if user else None,
    )
    plan = tracker.plan(request)
    if plan.release is None and plan.row is None and not _true(query.get("allow_nothing_deployed")):
        raise NothingDeployedError(
            f"nothing is deployed to environment '{plan.environment_id}' of project '{plan.project_id}' yet, "
            "and no release is given",
            hint="first-release",
            environment=plan.environment_id,
        )
    return plan_result(plan)


def _person(user_id: str) -> Person:
    from tracker.model.entries import Person

    return Person.of(user_id)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def plan_result(plan: DeploymentPlan) -> dict[str, str]:
    """What HCL reads: ids as strings, ``images`` and ``changes`` JSON-encoded maps."""
    shown = plan.release or plan.current  # no release asked for: what runs now
    return {
        "project_id": plan.project_id,
        "release_id": shown.release_id if shown else "",
        "current_release_id": plan.row.release_id if plan.row else "",
        "record_key": plan.record_key,
        "images": json.dumps(shown.images if shown else {}, sort_keys=True),
        "changes": json.dumps({c.service: c.describe() for c in plan.changes()}, sort_keys=True),
    }


def record(environ: Mapping[str, str], tracker: Tracker | None = None) -> str:
    """Record the deployment described by ``TRACKER_*`` variables; returns a summary line."""
    from tracker.model.requests import DeployRequest

    def need(name: str) -> str:
        value = environ.get(name, "")
        if not value:
            raise QueryError(f"{name} is not set (the release-deployment module sets it)")
        return value

    tracker = tracker or _tracker(environ, project_file=need("TRACKER_PROJECT_FILE"))
    requested_by = tracker.person(
        environ.get("TRACKER_REQUESTED_BY") or None, environ.get("TRACKER_REQUESTED_BY_NAME") or None
    )
    result = tracker.deploy(
        DeployRequest(
            environment_id=need("TRACKER_ENVIRONMENT"),
            release=need("TRACKER_RELEASE_ID"),
            requested_by=requested_by,
            description=environ.get("TRACKER_DESCRIPTION", ""),
            force=_true(environ.get("TRACKER_FORCE")),
        )
    )
    for message in result.warnings:
        warn(message)
    verb = "recorded deployment of" if result.recorded else "already recorded:"
    forced = f" (forced through {result.forced})" if result.forced else ""
    return f"{verb} release {result.release.release_id} to {result.environment_id}{forced}"


def resolve_main() -> None:
    """``tracker terraform resolve``: stdin query -> stdout JSON, or one error line."""
    set_interface(os.environ.get("TRACKER_INTERFACE") or "terraform")
    try:
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError("query on stdin is not UTF-8") from None
        result = resolve(parse_query(text))
    except TrackerError as error:
        exit_with(str(error), error.exit_code)
    sys.stdout.write(json.dumps(result))


def record_main() -> None:
    """``tracker terraform record``: values from ``TRACKER_*``, a summary line on stdout."""
    set_interface(os.environ.get("TRACKER_INTERFACE") or "terraform")
    try:
        line = record(os.environ)
    except TrackerError as error:
        exit_with(str(error), error.exit_code)
    sys.stdout.write(f"tracker: {line}\n")
