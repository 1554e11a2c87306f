"""Driving a Terraform root for one environment: what ``tracker terraform plan|deploy|promote`` (and
``make plan|deploy|promote``) do.

Everything that can be refused without AWS is refused before Terraform
starts (the environment is declared, the release id is well formed, a forced
deployment says why), so bad input costs no provider start-up. Then the root
is planned or applied with the state of that project and environment
(:class:`tracker.terraform.adapter.EnvironmentRoot`), its variables passed in a
var file and the tracker's settings as ``TRACKER_*`` variables for the
programs the module runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import InvalidInputError, interface

if TYPE_CHECKING:
    from tracker.app import Tracker
    from tracker.terraform.adapter import EnvironmentRoot


@dataclass(frozen=True, kw_only=True)
class StackRequest:
    """One run of a root: ``plan`` or ``apply``, for an environment, with a release or a source."""

    command: str  # "plan" or "apply"
    environment_id: str
    root: Path
    release: str | None = None
    from_environment: str | None = None
    user: str | None = None
    user_name: str | None = None
    description: str = ""
    force: bool = False
    state_dir: Path | None = None
    backend_config: tuple[str, ...] = ()


def environment_root(root: Path, state_dir: Path | None, backend_config: tuple[str, ...]) -> EnvironmentRoot:
    from tracker.terraform.adapter import LOCAL_BACKEND, EnvironmentRoot

    return EnvironmentRoot(root, state_dir or root / ".tracker-state", list(backend_config) or LOCAL_BACKEND)


def check_order(tracker: Tracker, release: str, environment_id: str) -> None:
    """Refuse ``ENV RELEASE`` (the order of earlier versions) with a line saying the order is RELEASE ENV."""
    declared = tracker.project.environments
    if declared is not None and environment_id not in declared and release in declared:
        raise InvalidInputError(
            f"'{environment_id}' is not an environment of project '{tracker.project.id}' but '{release}' is: "
            "the arguments are RELEASE ENVIRONMENT, in the order of `tracker deploy`"
        )


def run_stack(tracker: Tracker, request: StackRequest) -> None:
    """Check what can be checked without AWS (before Terraform starts), then plan or apply."""
    from tracker.model import schema
    from tracker.model.checks import check_description, check_force
    from tracker.model.project import resolve_path

    project = tracker.project
    project.check_environment(request.environment_id)
    check_description(request.description)
    extra: dict[str, str] = {}
    if request.force:
        check_force(True, request.description)
        extra["force"] = "true"  # only when given: a root without `force` keeps working
    if request.release:
        extra["release_id"] = schema.check_release_ref(request.release)
    if request.from_environment:
        project.check_environment(request.from_environment)
        extra["from_environment"] = request.from_environment
    variables = {
        "project_file": str(resolve_path(tracker.settings.project_file).resolve()),
        "environment": request.environment_id,
        "requested_by": request.user or "",
        "requested_by_name": request.user_name or "",
        "description": request.description,
        **extra,
    }
    stack = environment_root(request.root, request.state_dir, request.backend_config)
    run = stack.plan if request.command == "plan" else stack.apply
    # project_id travels as TF_VAR_project_id: Terraform ignores it in a root that does not declare
    # it (a -var for an undeclared variable is an error), and the programs get TRACKER_PROJECT.
    # The programs' hints name the interface the user is in (this command's flags, or make's).
    environ = {
        **tracker.settings.exported(),
        "TF_VAR_project_id": project.id,
        "TRACKER_PROJECT": project.id,
        "TRACKER_INTERFACE": interface(),
    }
    run(project.id, request.environment_id, variables, environ)
