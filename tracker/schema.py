"""The one schema module: JSON schemas of the RFC's documents and the id rules.

Ids end up as segments of SSM parameter names
(``/{project_id}/images/{label}/{service_id}``), so they must be SSM-path-safe:
letters, digits, ``.``, ``_`` and ``-`` only (no ``/``, no whitespace, nothing
non-ASCII), at most 128 characters, and not starting with ``aws`` or ``ssm``
in any case — SSM reserves those prefixes.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from tracker.errors import InvalidInputError

ID_MAX = 128
DESCRIPTION_MAX = 1024  # SSM parameter descriptions stop at 1 024 characters.
NAME_MAX = 256
USER_ID_MAX = 512
IMAGE_URI_MAX = 1024

_ID_RE = re.compile(r"[A-Za-z0-9_.-]+")
_RESERVED_RE = re.compile(r"^(aws|ssm)", re.IGNORECASE)
# Registry URIs (``123.dkr.ecr.eu-west-1.amazonaws.com/app:tag``,
# ``repo@sha256:...``) and the RFC's ``http://example.com/images/x/00001``.
_IMAGE_URI_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+~=%-]*")


def check_id(kind: str, value: object) -> str:
    """Return ``value`` if it is a valid SSM-path-safe id, else raise InvalidInputError."""
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{kind} must be a non-empty string")
    if len(value) > ID_MAX:
        raise InvalidInputError(f"{kind} {value[:40]!r}... is longer than {ID_MAX} characters")
    if not _ID_RE.fullmatch(value):
        raise InvalidInputError(
            f"{kind} {value!r} is not SSM-path-safe: use only letters, digits, '.', '_' and '-'"
        )
    if _RESERVED_RE.match(value):
        raise InvalidInputError(f"{kind} {value!r} must not start with 'aws' or 'ssm' (reserved by SSM)")
    return value


def check_image_uri(value: object, service_id: str = "") -> str:
    """Return ``value`` if it looks like a container image URI, else raise InvalidInputError."""
    what = f"image URI for service '{service_id}'" if service_id else "image URI"
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{what} must not be empty")
    if len(value) > IMAGE_URI_MAX:
        raise InvalidInputError(f"{what} is longer than {IMAGE_URI_MAX} characters")
    if not _IMAGE_URI_RE.fullmatch(value) or "/" not in value and ":" not in value:
        raise InvalidInputError(
            f"{what} {value!r} is malformed: expected e.g. "
            "'123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:tag'"
        )
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


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load a schema shipped in ``tracker/schemas`` by its short name."""
    text = resources.files("tracker").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _path(error: Any) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def validate(name: str, document: object, error_class: type[Exception]) -> None:
    """Validate ``document`` against schema ``name``; raise ``error_class`` naming the field."""
    import jsonschema  # imported here: it is slow to import and not needed by --help

    validator_class = jsonschema.validators.validator_for(load_schema(name))
    validator = validator_class(load_schema(name))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        raise error_class(f"{_path(best)}: {_short(best.message)}")


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."
