"""The two programs Terraform runs (see modules/release-deployment).

* ``tracker terraform resolve`` -- the ``data "external"`` program: reads the
  query (a JSON object of strings) on stdin, makes the deployment plan
  (:func:`tracker.workflows.deployments.plan_deployment`) and prints it as a
  JSON object of strings; maps travel JSON-encoded (``jsondecode`` in HCL).
  Read-only: Terraform runs it on every plan and refresh.
* ``tracker terraform record`` -- the ``local-exec`` recorder: every value comes
  from the environment (``TRACKER_*``, ``TRACKER_PROJECT`` for the project of a
  manifest holding several), and it calls the same
  :func:`~tracker.workflows.deployments.deploy` as ``tracker deploy``.

An expected failure is one line on stderr and the exit code the CLI would
give (2 for bad input, 1 otherwise); Terraform shows it as the error of the
data source or the provisioner.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping

from tracker.errors import QueryError, TrackerError, exit_with, warn
from tracker.model.records import DeploymentPlan
from tracker.settings import Settings
from tracker.stores.clients import Clients

SETTING_KEYS = (
    "releases_table",
    "deployments_table",
    "latest_releases_index",
    "latest_deployments_index",
)
QUERY_KEYS = {
    "project_file",
    "project_id",
    "environment",
    "release_id",
    "from_environment",
    "force",
    *SETTING_KEYS,
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


def resolve(
    query: dict[str, str], clients: Clients | None = None, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The deployment plan for the query, as the flat JSON object of strings Terraform expects."""
    from tracker.workflows.deployments import plan_deployment

    settings = Settings.resolve(
        environ,
        project=query.get("project_id"),
        **{k: query.get(k) for k in ("project_file", *SETTING_KEYS)},
    )
    project = settings.load_project()
    store = settings.tracking_store(clients or settings.clients(project))
    plan = plan_deployment(
        project,
        store,
        query["environment"],
        query.get("release_id") or None,
        from_environment=query.get("from_environment") or None,
    )
    if plan.release is not None and not plan.already_deployed and not _true(query.get("force")):
        # A frozen (or window-closed) environment fails the plan, not only the apply.
        from tracker.workflows.freezes import check_open

        check_open(project, store, plan.environment_id, time.time())
    return plan_result(plan)


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


def record(environ: Mapping[str, str], clients: Clients | None = None) -> str:
    """Record the deployment described by ``TRACKER_*`` variables; returns a summary line."""
    from tracker.stores.clients import caller_identity
    from tracker.stores.parameters import ParameterStore
    from tracker.workflows.deployments import deploy
    from tracker.workflows.releases import person

    def need(name: str) -> str:
        value = environ.get(name, "")
        if not value:
            raise QueryError(f"{name} is not set (the release-deployment module sets it)")
        return value

    settings = Settings.resolve(environ, project_file=need("TRACKER_PROJECT_FILE"))
    project = settings.load_project()
    clients = clients or settings.clients(project)
    user = environ.get("TRACKER_REQUESTED_BY") or settings.user or caller_identity(clients)
    result = deploy(
        project,
        settings.tracking_store(clients),
        ParameterStore(clients),
        need("TRACKER_RELEASE_ID"),
        need("TRACKER_ENVIRONMENT"),
        requested_by=person(user, environ.get("TRACKER_REQUESTED_BY_NAME") or None),
        description=environ.get("TRACKER_DESCRIPTION", ""),
        force=_true(environ.get("TRACKER_FORCE")),
        events=settings.events(clients),
    )
    for message in result.warnings:
        warn(message)
    verb = "recorded deployment of" if result.recorded else "already recorded:"
    forced = f" (forced through {result.forced})" if result.forced else ""
    return f"{verb} release {result.release.release_id} to {result.environment_id}{forced}"


def resolve_main() -> None:
    """``tracker terraform resolve``: stdin query -> stdout JSON, or one error line."""
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
    try:
        line = record(os.environ)
    except TrackerError as error:
        exit_with(str(error), error.exit_code)
    sys.stdout.write(f"tracker: {line}\n")
