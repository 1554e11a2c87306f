"""The project manifest (``.wellcome_project``): which services make up a project.

Which file is a setting (``--project-file``, ``$TRACKER_PROJECT_FILE``; see
tracker.settings); without one, ``.wellcome_project`` in the working directory.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tracker.errors import (
    ProjectManifestError,
    UnknownEnvironmentError,
    UnknownServiceError,
)
from tracker.model import schema

DEFAULT_PROJECT_FILE = ".wellcome_project"


@dataclass(frozen=True)
class Project:
    """A project manifest: ``project {id, name}``, its services and (optionally) environments."""

    id: str
    name: str
    services: dict[str, str]  # service id -> name, in manifest order
    environments: dict[str, str] | None = field(default=None)  # None: any environment is allowed

    @property
    def service_ids(self) -> list[str]:
        return list(self.services)

    def environment(self, environment_id: str) -> dict[str, str]:
        """The RFC's ``environment {id, name}`` of a deployment; refuses undeclared ones."""
        schema.check_id("environment id", environment_id)
        if self.environments is None:
            return {"id": environment_id, "name": environment_id}
        if environment_id not in self.environments:
            declared = ", ".join(self.environments) or "none"
            raise UnknownEnvironmentError(
                f"environment '{environment_id}' is not declared in the project manifest of "
                f"'{self.id}' (declared: {declared})"
            )
        return {"id": environment_id, "name": self.environments[environment_id]}

    def check_service(self, service_id: str) -> str:
        schema.check_id("service id", service_id)
        if service_id not in self.services:
            raise UnknownServiceError(
                f"service '{service_id}' is not in the project manifest of '{self.id}' "
                f"(services: {', '.join(self.services)})"
            )
        return service_id

    def describe(self) -> dict[str, object]:
        """The project as ``tracker projects --output json`` shows it."""
        environments = [{"id": k, "name": v} for k, v in (self.environments or {}).items()]
        return {
            "id": self.id,
            "name": self.name,
            "services": [{"id": k, "name": v} for k, v in self.services.items()],
            "environments": environments if self.environments is not None else None,
        }

    def as_reference(self) -> dict[str, str]:
        """The ``project {id, name}`` object that release manifests carry."""
        return {"id": self.id, "name": self.name}


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    """The project file to use: the argument, else ./.wellcome_project."""
    return Path(path or DEFAULT_PROJECT_FILE)


def load_project(path: str | os.PathLike[str] | None = None) -> Project:
    """Read, parse and validate a project manifest; raise ProjectManifestError naming the problem."""
    file = resolve_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectManifestError(
            f"project manifest {file} not found (use --project-file or TRACKER_PROJECT_FILE)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # ValueError: NUL in the path
        raise ProjectManifestError(f"cannot read project manifest {file}: {error}") from error
    return parse_project(text, str(file))


def parse_project(text: str, source: str = "project manifest") -> Project:
    """Parse and validate the JSON text of a project manifest."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProjectManifestError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise ProjectManifestError(f"{source} is not valid JSON: nested too deeply") from None
    try:
        schema.validate("project_manifest", document, ProjectManifestError)
    except ProjectManifestError as error:
        raise ProjectManifestError(f"{source} is invalid: {error}") from None
    services = _unique(source, "service", document["services"])
    environments = None
    if "environments" in document:
        environments = _unique(source, "environment", document["environments"])
    return Project(
        id=document["project"]["id"],
        name=document["project"]["name"],
        services=services,
        environments=environments,
    )


def _unique(source: str, kind: str, entries: list[dict[str, str]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for entry in entries:
        if entry["id"] in result:
            raise ProjectManifestError(f"{source} is invalid: duplicate {kind} id '{entry['id']}'")
        result[entry["id"]] = entry["name"]
    return result
