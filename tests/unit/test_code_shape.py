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


LONGEST_FILE = 450
WIDEST_WORKFLOW = 7


def test_no_file_in_the_package_is_longer_than_450_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE.parent)} ({count} lines)"
        for path in sorted(PACKAGE.rglob("*.py"))
        if (count := len(path.read_text().splitlines())) > LONGEST_FILE
    ]
    assert long == []


def test_public_workflow_functions_take_a_request_not_a_dozen_keywords() -> None:
    wide = []
    for path in sorted((PACKAGE / "workflows").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                arguments = node.args
                count = len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
                if count > WIDEST_WORKFLOW:
                    wide.append(f"{path.name}:{node.lineno} {node.name} ({count} parameters)")
    assert wide == []
