"""The two programs Terraform runs (see modules/release-deployment).

* :func:`resolve_main` — a ``data "external"`` program: reads the query (a JSON
  object of strings) on stdin, resolves the release and what the environment
  runs now, prints a flat JSON object of strings. Read-only: Terraform runs it
  on every plan.
* :func:`record_main` — the ``local-exec`` recorder: every value comes from
  the environment (``TRACKER_*``), and it does exactly what ``tracker deploy``
  does, through the same library function.

Both report an expected failure as one line on stderr and exit 1, which
Terraform shows as the error of the data source or provisioner.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

from tracker.errors import TrackerError, one_line

QUERY_KEYS = {"project_file", "environment", "release_id", "releases_table", "deployments_table"}
REQUIRED_KEYS = {"project_file", "environment"}


class QueryError(TrackerError):
    """The external data source's query is not what the module sends."""


def parse_query(text: str) -> dict[str, str]:
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
    missing = sorted(k for k in REQUIRED_KEYS if not query.get(k))
    if missing:
        raise QueryError(f"query is missing: {', '.join(missing)}")
    return query


def resolve(query: dict[str, str], clients: Any = None) -> dict[str, str]:
    """The release to deploy and the environment's current one, as a flat map of strings."""
    from tracker import schema
    from tracker.aws import Clients
    from tracker.project import load_project
    from tracker.releases import resolve_release_id
    from tracker.store import ReleaseStore, deployments_table_name, releases_table_name

    project = load_project(query["project_file"])
    environment_id = query["environment"]
    project.environment(environment_id)
    release_id = query.get("release_id", "")
    if release_id and release_id != "latest":
        schema.check_id("release id", release_id)
    store = ReleaseStore(
        clients or Clients(),
        releases_table_name(query.get("releases_table")),
        deployments_table_name(query.get("deployments_table")),
    )
    if release_id == "latest":
        release = resolve_release_id(project, store, "latest")
        row = store.get_deployment(project.id, environment_id)
    elif release_id:
        release, row = store.get_release_and_deployment(release_id, project.id, environment_id)
    else:
        row = store.get_deployment(project.id, environment_id)
        release = None
    current = None
    if row is not None:
        same = release is not None and row.release_id == release.release_id
        current = release if same else store.require_release(row.release_id, project.id)
    record_key = ""
    if release is not None:
        # Equal before and after this release's deployment is recorded, and
        # different once anything else is deployed there (e.g. `tracker rollback`
        # outside Terraform): the recorder's trigger, so that re-applying the
        # same release after such a change deploys it again.
        recorded = row is not None and row.release_id == release.release_id
        version = row.version if recorded and row else (row.version if row else 0) + 1
        record_key = f"{release.release_id}@{version}"
    if release is None:
        release = current  # no release asked for: report what runs now
    result = {
        "project_id": project.id,
        "environment": environment_id,
        "release_id": release.release_id if release else "",
        "current_release_id": current.release_id if current else "",
        "record_key": record_key,
    }
    if release is not None:
        missing = [s for s in project.service_ids if s not in release.images]
        if missing:
            raise TrackerError(
                f"release '{release.release_id}' has no image for service(s) {', '.join(missing)}"
            )
        result.update({f"image.{s}": uri for s, uri in release.images.items()})
    if current is not None:
        result.update({f"current.{s}": uri for s, uri in current.images.items()})
    return result


def record(environ: dict[str, str], clients: Any = None) -> str:
    """Record the deployment described by ``TRACKER_*`` variables; returns a summary line."""
    from tracker.aws import Clients
    from tracker.deployments import deploy
    from tracker.project import load_project
    from tracker.releases import person
    from tracker.store import (
        ParameterStore,
        ReleaseStore,
        deployments_table_name,
        releases_table_name,
    )

    def need(name: str) -> str:
        value = environ.get(name, "")
        if not value:
            raise QueryError(f"{name} is not set (the release-deployment module sets it)")
        return value

    clients = clients or Clients()
    project = load_project(need("TRACKER_PROJECT_FILE"))
    result = deploy(
        project,
        ReleaseStore(
            clients,
            releases_table_name(environ.get("TRACKER_RELEASES_TABLE")),
            deployments_table_name(environ.get("TRACKER_DEPLOYMENTS_TABLE")),
        ),
        ParameterStore(clients),
        need("TRACKER_RELEASE_ID"),
        need("TRACKER_ENVIRONMENT"),
        requested_by=person(need("TRACKER_REQUESTED_BY"), environ.get("TRACKER_REQUESTED_BY_NAME") or None),
        description=environ.get("TRACKER_DESCRIPTION", ""),
    )
    verb = "recorded deployment of" if result.recorded else "already recorded:"
    return f"{verb} release {result.release.release_id} to {result.environment_id}"


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"tracker: error: {one_line(message)}\n")
    sys.exit(1)


def resolve_main() -> None:
    try:
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError("query on stdin is not UTF-8") from None
        result = resolve(parse_query(text))
    except TrackerError as error:
        _fail(str(error))
    sys.stdout.write(json.dumps(result))


def record_main() -> None:
    try:
        line = record(dict(os.environ))
    except TrackerError as error:
        _fail(str(error))
    sys.stdout.write(f"tracker: {line}\n")
