#!/usr/bin/env python3
"""The Inputs and Outputs tables of each module's README, generated from its variables.tf and outputs.tf.

``make docs`` rewrites them; ``--check`` (run by the test suite) fails when a
README's tables differ from the .tf files, so a variable added without its
documentation is caught. The tables go between ``<!-- BEGIN_TF_DOCS -->`` and
``<!-- END_TF_DOCS -->`` (terraform-docs' markers), everything else in the
README is written by hand.

The .tf files are read as ``terraform fmt`` leaves them: one block per
``variable``/``output`` starting at column 0, attributes one per line, the
description a one-line string.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULES = REPO / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
BLOCK = re.compile(r'^(variable|output) "([A-Za-z0-9_-]+)" \{\n(.*?)^\}', re.S | re.M)


def _attribute(body: str, name: str) -> str | None:
    """The expression of a top-level attribute (multi-line values followed to their closing bracket)."""
    match = re.search(rf"^  {name}\s*=\s*(.*)$", body, re.M)
    if match is None:
        return None
    value, rest = match.group(1), body[match.end() :].splitlines()
    depth = sum(value.count(o) - value.count(c) for o, c in ("{}", "[]", "()"))
    for line in rest:
        if depth <= 0:
            break
        value += "\n" + line
        depth += sum(line.count(o) - line.count(c) for o, c in ("{}", "[]", "()"))
    return value.strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def blocks(path: Path, kind: str) -> list[tuple[str, str]]:
    """(name, body) of each ``kind`` block of a .tf file, in file order."""
    return [(name, body) for k, name, body in BLOCK.findall(path.read_text()) if k == kind]


def render(module: Path) -> str:
    """The generated part of ``module``'s README."""
    lines = [BEGIN, "## Inputs", "", "| name | description | type | default |", "|---|---|---|---|"]
    for name, body in blocks(module / "variables.tf", "variable"):
        description = json.loads(_attribute(body, "description") or '""')
        kind = _attribute(body, "type") or "any"
        default = _attribute(body, "default")
        shown = "required" if default is None else f"`{_cell(default)}`"
        lines.append(f"| `{name}` | {_cell(description)} | `{_cell(kind)}` | {shown} |")
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    for name, body in blocks(module / "outputs.tf", "output"):
        description = json.loads(_attribute(body, "description") or '""')
        lines.append(f"| `{name}` | {_cell(description)} |")
    return "\n".join([*lines, END])


def updated(readme: str, generated: str) -> str:
    """The README with its generated part replaced (appended when it has none yet)."""
    if BEGIN in readme and END in readme:
        head, _, rest = readme.partition(BEGIN)
        return head + generated + rest.partition(END)[2]
    return readme.rstrip("\n") + "\n\n" + generated + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Fail (exit 1) if a README is out of date.")
    args = parser.parse_args()
    stale = []
    for module in sorted(p for p in MODULES.iterdir() if (p / "variables.tf").is_file()):
        readme = module / "README.md"
        text = readme.read_text()
        new = updated(text, render(module))
        if new != text:
            stale.append(str(readme.relative_to(REPO)))
            if not args.check:
                readme.write_text(new)
    if args.check and stale:
        print(f"module_docs: out of date (run `make docs`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
