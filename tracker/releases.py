"""Image labels and releases: publishing images, creating and reading releases."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from tracker import schema
from tracker.errors import (
    DuplicateReleaseError,
    InvalidInputError,
    MissingImagesError,
    ReleaseManifestError,
    ReleaseNotFoundError,
)
from tracker.project import Project
from tracker.store import ParameterStore, Release, ReleaseStore, image_parameter

Clock = Callable[[], float]


def iso8601(timestamp: float) -> str:
    """The RFC's ISO 8601 ``date_requested``, in UTC to the millisecond.

    Milliseconds keep deployments made within one second in order in ``history``.
    """
    # Truncated, never rounded: the entry must stay within the second that
    # ``deployed_at`` (int seconds) records.
    seconds, millis = divmod(int(timestamp * 1000), 1000)
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


def epoch(date: str) -> float:
    """Unix time of an ISO 8601 date (a date without offset is taken as UTC)."""
    parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def person(user_id: str, name: str | None = None) -> dict[str, str]:
    """The RFC's ``requested_by {id, name}``; the name defaults to the id."""
    schema.check_text("user id", user_id, schema.USER_ID_MAX, required=True)
    schema.check_text("user name", name or user_id, schema.NAME_MAX, required=True)
    return {"id": user_id, "name": name or user_id}


def publish_image(
    project: Project,
    parameters: ParameterStore,
    service_id: str,
    image_uri: str,
    *,
    label: str = "latest",
    user_id: str,
) -> str:
    """Point ``label`` of a service at an image: SSM ``/{project}/images/{label}/{service}``.

    The SSM description names who published; SSM's versions are the history.
    Returns the parameter name.
    """
    project.check_service(service_id)
    schema.check_id("label", label)
    schema.check_image_uri(image_uri, service_id)
    schema.check_text("user id", user_id, schema.USER_ID_MAX, required=True)
    description = f"published by {user_id}"  # ≤ 13 + 512 characters: within SSM's 1 024
    name = image_parameter(project.id, label, service_id)
    parameters.put_values({name: image_uri}, description)
    return name


def label_images(
    project: Project, parameters: ParameterStore, label: str = "latest"
) -> dict[str, str | None]:
    """What SSM holds now for each service of the project at ``label`` (None: no image)."""
    schema.check_id("label", label)
    return label_images_for(project, parameters, label, project.service_ids)


@dataclass
class CreatedRelease:
    release: Release
    warnings: list[str] = field(default_factory=list)


def create_release(
    project: Project,
    releases: ReleaseStore,
    parameters: ParameterStore,
    *,
    requested_by: dict[str, str],
    label: str = "latest",
    description: str = "",
    from_release: str | None = None,
    services: list[str] | None = None,
    allow_duplicate: bool = False,
    clock: Clock = time.time,
) -> CreatedRelease:
    """Snapshot the images of every service into a new release.

    With ``from_release`` and ``services``, only the named services are read
    from the label; the rest keep the images of that release (a partial
    release). Refuses, writing nothing, when any service has no image, and when
    the images equal the newest release's unless ``allow_duplicate``.
    """
    schema.check_id("label", label)
    schema.check_text("description", description, schema.DESCRIPTION_MAX)
    if services and not from_release:
        raise InvalidInputError("--service needs --from-release (the release to take the rest from)")
    for service_id in services or []:
        project.check_service(service_id)

    base: Release | None = None
    if from_release:
        base = releases.require_release(from_release, project.id)
    wanted = list(dict.fromkeys(services)) if services else project.service_ids
    from_label = label_images_for(project, parameters, label, wanted)
    missing = [s for s in wanted if from_label.get(s) is None]
    if missing:
        raise MissingImagesError(project.id, label, missing)
    images: dict[str, str] = {}
    for service_id in project.service_ids:
        if service_id in from_label:
            # SSM may hold anything someone wrote by hand: check before it enters a release.
            images[service_id] = schema.check_image_uri(from_label[service_id], service_id)
        elif base is not None and service_id in base.images:
            images[service_id] = base.images[service_id]
    absent = [s for s in project.service_ids if s not in images]
    if absent:
        raise MissingImagesError(project.id, label, absent)

    warnings: list[str] = []
    newest = next(releases.latest_releases(project.id, page_size=1), None)
    if newest is not None and newest.images == images:
        message = f"the images are identical to the newest release '{newest.release_id}'"
        if not allow_duplicate:
            raise DuplicateReleaseError(
                f"{message}; nothing was written (use --allow-duplicate to create it anyway)"
            )
        warnings.append(message)

    now = clock()
    manifest: dict[str, Any] = {
        "project": project.as_reference(),
        "date_requested": iso8601(now),
        "requested_by": requested_by,
        "description": description,
        "images": images,
        "deployments": [],
    }
    schema.validate("release_manifest", manifest, ReleaseManifestError)
    release = Release(
        release_id=str(uuid.uuid4()),
        project_id=project.id,
        created_at=int(now),
        release_manifest=manifest,
    )
    releases.put_release(release)
    return CreatedRelease(release, warnings)


def label_images_for(
    project: Project, parameters: ParameterStore, label: str, service_ids: list[str]
) -> dict[str, str | None]:
    """Images of some services at ``label``: ⌈N/10⌉ GetParameters calls."""
    names = {s: image_parameter(project.id, label, s) for s in service_ids}
    values = parameters.get_values(list(names.values()))
    return {service: values.get(name) for service, name in names.items()}


def show_release(project: Project, releases: ReleaseStore, release_id: str) -> Release:
    return releases.require_release(release_id, project.id)


def list_releases(project: Project, releases: ReleaseStore, limit: int = 20) -> list[Release]:
    """The newest ``limit`` releases (reads only about ``limit`` items of the GSI)."""
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    iterator: Iterator[Release] = releases.latest_releases(project.id, page_size=min(limit, 100))
    return list(islice(iterator, limit))


def resolve_release_id(project: Project, releases: ReleaseStore, release_id: str) -> Release:
    """A release by id, or the newest release for ``latest``."""
    if release_id == "latest":
        newest = next(releases.latest_releases(project.id, page_size=1), None)
        if newest is None:
            raise ReleaseNotFoundError(f"project '{project.id}' has no release yet")
        return newest
    return releases.require_release(release_id, project.id)
