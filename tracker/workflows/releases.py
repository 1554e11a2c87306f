"""Image labels and releases: publishing images, creating, finding and listing releases.

Release ids people type: ``latest`` (the project's newest release), a full id,
or a unique prefix of at least 8 characters of an id -- of the whole id or of
the part after ``project:``, which is what the report shows. A lookup reads
only the project's own keys (as the IAM policies require): the id, then, if
it is no full id, every release of the project through the latest-releases
GSI (one Query, paged per 1 MB of releases, filtered on the prefix).
Automation that runs often should pass full ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import islice
from typing import Any

from tracker.errors import (
    AmbiguousReleaseError,
    DuplicateReleaseError,
    ImageNotFoundError,
    IncompleteReleaseError,
    InvalidInputError,
    MissingImagesError,
    ReleaseManifestError,
    ReleaseNotFoundError,
    WrongProjectError,
)
from tracker.model import schema
from tracker.model.clock import Clock, iso8601, now
from tracker.model.images import DEFAULT_PIN, EcrImage, check_pin_mode, ecr_image
from tracker.model.project import Project
from tracker.model.records import CreatedRelease, DeploymentRow, Release, new_release_id
from tracker.stores.parameters import ParameterStore, image_parameter
from tracker.stores.registry import ImageRegistry
from tracker.stores.tracking import TrackingStore, check_release

LATEST = "latest"
PREFIX_MIN = 8
CANDIDATES_SHOWN = 5
# DynamoDB propagates a write to a GSI "usually within a fraction of a second".
INDEX_ROUNDS = 40
INDEX_PAUSE = 0.25


def person(user_id: str, name: str | None = None) -> dict[str, str]:
    """The RFC's ``requested_by {id, name}``; the name defaults to the id."""
    schema.check_text("user id", user_id, schema.limit("user_id"), required=True)
    schema.check_text("user name", name or user_id, schema.limit("name"), required=True)
    return {"id": user_id, "name": name or user_id}


def publish_image(
    project: Project,
    parameters: ParameterStore,
    service_id: str,
    image_uri: str,
    *,
    label: str = LATEST,
    user_id: str,
    pin: str = DEFAULT_PIN,
    registry: ImageRegistry | None = None,
) -> str:
    """Point ``label`` of a service at an image: SSM ``/{project}/images/{label}/{service}``.

    An ECR image must exist (its tag, or its digest) unless ``pin`` is ``off``:
    one DescribeImages in the registry's account and region. The URI is
    written as given (releases pin it). The SSM description names who
    published; SSM's versions are the history. Returns the parameter name.
    """
    project.check_service(service_id)
    schema.check_id("label", label)
    schema.check_image_uri(image_uri, service_id)
    schema.check_text("user id", user_id, schema.limit("user_id"), required=True)
    pin_images({service_id: image_uri}, registry or ImageRegistry(parameters.clients), pin)
    name = image_parameter(project.id, label, service_id)
    parameters.put_values({name: image_uri}, f"published by {user_id}")
    return name


def pin_images(images: dict[str, str], registry: ImageRegistry, pin: str = DEFAULT_PIN) -> dict[str, str]:
    """The images with every ECR tag pinned to the digest it names now (see tracker.model.images).

    Other URIs, URIs that already carry a digest (checked to exist; mode
    ``digest`` drops their tag) and every URI with ``pin`` ``off`` (not even
    parsed: ECR is not asked) stay as they are. Refuses with one line naming
    each service whose tag, digest or repository does not exist.
    """
    if check_pin_mode(pin) == "off":
        return dict(images)
    refs = {service: _ecr_image(service, uri) for service, uri in images.items()}
    wanted = [ref for ref in refs.values() if ref is not None]
    if not wanted:
        return dict(images)
    found, missing = registry.digests(wanted)
    if missing:
        lines = [f"service {s}: {missing[ref]}" for s, ref in refs.items() if ref in missing]
        raise ImageNotFoundError("; ".join(lines) + "; nothing written")
    return {s: ref.pinned(found[ref], pin) if ref else images[s] for s, ref in refs.items()}


def _ecr_image(service_id: str, uri: str) -> EcrImage | None:
    try:
        return ecr_image(uri)
    except InvalidInputError as error:
        raise InvalidInputError(f"service {service_id}: {error}") from None


def discover_services(project: Project, parameters: ParameterStore, label: str = LATEST) -> list[str]:
    """The services CI has published under ``/{project}/images/{label}/`` (for ``tracker init``), sorted.

    Names that are not valid service ids (written by other tools) are skipped.
    """
    schema.check_id("label", label)
    prefix = image_parameter(project.id, label, "")
    found = []
    for name in parameters.get_path(prefix.rstrip("/")):
        service = name.removeprefix(prefix)
        try:
            found.append(schema.check_id("service id", service))
        except InvalidInputError:
            continue
    return sorted(found)


