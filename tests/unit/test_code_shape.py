"""The shape the team agreed on for tracker/: small named steps, and nothing that reads this repository."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tracker"
LONGEST = 60


def test_no_function_in_the_package_is_longer_than_60_lines() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONGEST:
                    long.append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({length} lines)"
                    )
    assert long == []


def test_the_package_never_looks_for_files_of_this_repository() -> None:
    """Installed from a wheel there is no repository around it: no path may climb out of the package."""
    climbing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for marker in ("parent.parent", "parents[", '"examples', '"terraform/', '"modules/', '"scripts/'):
            if marker in text:
                climbing.append(f"{path.relative_to(PACKAGE.parent)}: {marker}")
    assert climbing == []
