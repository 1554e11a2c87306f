"""Property-based tests (hypothesis) of the two input boundaries the tracker trusts least.

(a) The project manifest: whatever the text, ``parse_project`` returns a
    Project whose ids obey the id rules, or raises ProjectManifestError with a
    one-line message; nothing else escapes. Valid manifests always parse.
(b) The Terraform ``external`` program (``tracker terraform resolve``): whatever
    arrives on stdin, it prints a flat JSON object of strings and exits 0, or
    prints one line on stderr, nothing on stdout, and exits 1 (2 for bad input).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import BUGFARM, DEPLOYMENTS, RELEASES, REPO

ID_ALPHABET = string.ascii_letters + string.digits + "_.-"
RESERVED = re.compile(r"(?i)^(aws|ssm)")
# Characters an id must not contain, some of which look harmless.
TRICKY = ["\n", "\r", "\t", " ", "/", ":", "\x00", "é", "\u2028", "\\", "*", "$"]
LINE_BREAKS = ("\n", "\r")


def assert_one_line(message: str) -> None:
    assert message.strip(), "empty error message"
    for character in LINE_BREAKS:
        assert character not in message, f"error message is not one line: {message!r}"


# -- strategies ------------------------------------------------------------------
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)

ids = st.text(ID_ALPHABET, min_size=1, max_size=128).filter(lambda s: not RESERVED.match(s))
short_ids = st.text(ID_ALPHABET, min_size=1, max_size=12).filter(lambda s: not RESERVED.match(s))
names = st.text(min_size=1, max_size=256)


@st.composite
def entity_lists(draw: st.DrawFn, min_size: int) -> list[dict[str, str]]:
    entries = draw(st.lists(st.tuples(ids, names), min_size=min_size, max_size=5, unique_by=lambda t: t[0]))
    return [{"id": i, "name": n} for i, n in entries]


@st.composite
def valid_manifests(draw: st.DrawFn) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "project": {"id": draw(ids), "name": draw(names)},
        "services": draw(entity_lists(min_size=1)),
    }
    if draw(st.booleans()):
        manifest["environments"] = draw(entity_lists(min_size=0))
    return manifest


@st.composite
def bad_ids(draw: st.DrawFn) -> Any:
    """Strings that are not valid ids but come close, and some non-strings."""
    base = draw(short_ids)
    char = draw(st.sampled_from(TRICKY))
    return draw(
        st.sampled_from(
            [
                base + char,
                char + base,
                base[:1] + char + base[1:],
                "",
                "a" * 129,
                "aws" + base,
                "SSM" + base,
                "Aws-" + base,
                123,
                None,
                [base],
            ]
        )
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (tuple of keys/indices) into a JSON value, the root excluded."""
    found: list[tuple[Any, ...]] = []
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated_manifests(draw: st.DrawFn) -> str:
    """The JSON text of a valid manifest after one plausible mistake."""
    manifest = draw(valid_manifests())
    mutation = draw(
        st.sampled_from(["replace", "delete", "add_key", "bad_id", "duplicate", "truncate", "wrap"])
    )
    paths = _paths(manifest)
    if mutation == "replace":
        path = draw(st.sampled_from(paths))
        _get(manifest, path[:-1])[path[-1]] = draw(json_values)
    elif mutation == "delete":
        path = draw(st.sampled_from(paths))
        del _get(manifest, path[:-1])[path[-1]]
    elif mutation == "add_key":
        dicts = [()] + [p for p in paths if isinstance(_get(manifest, p), dict)]
        target = _get(manifest, draw(st.sampled_from(dicts)))
        target[draw(st.text(max_size=12))] = draw(json_values)
    elif mutation == "bad_id":
        id_paths = [p for p in paths if p[-1] == "id"]
        path = draw(st.sampled_from(id_paths))
        _get(manifest, path[:-1])["id"] = draw(bad_ids())
    elif mutation == "duplicate":
        key = draw(
            st.sampled_from([k for k in ("services", "environments") if manifest.get(k)] or ["services"])
        )
        entries = manifest[key]
        entry = dict(draw(st.sampled_from(entries)))
        entry["name"] = draw(names)
        entries.insert(draw(st.integers(0, len(entries))), entry)
    elif mutation == "wrap":
        return json.dumps([manifest])
    text = json.dumps(manifest, ensure_ascii=draw(st.booleans()))
    if mutation == "truncate":
        return text[: draw(st.integers(0, len(text) - 1))]
    return text


