"""Property-based tests (hypothesis) of the Terraform ``external`` program, ``tracker terraform resolve``.

Whatever arrives on stdin, it prints a flat JSON object of strings and exits
0, or prints one line on stderr, nothing on stdout, and exits 1 (2 for bad
input) -- the protocol Terraform's external data source relies on.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES, REPO
from tests.unit.test_manifest_properties import _manifest_with, assert_one_line, json_scalars, json_values


def run_resolve_in_process(stdin: str) -> tuple[int, str, str]:
    """Run ``tracker terraform resolve`` (tracker.terraform.programs.resolve_main) on ``stdin``."""
    from tracker.terraform.programs import resolve_main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    # A real text stream over bytes, like the program's own stdin (a fix may read sys.stdin.buffer).
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogatepass")), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                resolve_main()
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved_stdin
    return code, out.getvalue(), err.getvalue()


def check_protocol(code: int, stdout: str, stderr: str) -> dict[str, str] | None:
    """The external data source's protocol: flat JSON object of strings and 0, or one line and 1 or 2."""
    assert "Traceback" not in stderr, stderr
    if code == 0:
        assert stderr == ""
        result = json.loads(stdout)
        assert isinstance(result, dict), stdout
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items()), result
        return result
    assert code in (1, 2), (code, stderr)
    assert stdout == ""
    assert stderr.startswith("tracker: error: ") and stderr.endswith("\n"), stderr
    assert_one_line(stderr[:-1])
    return None


@pytest.fixture
def world(aws: Any, tmp_path: Path) -> dict[str, str]:
    """Project files and a few releases in the emulator; returns the placeholders used by queries."""
    from tests.support.library import deploy, library, release
    from tracker.model.project import load_project
    from tracker.model.requests import PublishRequest

    files = {
        "<bugfarm>": tmp_path / "bugfarm.json",
        "<other>": tmp_path / "other.json",
        "<invalid-json>": tmp_path / "invalid.json",
        "<invalid-manifest>": tmp_path / "invalid-manifest.json",
    }
    files["<bugfarm>"].write_text(BUGFARM.read_text())
    files["<other>"].write_text(_manifest_with("otherproj", ["hatching"]))
    files["<invalid-json>"].write_text('{"project": ')
    files["<invalid-manifest>"].write_text('{"project": {"id": "aws-x", "name": "n"}, "services": []}')
    world = {k: str(v) for k, v in files.items()}
    world["<missing>"] = str(tmp_path / "no-such-file")
    world["<directory>"] = str(tmp_path)

    for key in ("<bugfarm>", "<other>"):
        tracker = library(aws, load_project(files[key]))
        project = tracker.project
        for service in project.service_ids:
            image = f"http://example.com/{project.id}/{service}/1"
            tracker.publish(PublishRequest(service_id=service, image_uri=image, user_id="t"))
        made = release(tracker, "t")
        world[f"{key}-release"] = made.release_id
        if key == "<bugfarm>":
            deploy(tracker, made.release_id, "stage", "t")
    return world


def _with_placeholders(values: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(values),
        st.text(max_size=20),
        st.sampled_from(["", " ", "\n", "latest\n", "a\x00b"]),
        json_scalars.filter(lambda v: not isinstance(v, str)),
        st.lists(st.text(max_size=5), max_size=2),
    )


QUERY_VALUES = {
    "project_file": _with_placeholders(
        ["<bugfarm>", "<other>", "<invalid-json>", "<invalid-manifest>", "<missing>", "<directory>"]
    ),
    "environment": _with_placeholders(["stage", "prod", "dev", "STAGE"]),
    "release_id": _with_placeholders(
        ["", "latest", "<bugfarm>-release", "<other>-release", "no-such-release"]
    ),
    "releases_table": _with_placeholders([RELEASES, DEPLOYMENTS, "no-such-table"]),
    "deployments_table": _with_placeholders([DEPLOYMENTS, RELEASES, "no-such-table"]),
}

queries = st.fixed_dictionaries(
    {
        "project_file": st.sampled_from(["<bugfarm>", "<other>"]) | QUERY_VALUES["project_file"],
        "environment": st.sampled_from(["stage", "prod"]) | QUERY_VALUES["environment"],
    },
    optional={
        **{k: v for k, v in QUERY_VALUES.items() if k not in ("project_file", "environment")},
        "unknown": st.text(max_size=5),
    },
)
stdin_texts = st.one_of(
    queries.map(json.dumps),
    queries.map(lambda q: json.dumps(q, ensure_ascii=False)),
    st.dictionaries(st.text(max_size=12), json_values, max_size=4).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=60),
)


def _substitute(text: str, world: dict[str, str]) -> str:
    """Put the world's paths and release ids in place of the placeholders (inside JSON strings)."""
    for placeholder, value in sorted(world.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(placeholder, json.dumps(value)[1:-1])
    return text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stdin_texts)
@example('{"project_file": "<bugfarm>", "environment": "stage", "release_id": "latest"}')
@example('{"project_file": "<bugfarm>", "environment": "prod", "release_id": "<bugfarm>-release"}')
@example('{"project_file": "<bugfarm>", "environment": "stage", "release_id": "<other>-release"}')
@example('{"project_file": "<bugfarm>", "environment": "stage"}')
def test_resolve_protocol_in_process(world: dict[str, str], text: str) -> None:
    check_protocol(*run_resolve_in_process(_substitute(text, world)))


