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
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import (
    InvalidInputError,
    ProjectManifestError,
    UnknownEnvironmentError,
    UnknownServiceError,
)
from tracker.model import schema
from tracker.model.windows import Window, parse_windows

DEFAULT_PROJECT_FILE = ".wellcome_project"
FORMATS = ("json", "yaml")

# weco-deploy keys the tracker accepts and does not act on, and what each one means here.
# Any other unknown key is accepted too (weco-deploy ignored them) but warned about: it may be a typo.
UNUSED_PROJECT_KEYS = {
    "namespace": "weco-deploy's ECR repository namespace ({namespace}/{repository}); "
    "the tracker never builds image URIs: CI publishes them whole",
}
UNUSED_REPOSITORY_KEYS = {
    "account_id": "the account of the repository's registry; the tracker reads it from each image URI",
    "role_arn": "weco-deploy's role for pushing images; the tracker pushes none",
    "aws_region_name": "the region of the repository's registry; the tracker reads it from each image URI",
    "region_name": "as aws_region_name",
    "namespace": "weco-deploy's ECR namespace of this repository; the tracker builds no image URIs",
}
# In an ECS service entry of a repository: weco-deploy's role and region for its ECS calls.
UNUSED_SERVICE_KEYS = {
    "role_arn": "weco-deploy's role for ECS calls; the tracker does not call ECS",
    "region_name": "the ECS service's region; the tracker does not call ECS",
    "aws_region_name": "as region_name",
}
_PROJECT_KEYS = {
    "name",
    "role_arn",
    "account_id",
    "aws_region_name",
    "region_name",
    "environments",
    "image_repositories",
    *UNUSED_PROJECT_KEYS,
}
_REPOSITORY_KEYS = {"id", "name", "services", *UNUSED_REPOSITORY_KEYS}
_ENVIRONMENT_KEYS = {"id", "name", "windows"}


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
    # weco-deploy: the ECS services that run each repository's image (shown, not acted on).
    ecs_services: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Keys accepted but not acted on (weco-deploy's namespace...), as written; shown by `tracker projects`.
    unused: dict[str, Any] = field(default_factory=dict)
    # Deployment windows per environment id (tracker.model.windows), for environments declaring some.
    windows: dict[str, tuple[Window, ...]] = field(default_factory=dict)

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
            "role_arn": self.role_arn,
            "account_id": self.account_id,
            "region": self.region,
            "unused": self.unused,
        }

    def as_reference(self) -> dict[str, str]:
        """The ``project {id, name}`` object that release manifests carry."""
        return {"id": self.id, "name": self.name}


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
    return parse_projects(text, str(file))


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
    return _weco_projects(document, source)


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
    if "environments" in document:
        environments = _unique(source, "environment", document["environments"])
        windows = _windows(f"{source} is invalid: environments", document["environments"])
    return Project(
        id=header["id"],
        name=header["name"],
        services=_unique(source, "service", document["services"]),
        environments=environments,
        role_arn=header.get("role_arn"),
        account_id=header.get("account_id"),
        region=header.get("aws_region_name"),
        windows=windows,
    )


def _windows(where: str, entries: list[dict[str, Any]]) -> dict[str, tuple[Window, ...]]:
    """Each environment's parsed windows, for those declaring any."""
    return {
        entry["id"]: parse_windows(entry["windows"], f"{where}[{position}]")
        for position, entry in enumerate(entries)
        if entry.get("windows")
    }


def _weco_projects(document: Any, source: str) -> ProjectFile:
    if isinstance(document, dict):
        for key in document:
            try:
                schema.check_id("project id", key)
            except InvalidInputError as error:
                raise ProjectManifestError(f"{source} is invalid: {error}") from None
    try:
        schema.validate("weco_projects", document, ProjectManifestError)
    except ProjectManifestError as error:
        raise ProjectManifestError(f"{source} is invalid: {error}") from None
    warnings: list[str] = []
    projects = {
        project_id: _Reader(source, project_id, warnings).project(config)
        for project_id, config in document.items()
    }
    return ProjectFile(source, "yaml", projects, tuple(warnings))