# -- (a) the project manifest -----------------------------------------------------
def check_manifest(text: str) -> Any:
    """parse_project's contract: a Project with valid ids, or a one-line ProjectManifestError."""
    from tracker.errors import InvalidInputError, ProjectManifestError
    from tracker.model import schema
    from tracker.model.project import Project, parse_project

    try:
        project = parse_project(text)
    except ProjectManifestError as error:
        assert_one_line(str(error))
        return None
    assert isinstance(project, Project)
    # Ids become SSM path segments: whatever the schema accepts, the id rules must accept too.
    for kind, value in [
        ("project id", project.id),
        *[("service id", s) for s in project.services],
        *[("environment id", e) for e in project.environments or {}],
    ]:
        try:
            schema.check_id(kind, value)
        except InvalidInputError as error:
            raise AssertionError(
                f"parse_project accepted {kind} {value!r}, which check_id refuses"
            ) from error
    return project


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_manifest_any_json_value(value: Any) -> None:
    check_manifest(json.dumps(value))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_manifest_any_text(text: str) -> None:
    check_manifest(text)


@settings(max_examples=400, deadline=None)
@given(mutated_manifests())
def test_manifest_mutated(text: str) -> None:
    check_manifest(text)


@settings(max_examples=200, deadline=None)
@given(valid_manifests())
def test_manifest_valid_always_parses(manifest: dict[str, Any]) -> None:
    from tracker.model.project import parse_project

    project = parse_project(json.dumps(manifest))
    assert project.id == manifest["project"]["id"]
    assert project.name == manifest["project"]["name"]
    assert project.services == {s["id"]: s["name"] for s in manifest["services"]}
    assert project.service_ids == [s["id"] for s in manifest["services"]]
    if "environments" in manifest:
        assert project.environments == {e["id"]: e["name"] for e in manifest["environments"]}
    else:
        assert project.environments is None


def _manifest_with(project_id: str = "bugfarm", services: list[str] | None = None) -> str:
    services = services or ["hatching"]
    return json.dumps(
        {"project": {"id": project_id, "name": "x"}, "services": [{"id": s, "name": s} for s in services]}
    )


# Minimal inputs found by the properties above, kept as named regression cases.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_manifest_with("bugfarm\n"), id="id-with-trailing-newline"),
        pytest.param(_manifest_with(services=["a\n", "a\n"]), id="duplicate-id-with-newline"),
        pytest.param("[" * 100_000, id="deeply-nested-json"),
    ],
)
def test_manifest_known_inputs(text: str) -> None:
    check_manifest(text)


# -- (b) the external program ------------------------------------------------------
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
    from tracker.model.project import load_project
    from tracker.stores.parameters import ParameterStore
    from tracker.stores.tracking import TrackingStore
    from tracker.workflows.deployments import deploy
    from tracker.workflows.releases import create_release, person, publish_image

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

    releases = TrackingStore(aws, RELEASES, DEPLOYMENTS)
    parameters = ParameterStore(aws)
    for key in ("<bugfarm>", "<other>"):
        project = load_project(files[key])
        for service in project.service_ids:
            publish_image(
                project, parameters, service, f"http://example.com/{project.id}/{service}/1", user_id="t"
            )
        release = create_release(project, releases, parameters, requested_by=person("t")).release
        world[f"{key}-release"] = release.release_id
        if key == "<bugfarm>":
            deploy(project, releases, parameters, release.release_id, "stage", requested_by=person("t"))
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
