"""How image URIs are shown to people: digests shortened, tags first.

The full URI stays in JSON output, in the release manifest and in SSM; these
are for text, the report and Terraform's plan (which shows them on every run,
so this module stays small). ECR's own rules are in :mod:`tracker.model.ecr`.
"""

from __future__ import annotations

import re

SHORT_DIGEST = 12  # hex characters shown, as `docker images` does
DIGEST = re.compile(r"@(sha256:[a-f0-9]{64})$")


def display(uri: str | None) -> str:
    """How text output shows an image: a digest shortened, ``…/repo:tag (sha256:3f2a9c1b0e4d)``.

    The full URI stays in JSON output and in SSM; this is for people reading.
    """
    if uri is None:
        return "(none)"
    found = DIGEST.search(uri)
    if found is None:
        return uri
    return f"{uri[: found.start()]} ({found[1][: len('sha256:') + SHORT_DIGEST]})"


def tag_and_digest(uri: str) -> tuple[str, str]:
    """The tag (or the last path segment) and the short digest ('' if none), for the report's cells."""
    found = DIGEST.search(uri)
    name = uri[: found.start()] if found else uri
    last = name.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else last
    return tag, found[1].removeprefix("sha256:")[:SHORT_DIGEST] if found else ""