class _Reader:
    """Reads one project of weco-deploy's format (already schema-valid), collecting warnings."""

    def __init__(self, source: str, project_id: str, warnings: list[str]) -> None:
        self.source, self.project_id, self.warnings = source, project_id, warnings

    def refuse(self, message: str) -> ProjectManifestError:
        return ProjectManifestError(f"{self.source} is invalid: {message}")

    def unknown(self, where: str, entry: dict[str, Any], known: set[str]) -> None:
        for key in entry:
            if key not in known:
                self.warnings.append(f"{self.source}: {where}.{key} is not a key the tracker knows; ignored")

    def project(self, config: dict[str, Any]) -> Project:
        pid = self.project_id
        self.unknown(pid, config, _PROJECT_KEYS)
        region, other = config.get("aws_region_name"), config.get("region_name")
        if region and other and region != other:
            raise self.refuse(f"{pid}: aws_region_name '{region}' and region_name '{other}' disagree")
        role_arn, account_id = config.get("role_arn"), config.get("account_id")
        check_role_account(f"{self.source} is invalid: {pid}", role_arn, account_id)
        unused: dict[str, Any] = {k: config[k] for k in UNUSED_PROJECT_KEYS if k in config}
        services, ecs, repositories = self.repositories(config["image_repositories"])
        if repositories:
            unused["image_repositories"] = repositories
        return Project(
            id=pid,
            name=config.get("name", pid),
            services=services,
            environments=self.environments(config["environments"]) if "environments" in config else None,
            role_arn=role_arn,
            account_id=account_id,
            region=region or other,
            ecs_services=ecs,
            unused=unused,
            windows=_windows(
                f"{self.source} is invalid: {pid}.environments", config.get("environments") or []
            ),
        )

    def repositories(
        self, entries: list[dict[str, Any]]
    ) -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, Any]]:
        """Services (id -> name), their ECS services, and the keys kept but not used, per repository."""
        services: dict[str, str] = {}
        ecs: dict[str, tuple[str, ...]] = {}
        unused: dict[str, Any] = {}
        for position, repository in enumerate(entries):
            where = f"{self.project_id}.image_repositories[{position}]"
            self.unknown(where, repository, _REPOSITORY_KEYS)
            repository_id = repository["id"]
            if repository_id in services:
                raise self.refuse(f"{where}.id: duplicate image repository id '{repository_id}'")
            services[repository_id] = repository.get("name", repository_id)
            listed = repository.get("services") or []
            names = [s if isinstance(s, str) else s["id"] for s in listed]
            if names:
                ecs[repository_id] = tuple(dict.fromkeys(names))  # in order, each once
            extra = {k: repository[k] for k in UNUSED_REPOSITORY_KEYS if k in repository}
            for index, entry in enumerate(listed):
                if isinstance(entry, dict):
                    self.unknown(f"{where}.services[{index}]", entry, {"id", *UNUSED_SERVICE_KEYS})
                    kept = {k: entry[k] for k in UNUSED_SERVICE_KEYS if k in entry}
                    if kept:
                        extra.setdefault("services", {})[entry["id"]] = kept
            if extra:
                unused[repository_id] = extra
        return services, ecs, unused

    def environments(self, entries: list[dict[str, Any]]) -> dict[str, str]:
        environments: dict[str, str] = {}
        for position, entry in enumerate(entries):
            where = f"{self.project_id}.environments[{position}]"
            self.unknown(where, entry, _ENVIRONMENT_KEYS)
            if entry["id"] in environments:
                raise self.refuse(f"{where}.id: duplicate environment id '{entry['id']}'")
            environments[entry["id"]] = entry.get("name", entry["id"])
        return environments


