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
from itertools import islice
from typing import TYPE_CHECKING

from tracker.errors import (
    AmbiguousReleaseError,
    ConfigurationError,
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
from tracker.model.clock import iso8601, now
from tracker.model.entries import Published, Release, new_release_id
from tracker.model.paths import LATEST, image_parameter, images_path
from tracker.model.project import Project
from tracker.model.records import Snapshot

if TYPE_CHECKING:
    from tracker.model.ecr import EcrImage
    from tracker.model.requests import PublishRequest, ReleaseRequest
    from tracker.model.results import CreatedRelease
    from tracker.stores.protocols import Parameters, Registry
    from tracker.workflows.context import Context

PREFIX_MIN = 8
CANDIDATES_SHOWN = 5
# DynamoDB propagates a write to a GSI "usually within a fraction of a second".
INDEX_ROUNDS = 40
INDEX_PAUSE = 0.25


def publish_image(ctx: Context, request: PublishRequest) -> str:
    """Point ``label`` of a service at an image: SSM ``/{project}/images/{label}/{service}``.

    An ECR image must exist (its tag, or its digest) unless ``pin`` is ``off``:
    one DescribeImages in the registry's account and region. The URI is
    written as given (releases pin it). The SSM description names who
    published; SSM's versions are the history. Next to it, the record of the
    publication (when, by whom, the revision and its time; see
    :mod:`tracker.model.provenance`), written in the same concurrent
    PutParameter round. Returns the parameter name.
    """
    from tracker.model.entries import Published
    from tracker.model.provenance import sidecar_name, sidecar_value

    project = ctx.project
    project.check_service(request.service_id)
    schema.check_id("label", request.label)
    schema.check_image_uri(request.image_uri, request.service_id)
    schema.check_text("user id", request.user_id, schema.limit("user_id"), required=True)
    if request.revision is not None:
        schema.check_value("revision", request.revision, "--revision")
    committed = _committed(request.committed)
    pin_images({request.service_id: request.image_uri}, ctx.registry, request.pin)
    name = image_parameter(project.id, request.label, request.service_id)
    record = Published(
        date=iso8601(now(ctx.clock)), by=request.user_id, revision=request.revision, committed=committed
    )
    values = {name: request.image_uri, sidecar_name(name): sidecar_value(request.image_uri, record)}
    ctx.parameters.put_values(values, f"published by {request.user_id}")
    return name


def _committed(date: str | None) -> str | None:
    """A commit time as given (ISO 8601, an offset or Z), stored in UTC to the millisecond."""
    from tracker.model.clock import epoch

    if date is None:
        return None
    try:
        schema.check_value("date", date, "--committed")
        return iso8601(epoch(date))
    except ValueError:
        raise InvalidInputError(f"--committed {date[:80]!r} is not an ISO 8601 date-time") from None


def pin_images(images: dict[str, str], registry: Registry | None, pin: str) -> dict[str, str]:
    """The images with every ECR tag pinned to the digest it names now (see tracker.model.ecr).

    Other URIs, URIs that already carry a digest (checked to exist; mode
    ``digest`` drops their tag) and every URI with ``pin`` ``off`` (not even
    parsed: ECR is not asked) stay as they are. Refuses with one line naming
    each service whose tag, digest or repository does not exist.
    """
    from tracker.model.ecr import check_pin_mode

    if check_pin_mode(pin) == "off":
        return dict(images)
    refs = {service: _ecr_image(service, uri) for service, uri in images.items()}
    wanted = [ref for ref in refs.values() if ref is not None]
    if not wanted:
        return dict(images)
    if registry is None:
        raise ConfigurationError("ECR images need a registry to look them up in (or --pin off)")
    found, missing = registry.digests(wanted)
    if missing:
        lines = [f"service {s}: {missing[ref]}" for s, ref in refs.items() if ref in missing]
        raise ImageNotFoundError("; ".join(lines) + "; nothing written")
    return {s: ref.pinned(found[ref], pin) if ref else images[s] for s, ref in refs.items()}


def _ecr_image(service_id: str, uri: str) -> EcrImage | None:
    from tracker.model.ecr import ecr_image

    try:
        return ecr_image(uri)
    except InvalidInputError as error:
        raise InvalidInputError(f"service {service_id}: {error}") from None


def discover_services(project: Project, parameters: Parameters, label: str = LATEST) -> list[str]:
    """The services CI has published under ``/{project}/images/{label}/`` (for ``tracker init``), sorted.

    Names that are not valid service ids (written by other tools) are skipped.
    """
    schema.check_id("label", label)
    folder = images_path(project.id, label)
    prefix = folder + "/"
    found = []
    for name in parameters.get_path(folder):
        service = name.removeprefix(prefix)
        try:
            found.append(schema.check_id("service id", service))
        except InvalidInputError:
            continue
    return sorted(found)


def label_images(ctx: Context, label: str = LATEST) -> dict[str, str | None]:
    """What SSM holds now for each service of the project at ``label`` (None: no image): ⌈N/10⌉
    GetParameters calls."""
    schema.check_id("label", label)
    return _label_images(ctx.project, ctx.parameters, label, ctx.project.service_ids, sources=False)[0]


def label_sources(ctx: Context, label: str = LATEST) -> tuple[dict[str, str | None], dict[str, Published]]:
    """What SSM holds now for each service at ``label``, and where each image came from."""
    schema.check_id("label", label)
    return _label_images(ctx.project, ctx.parameters, label, ctx.project.service_ids)


def _label_images(
    project: Project, parameters: Parameters, label: str, service_ids: list[str], *, sources: bool = True
) -> tuple[dict[str, str | None], dict[str, Published]]:
    """Images of some services at ``label`` (None: no image) and, with ``sources``, their publication
    records: ⌈2N/10⌉ GetParameters calls (each image and its record, tracker.model.provenance)."""
    from tracker.model.provenance import read_sidecar, sidecar_name

    names = {s: image_parameter(project.id, label, s) for s in service_ids}
    wanted = [n for name in names.values() for n in ((name, sidecar_name(name)) if sources else (name,))]
    values = parameters.get_dated(wanted)
    images: dict[str, str | None] = {}
    published: dict[str, Published] = {}
    for service, name in names.items():
        image, modified = values.get(name, (None, None))
        images[service] = image
        record = values.get(sidecar_name(name), (None, None))[0]
        found = read_sidecar(image, record, modified) if image and sources else None
        if found is not None:
            published[service] = found
    return images, published


def create_release(ctx: Context, request: ReleaseRequest) -> CreatedRelease:
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
    request.check()
    for service_id in request.services:
        ctx.project.check_service(service_id)
    base = resolve_release(ctx, request.from_release) if request.from_release else None
    images, from_label, published = _snapshot(
        ctx.project, ctx.parameters, request.label, base, list(request.services)
    )
    # Only the images read from the label are pinned: a base release's stay as it recorded them.
    images.update(pin_images({s: images[s] for s in from_label}, ctx.registry, request.pin))
    newest = newest_or_none(ctx)
    warnings = _duplicate_check(newest, images, request.allow_duplicate)
    created_at = now(ctx.clock, after=newest.created_at if newest else None)
    release = _new_release(ctx.project, images, request, created_at, published)
    ctx.store.releases.put(release)
    if not _listed_as_newest(ctx, release):
        warnings.append(
            f"the latest-releases index does not list release '{release.release_id}' yet; "
            "deploy it by its id rather than as 'latest'"
        )
    from tracker.model.results import CreatedRelease

    return CreatedRelease(release, warnings)


def _listed_as_newest(ctx: Context, release: Release) -> bool:
    """Whether the index lists ``release`` (or something newer) first, asking for a few seconds."""
    for attempt in range(INDEX_ROUNDS):
        if attempt:
            time.sleep(INDEX_PAUSE)
        newest = newest_or_none(ctx)
        # The index's order: created_at, then release id (newest_first).
        if newest is not None and (newest.created_at, newest.release_id) >= (
            release.created_at,
            release.release_id,
        ):
            return True
    return False


def _snapshot(
    project: Project, parameters: Parameters, label: str, base: Release | None, services: list[str]
) -> tuple[dict[str, str], list[str], dict[str, Published]]:
    """The release's images: the named services (all without a base) from the label, the rest from base.

    Also returns the services whose image came from the label, and where each
    image came from (the label's records; the base's for the images it keeps).
    """
    wanted = list(dict.fromkeys(services)) if services else project.service_ids
    from_label, published = _label_images(project, parameters, label, wanted)
    missing = [s for s in wanted if from_label.get(s) is None]
    if missing:
        where = f"{images_path(project.id, label)}/*, region {parameters.region}"
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
    taken = [s for s in project.service_ids if from_label.get(s) is not None]
    if base is not None:
        kept = {s: p for s, p in base.published.items() if s in images and s not in taken}
        published = {**kept, **published}
    ordered = {s: published[s] for s in project.service_ids if s in published and s in images}
    return images, taken, ordered


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
    request: ReleaseRequest,
    created_at: float,
    published: dict[str, Published],
) -> Release:
    release = Release(
        release_id=new_release_id(project.id),
        project_id=project.id,
        created_at=created_at,
        project=project.as_reference(),
        date_requested=iso8601(created_at),
        requested_by=request.requested_by,
        description=request.description,
        images=images,
        published=published,
    )
    schema.validate("release_manifest", release.release_manifest, ReleaseManifestError)
    return release


