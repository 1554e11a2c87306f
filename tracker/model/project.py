"""The project manifest (``.wellcome_project``): which services make up a project, and where it lives.

Two formats, told apart by their shape (JSON or YAML syntax for either):

* **the RFC's** (JSON): ``project {id, name}``, ``services [{id, name}]``, and
  the extensions ``environments [{id, name}]`` and, in ``project``,
  ``role_arn``, ``account_id``, ``aws_region_name``;
* **weco-deploy's** (YAML): several projects keyed by project id, each with
  ``image_repositories`` (each one is what the RFC calls a service, with the
  ECS ``services`` that run its image), ``environments``, ``role_arn``,
  ``account_id``, ``aws_region_name`` (or ``region_name``).

A JSON document is in the RFC's format unless every top-level value is a
project with ``image_repositories`` (so a broken RFC manifest still gets the
RFC's errors, as before); a YAML document is in the RFC's format when it has a
``project`` or ``services`` key that is not such a project; otherwise it is
weco-deploy's. Which file
is a setting (``--project-file``, ``$TRACKER_PROJECT_FILE``; see
tracker.settings); without one, ``.wellcome_project`` in the working directory.
Which project of a file: ``--project`` / ``$TRACKER_PROJECT``, needed only when
the file holds several.

YAML is read with every plain scalar as a string (only ``null``/``~``/empty
stay null), so ids such as ``2024-06-01`` and account ids such as
``012345678901`` keep the text that was written; duplicate keys are refused
(PyYAML would keep the last one silently).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import (
    InvalidInputError,
    ProjectManifestError,
    UnknownEnvironmentError,
    UnknownServiceError,
)
from tracker.model import schema

if TYPE_CHECKING:
    from tracker.model.entries import EnvironmentRef, ProjectRef
    from tracker.model.metrics import Settings as MetricsSettings
    from tracker.model.policies import Policy
    from tracker.model.windows import Window

DEFAULT_PROJECT_FILE = ".wellcome_project"


@dataclass(frozen=True)
class Project:
    """One project: ``{id, name}``, its services (image repositories) and (optionally) environments."""

    id: str
    name: str
    services: dict[str, str]  # service (image repository) id -> name, in manifest order
    environments: dict[str, str] | None = field(default=None)  # None: any environment is allowed
    role_arn: str | None = None  # every AWS call runs as this role (unless --no-assume-role)
    account_id: str | None = None  # refuse to act in another account
    region: str | None = None  # the region of its tables and parameters (unless --region)
    # weco-deploy: the ECS service ids (tag deployment:service) that run each repository's image.
    ecs_services: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Keys accepted but not acted on (weco-deploy's namespace...), as written; shown by `tracker projects`.
    unused: dict[str, Any] = field(default_factory=dict)
    # Deployment windows per environment id (tracker.model.windows), for environments declaring some.
    windows: dict[str, tuple[Window, ...]] = field(default_factory=dict)
    # ECS services named explicitly: environment id -> service id -> ((cluster, service), ...).
    # An environment with some is not searched by tags (see ecs_tag_ids).
    ecs_declared: dict[str, dict[str, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    # CloudWatch alarms per environment id that must stay OK for the bake time of `tracker wait`.
    alarms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Promotion policies per environment id (tracker.model.policies), for environments declaring one.
    policies: dict[str, Policy] = field(default_factory=dict)
    # What `tracker metrics` counts as a failed change (the manifest's `metrics`); None: the defaults.
    metrics: MetricsSettings | None = None
    source: str = field(default="", compare=False)  # the manifest file it was read from ("": built in code)

    @property
    def service_ids(self) -> list[str]:
        return list(self.services)

    def environment(self, environment_id: str) -> EnvironmentRef:
        """The RFC's ``environment {id, name}`` of a deployment; refuses undeclared ones."""
        self.check_environment(environment_id)
        return self.environment_ref(environment_id)

    def check_environment(self, environment_id: str) -> str:
        """The id, if the manifest declares it (or declares no list); else UnknownEnvironmentError."""
        schema.check_id("environment id", environment_id)
        if self.environments is not None and environment_id not in self.environments:
            declared = ", ".join(self.environments) or "none"
            raise UnknownEnvironmentError(
                f"environment '{environment_id}' is not declared in the project manifest of "
                f"'{self.id}' ({self.from_file}declared: {declared})"
            )
        return environment_id

    def environment_ref(self, environment_id: str) -> EnvironmentRef:
        """The environment's ``{id, name}`` without the declaration check (for records already made)."""
        from tracker.model.entries import EnvironmentRef

        return EnvironmentRef(environment_id, (self.environments or {}).get(environment_id, environment_id))

    @property
    def from_file(self) -> str:
        """``FILE; `` for messages naming the project: which manifest was read ("" if built in code)."""
        return f"{self.source}; " if self.source else ""

    def check_service(self, service_id: str) -> str:
        schema.check_id("service id", service_id)
        if service_id not in self.services:
            raise UnknownServiceError(
                f"service '{service_id}' is not in the project manifest of '{self.id}' "
                f"({self.from_file}services: {', '.join(self.services)})"
            )
        return service_id

    def ecs_tag_ids(self) -> dict[str, str]:
        """``deployment:service`` tag value -> the service id (image) it runs.

        weco-deploy's convention: the ECS service ids listed under each image
        repository. A project listing none (the RFC's format) is searched by
        its service ids themselves.
        """
        if self.ecs_services:
            return {ecs: sid for sid, names in self.ecs_services.items() for ecs in names}
        return {sid: sid for sid in self.services}

    def describe(self) -> dict[str, Any]:
        """The project as ``tracker projects --output json`` shows it."""
        environments = [{"id": k, "name": v} for k, v in (self.environments or {}).items()]
        return {
            "id": self.id,
            "name": self.name,
            "services": [
                {"id": k, "name": v, "ecs_services": list(self.ecs_services.get(k, ()))}
                for k, v in self.services.items()
            ],
            "environments": environments if self.environments is not None else None,
            "windows": {k: [w.as_dict() for w in v] for k, v in self.windows.items()},
            "ecs_declared": {
                env: {sid: [{"cluster": c, "service": n} for c, n in found] for sid, found in by.items()}
                for env, by in self.ecs_declared.items()
            },
            "alarms": {k: list(v) for k, v in self.alarms.items()},
            "policies": {k: v.as_dict() for k, v in self.policies.items()},
            "metrics": self.metrics.as_dict() if self.metrics is not None else None,
            "role_arn": self.role_arn,
            "account_id": self.account_id,
            "region": self.region,
            "unused": self.unused,
        }

    def as_reference(self) -> ProjectRef:
        """The ``project {id, name}`` object that release manifests carry."""
        from tracker.model.entries import ProjectRef

        return ProjectRef(self.id, self.name)