def _unique(source: str, kind: str, entries: list[dict[str, str]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for entry in entries:
        if entry["id"] in result:
            raise ProjectManifestError(f"{source} is invalid: duplicate {kind} id '{entry['id']}'")
        result[entry["id"]] = entry["name"]
    return result


# -- writing (tracker init) ------------------------------------------------------------------
def _aws_keys(project: Project) -> dict[str, str]:
    """The manifest keys of where the project acts (both formats spell them alike), those set."""
    keys = {"role_arn": project.role_arn, "account_id": project.account_id, "aws_region_name": project.region}
    return {key: value for key, value in keys.items() if value}


def render(project: Project, fmt: str) -> str:
    """The text of a manifest holding ``project``, in the RFC's JSON or weco-deploy's YAML."""
    if fmt == "json":
        header = {"id": project.id, "name": project.name, **_aws_keys(project)}
        document: dict[str, Any] = {
            "project": header,
            "services": [{"id": k, "name": v} for k, v in project.services.items()],
        }
        if project.environments is not None:
            document["environments"] = [{"id": k, "name": v} for k, v in project.environments.items()]
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    import yaml

    config: dict[str, Any] = {"name": project.name, **_aws_keys(project)}
    if project.environments is not None:
        config["environments"] = [{"id": k, "name": v} for k, v in project.environments.items()]
    config["image_repositories"] = [
        {
            "id": k,
            **({"name": v} if v != k else {}),
            **(
                {"services": [{"id": s} for s in project.ecs_services[k]]}
                if k in project.ecs_services
                else {}
            ),
        }
        for k, v in project.services.items()
    ]
    text: str = yaml.safe_dump(
        {project.id: config}, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return "# Project manifest (weco-deploy's format), written by `tracker init`.\n" + text


def check_writable(path: Path, project_id: str, fmt: str, *, add: bool = False, force: bool = False) -> str:
    """Whether a manifest for ``project_id`` may be written to ``path``; the text to append to.

    Refuses when the file exists (unless ``force``), or when ``add`` meets a
    missing file, a JSON manifest or a project already there. Returns the
    file's text with ``add`` (for :func:`write_manifest`), else ``""``.
    """
    existing = ""
    if add:
        if fmt != "yaml":
            raise InvalidInputError("--add needs --format yaml: the RFC's JSON manifest holds one project")
        try:
            existing = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidInputError(f"cannot add to {path}: {error.strerror or error}") from None
        known = parse_projects(existing, str(path))
        if known.format != "yaml":
            raise InvalidInputError(f"cannot add to {path}: it is in the RFC's JSON format (one project)")
        if project_id in known.projects:
            raise InvalidInputError(f"project '{project_id}' is already in {path}")
    elif path.exists() and not force:
        raise InvalidInputError(
            f"{path} exists: use --force to overwrite it (or --format yaml --add to add a project)"
        )
    return existing


def write_manifest(path: Path, project: Project, fmt: str, existing: str = "") -> Project:
    """Write ``project`` to ``path`` as a new manifest, or appended to ``existing`` (a YAML one's text).

    Call :func:`check_writable` first. Refuses, writing nothing, when the text
    would not pass the schema. Appending keeps the file's text, comments
    included; the file is replaced through a temporary file and a rename.
    """
    text = render(project, fmt)
    if existing:
        text = existing + ("" if existing.endswith("\n") else "\n") + text.split("\n", 1)[1]
    written = parse_projects(text, str(path)).select(project.id)  # valid, or nothing is written
    target = path.resolve() if path.is_symlink() else path  # a linked manifest stays linked
    temporary = target.with_name(f".{target.name}.tracker-init")
    try:
        temporary.write_text(text, encoding="utf-8")
        if target.exists():
            shutil.copymode(target, temporary)
        temporary.replace(target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {path}: {error.strerror or error}") from None
    return written
