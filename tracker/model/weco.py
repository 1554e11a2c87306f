"""weco-deploy's manifest format: several projects keyed by id, image repositories as services.

Read after the schema (``schemas/weco_projects.schema.json``) accepted the
document: each project's ``image_repositories`` are what the RFC calls its
services (their ``services`` are the ECS services running the image), and
keys weco-deploy knew that the tracker does not act on are kept and shown by
``tracker projects`` as "accepted, not used". Any other key is accepted too
(weco-deploy ignored unknown keys), with a warning naming it: it may be a typo.
"""

from __future__ import annotations

from typing import Any

from tracker.errors import InvalidInputError, ProjectManifestError
from tracker.model import schema
from tracker.model.project import (
    Project,
    ProjectFile,
    check_role_account,
    metrics_of,
    policies_of,
    rollouts_of,
    windows_of,
)

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
    "role_arn": "weco-deploy's role for ECS calls; `tracker wait` reads ECS as the project's role",
    "region_name": "the ECS service's region; `tracker wait` reads ECS in the project's region",
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
    "metrics",
    *UNUSED_PROJECT_KEYS,
}
_REPOSITORY_KEYS = {"id", "name", "services", *UNUSED_REPOSITORY_KEYS}
_ENVIRONMENT_KEYS = {"id", "name", "windows", "ecs_services", "alarms", "policy"}


def weco_projects(document: Any, source: str) -> ProjectFile:
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
        declared, alarms = rollouts_of(
            f"{self.source} is invalid: {pid}.environments", config.get("environments") or [], services
        )
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
            windows=windows_of(
                f"{self.source} is invalid: {pid}.environments", config.get("environments") or []
            ),
            ecs_declared=declared,
            alarms=alarms,
            policies=policies_of(
                f"{self.source} is invalid: {pid}.environments", config.get("environments") or []
            ),
            metrics=metrics_of(f"{self.source} is invalid: {pid}.metrics", config.get("metrics")),
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