def label_images(project: Project, parameters: ParameterStore, label: str = LATEST) -> dict[str, str | None]:
    """What SSM holds now for each service of the project at ``label`` (None: no image)."""
    schema.check_id("label", label)
    return _label_images(project, parameters, label, project.service_ids)


def _label_images(
    project: Project, parameters: ParameterStore, label: str, service_ids: list[str]
) -> dict[str, str | None]:
    """Images of some services at ``label``: ⌈N/10⌉ GetParameters calls."""
    names = {s: image_parameter(project.id, label, s) for s in service_ids}
    values = parameters.get_values(list(names.values()))
    return {service: values.get(name) for service, name in names.items()}


def create_release(
    project: Project,
    store: TrackingStore,
    parameters: ParameterStore,
    *,
    requested_by: dict[str, str],
    label: str = LATEST,
    description: str = "",
    from_release: str | None = None,
    services: list[str] | None = None,
    allow_duplicate: bool = False,
    pin: str = DEFAULT_PIN,
    registry: ImageRegistry | None = None,
    clock: Clock = time.time,
) -> CreatedRelease:
    """Snapshot the images of every service into a new release.

    With ``from_release`` and ``services``, only the named services are read
    from the label; the rest keep the images of that release (a partial
    release). ECR images read from the label are pinned to their digests
    (``pin``, see :func:`pin_images`). Refuses, writing nothing, when any
    service has no image, when an ECR image does not exist, and when the
    images equal the newest release's unless ``allow_duplicate``.

    Returns once the latest-releases index lists the new release (GSIs are
    eventually consistent), so that ``latest`` right after names it.
    """
    _check_request(project, label, description, from_release, services)
    check_pin_mode(pin)
    base = resolve_release(project, store, from_release) if from_release else None
    images, from_label = _snapshot(project, parameters, label, base, services)
    # Only the images read from the label are pinned: a base release's stay as it recorded them.
    registry = registry or ImageRegistry(parameters.clients)
    images.update(pin_images({s: images[s] for s in from_label}, registry, pin))
    newest = newest_or_none(project, store)
    warnings = _duplicate_check(newest, images, allow_duplicate)
    created_at = now(clock, after=newest.created_at if newest else None)
    release = _new_release(project, images, requested_by, description, created_at)
    store.put_release(release)
    if not _listed_as_newest(project, store, release):
        warnings.append(
            f"the latest-releases index does not list release '{release.release_id}' yet; "
            "deploy it by its id rather than as 'latest'"
        )
    return CreatedRelease(release, warnings)


def _listed_as_newest(project: Project, store: TrackingStore, release: Release) -> bool:
    """Whether the index lists ``release`` (or something newer) first, asking for a few seconds."""
    for attempt in range(INDEX_ROUNDS):
        if attempt:
            time.sleep(INDEX_PAUSE)
        newest = newest_or_none(project, store)
        # The index's order: created_at, then release id (newest_first).
        if newest is not None and (newest.created_at, newest.release_id) >= (
            release.created_at,
            release.release_id,
        ):
            return True
    return False


def _check_request(
    project: Project, label: str, description: str, from_release: str | None, services: list[str] | None
) -> None:
    schema.check_id("label", label)
    schema.check_text("description", description, schema.limit("description"))
    if services and not from_release:
        raise InvalidInputError("--service needs --from-release (the release to take the rest from)")
    for service_id in services or []:
        project.check_service(service_id)


def _snapshot(
    project: Project, parameters: ParameterStore, label: str, base: Release | None, services: list[str] | None
) -> tuple[dict[str, str], list[str]]:
    """The release's images: the named services (all without a base) from the label, the rest from base.

    Also returns the services whose image came from the label.
    """
    wanted = list(dict.fromkeys(services)) if services else project.service_ids
    from_label = _label_images(project, parameters, label, wanted)
    missing = [s for s in wanted if from_label.get(s) is None]
    if missing:
        where = f"{image_parameter(project.id, label, '*')}, region {parameters.region}"
        raise MissingImagesError(project.id, label, missing, where)
    images: dict[str, str] = {}
    for service_id in project.service_ids:
        image = from_label.get(service_id)
        if image is not None:
            # SSM may hold anything someone wrote by hand: check before it enters a release.
            images[service_id] = schema.check_image_uri(image, service_id)
        elif base is not None and service_id in base.images:
            images[service_id] = base.images[service_id]
    absent = [s for s in project.service_ids if s not in images]
    if absent and base is not None:
        raise IncompleteReleaseError(
            f"release '{base.release_id}' has no image for service(s) {', '.join(absent)}: "
            "name them with --service to take them from the label"
        )
    return images, [s for s in project.service_ids if from_label.get(s) is not None]