@dataclass(frozen=True)
class ProjectFile:
    """A parsed manifest file: one project (the RFC's format) or several (weco-deploy's)."""

    source: str
    format: str  # "json" (the RFC's) or "yaml" (weco-deploy's)
    projects: dict[str, Project]
    warnings: tuple[str, ...] = ()

    def select(self, project_id: str | None = None) -> Project:
        """The project ``project_id`` names; without one, the file's only project."""
        if project_id:
            schema.check_id("project id", project_id)
            if project_id not in self.projects:
                raise ProjectManifestError(
                    f"project '{project_id}' is not in {self.source} (projects: {', '.join(self.projects)})"
                )
            return self.projects[project_id]
        if len(self.projects) > 1:
            raise ProjectManifestError(
                f"{self.source} holds several projects ({', '.join(self.projects)}): choose one with "
                "--project, TRACKER_PROJECT or the module's project_id"
            )
        return next(iter(self.projects.values()))


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    """The project file to use: the argument, else ./.wellcome_project."""
    return Path(path or DEFAULT_PROJECT_FILE)


def load_project(path: str | os.PathLike[str] | None = None, project_id: str | None = None) -> Project:
    """Read and validate a manifest; the project ``project_id`` names (or its only one)."""
    return load_projects(path).select(project_id)


