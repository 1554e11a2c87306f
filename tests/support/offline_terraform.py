#!/usr/bin/env python3
"""Write a Terraform CLI config for OFFLINE use (tests, demo); stdlib only. Run by `make setup`.

    python tests/support/offline_terraform.py --python .venv/bin/python --out .terraformrc
    TF_CLI_CONFIG_FILE=$PWD/.terraformrc terraform init

It makes Terraform install, with no network:

* ``hashicorp/aws`` from an existing provider mirror: ``$TRACKER_TF_MIRROR`` if set, else
  ``/opt/tf-plugins``, else the first mirror found (bounded search) under Terraform's usual
  plugin directories and a few common roots;
* ``hashicorp/external`` from a project-local unpacked mirror,
  ``.terraform-offline/mirror/registry.terraform.io/hashicorp/external/2.3.5/<os_arch>/``,
  whose ``terraform-provider-external_v2.3.5`` is a ``#!/bin/sh`` launcher for the OFFLINE
  stand-in ``tests/support/external_provider.py`` (test/demo aid only: real users get
  hashicorp/external from the Terraform Registry).

Every other provider still comes from its registry (``direct``). Running it again with the same
arguments changes nothing. Exit status 1, with one line on stderr, when no AWS mirror is found.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXTERNAL_VERSION = "2.3.5"
AWS = "registry.terraform.io/hashicorp/aws"
EXTERNAL = "registry.terraform.io/hashicorp/external"
DEFAULT_MIRROR = Path("/opt/tf-plugins")
SEARCH_DEPTH = 4  # directories below a search root where a mirror root may sit
SEARCH_BUDGET = 20000  # directories visited in all, so the search stays quick


def _target() -> str:
    """Terraform's platform name, e.g. linux_amd64."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    goos = "windows" if sys.platform == "win32" else sys.platform  # "linux", "darwin", ...
    return f"{goos}_{arch}"


def _has_aws(root: Path, target: str) -> bool:
    """Does root hold <AWS>/<version>/<target>/terraform-provider-aws* (an executable)?"""
    try:
        return any(
            p.is_file() and os.access(p, os.X_OK)
            for p in root.glob(f"{AWS}/*/{target}/terraform-provider-aws*")
        )
    except OSError:
        return False


def _search_roots() -> list[Path]:
    home = Path.home()
    xdg = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return [
        # Terraform's own implied local mirror directories on Linux
        xdg / "terraform" / "plugins",
        home / ".terraform.d" / "plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
        # common places to drop a mirror
        Path("/opt"),
        Path("/srv"),
        Path("/usr/local/share"),
        Path("/usr/share"),
        home,
        Path("/tmp"),
    ]


def _search(target: str) -> Path | None:
    """Breadth-first, depth- and size-bounded search for a directory holding the AWS mirror."""
    budget = SEARCH_BUDGET
    seen: set[Path] = set()
    for root in _search_roots():
        queue = [(root, 0)]
        while queue and budget > 0:
            directory, depth = queue.pop(0)
            try:
                real = directory.resolve()
            except OSError:
                continue
            if real in seen or not directory.is_dir():
                continue
            seen.add(real)
            budget -= 1
            if (directory / "registry.terraform.io").is_dir() and _has_aws(directory, target):
                return directory
            if depth >= SEARCH_DEPTH:
                continue
            try:
                children = sorted(
                    d
                    for d in directory.iterdir()
                    if d.is_dir()
                    and not d.is_symlink()
                    and not d.name.startswith(".")
                    and d.name not in ("proc", "sys", "node_modules", "__pycache__")
                )
            except OSError:
                continue
            queue.extend((child, depth + 1) for child in children)
    return None


def find_aws_mirror(target: str) -> Path:
    env = os.environ.get("TRACKER_TF_MIRROR")
    if env:
        root = Path(env).expanduser().absolute()
        if _has_aws(root, target):
            return root
        sys.exit(
            f"offline_terraform: TRACKER_TF_MIRROR={env} holds no {AWS}/*/{target}/terraform-provider-aws*"
        )
    if _has_aws(DEFAULT_MIRROR, target):
        return DEFAULT_MIRROR
    found = _search(target)
    if found is None:
        sys.exit(
            f"offline_terraform: no hashicorp/aws provider mirror found "
            f"({AWS}/*/{target}/terraform-provider-aws*); set TRACKER_TF_MIRROR to its root"
        )
    return found.absolute()


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _hcl_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def _write_if_changed(path: Path, text: str, mode: int) -> bool:
    """Write atomically when the content or mode differs; True when something changed."""
    try:
        if path.read_text() == text and (path.stat().st_mode & 0o777) == mode:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="Python with the `tf` package, run by the launcher (default: this Python)",
    )
    parser.add_argument(
        "--out",
        default=str(REPO / ".terraformrc"),
        help="CLI config file to write (default: <repo>/.terraformrc)",
    )
    args = parser.parse_args(argv)

    target = _target()
    # absolute() and not resolve(): a venv's python is a symlink that must stay one.
    python = Path(args.python).expanduser().absolute()
    if not (python.is_file() and os.access(python, os.X_OK)):
        sys.exit(f"offline_terraform: --python {args.python} is not an executable file")
    probe = subprocess.run(
        [str(python), "-c", "import sys, tf.runner; print('tf-ok', sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout.strip() != "tf-ok True":
        sys.exit(
            f"offline_terraform: --python {python} is not a Python >= 3.11 that can import "
            "the `tf` package (pip install tf)"
        )

    aws_root = find_aws_mirror(target)

    provider_script = REPO / "tests" / "support" / "external_provider.py"
    mirror = REPO / ".terraform-offline" / "mirror"
    launcher = (
        mirror / EXTERNAL / EXTERNAL_VERSION / target / f"terraform-provider-external_v{EXTERNAL_VERSION}"
    )
    launcher_text = (
        "#!/bin/sh\n"
        "# Generated by tests/support/offline_terraform.py: OFFLINE test/demo stand-in for\n"
        "# hashicorp/external (real users get it from the Terraform Registry).\n"
        f'exec {_sh_quote(str(python))} {_sh_quote(str(provider_script))} "$@"\n'
    )
    changed = _write_if_changed(launcher, launcher_text, 0o755)

    out = Path(args.out).expanduser().absolute()
    config = f"""\
# Generated by tests/support/offline_terraform.py -- do not edit, do not commit.
# OFFLINE use only (tests, demo): hashicorp/aws comes from a local provider mirror and
# hashicorp/external from a local stand-in (tests/support/external_provider.py), never from
# the registry. Real deployments use the registry's providers and no such file.
provider_installation {{
  filesystem_mirror {{
    path    = {_hcl_string(str(aws_root))}
    include = ["{AWS}"]
  }}
  filesystem_mirror {{
    path    = {_hcl_string(str(mirror))}
    include = ["{EXTERNAL}"]
  }}
  direct {{
    exclude = ["{AWS}", "{EXTERNAL}"]
  }}
}}
"""
    changed = _write_if_changed(out, config, 0o644) or changed

    verb = "wrote" if changed else "unchanged:"
    print(
        f"offline_terraform: {verb} {out} (aws mirror {aws_root}; hashicorp/external "
        f"{EXTERNAL_VERSION} stand-in at {launcher.parent})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
