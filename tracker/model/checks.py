"""Checks of user input that requests and the Terraform commands share (bad input: exit 2).

Apart from :mod:`tracker.model.requests` so that ``tracker terraform plan``
(``make plan``, before Terraform starts) checks its input without loading the
request classes.
"""

from __future__ import annotations

from tracker.errors import InvalidInputError, phrase


def check_description(description: str, what: str = "description") -> str:
    from tracker.model import schema

    return schema.check_text(what, description, schema.limit("description"))


def check_force(force: bool, description: str) -> None:
    """Forcing must say why: bad input before anything is read or written (in the interface's words)."""
    if force and not description.strip():
        raise InvalidInputError(phrase("force-needs-description"))