def _duplicate_check(newest: Release | None, images: dict[str, str], allow: bool) -> list[str]:
    if newest is None or newest.images != images:
        return []
    message = f"the images are identical to the newest release '{newest.release_id}'"
    if not allow:
        raise DuplicateReleaseError(
            f"{message}; nothing was written (use --allow-duplicate to create it anyway)"
        )
    return [message]


def _new_release(
    project: Project,
    images: dict[str, str],
    requested_by: dict[str, str],
    description: str,
    created_at: float,
) -> Release:
    manifest: dict[str, Any] = {
        "project": project.as_reference(),
        "date_requested": iso8601(created_at),
        "requested_by": requested_by,
        "description": description,
        "images": images,
        "deployments": [],
    }
    schema.validate("release_manifest", manifest, ReleaseManifestError)
    return Release(new_release_id(project.id), project.id, created_at, manifest)


def list_releases(project: Project, store: TrackingStore, limit: int = 20) -> list[Release]:
    """The newest ``limit`` releases (reads only about ``limit`` items of the GSI)."""
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    iterator: Iterator[Release] = store.latest_releases(project.id, page_size=min(limit + 1, 100))
    return list(islice(iterator, limit))


def resolve_release(project: Project, store: TrackingStore, ref: str) -> Release:
    """The release ``ref`` names: ``latest``, a full id, or a unique prefix (see the module docstring)."""
    return find_release(project, store, ref, [])[0]


def find_release(
    project: Project, store: TrackingStore, ref: str, environment_ids: list[str]
) -> tuple[Release, dict[str, DeploymentRow]]:
    """The release ``ref`` names, and the rows of ``environment_ids`` read alongside it.

    A full id costs one BatchGetItem for the release and the rows together;
    ``latest`` one Query (and one BatchGetItem for rows); a prefix adds the
    prefix Query to the first.
    """
    if ref == LATEST:
        release = newest_release(project, store)
        rows = store.get_release_and_rows(None, project.id, environment_ids)[1] if environment_ids else {}
        return release, rows
    schema.check_release_ref(ref)
    owner, scoped, uuid = ref.partition(":")
    if scoped and owner != project.id:
        # Ids with ':' are '{project}:{uuid}': another project's, which IAM would refuse to read.
        raise WrongProjectError(f"release '{ref}' belongs to project '{owner}', not '{project.id}'")
    # Only the project's own keys are read (the deployer policy allows no others): the full
    # id, then, as a prefix of the uuid, the project's releases through its index (which
    # also finds bare ids recorded by earlier versions).
    exact = ref if scoped else f"{project.id}:{ref}"
    found, rows = store.get_release_and_rows(exact, project.id, environment_ids)
    if found is None:
        return release_by_prefix(project, store, uuid if scoped else ref), rows
    return check_release(found, exact, project.id), rows


def newest_release(project: Project, store: TrackingStore) -> Release:
    newest = newest_or_none(project, store)
    if newest is None:
        raise ReleaseNotFoundError(f"project '{project.id}' has no release yet")
    return newest


def newest_or_none(project: Project, store: TrackingStore) -> Release | None:
    """The project's newest release (a Query of two items: the second settles a tie)."""
    return next(store.latest_releases(project.id, page_size=2), None)


def release_by_prefix(project: Project, store: TrackingStore, prefix: str) -> Release:
    """The one release of the project whose uuid (or bare id) starts with ``prefix``."""
    if len(prefix) < PREFIX_MIN:
        raise ReleaseNotFoundError(
            f"release '{prefix}' not found (a prefix needs at least {PREFIX_MIN} characters)"
        )
    found = store.releases_with_prefix(project.id, prefix)
    if not found:
        raise ReleaseNotFoundError(f"release '{prefix}' not found in project '{project.id}'")
    if len(found) > 1:
        shown = ", ".join(r.release_id for r in found[:CANDIDATES_SHOWN])
        more = f" and {len(found) - CANDIDATES_SHOWN} more" if len(found) > CANDIDATES_SHOWN else ""
        raise AmbiguousReleaseError(
            f"release prefix '{prefix}' matches {len(found)} releases of project '{project.id}': "
            f"{shown}{more}; give more characters"
        )
    return found[0]
