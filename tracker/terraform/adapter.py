"""The one Terraform adapter: plans and applies a root for one environment of one project.

A root that uses modules/release-deployment with the variables ``project_file``,
``environment``, ``release_id`` and ``from_environment`` (this repository's
``terraform/environment``, or a team's own) deploys every environment of every
project. Terraform state is kept per project and environment: each gets its
own data directory (``TF_DATA_DIR``) and backend configuration under
``state_dir/{project}/{environment}/``, so deploying one project never
touches another's state or plans. The backend is whatever the root declares;
``backend_config`` entries (``KEY=VALUE``, with ``{project}`` and
``{environment}`` filled in) reach ``terraform init -backend-config``. The
default, for the local backend, is ``path=STATE_DIR/{project}/{environment}/terraform.tfstate``;
for S3: ``key=release-tracker/{project}/{environment}.tfstate``.

``terraform init`` runs once per project and environment, and again only when
the root's ``*.tf`` files or the backend configuration change. Providers are
shared through Terraform's plugin cache (``TF_PLUGIN_CACHE_DIR``, default
``STATE_DIR/plugin-cache``), so a new environment does not download them again.

Built on python-terraform (0.10.1, unmaintained but sufficient for init, plan
and apply with Terraform 1.x; its ``destroy()`` passes ``-force``, which
Terraform >= 0.15 rejects, so this module never calls it). Variables travel
in a JSON var file that python-terraform writes, never through a shell.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import TerraformError

LOCAL_BACKEND = ["path={state_dir}/{project}/{environment}/terraform.tfstate"]


@dataclass
class EnvironmentRoot:
    """A Terraform root directory, driven for one (project, environment) at a time."""

    root: Path
    state_dir: Path
    backend_config: list[str] = field(default_factory=lambda: list(LOCAL_BACKEND))

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.state_dir = self.state_dir.resolve()
        if not any(self.root.glob("*.tf")):
            raise TerraformError(f"{self.root} is not a Terraform root (no *.tf files)")

    def workspace(self, project_id: str, environment_id: str) -> Path:
        return self.state_dir / project_id / environment_id

    def backend(self, project_id: str, environment_id: str) -> dict[str, str]:
        values = {"state_dir": str(self.state_dir), "project": project_id, "environment": environment_id}
        pairs = [entry.format(**values).partition("=") for entry in self.backend_config]
        return {key: value for key, _, value in pairs}

    def plan(self, project_id: str, environment_id: str, variables: dict[str, str]) -> int:
        """``terraform plan``; returns its exit code (0: no changes or planned fine)."""
        with self._prepared(project_id, environment_id) as tf:
            code, _, _ = tf.plan(capture_output=False, var=_set(variables), detailed_exitcode=None)
        if code != 0:
            raise TerraformError(f"terraform plan failed in {self.root} (exit {code})")
        return int(code)

    def apply(self, project_id: str, environment_id: str, variables: dict[str, str]) -> None:
        """``terraform apply -auto-approve``; its output (with the root's outputs) is shown as it runs."""
        with self._prepared(project_id, environment_id) as tf:
            code, _, _ = tf.apply(skip_plan=True, capture_output=False, var=_set(variables))
        if code != 0:
            raise TerraformError(f"terraform apply failed in {self.root} (exit {code})")

    @contextmanager
    def _prepared(self, project_id: str, environment_id: str) -> Iterator[Any]:
        """A python-terraform handle with this workspace's environment, initialised if needed."""
        from python_terraform import Terraform

        workspace = self.workspace(project_id, environment_id)
        workspace.mkdir(parents=True, exist_ok=True)
        overrides = {
            "TF_DATA_DIR": str(workspace / ".terraform"),
            "TF_IN_AUTOMATION": "1",
            "TF_PLUGIN_CACHE_DIR": os.environ.get("TF_PLUGIN_CACHE_DIR")
            or str(self.state_dir / "plugin-cache"),
        }
        Path(overrides["TF_PLUGIN_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
        with _environment(overrides):
            tf = Terraform(working_dir=str(self.root))
            self._init(tf, workspace, self.backend(project_id, environment_id))
            yield tf

    def _init(self, tf: Any, workspace: Path, backend: dict[str, str]) -> None:
        stamp = workspace / ".terraform" / "tracker-init.json"
        fingerprint = self._fingerprint(backend)
        if stamp.is_file() and stamp.read_text() == fingerprint:
            return
        code, _, _ = tf.init(capture_output=False, input=False, backend_config=backend)
        if code != 0:
            raise TerraformError(f"terraform init failed in {self.root} (exit {code})")
        stamp.write_text(fingerprint)

    def _fingerprint(self, backend: dict[str, str]) -> str:
        """What init depends on: the root's configuration files and the backend settings."""
        digest = hashlib.sha256()
        for path in sorted(self.root.glob("*.tf")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return json.dumps({"root": digest.hexdigest(), "backend": backend}, sort_keys=True)


def _set(variables: dict[str, str]) -> dict[str, str]:
    """Variables with a value; the others keep the root's defaults."""
    return {name: value for name, value in variables.items() if value not in (None, "")}


@contextmanager
def _environment(overrides: dict[str, str]) -> Iterator[None]:
    """os.environ with ``overrides`` while python-terraform runs (it passes os.environ on)."""
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
