"""Where an image came from: the record ``tracker publish`` keeps next to a label's image.

The label's parameter holds only the image URI (Terraform stacks and other
tools read it), so what else publishing knows -- when, by whom, the commit
the image was built from and that commit's time -- is kept in a second String
parameter below it, ``/{project}/images/{label}/{service}/published``, as JSON
naming the image it describes. SSM allows a parameter below another's name,
and a label's folder listed one level deep (``tracker init``, Terraform's
``aws_ssm_parameters_by_path``) does not see it. Creating a release reads
both in the same GetParameters calls and copies the record into the release
manifest's ``published`` -- only when it still names the image the label
holds (an image published by other means falls back to the parameter's
last-modified time, without a revision).

The revision defaults from the CI system's own variable (``CI_REVISION_VARIABLES``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from tracker.model.clock import iso8601
from tracker.model.entries import Published

SIDECAR = "published"

# The commit CI builds, by CI system: GitHub Actions, GitLab, Buildkite, CircleCI, Bitbucket,
# AWS CodeBuild, Jenkins (git plugin), Azure Pipelines, Travis, Drone/Woodpecker.
CI_REVISION_VARIABLES = (
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILDKITE_COMMIT",
    "CIRCLE_SHA1",
    "BITBUCKET_COMMIT",
    "CODEBUILD_RESOLVED_SOURCE_VERSION",
    "GIT_COMMIT",
    "BUILD_SOURCEVERSION",
    "TRAVIS_COMMIT",
    "DRONE_COMMIT_SHA",
)
# The commit's time, where the CI system says it (GitLab does).
CI_COMMITTED_VARIABLES = ("CI_COMMIT_TIMESTAMP",)


def sidecar_name(image_parameter: str) -> str:
    """``/{project}/images/{label}/{service}/published``: the record kept below a label's image."""
    return f"{image_parameter}/{SIDECAR}"


def ci_value(environ: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of ``names`` set (non-empty) in ``environ``: (variable, value)."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None


def sidecar_value(image_uri: str, published: Published) -> str:
    """The JSON kept in the sidecar parameter: the image it describes and the record."""
    return json.dumps({"image": image_uri, **published.to_item()}, separators=(",", ":"), sort_keys=True)


def read_sidecar(image_uri: str, text: str | None, modified: float | None) -> Published | None:
    """The record for ``image_uri``: the sidecar's when it names that image, else the label's
    last-modified time (``modified``), else None."""
    if text:
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if isinstance(found, dict) and found.get("image") == image_uri and isinstance(found.get("date"), str):
            record = {k: v for k, v in found.items() if k in ("date", "by", "revision", "committed") and v}
            if all(isinstance(v, str) for v in record.values()):
                return Published.from_item(record)
    if modified is not None:
        return Published(date=iso8601(modified))
    return None
