"""The one Terraform adapter: plans and applies a root for one environment of one project.

A root that uses modules/release-deployment with the variables ``project_file``,
``environment``, ``release_id`` and ``from_environment`` (this repository's
``terraform/environment``, or a team's own) deploys every environment of every
project. Terraform state is kept per project and environment: each gets its
own data directory (``TF_DATA_DIR``) and backend configuration under
``STATE_DIR/projects/{project}/{environment}/``, so deploying one project
never touches another's state or plans. The root must declare a backend (a
root without one would keep a single ``terraform.tfstate`` for every project
in its own folder): ``backend_config`` entries (``KEY=VALUE``, with
``{project}``, ``{environment}`` and ``{state_dir}`` filled in) reach
``terraform init -backend-config``. The default, for the local backend, is
``path={state_dir}/projects/{project}/{environment}/terraform.tfstate``; for
S3: ``key=release-tracker/{project}/{environment}.tfstate``.

``terraform init`` runs once per project and environment, and again only when
the root's ``*.tf`` files or the backend configuration change; a changed
backend is Terraform's to resolve (it asks for ``-migrate-state``), never
silently reconfigured. Providers are shared through Terraform's plugin cache
(``TF_PLUGIN_CACHE_DIR``, default ``STATE_DIR/plugin-cache``), so a new
environment does not download them again.

The programs the module runs (``tracker terraform resolve|record``) are this
interpreter's tracker unless ``TF_VAR_tracker_command`` says otherwise, and
get the settings this process resolved through ``TRACKER_*`` variables
(``TRACKER_PROJECT`` included). The project id also reaches the root as
``TF_VAR_project_id``, for roots that declare ``project_id`` (optional: a root
written for one-project manifests needs no change).

Built on python-terraform (0.10.1, unmaintained but sufficient for init, plan
and apply with Terraform 1.x; its ``destroy()`` passes ``-force``, which
Terraform >= 0.15 rejects, so this module never calls it). Variables travel
in a JSON var file that python-terraform writes, never through a shell.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import TerraformError

LOCAL_BACKEND = ["path={state_dir}/projects/{project}/{environment}/terraform.tfstate"]
_BACKEND_BLOCK = re.compile(r'^\s*backend\s+"[A-Za-z0-9_-]+"', re.M)


@dataclass
class EnvironmentRoot:
    """A Terraform root directory, driven for one (project, environment) at a time."""

    root: Path
    state_dir: Path
    backend_config: list[str] = field(default_factory=lambda: list(LOCAL_BACKEND))

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.state_dir = self.state_dir.resolve()
        files = [path.read_text() for path in self.root.glob("*.tf")]
        if not files:
            raise TerraformError(f"{self.root} is not a Terraform root (no *.tf files)")
        if not any(_BACKEND_BLOCK.search(text) for text in files):
            raise TerraformError(
                f'{self.root} declares no backend: add `terraform {{ backend "local" {{}} }}` (or s3) '
                "so that each project and environment gets its own state"
            )
        for entry in self.backend_config:
            if "=" not in entry:
                raise TerraformError(f"backend config {entry!r} is not KEY=VALUE")
        if shutil.which("terraform") is None:
            raise TerraformError("terraform is not installed (not found on PATH)")

    def workspace(self, project_id: str, environment_id: str) -> Path:
        return self.state_dir / "projects" / project_id / environment_id

    def backend(self, project_id: str, environment_id: str) -> dict[str, str]:
        """The backend settings of one workspace, placeholders filled in."""
        values = {
            "{state_dir}": str(self.state_dir),
            "{project}": project_id,
            "{environment}": environment_id,
        }
        config = {}
        for entry in self.backend_config:
            for placeholder, value in values.items():
                entry = entry.replace(placeholder, value)
            key, _, value = entry.partition("=")
            config[key] = value
        return config

    def plan(
        self, project_id: str, environment_id: str, variables: dict[str, str], environ: dict[str, str]
    ) -> None:
        """``terraform plan``, its output shown as it runs."""
        with self._prepared(project_id, environment_id, environ) as tf:
            code, _, _ = tf.plan(capture_output=False, var=_set(variables), detailed_exitcode=None)
        if code != 0:
            raise TerraformError(f"terraform plan failed in {self.root} (exit {code})")

    def apply(
        self, project_id: str, environment_id: str, variables: dict[str, str], environ: dict[str, str]
    ) -> None:
        """``terraform apply -auto-approve``; its output (with the root's outputs) is shown as it runs."""
        with self._prepared(project_id, environment_id, environ) as tf:
            code, _, _ = tf.apply(skip_plan=True, capture_output=False, var=_set(variables))
        if code != 0:
            raise TerraformError(f"terraform apply failed in {self.root} (exit {code})")

    @contextmanager
    def _prepared(self, project_id: str, environment_id: str, environ: dict[str, str]) -> Iterator[Any]:
        """A python-terraform handle with this workspace's environment, initialised if needed.

        ``environ``: variables for Terraform and the programs it runs (the tracker's settings).
        """
        from python_terraform import Terraform

        workspace = self.workspace(project_id, environment_id)
        workspace.mkdir(parents=True, exist_ok=True)
        cache = os.environ.get("TF_PLUGIN_CACHE_DIR") or str(self.state_dir / "plugin-cache")
        Path(cache).mkdir(parents=True, exist_ok=True)
        overrides = {
            **environ,
            "TF_DATA_DIR": str(workspace / ".terraform"),
            "TF_IN_AUTOMATION": "1",
            "TF_PLUGIN_CACHE_DIR": cache,
            # The root's programs run this interpreter's tracker, unless told otherwise.
            "TF_VAR_tracker_command": os.environ.get("TF_VAR_tracker_command")  # noqa: SIM112 - Terraform's name
            or json.dumps([sys.executable, "-m", "tracker"]),
        }
        with _environment(overrides):
            tf = Terraform(working_dir=str(self.root))
            self._init(tf, workspace, self.backend(project_id, environment_id))
            yield tf

    def _init(self, tf: Any, workspace: Path, backend: dict[str, str]) -> None:
        """``terraform init`` unless this workspace was initialised for the same root and backend.

        Never ``-reconfigure``: a changed backend is Terraform's to resolve (it asks for
        ``-migrate-state``), not something to abandon state over.
        """
        from python_terraform import IsNotFlagged

        stamp = workspace / ".terraform" / "tracker-init.json"
        fingerprint = self._fingerprint(backend)
        if stamp.is_file() and stamp.read_text() == fingerprint:
            return
        code, _, _ = tf.init(
            capture_output=False, input=False, backend_config=backend, reconfigure=IsNotFlagged
        )
        if code != 0:
            raise TerraformError(f"terraform init failed in {self.root} (exit {code})")
        stamp.write_text(fingerprint)

    def _fingerprint(self, backend: dict[str, str]) -> str:
        """What init depends on: the root's configuration files and the backend settings."""
        # A checksum, not a cryptographic hash: it only tells that a file changed (and zlib is
        # loaded already, where hashlib's OpenSSL would cost make plan a few milliseconds).
        digest = 0
        for path in sorted(self.root.glob("*.tf")):
            digest = zlib.crc32(path.name.encode() + b"\0" + path.read_bytes() + b"\0", digest)
        return json.dumps({"root": f"crc32:{digest:08x}", "backend": backend}, sort_keys=True)


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
