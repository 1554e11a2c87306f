"""The one Terraform adapter: applies an environment root with a release id.

Built on python-terraform (0.10.1, unmaintained but sufficient for
init/apply/output with Terraform 1.x; its ``destroy()`` passes ``-force``,
which Terraform >= 0.15 rejects, so this module never calls it). Variables
travel in a JSON var file that python-terraform writes, never through a shell.

Used by ``make deploy`` and ``make promote`` (scripts/terraform_deploy.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError

ENVIRONMENTS_DIR = Path(__file__).resolve().parent.parent / "terraform" / "environments"


class TerraformError(TrackerError):
    """A Terraform command failed (its own output has been shown)."""


def environment_root(environment_id: str, roots: Path = ENVIRONMENTS_DIR) -> Path:
    """The Terraform root that deploys ``environment_id``: ``terraform/environments/<id>``."""
    root = roots / environment_id
    if not (root / "main.tf").is_file():
        known = sorted(p.name for p in roots.iterdir() if (p / "main.tf").is_file())
        raise TerraformError(
            f"no Terraform root for environment '{environment_id}' in {roots} "
            f"(roots: {', '.join(known) or 'none'})"
        )
    return root


def _terraform(root: Path) -> Any:
    from python_terraform import Terraform

    return Terraform(working_dir=str(root))


def init(root: Path) -> None:
    """``terraform init`` once per root (skipped when ``.terraform`` exists)."""
    data_dir = Path(os.environ.get("TF_DATA_DIR") or root / ".terraform")
    if not data_dir.is_absolute():
        data_dir = root / data_dir
    if (data_dir / "providers").exists() or (data_dir / "modules").exists():
        return
    code, _, _ = _terraform(root).init(capture_output=False, input=False)
    if code != 0:
        raise TerraformError(f"terraform init failed in {root} (exit {code})")


def apply_release(root: Path, release_id: str, variables: dict[str, str]) -> dict[str, Any]:
    """``terraform apply -auto-approve`` of ``root`` with ``release_id``; returns its outputs."""
    init(root)
    tf = _terraform(root)
    all_vars = {k: v for k, v in variables.items() if v not in (None, "")}
    all_vars["release_id"] = release_id
    code, _, _ = tf.apply(skip_plan=True, capture_output=False, var=all_vars)
    if code != 0:
        raise TerraformError(f"terraform apply failed in {root} (exit {code})")
    outputs = tf.output(json=True) or {}
    return {name: value.get("value") for name, value in outputs.items()}