def list_releases(ctx: Context, limit: int = 20) -> list[Release]:
    """The newest ``limit`` releases (reads only about ``limit`` items of the GSI)."""
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    return list(islice(ctx.store.releases.newest(ctx.project.id, page_size=min(limit + 1, 100)), limit))


def require_release(ctx: Context, release_id: str, found: Release | None = None) -> Release:
    """The release with this exact id (read unless ``found`` is given), or ReleaseNotFoundError /
    WrongProjectError."""
    release = found if found is not None else ctx.store.releases.get(release_id)
    if release is None:
        raise ReleaseNotFoundError(f"release '{release_id}' not found")
    if release.project_id != ctx.project.id:
        raise WrongProjectError(
            f"release '{release_id}' belongs to project '{release.project_id}', not '{ctx.project.id}'"
        )
    return release


def resolve_release(ctx: Context, ref: str) -> Release:
    """The release ``ref`` names: ``latest``, a full id, or a unique prefix (see the module docstring)."""
    return find_release(ctx, ref, [])[0]


def find_release(
    ctx: Context, ref: str, environment_ids: list[str], state_of: str | None = None
) -> tuple[Release, Snapshot]:
    """The release ``ref`` names, and the rows of ``environment_ids`` (and ``state_of``'s state) read with it.

    A full id costs one BatchGetItem for the release, the rows and the state
    together; ``latest`` one Query (and one BatchGetItem for the rest); a
    prefix adds the prefix Query to the first.
    """
    project, store = ctx.project, ctx.store
    wanted = bool(environment_ids) or state_of is not None
    if ref == LATEST:
        release = newest_release(ctx)
        snapshot = store.read(project.id, None, environment_ids, state_of) if wanted else Snapshot()
        return release, snapshot
    schema.check_release_ref(ref)
    owner, scoped, uuid = ref.partition(":")
    if scoped and owner != project.id:
        # Ids with ':' are '{project}:{uuid}': another project's, which IAM would refuse to read.
        raise WrongProjectError(f"release '{ref}' belongs to project '{owner}', not '{project.id}'")
    # Only the project's own keys are read (the deployer policy allows no others): the full
    # id, then, as a prefix of the uuid, the project's releases through its index (which
    # also finds bare ids recorded by earlier versions).
    exact = ref if scoped else f"{project.id}:{ref}"
    snapshot = store.read(project.id, exact, environment_ids, state_of)
    if snapshot.release is None:
        return release_by_prefix(ctx, uuid if scoped else ref), snapshot
    return require_release(ctx, exact, snapshot.release), snapshot


def newest_release(ctx: Context) -> Release:
    newest = newest_or_none(ctx)
    if newest is None:
        raise ReleaseNotFoundError(f"project '{ctx.project.id}' has no release yet", hint="")
    return newest


def newest_or_none(ctx: Context) -> Release | None:
    """The project's newest release (a Query of two items: the second settles a tie)."""
    return next(ctx.store.releases.newest(ctx.project.id, page_size=2), None)


def release_by_prefix(ctx: Context, prefix: str) -> Release:
    """The one release of the project whose uuid (or bare id) starts with ``prefix``."""
    project = ctx.project
    if len(prefix) < PREFIX_MIN:
        raise ReleaseNotFoundError(
            f"release '{prefix}' not found (a prefix needs at least {PREFIX_MIN} characters)"
        )
    found = ctx.store.releases.with_prefix(project.id, prefix)
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
