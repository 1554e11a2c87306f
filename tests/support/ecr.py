"""Test-only: images pushed to the moto server's ECR, the way a CI build would leave them.

``push`` stores an image manifest with one layer under a tag (moto derives the
digest from the layers, so each ``build`` number is a different image) and
returns the digest ECR reports for it, read back with DescribeImages.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def uri(account: str, region: str, repository: str, tag: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}"


def manifest(build: str) -> str:
    """A Docker image manifest whose config and single layer are named after ``build``."""

    def blob(kind: str) -> str:
        return "sha256:" + hashlib.sha256(f"{kind}:{build}".encode()).hexdigest()

    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1469,
                "digest": blob("config"),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 3_370_706,
                    "digest": blob("layer"),
                }
            ],
        }
    )


def push(ecr: Any, repository: str, tag: str, build: str) -> str:
    """Put the image of ``build`` under ``tag`` (creating the repository); its digest."""
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=repository)
    ecr.put_image(repositoryName=repository, imageManifest=manifest(build), imageTag=tag)
    details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    return str(details[0]["imageDigest"])
