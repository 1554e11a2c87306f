"""Image references (tracker.model.ecr, .images) and the ECR lookup's batching (stores.registry), no AWS.

The registry is given a stand-in ECR client that answers DescribeImages the
way ECR does (one missing image fails the whole call); the emulator tests
(tests/emulator/test_ecr_pinning.py) run the same code against moto's ECR.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tracker.errors import AwsError, InvalidInputError
from tracker.model.ecr import ecr_image
from tracker.model.images import display, tag_and_digest
from tracker.stores.clients import Clients
from tracker.stores.registry import DESCRIBE_BATCH, ImageRegistry
from tracker.workflows.releases import pin_images

DIGEST = "sha256:" + "ab" * 32
HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("uri", "account", "region", "repository", "tag", "digest"),
    [
        (f"{HOST}/app:v1", "123456789012", "eu-west-1", "app", "v1", None),
        (f"{HOST}/team/sub/app", "123456789012", "eu-west-1", "team/sub/app", None, None),
        (f"{HOST}/app@{DIGEST}", "123456789012", "eu-west-1", "app", None, DIGEST),
        (f"{HOST}/app:v1@{DIGEST}", "123456789012", "eu-west-1", "app", "v1", DIGEST),
        (
            "111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a_b:T",
            "111122223333",
            "us-gov-west-1",
            "a_b",
            "T",
            None,
        ),
        (
            "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1",
            "111122223333",
            "cn-north-1",
            "app",
            "1",
            None,
        ),
        ("111122223333.dkr-ecr.eu-west-2.on.aws/app:1", "111122223333", "eu-west-2", "app", "1", None),
        ("111122223333.DKR.ECR.EU-WEST-2.AMAZONAWS.COM/app:1", "111122223333", "eu-west-2", "app", "1", None),
    ],
)
def test_ecr_uris_are_split(
    uri: str, account: str, region: str, repository: str, tag: str | None, digest: str | None
) -> None:
    found = ecr_image(uri)
    assert found is not None
    assert (found.account, found.region, found.repository, found.tag, found.digest) == (
        account,
        region,
        repository,
        tag,
        digest,
    )


@pytest.mark.parametrize(
    "uri",
    [
        "registry.example/app:v1",
        "http://example.com/images/x/00001",
        "ghcr.io/o/app@" + DIGEST,
        "public.ecr.aws/a/b:1",
    ],
)
def test_other_registries_are_not_ecr(uri: str) -> None:
    assert ecr_image(uri) is None


@pytest.mark.parametrize("path", ["App:v1", "app:-v1", "app:v1@sha256:abc", "app/:v1", "app:" + "t" * 129])
def test_an_ecr_host_with_a_path_ecr_refuses_is_an_error(path: str) -> None:
    with pytest.raises(InvalidInputError, match="not a valid ECR image reference"):
        ecr_image(f"{HOST}/{path}")


def test_pinned_forms() -> None:
    tagged, bare = ecr_image(f"{HOST}/app:v1"), ecr_image(f"{HOST}/app")
    assert tagged is not None and bare is not None
    assert tagged.pinned(DIGEST) == f"{HOST}/app:v1@{DIGEST}"
    assert tagged.pinned(DIGEST, "digest") == f"{HOST}/app@{DIGEST}"
    assert tagged.pinned(DIGEST, "off") == f"{HOST}/app:v1"
    assert bare.pinned(DIGEST) == f"{HOST}/app:latest@{DIGEST}"  # what a bare name pulls
    already = ecr_image(f"{HOST}/app:v1@{DIGEST}")
    assert already is not None and already.pinned("sha256:" + "0" * 64) == already.uri
    # digest mode is for consumers that refuse a tag beside a digest: a given one is dropped too.
    assert already.pinned(DIGEST, "digest") == f"{HOST}/app@{DIGEST}"


def test_display_shortens_digests_only() -> None:
    assert display(f"{HOST}/app:v1@{DIGEST}") == f"{HOST}/app:v1 (sha256:{'ab' * 6})"
    assert display(f"{HOST}/app:v1") == f"{HOST}/app:v1"
    assert display(None) == "(none)"
    assert tag_and_digest(f"{HOST}/app@{DIGEST}") == ("app", "ab" * 6)


class FakeEcr:
    """DescribeImages over ``tags`` (repository -> tag -> digest), all-or-nothing like ECR."""

    def __init__(self, tags: dict[str, dict[str, str]]) -> None:
        self.tags = tags
        self.calls: list[tuple[str, str, int]] = []

    def describe_images(self, registryId: str, repositoryName: str, imageIds: list[dict[str, str]]) -> Any:  # noqa: N803
        assert len(imageIds) <= DESCRIBE_BATCH
        self.calls.append((registryId, repositoryName, len(imageIds)))
        if repositoryName not in self.tags:
            raise _error("RepositoryNotFoundException")
        tags = self.tags[repositoryName]
        details = {}
        for image_id in imageIds:
            digest = tags.get(image_id.get("imageTag", ""), image_id.get("imageDigest"))
            if digest not in tags.values():
                raise _error("ImageNotFoundException")
            details[digest] = [t for t, d in tags.items() if d == digest]
        return {"imageDetails": [{"imageDigest": d, "imageTags": t} for d, t in details.items()]}


def registry(ecr: FakeEcr) -> ImageRegistry:
    """The registry with the stand-in as its ECR client in eu-west-1 (the region of HOST)."""
    return ImageRegistry(Clients(**{"ecr@eu-west-1": ecr}))


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "DescribeImages")


def _digest(n: int) -> str:
    return f"sha256:{n:064x}"


def test_many_images_of_one_repository_are_read_in_batches_of_100() -> None:
    ecr = FakeEcr({"app": {f"t{n}": _digest(n) for n in range(250)}})
    images = {f"s{n}": f"{HOST}/app:t{n}" for n in range(250)}
    pinned = pin_images(images, registry(ecr), "tag+digest")
    assert pinned == {f"s{n}": f"{HOST}/app:t{n}@{_digest(n)}" for n in range(250)}
    assert [size for _, _, size in ecr.calls] == [100, 100, 50]
    assert {registry for registry, _, _ in ecr.calls} == {"123456789012"}


def test_every_missing_image_is_named_in_one_error() -> None:
    ecr = FakeEcr({"app": {"v1": _digest(1)}, "api": {"v1": _digest(2)}})
    images = {
        "web": f"{HOST}/app:v1",
        "worker": f"{HOST}/app:v2",
        "cron": f"{HOST}/app@{_digest(9)}",
        "api": f"{HOST}/api:v1",
        "gone": f"{HOST}/nothing:v1",
    }
    with pytest.raises(Exception) as raised:
        pin_images(images, registry(ecr), "tag+digest")
    message = str(raised.value)
    assert "service web" not in message and "service api" not in message
    assert "service worker: tag 'v2' is not in ECR repository 'app'" in message
    assert f"service cron: digest {_digest(9)} is not in ECR repository 'app'" in message
    gone = "service gone: tag 'v1': ECR repository 'nothing' (registry 123456789012, eu-west-1) does not"
    assert gone in message
    assert message.endswith("; nothing written")


def test_other_aws_errors_are_not_mistaken_for_a_missing_image() -> None:
    class Denied(FakeEcr):
        def describe_images(self, **_: Any) -> Any:
            raise _error("AccessDeniedException")

    with pytest.raises(AwsError, match="AccessDeniedException"):
        pin_images({"web": f"{HOST}/app:v1"}, registry(Denied({})), "tag+digest")


def test_off_asks_nothing_and_a_bad_mode_is_refused() -> None:
    ecr = FakeEcr({})
    assert pin_images({"web": f"{HOST}/app:v1"}, registry(ecr), "off") == {"web": f"{HOST}/app:v1"}
    assert ecr.calls == []
    with pytest.raises(InvalidInputError, match="TRACKER_PIN_IMAGES"):
        pin_images({}, registry(ecr), "always")
    # off records what the label holds without even parsing it; otherwise a bad one names its service.
    odd = {"web": f"{HOST}/App:v1"}
    assert pin_images(odd, registry(ecr), "off") == odd
    refused = "^service web: image URI .* is not a valid ECR image reference"
    with pytest.raises(InvalidInputError, match=refused):
        pin_images(odd, registry(ecr), "tag+digest")
