"""The image registry: what a tag in Amazon ECR points at now (ecr:DescribeImages).

One DescribeImages call per repository and 100 images, in the registry's own
account (``registryId``) and region, both read from the URI; the project's
role applies, as for every other call. Repositories are asked concurrently.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tracker.errors import AwsError
from tracker.model.ecr import EcrImage
from tracker.stores.clients import Clients, call

DESCRIBE_BATCH = 100  # DescribeImages takes at most 100 image ids
READERS = 4

Repository = tuple[str, str, str]  # account, region, repository


@dataclass
class ImageRegistry:
    """ECR images by tag or digest, read with the project's clients."""

    clients: Clients
    readers: int = READERS

    def digests(self, images: list[EcrImage]) -> tuple[dict[EcrImage, str], dict[EcrImage, str]]:
        """The digest each image's tag (or digest) names now, and why each image not found is missing."""
        groups: dict[Repository, list[EcrImage]] = {}
        for image in dict.fromkeys(images):
            groups.setdefault((image.account, image.region, image.repository), []).append(image)
        work = list(groups.items())
        if len(work) == 1:
            results = [self._repository(*work[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(self.readers, len(work))) as pool:
                results = list(pool.map(lambda item: self._repository(*item), work))
        found: dict[EcrImage, str] = {}
        missing: dict[EcrImage, str] = {}
        for digests, absent in results:
            found.update(digests)
            missing.update(absent)
        return found, missing

    def _repository(
        self, key: Repository, images: list[EcrImage]
    ) -> tuple[dict[EcrImage, str], dict[EcrImage, str]]:
        found: dict[EcrImage, str] = {}
        for start in range(0, len(images), DESCRIBE_BATCH):
            batch = images[start : start + DESCRIBE_BATCH]
            try:
                found.update(_match(batch, self._describe(key, batch)))
            except AwsError as error:
                if error.code == "RepositoryNotFoundException":
                    why = "does not exist (or may not be read with these credentials)"
                    absent = [image for image in images if image not in found]
                    return found, {image: f"{image.reference}: {image.where} {why}" for image in absent}
                if error.code != "ImageNotFoundException":
                    raise
                # One missing image fails the whole call: ask for each to name every one missing.
                self._one_by_one(key, batch, found)
        absent = [image for image in images if image not in found]
        return found, {image: f"{image.reference} is not in {image.where}" for image in absent}

    def _one_by_one(self, key: Repository, batch: list[EcrImage], found: dict[EcrImage, str]) -> None:
        for image in batch:
            try:
                found.update(_match([image], self._describe(key, [image])))
            except AwsError as error:
                if error.code != "ImageNotFoundException":
                    raise

    def _describe(self, key: Repository, batch: list[EcrImage]) -> list[dict[str, Any]]:
        account, region, repository = key
        ecr = self.clients.get("ecr", region)
        ids = [image.image_id for image in batch]
        response = call(
            lambda: ecr.describe_images(registryId=account, repositoryName=repository, imageIds=ids),
            f"reading ECR repository {repository} (registry {account}, {region})",
        )
        return list(response.get("imageDetails", []))


def _match(batch: list[EcrImage], details: list[dict[str, Any]]) -> dict[EcrImage, str]:
    by_tag = {tag: d["imageDigest"] for d in details for tag in d.get("imageTags", [])}
    digests = {d["imageDigest"] for d in details}
    found = {}
    for image in batch:
        if image.digest:
            if image.digest in digests:
                found[image] = image.digest
        elif (image.tag or "latest") in by_tag:
            found[image] = by_tag[image.tag or "latest"]
    return found
