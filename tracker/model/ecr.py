"""Images in Amazon ECR: which image URIs are in ECR, and how a release pins them to digests.

An ECR image URI is ``{account}.dkr.ecr.{region}.amazonaws.com/{repository}[:{tag}][@sha256:{digest}]``
(also ``dkr.ecr-fips``, ``amazonaws.com.cn`` and the dual-stack
``{account}.dkr-ecr.{region}.on.aws``): the registry's account and
region are read from it, so a registry in another account or region than the
tracking store is looked up where it is. A tag is mutable (``:latest`` is
pushed again by the next build); a digest names one image for ever. When a
release is created, every ECR image without a digest is pinned to the digest
its tag points at now (:data:`PIN_MODES`):

* ``tag+digest`` (the default): ``…/repo:tag@sha256:…``. Docker, containerd,
  Kubernetes and ECS pull by the digest and ignore the tag, which stays there
  for people to read (ECS itself reports running images in this form);
* ``digest``: ``…/repo@sha256:…``, for consumers that refuse a tag beside a digest;
* ``off``: recorded as given, and ECR is not asked at all (not even whether the
  tag exists when publishing).

Other URIs (another registry, or the RFC's ``http://example.com/…``) are always
recorded as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from tracker.errors import InvalidInputError
from tracker.model.schema import definition
from tracker.settings import DEFAULT_PIN

PIN_MODES = ("tag+digest", "digest", "off")

# ECR's own rules: lowercase path components separated by '/', tags of 1-128 characters.
ECR_PATH = (
    r"^(?P<repository>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


@cache
def _ecr_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The ECR host and path patterns, compiled on first use (Terraform's plan program shows images
    but never parses ECR URIs). The region is the schema's rule (common.schema.json), unanchored.
    Hosts: {account}.dkr.ecr[-fips].{region}.amazonaws.com[.cn], and the dual-stack
    {account}.dkr-ecr[-fips].{region}.on.aws.
    """
    region = definition("region")["pattern"].removeprefix("^").removesuffix("$")
    host = re.compile(
        rf"^(?P<account>\d{{12}})\.(?:dkr\.ecr(?:-fips)?\.(?P<region>{region})\.amazonaws\.com(?:\.cn)?"
        rf"|dkr-ecr(?:-fips)?\.(?P<dual_stack_region>{region})\.on\.aws)$"
    )
    return host, re.compile(ECR_PATH)


@dataclass(frozen=True)
class EcrImage:
    """An image URI in ECR, split: registry host, account, region, repository, tag and/or digest."""

    uri: str
    host: str
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def image_id(self) -> dict[str, str]:
        """DescribeImages' imageId: the digest if the URI has one, else the tag (``latest`` if none)."""
        return {"imageDigest": self.digest} if self.digest else {"imageTag": self.tag or "latest"}

    @property
    def reference(self) -> str:
        """``tag 'v1'`` or ``digest sha256:…``: what was looked for, in messages."""
        return f"digest {self.digest}" if self.digest else f"tag '{self.tag or 'latest'}'"

    @property
    def where(self) -> str:
        return f"ECR repository '{self.repository}' (registry {self.account}, {self.region})"

    def pinned(self, digest: str, mode: str = DEFAULT_PIN) -> str:
        """The URI pinned to ``digest``: ``…/repo:tag@digest`` or (mode ``digest``) ``…/repo@digest``.

        A URI that carries a digest already keeps it (and, but in mode ``digest``, its tag).
        """
        if mode == "off":
            return self.uri
        name = f"{self.host}/{self.repository}"
        if mode == "digest":
            return f"{name}@{self.digest or digest}"
        return self.uri if self.digest else f"{name}:{self.tag or 'latest'}@{digest}"


def ecr_image(uri: str) -> EcrImage | None:
    """The URI split if it is in ECR, else None. A URI on an ECR host that ECR would refuse is an error."""
    host, slash, path = uri.partition("/")
    host_pattern, path_pattern = _ecr_patterns()
    found = host_pattern.match(host.lower())  # host names are case-insensitive
    if found is None or not slash:
        return None
    parts = path_pattern.match(path)
    if parts is None:
        raise InvalidInputError(
            f"image URI {uri!r} is on an ECR registry but is not a valid ECR image reference: "
            "expected {repository}[:{tag}][@sha256:{digest}] with a lowercase repository name"
        )
    region = found["region"] or found["dual_stack_region"]
    return EcrImage(uri, host, found["account"], region, parts["repository"], parts["tag"], parts["digest"])


def check_pin_mode(mode: str) -> str:
    if mode not in PIN_MODES:
        raise InvalidInputError(
            f"image pinning {mode!r} (--pin, TRACKER_PIN_IMAGES) is not one of {', '.join(PIN_MODES)}"
        )
    return mode