def test_resolve_answers_the_query(world: dict[str, str]) -> None:
    """The protocol's success branch carries the resolution (so the property above is not vacuous)."""
    query = {"project_file": world["<bugfarm>"], "environment": "prod", "release_id": "latest"}
    result = check_protocol(*run_resolve_in_process(json.dumps(query)))
    assert result is not None
    assert result["release_id"] == world["<bugfarm>-release"]
    assert result["current_release_id"] == ""
    assert json.loads(result["images"])["hatching"] == "http://example.com/bugfarm_73649/hatching/1"
    assert (
        json.loads(result["changes"])["hatching"] == "(none) -> http://example.com/bugfarm_73649/hatching/1"
    )
    assert result["project_id"] == "bugfarm_73649"
    current = check_protocol(*run_resolve_in_process(json.dumps(dict(query, environment="stage"))))
    assert current is not None and current["current_release_id"] == world["<bugfarm>-release"]


# Minimal inputs found by the property above, kept as named regression cases.
@pytest.mark.parametrize(
    "query",
    [
        pytest.param('{"a\\nb": "x"}', id="unknown-key-with-newline"),
        pytest.param('{"a\\nb": 1}', id="non-string-value-under-key-with-newline"),
        pytest.param('{"\\r": null}', id="non-string-value-under-key-cr"),
        pytest.param("[" * 100_000, id="deeply-nested-json"),
        pytest.param('{"project_file": "a\\u0000b", "environment": "stage"}', id="nul-in-project-file"),
        pytest.param(
            '{"project_file": "<missing>\\nx", "environment": "stage"}', id="newline-in-project-file"
        ),
        pytest.param(
            '{"project_file": "<bugfarm>", "environment": "stage", "release_id": "' + "x\\n" * 80 + '"}',
            id="long-release-id-with-newline",
        ),
        pytest.param(
            '{"project_file": "<bugfarm>", "environment": "stage", "releases_table": "a\\nb"}',
            id="newline-in-table-name",
        ),
    ],
)
def test_resolve_known_inputs(world: dict[str, str], query: str) -> None:
    check_protocol(*run_resolve_in_process(_substitute(query, world)))


STRICT_UTF8 = {"PYTHONIOENCODING": "utf-8:strict"}  # stdin as under a UTF-8 locale (not C/POSIX)
SUBPROCESS_STDIN = [
    pytest.param(b"", {}, id="empty"),
    pytest.param(b"not json", {}, id="not-json"),
    pytest.param(b"[1, 2]", {}, id="array"),
    pytest.param(b'"a string"', {}, id="string"),
    pytest.param(b'{"project_file": 1, "environment": "stage"}', {}, id="non-string-value"),
    pytest.param(b'{"project_file": "x", "environment": "stage", "colour": "red"}', {}, id="unknown-key"),
    pytest.param(b'{"environment": "stage"}', {}, id="missing-key"),
    pytest.param(b'{"project_file": "/no/such/file", "environment": "stage"}', {}, id="missing-file"),
    pytest.param(b'{"project_file": "<bugfarm>", "environment": "nowhere"}', {}, id="undeclared-environment"),
    pytest.param(
        b'{"project_file": "<bugfarm>", "environment": "stage", "release_id": "nope"}', {}, id="no-release"
    ),
    pytest.param(b"\xff\xfe{}", {}, id="not-utf8"),
    pytest.param(b"\xff\xfe{}", STRICT_UTF8, id="not-utf8-strict-locale"),
    pytest.param(b"[" * 100_000, {}, id="deeply-nested-json"),
]


@pytest.mark.parametrize(("stdin", "env"), SUBPROCESS_STDIN)
def test_resolve_script_bad_stdin(world: dict[str, str], stdin: bytes, env: dict[str, str]) -> None:
    stdin = _substitute(stdin.decode("latin-1"), world).encode("latin-1")
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "terraform", "resolve"],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        env=dict(os.environ, **env),
        timeout=60,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert result.returncode in (1, 2), stderr
    check_protocol(result.returncode, result.stdout.decode("utf-8", "replace"), stderr)


def test_resolve_script_good_stdin(world: dict[str, str]) -> None:
    query = json.dumps({"project_file": world["<bugfarm>"], "environment": "stage"})
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "terraform", "resolve"],
        input=query.encode(),
        capture_output=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=60,
    )
    answer = check_protocol(result.returncode, result.stdout.decode(), result.stderr.decode())
    assert answer is not None and answer["release_id"] == world["<bugfarm>-release"]


def test_resolve_pays_for_neither_click_nor_jsonschema(world: dict[str, str]) -> None:
    """Terraform runs it on every plan: a valid query imports boto3 and the tracker, nothing heavier."""
    query = json.dumps({"project_file": world["<bugfarm>"], "environment": "stage", "release_id": "latest"})
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tracker", "terraform", "resolve"],
        input=query.encode(),
        capture_output=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines() if "|" in line
    }
    assert "boto3" in imported  # the measurement sees imports at all
    assert not imported & {"click", "jsonschema", "referencing", "python_terraform"}, sorted(imported)
