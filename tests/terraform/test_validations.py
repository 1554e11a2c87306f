"""The Terraform modules' id validations agree with the one id rule (common.schema.json).

Each `validation` block whose message says "SSM-path-safe" is evaluated by the
real terraform binary (`terraform console`, RE2 regular expressions) on a
corpus of ids, and its verdicts must equal the tracker's own check_id.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.terraform import tf_env
from tracker.errors import InvalidInputError
from tracker.model.schema import check_id

pytestmark = pytest.mark.terraform

CORPUS = [
    "a",
    "stage",
    "bugfarm_73649",
    "a.b_c-D9",
    "-",
    ".",
    "2024-06-01",
    "awful",
    "assm",
    "x" * 128,
    "",
    "x" * 129,
    "aws",
    "aws-x",
    "AWSx",
    "Aws.1",
    "ssm",
    "SsMx",
    "a/b",
    "a b",
    "x:y",
    "é",
    "abc\n",
    "\nabc",
    "a\tb",
    "a$",
    "*",
    "..",
    "...",
    ".a",
    "a..",
]
NAME = re.compile(r'^"(?P<name>[a-z_]+)"')
VALIDATION = re.compile(
    r"validation \{\s*condition\s*=\s*(?P<condition>.+?)\n\s*error_message\s*=\s*(?P<message>.+?)\n"
)


def id_validations() -> list[tuple[str, str, str]]:
    """(module, variable, condition) of every validation that enforces the id rule."""
    found = []
    for path in sorted(REPO.glob("modules/*/variables.tf")):
        for block in ("\n" + path.read_text()).split("\nvariable ")[1:]:
            name = NAME.match(block)
            for match in VALIDATION.finditer(block):
                if name and "SSM-path-safe" in match["message"]:
                    found.append((path.parent.name, name["name"], match["condition"].strip()))
    return found


def expected(value: str) -> bool:
    try:
        check_id("id", value)
    except InvalidInputError:
        return False
    return True


def test_every_module_that_takes_an_id_validates_it() -> None:
    assert {(module, name) for module, name, _ in id_validations()} == {
        ("deployed-images", "project_id"),
        ("deployed-images", "environment"),
        ("release-deployment", "project_id"),
        ("release-deployment", "environment"),
        ("release-deployment", "from_environment"),
        ("ssm-namespace", "project_id"),
    }


@pytest.mark.parametrize(("module", "variable", "condition"), id_validations(), ids=lambda v: str(v)[:30])
def test_terraform_validation_agrees_with_the_schema(
    tmp_path: Path, module: str, variable: str, condition: str
) -> None:
    (tmp_path / "samples.json").write_text(json.dumps(CORPUS))
    (tmp_path / "main.tf").write_text('locals {\n  samples = jsondecode(file("samples.json"))\n}\n')
    expression = condition.replace(f"var.{variable}", "v")
    done = subprocess.run(
        ["terraform", f"-chdir={tmp_path}", "console"],
        input=f"jsonencode([for v in local.samples : {expression}])\n",
        capture_output=True,
        text=True,
        env=tf_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    verdicts = json.loads(json.loads(done.stdout.strip()))
    disagreements = {
        value: {"terraform": got, "schema": expected(value)}
        for value, got in zip(CORPUS, verdicts, strict=True)
        if got != expected(value)
    }
    assert disagreements == {}, f"{module}.{variable}"
