"""Writing a project manifest by script (``tracker init``): the RFC's JSON or weco-deploy's YAML."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tracker.errors import InvalidInputError
from tracker.model.project import Project, parse_projects


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