def load_projects(path: str | os.PathLike[str] | None = None) -> ProjectFile:
    """Read, parse and validate a project manifest; raise ProjectManifestError naming the problem."""
    file = resolve_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectManifestError(
            f"project manifest {file} not found (use --project-file or TRACKER_PROJECT_FILE, "
            "or write one with `tracker init`)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # ValueError: NUL in the path
        raise ProjectManifestError(f"cannot read project manifest {file}: {error}") from error
    found = parse_projects(text, str(file))
    # Messages naming a project name its file too: which manifest was read is not always obvious.
    projects = {key: replace(project, source=str(file)) for key, project in found.projects.items()}
    return replace(found, projects=projects)


def parse_project(text: str, source: str = "project manifest", project_id: str | None = None) -> Project:
    """Parse and validate the text of a project manifest; the project ``project_id`` names."""
    return parse_projects(text, source).select(project_id)


def parse_projects(text: str, source: str = "project manifest") -> ProjectFile:
    """Parse and validate a manifest in either format (JSON or YAML syntax)."""
    json_syntax = text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")
    document = _parse_json(text, source) if json_syntax else _parse_yaml(text, source)
    if is_rfc_format(document, json_syntax):
        project = _rfc_project(document, source)
        return ProjectFile(source, "json", {project.id: project})
    from tracker.model.weco import weco_projects

    return weco_projects(document, source)


def is_rfc_format(document: object, json_syntax: bool = True) -> bool:
    """Whether ``document`` is (meant to be) the RFC's manifest; see the module's docstring."""
    if not isinstance(document, dict) or not document:
        return True
    if json_syntax:
        return not all(_is_weco_project(value) for value in document.values())
    return any(key in document and not _is_weco_project(document[key]) for key in ("project", "services"))


def _is_weco_project(value: object) -> bool:
    return isinstance(value, dict) and "image_repositories" in value


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ProjectManifestError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise ProjectManifestError(f"{source} is not valid JSON: nested too deeply") from None


def _parse_yaml(text: str, source: str) -> Any:
    import yaml  # only for YAML files: JSON manifests never pay the import

    try:
        document = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as error:
        raise ProjectManifestError(f"{source} is invalid: {error}") from None
    except yaml.MarkedYAMLError as error:
        where = ""
        if error.problem_mark is not None:
            where = f" at line {error.problem_mark.line + 1} column {error.problem_mark.column + 1}"
        problem = " ".join(str(error.problem or error.context or "syntax error").split())
        raise ProjectManifestError(f"{source} is not valid YAML: {problem}{where}") from None
    except (yaml.YAMLError, RecursionError, TypeError) as error:  # TypeError: an unhashable key
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ProjectManifestError(f"{source} is not valid YAML: {first}") from None
    if document is None:
        raise ProjectManifestError(f"{source} is empty")
    return document


class _DuplicateKey(Exception):
    pass


_LOADER: Any = None


def _yaml_loader() -> Any:
    """A safe loader where plain scalars stay strings (only null is implicit) and duplicate keys fail."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    kept = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")

    class Loader(base):  # type: ignore[misc,valid-type]
        yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag in kept]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }

    def mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        # Keys written in this mapping must be unique; keys merged in with `<<` may be overridden.
        written: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=deep)
            if key in written:
                raise _DuplicateKey(f"key {key!r} appears twice (line {key_node.start_mark.line + 1})")
            written.add(key)
        loader.flatten_mapping(node)  # merged pairs first, so the written ones win below
        return {
            loader.construct_object(k, deep=deep): loader.construct_object(v, deep=deep)
            for k, v in node.value
        }

    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    _LOADER = Loader
    return Loader


def check_role_account(where: str, role_arn: str | None, account_id: str | None) -> None:
    """A role is always assumed into its own account: one in another account than account_id is a mistake."""
    if role_arn and account_id and role_arn.split(":")[4] != account_id:
        raise ProjectManifestError(
            f"{where}: role_arn is in account {role_arn.split(':')[4]} but account_id says {account_id}"
        )


def _rfc_project(document: Any, source: str) -> Project:
    try:
        schema.validate("project_manifest", document, ProjectManifestError)
    except ProjectManifestError as error:
        raise ProjectManifestError(f"{source} is invalid: {error}") from None
    header = document["project"]
    check_role_account(f"{source} is invalid: project", header.get("role_arn"), header.get("account_id"))
    environments = None
    windows: dict[str, tuple[Window, ...]] = {}
    services = _unique(source, "service", document["services"])
    declared: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}
    alarms: dict[str, tuple[str, ...]] = {}
    policies: dict[str, Policy] = {}
    if "environments" in document:
        environments = _unique(source, "environment", document["environments"])
        windows = windows_of(f"{source} is invalid: environments", document["environments"])
        declared, alarms = rollouts_of(
            f"{source} is invalid: environments", document["environments"], services
        )
        policies = policies_of(f"{source} is invalid: environments", document["environments"])
    return Project(
        id=header["id"],
        name=header["name"],
        services=services,
        environments=environments,
        role_arn=header.get("role_arn"),
        account_id=header.get("account_id"),
        region=header.get("aws_region_name"),
        windows=windows,
        ecs_declared=declared,
        alarms=alarms,
        policies=policies,
        metrics=metrics_of(f"{source} is invalid: metrics", document.get("metrics")),
    )


def metrics_of(where: str, value: dict[str, Any] | None) -> MetricsSettings | None:
    """The manifest's ``metrics`` settings (schema-checked already): failure signs and fix window."""
    if value is None:
        return None
    from tracker.model.durations import parse_duration
    from tracker.model.metrics import FAILURE_SIGNS, Settings

    failures = tuple(value.get("failures", FAILURE_SIGNS))
    try:
        window = parse_duration(str(value.get("fix_window", "1d")), f"{where}.fix_window")
    except InvalidInputError as error:
        raise ProjectManifestError(str(error)) from None
    return Settings(failures=tuple(dict.fromkeys(failures)), fix_window=window)


def rollouts_of(
    where: str, entries: list[dict[str, Any]], services: dict[str, str]
) -> tuple[dict[str, dict[str, tuple[tuple[str, str], ...]]], dict[str, tuple[str, ...]]]:
    """Each environment's declared ECS services (keys must be service ids) and alarms."""
    declared: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}
    alarms: dict[str, tuple[str, ...]] = {}
    for position, entry in enumerate(entries):
        for service_id, targets in (entry.get("ecs_services") or {}).items():
            if service_id not in services:
                raise ProjectManifestError(
                    f"{where}[{position}].ecs_services: '{service_id}' is not a service of the manifest "
                    f"(services: {', '.join(services)})"
                )
            found = tuple(dict.fromkeys((t["cluster"], t["service"]) for t in targets))
            declared.setdefault(entry["id"], {})[service_id] = found
        if entry.get("alarms"):
            alarms[entry["id"]] = tuple(entry["alarms"])
    return declared, alarms


def policies_of(where: str, entries: list[dict[str, Any]]) -> dict[str, Policy]:
    """Each environment's promotion policy, for those declaring one (the module only imported then)."""
    if not any(entry.get("policy") is not None for entry in entries):
        return {}
    from tracker.model.policies import policies_of as parse

    return parse(where, entries)


def windows_of(where: str, entries: list[dict[str, Any]]) -> dict[str, tuple[Window, ...]]:
    """Each environment's parsed windows, for those declaring any (dateutil only imported then)."""
    if not any(entry.get("windows") for entry in entries):
        return {}
    from tracker.model.windows import parse_windows

    return {
        entry["id"]: parse_windows(entry["windows"], f"{where}[{position}]")
        for position, entry in enumerate(entries)
        if entry.get("windows")
    }


def _unique(source: str, kind: str, entries: list[dict[str, str]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for entry in entries:
        if entry["id"] in result:
            raise ProjectManifestError(f"{source} is invalid: duplicate {kind} id '{entry['id']}'")
        result[entry["id"]] = entry["name"]
    return result
