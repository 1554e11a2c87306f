"""The one schema module: the JSON schemas of the RFC's documents and the id rules they define.

``schemas/common.schema.json`` is the single definition of every rule a value
must obey (ids, release ids, names, image URIs, dates); the project and
release manifest schemas refer to it, :func:`check_id` and the other checks
read their limits and patterns from it, and a test holds the Terraform
modules' ``validation`` blocks to the same verdicts.

Patterns are ECMA-262 regular expressions, as JSON Schema specifies: ``$`` is
the end of the text. Python's ``$`` also matches before a final newline, so
patterns are translated once (:func:`python_pattern`) wherever Python runs
them, jsonschema included.

Validation has two tiers. :func:`quick_valid` walks the schema itself (the
small subset of keywords our schemas use) and only ever answers "certainly
valid"; anything else goes to jsonschema, which gives the verdict and the
message. Valid documents -- every Terraform plan reads one -- therefore never
pay jsonschema's import (about 85 ms).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from tracker.errors import InvalidInputError

Schema = dict[str, Any]
_ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description"}


SCHEMAS = Path(__file__).with_name("schemas")  # package data, shipped in the wheel beside this module


@cache
def load_schema(name: str) -> Schema:
    """A schema shipped in ``tracker/model/schemas`` by its short name (e.g. ``project_manifest``).

    Read as a file beside this module rather than through importlib.resources, whose
    readers cost the plan program a millisecond; the package is installed unzipped.
    """
    schema: Schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    return schema


def definition(name: str) -> Schema:
    """A definition of ``common.schema.json`` (``id``, ``release_id``, ``image_uri``...)."""
    definitions: dict[str, Schema] = load_schema("common")["$defs"]
    return definitions[name]


@cache
def python_pattern(pattern: str) -> re.Pattern[str]:
    """An ECMA-262 pattern compiled for Python's ``re.search``: a final ``$`` becomes ``\\Z``."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


# -- the checks the library runs on single values -----------------------------------------
def _pattern_of(schema: Schema) -> re.Pattern[str]:
    return python_pattern(str(schema["pattern"]))


def check_id(kind: str, value: object) -> str:
    """Return ``value`` if it obeys the id rule, else raise InvalidInputError naming ``kind``."""
    rule = definition("id")
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{kind} must be a non-empty string")
    if len(value) > rule["maxLength"]:
        raise InvalidInputError(f"{kind} {value[:40]!r}... is longer than {rule['maxLength']} characters")
    if not _pattern_of(rule).search(value):
        raise InvalidInputError(
            f"{kind} {value!r} is not SSM-path-safe: use only letters, digits, '.', '_' and '-'"
        )
    if _pattern_of(rule["not"]).search(value):
        if not value.strip("."):
            raise InvalidInputError(
                f"{kind} {value!r} must not be only dots ('.' and '..' are path segments)"
            )
        raise InvalidInputError(f"{kind} {value!r} must not start with 'aws' or 'ssm' (reserved by SSM)")
    return value


def check_release_ref(value: object) -> str:
    """Return ``value`` if it can be a release id (or a prefix of one), else raise InvalidInputError."""
    rule = definition("release_id")
    if not isinstance(value, str) or not value:
        raise InvalidInputError("release id must be a non-empty string")
    if len(value) > rule["maxLength"]:
        raise InvalidInputError(f"release id {value[:40]!r}... is longer than {rule['maxLength']} characters")
    if not _pattern_of(rule).search(value):
        raise InvalidInputError(
            f"release id {value!r} is malformed: expected PROJECT:UUID, a bare id or a prefix "
            "(letters, digits, '.', '_', '-')"
        )
    return value


def check_image_uri(value: object, service_id: str = "") -> str:
    """Return ``value`` if it looks like a container image URI, else raise InvalidInputError."""
    rule = definition("image_uri")
    what = f"image URI for service '{service_id}'" if service_id else "image URI"
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{what} must not be empty")
    if len(value) > rule["maxLength"]:
        raise InvalidInputError(f"{what} is longer than {rule['maxLength']} characters")
    if not _pattern_of(rule).search(value) or "/" not in value and ":" not in value:
        raise InvalidInputError(
            f"{what} {value!r} is malformed: expected e.g. "
            "'123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:tag'"
        )
    return value


EXAMPLES = {
    "region": "an AWS region name such as eu-west-1",
    "account_id": "a 12-digit AWS account id",
    "role_arn": "an IAM role ARN such as arn:aws:iam::111122223333:role/ci",
    "revision": "a commit sha or ref (letters, digits, '.', '_', '/', '+', '-'; at most 128)",
    "date": "an ISO 8601 date-time such as 2026-11-28T12:00:00Z",
}


def check_value(name: str, value: str, what: str) -> str:
    """Check a value against a pattern rule of ``common.schema.json`` (region, account_id, role_arn)."""
    rule = definition(name)
    if len(value) > rule.get("maxLength", 2048) or not _pattern_of(rule).search(value):
        raise InvalidInputError(f"{what} {value[:80]!r} is not {EXAMPLES.get(name, 'valid')}")
    return value


def check_text(kind: str, value: str, limit: int, *, required: bool = False) -> str:
    """Check a free-text value (description, user name) against its length limit."""
    if required and not value:
        raise InvalidInputError(f"{kind} must not be empty")
    if len(value) > limit:
        raise InvalidInputError(f"{kind} is {len(value)} characters long; the limit is {limit}")
    if "\x00" in value:
        raise InvalidInputError(f"{kind} must not contain NUL characters")
    return value


