"""Property-based tests (hypothesis) of the project manifest, the input the tracker trusts least.

Whatever the text, ``parse_project`` returns a Project whose ids obey the id
rules, or raises ProjectManifestError with a one-line message; nothing else
escapes. Valid manifests always parse. The quick validation tier
(``schema.quick_valid``, which spares every Terraform plan jsonschema's
import) never accepts a document jsonschema refuses.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _allowed(value: str) -> bool:
    """Not reserved by SSM, and not a path segment of dots."""
    return not RESERVED.match(value) and bool(value.strip("."))


ids = st.text(ID_ALPHABET, min_size=1, max_size=128).filter(_allowed)
short_ids = st.text(ID_ALPHABET, min_size=1, max_size=12).filter(_allowed)
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
                "..",
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


# -- the quick tier agrees with jsonschema -------------------------------------------
def _jsonschema_valid(name: str, document: Any) -> bool:
    from tracker.model import schema

    return not list(schema._validator(name).iter_errors(document))


def _quick_valid(name: str, document: Any) -> bool:
    from tracker.model import schema

    return schema.quick_valid(schema.load_schema(name), document, name)


@settings(max_examples=400, deadline=None)
@given(mutated_manifests())
def test_quick_tier_never_accepts_what_jsonschema_refuses(text: str) -> None:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return
    if _quick_valid("project_manifest", document):
        assert _jsonschema_valid("project_manifest", document), text


@settings(max_examples=200, deadline=None)
@given(valid_manifests())
def test_quick_tier_accepts_valid_manifests(manifest: dict[str, Any]) -> None:
    assert _quick_valid("project_manifest", manifest)


entities = st.fixed_dictionaries({"id": st.text(min_size=1, max_size=20), "name": names})


@st.composite
def release_manifests(draw: st.DrawFn) -> dict[str, Any]:
    image = st.sampled_from(
        ["registry.example/app:1", "http://example.com/images/x/00001", "", "a b", "r@sha256:0"]
    )
    entry = st.fixed_dictionaries(
        {
            "environment": entities,
            "date_requested": st.sampled_from(["2020-01-01T00:00:00.000Z", "2020-01-01", "x"]),
            "requested_by": entities,
            "description": st.text(max_size=20),
        }
    )
    manifest: dict[str, Any] = {
        "project": draw(entities),
        "date_requested": draw(
            st.sampled_from(["2008-09-15T15:53:00", "2008-09-15T15:53:00.123Z", "yesterday"])
        ),
        "requested_by": draw(entities),
        "description": draw(st.text(max_size=20)),
        "images": draw(st.dictionaries(st.one_of(ids, st.text(max_size=5)), image, max_size=3)),
        "deployments": draw(st.lists(entry, max_size=2)),
    }
    if draw(st.booleans()):
        path = draw(st.sampled_from(_paths(manifest)))
        _get(manifest, path[:-1])[path[-1]] = draw(json_values)
    return manifest


@settings(max_examples=400, deadline=None)
@given(release_manifests())
def test_quick_tier_agrees_on_release_manifests(manifest: dict[str, Any]) -> None:
    quick, full = _quick_valid("release_manifest", manifest), _jsonschema_valid("release_manifest", manifest)
    assert not quick or full, manifest
