"""The RFC's SSM parameter names, built in one place.

* ``/{project_id}/images/{label}/{service_id}``: what CI published (``publish``);
* ``/{project_id}/deployments/{environment_id}/{service_id}``: what an
  environment runs (written by deployments, read by Terraform stacks).
"""

from __future__ import annotations

# The default label CI publishes to, and the release ref that names a project's newest release.
LATEST = "latest"


def images_path(project_id: str, label: str) -> str:
    """The folder of a label's images: ``/{project}/images/{label}``."""
    return f"/{project_id}/images/{label}"


def image_parameter(project_id: str, label: str, service_id: str) -> str:
    return f"{images_path(project_id, label)}/{service_id}"


def deployments_path(project_id: str, environment_id: str | None = None) -> str:
    """``/{project}/deployments`` (every environment) or ``/{project}/deployments/{environment}``."""
    base = f"/{project_id}/deployments"
    return f"{base}/{environment_id}" if environment_id is not None else base


def deployment_parameter(project_id: str, environment_id: str, service_id: str) -> str:
    return f"{deployments_path(project_id, environment_id)}/{service_id}"


def split_deployment_parameter(project_id: str, name: str) -> tuple[str, str] | None:
    """``(environment, service)`` of a deployment parameter's name (None: not one of the project's)."""
    prefix = deployments_path(project_id) + "/"
    if not name.startswith(prefix):
        return None
    environment, _, service = name[len(prefix) :].partition("/")
    return (environment, service) if environment and service and "/" not in service else None