def limit(name: str) -> int:
    """The ``maxLength`` of a definition: ``limit("description")`` is 1 024."""
    return int(definition(name)["maxLength"])


# -- validating whole documents --------------------------------------------------------------
def validate(name: str, document: object, error_class: type[Exception]) -> None:
    """Validate ``document`` against schema ``name`` (or one of its definitions, ``name#/$defs/x``);
    raise ``error_class`` naming the field."""
    if quick_valid({"$ref": _reference(name)}, document, name.partition("#")[0]):
        return
    import jsonschema  # only on this path: valid documents never pay its import

    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        raise error_class(f"{_path(best)}: {_explain(best)}")


def _reference(name: str) -> str:
    """``release_manifest#/$defs/deployment`` as a reference: ``release_manifest.schema.json#/$defs/...``."""
    document, _, pointer = name.partition("#")
    return f"{document}.schema.json#{pointer}"


@cache
def _validator(name: str) -> Any:
    """A jsonschema validator for schema ``name`` (or a definition of it), every shipped schema registered."""
    import jsonschema
    from referencing import Registry, Resource

    resources_ = [
        (load_schema(n)["$id"], Resource.from_contents(load_schema(n)))
        for n in ("common", "project_manifest", "weco_projects", "release_manifest")
    ]
    base = jsonschema.validators.validator_for(load_schema(name.partition("#")[0]))

    def ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Schema) -> Any:
        if validator.is_type(instance, "string") and not python_pattern(pattern).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")

    validator_class = jsonschema.validators.extend(base, {"pattern": ecma_pattern})
    document, _, pointer = name.partition("#")
    target = {"$ref": load_schema(document)["$id"] + "#" + pointer} if pointer else load_schema(document)
    return validator_class(target, registry=Registry().with_resources(resources_))


def _path(error: Any) -> str:
    """Where in the document: ``shop.image_repositories[2].id`` (keys dotted, list positions bracketed)."""
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def _explain(error: Any) -> str:
    """jsonschema's message, or the id rule's own words when an id broke it."""
    rule = definition("id")
    if error.schema in (rule, rule["not"]) and isinstance(error.instance, str):
        try:
            check_id(_path(error), error.instance)
        except InvalidInputError as refused:
            return str(refused).removeprefix(f"{_path(error)} ")
    return _short(error.message)


def _short(message: str, limit_: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit_ else message[: limit_ - 3] + "..."


# -- the quick tier ---------------------------------------------------------------------------
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def quick_valid(schema: Schema, value: Any, base: str) -> bool:
    """True only if ``value`` is certainly valid against ``schema`` (of document ``base``).

    False means "ask jsonschema": the value may be invalid, or the schema may use
    a keyword this walker does not know. It never says True where jsonschema
    would say invalid (a property test holds the two to that).
    """
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "additionalProperties":
            known = schema.get("properties", {})
            ok = _additional(argument, value, base, known)
        else:
            check = _KEYWORDS.get(keyword)
            ok = check is not None and check(argument, value, base)
        if not ok:
            return False
    return True


def _ref(reference: str, value: Any, base: str) -> bool:
    document, _, pointer = reference.partition("#")
    name = document.removesuffix(".schema.json") if document else base
    target: Any = load_schema(name)
    for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
        target = target[part]
    return quick_valid(target, value, name)


def _properties(argument: dict[str, Schema], value: Any, base: str) -> bool:
    if not isinstance(value, dict):
        return True
    return all(quick_valid(argument[k], v, base) for k, v in value.items() if k in argument)


def _additional(argument: Any, value: Any, base: str, known: dict[str, Schema]) -> bool:
    if not isinstance(value, dict):
        return True
    extra = [v for k, v in value.items() if k not in known]
    if argument is False:
        return not extra
    return all(quick_valid(argument, v, base) for v in extra)


def _string_check(test: Callable[[Any, str], bool]) -> Callable[[Any, Any, str], bool]:
    return lambda argument, value, base: not isinstance(value, str) or test(argument, value)


# additionalProperties needs its sibling ``properties`` and is handled in quick_valid.
_KEYWORDS: dict[str, Callable[[Any, Any, str], bool]] = {
    "type": lambda a, v, b: _TYPES.get(a, lambda _: False)(v),
    "$ref": _ref,
    "properties": _properties,
    "required": lambda a, v, b: not isinstance(v, dict) or all(k in v for k in a),
    "propertyNames": lambda a, v, b: not isinstance(v, dict) or all(quick_valid(a, k, b) for k in v),
    "minProperties": lambda a, v, b: not isinstance(v, dict) or len(v) >= a,
    "items": lambda a, v, b: not isinstance(v, list) or all(quick_valid(a, i, b) for i in v),
    "anyOf": lambda a, v, b: any(quick_valid(s, v, b) for s in a),
    "minItems": lambda a, v, b: not isinstance(v, list) or len(v) >= a,
    "maxItems": lambda a, v, b: not isinstance(v, list) or len(v) <= a,
    "enum": lambda a, v, b: any(type(v) is type(x) and v == x for x in a),
    "minLength": _string_check(lambda a, v: len(v) >= a),
    "maxLength": _string_check(lambda a, v: len(v) <= a),
    "pattern": _string_check(lambda a, v: python_pattern(a).search(v) is not None),
    "not": lambda a, v, b: _certainly_invalid(a, v),
}


def _certainly_invalid(schema: Schema, value: Any) -> bool:
    """For ``not``: only a lone string pattern can be decided here; anything else defers."""
    if set(schema) == {"pattern"} and isinstance(value, str):
        return python_pattern(schema["pattern"]).search(value) is None
    return False
