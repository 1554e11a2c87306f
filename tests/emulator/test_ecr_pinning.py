"""ECR images on the emulator: publish checks the tag exists, a release pins it to its digest.

Images are pushed to moto's ECR with a one-layer manifest (tests/support/ecr.py)
and the CLI runs in-process against the moto server. The point a user notices:
after a tag is pushed again, the release, the deployed SSM parameters and what
`status` shows still name the image that was released.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import REGION, write_project
from tests.support.accounts import DEFAULT_ACCOUNT, account_session, parameters
from tests.support.cli import Cli
from tests.support.ecr import push, uri

SERVICES = ("hatching", "feeding")


@pytest.fixture
def tracker(aws: Any, bugfarm_file: Path) -> Cli:
    return Cli(bugfarm_file, user="ci")


@pytest.fixture
def ecr(aws: Any) -> Any:
    return boto3.client("ecr", region_name=REGION)


def image(service: str, tag: str = "v1", region: str = REGION, account: str = DEFAULT_ACCOUNT) -> str:
    return uri(account, region, service, tag)


def publish_all(tracker: Cli, ecr: Any, build: str, tag: str = "v1") -> dict[str, str]:
    """Push and publish every service's image of ``build``; their digests."""
    digests = {s: push(ecr, s, tag, f"{s}-{build}") for s in SERVICES}
    for service in SERVICES:
        tracker("publish", service, image(service, tag))
    return digests


def test_a_tag_pushed_again_changes_no_release_and_no_deployment(tracker: Cli, ecr: Any) -> None:
    first = publish_all(tracker, ecr, "build-1")
    release = tracker.json("release", "create")
    pinned = {s: f"{image(s)}@{first[s]}" for s in SERVICES}
    assert release["release_manifest"]["images"] == pinned
    tracker("deploy", release["release_id"], "stage")
    deployed = {s: f"/bugfarm_73649/deployments/stage/{s}" for s in SERVICES}

    second = {s: push(ecr, s, "v1", f"{s}-build-2") for s in SERVICES}  # CI pushes :v1 again
    assert second != first
    shown = tracker.json("release", "show", release["release_id"])
    assert shown["release_manifest"]["images"] == pinned
    ssm = parameters(account_session(DEFAULT_ACCOUNT, REGION))
    assert {s: ssm[name] for s, name in deployed.items()} == pinned
    assert tracker.json("status")["stage"]["images"] == pinned
    # The label still says what CI published; a new release sees the new image, so it is no duplicate.
    assert tracker.json("images") == {s: image(s) for s in SERVICES}
    newer = tracker.json("release", "create")
    assert newer["release_manifest"]["images"] == {s: f"{image(s)}@{second[s]}" for s in SERVICES}


def test_text_output_shows_the_tag_and_a_short_digest(tracker: Cli, ecr: Any) -> None:
    digests = publish_all(tracker, ecr, "build-1")
    old = tracker.json("release", "create")["release_id"]
    tracker("deploy", old, "prod")
    again = {s: push(ecr, s, "v1", f"{s}-build-2") for s in SERVICES}
    new = tracker.json("release", "create")["release_id"]
    tracker("deploy", new, "stage")
    short = {s: f"{image(s)} (sha256:{digests[s][7:19]})" for s in SERVICES}
    short_new = {s: f"{image(s)} (sha256:{again[s][7:19]})" for s in SERVICES}
    status = tracker("status").stdout
    history = tracker("history", "prod").stdout
    for text in (status, history):
        assert short["hatching"] in text
        assert digests["hatching"] not in text  # the whole digest is for JSON, not for reading
    assert short_new["feeding"] in status
    diff = tracker("diff", "stage", "prod", code=1).stdout
    assert f"prod: {short['hatching']} → {short_new['hatching']} (from stage)" in diff
    report = tracker("report", "--output", "markdown").stdout
    assert f"`v1@{digests['hatching'][7:19]}`" in report and f"`v1@{again['hatching'][7:19]}`" in report
    assert f"@{again['hatching'][7:19]}" in tracker("report").stdout  # the HTML page too


def test_publishing_a_tag_that_is_not_in_ecr_is_refused_and_writes_nothing(
    tracker: Cli, ecr: Any, state: Any
) -> None:
    push(ecr, "hatching", "v1", "hatching-1")
    before = state()
    result = tracker("publish", "hatching", image("hatching", "v2"), code=1)
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"tracker: error: service hatching: tag 'v2' is not in ECR repository 'hatching' "
        f"(registry {DEFAULT_ACCOUNT}, {REGION}); nothing written"
    ]
    missing_repository = tracker("publish", "feeding", image("feeding"), code=1).stderr
    assert "ECR repository 'feeding'" in missing_repository and "does not exist" in missing_repository
    assert state() == before


def test_a_release_whose_label_names_a_missing_image_is_refused_naming_each(
    tracker: Cli, ecr: Any, state: Any
) -> None:
    for service in SERVICES:
        push(ecr, service, "v1", f"{service}-1")
        tracker("publish", service, image(service, "v9"), "--pin", "off")  # not checked
    before = state()
    stderr = tracker("release", "create", code=1).stderr
    assert stderr.count("\n") == 1
    assert "service hatching: tag 'v9' is not in ECR repository 'hatching'" in stderr
    assert "service feeding: tag 'v9' is not in ECR repository 'feeding'" in stderr
    assert state() == before


def test_pinning_modes(tracker: Cli, ecr: Any) -> None:
    digests = publish_all(tracker, ecr, "build-1")
    as_digest = tracker.json("release", "create", "--pin", "digest")["release_manifest"]["images"]
    assert as_digest == {s: f"{s.join(image(s).rsplit(f'{s}:v1', 1))}@{digests[s]}" for s in SERVICES}
    assert all(":v1" not in value for value in as_digest.values())
    # off: recorded as the label holds them (and ECR is not asked: the repositories can go).
    for service in SERVICES:
        ecr.delete_repository(repositoryName=service, force=True)
    off = tracker.json("release", "create", env={"TRACKER_PIN_IMAGES": "off"})["release_manifest"]["images"]
    assert off == {s: image(s) for s in SERVICES}
    bad = tracker("release", "create", code=2, env={"TRACKER_PIN_IMAGES": "sometimes"}).stderr
    assert "TRACKER_PIN_IMAGES" in bad and "sometimes" in bad


def test_a_digest_given_by_ci_is_kept_and_checked(tracker: Cli, ecr: Any, state: Any) -> None:
    digest = push(ecr, "hatching", "v1", "hatching-1")
    push(ecr, "feeding", "v1", "feeding-1")
    by_digest = f"{image('hatching').rsplit(':', 1)[0]}@{digest}"
    tracker("publish", "hatching", by_digest)
    tracker("publish", "feeding", image("feeding"))
    release = tracker.json("release", "create")["release_manifest"]["images"]
    assert release["hatching"] == by_digest
    before = state()
    unknown = by_digest[:-4] + "0000" if not by_digest.endswith("0000") else by_digest[:-4] + "1111"
    stderr = tracker("publish", "hatching", unknown, code=1).stderr
    assert f"digest {unknown.rsplit('@', 1)[1]} is not in ECR repository 'hatching'" in stderr
    assert state() == before


def test_the_registry_region_comes_from_the_uri(tracker: Cli, aws: Any) -> None:
    """The tracking store is in eu-west-1; the registry in us-east-1."""
    ecr_east = boto3.client("ecr", region_name="us-east-1")
    digests = {s: push(ecr_east, s, "v1", f"{s}-east") for s in SERVICES}
    for service in SERVICES:
        tracker("publish", service, image(service, region="us-east-1"))
    images = tracker.json("release", "create")["release_manifest"]["images"]
    assert images == {s: f"{image(s, region='us-east-1')}@{digests[s]}" for s in SERVICES}


def test_the_projects_role_reads_its_registry(aws: Any, tmp_path: Path) -> None:
    """A project acting as a role in account 111122223333 finds the images pushed there.

    The caller's own account (moto's default) has no such repository: reading
    with the caller's credentials instead of the role's would be refused.
    """
    account = "111122223333"
    manifest = write_project(
        tmp_path / ".wellcome_project",
        {
            "project": {
                "id": "shop",
                "name": "Shop",
                "role_arn": f"arn:aws:iam::{account}:role/ci",
                "account_id": account,
            },
            "services": [{"id": "web", "name": "Web"}],
            "environments": [{"id": "prod", "name": "Production"}],
        },
    )
    from tests.support.tables import create_tables
    from tracker.stores.clients import Clients

    session = account_session(account, REGION)
    create_tables(Clients(session=session).dynamodb, "tracker-releases", "tracker-deployments")
    digest = push(session.client("ecr"), "web", "v3", "web-3")
    tracker = Cli(manifest, user="ci")
    tracker("publish", "web", image("web", "v3", account=account))
    images = tracker.json("release", "create")["release_manifest"]["images"]
    assert images == {"web": f"{image('web', 'v3', account=account)}@{digest}"}


def test_other_registries_are_recorded_as_given(tracker: Cli) -> None:
    for service in SERVICES:
        tracker("publish", service, f"ghcr.io/wellcome/{service}:v1")
    images = tracker.json("release", "create")["release_manifest"]["images"]
    assert images == {s: f"ghcr.io/wellcome/{s}:v1" for s in SERVICES}


def test_a_malformed_ecr_uri_is_refused(tracker: Cli, state: Any) -> None:
    before = state()
    stderr = tracker("publish", "hatching", image("Hatching"), code=2).stderr
    assert "not a valid ECR image reference" in stderr and stderr.count("\n") == 1
    assert state() == before


def test_a_partial_release_pins_only_the_services_it_takes_from_the_label(tracker: Cli, ecr: Any) -> None:
    """The base release (here one recorded before pinning, with plain tags) keeps its images as they are."""
    publish_all(tracker, ecr, "build-1")
    old = tracker.json("release", "create", "--pin", "off")
    assert old["release_manifest"]["images"] == {s: image(s) for s in SERVICES}
    hatching = push(ecr, "hatching", "v2", "hatching-2")
    tracker("publish", "hatching", image("hatching", "v2"))
    partial = tracker.json("release", "create", "--from-release", old["release_id"], "--service", "hatching")
    assert partial["release_manifest"]["images"] == {
        "hatching": f"{image('hatching', 'v2')}@{hatching}",
        "feeding": image("feeding"),
    }


def test_pending_counts_a_tag_pushed_again_as_unreleased(tracker: Cli, ecr: Any) -> None:
    publish_all(tracker, ecr, "build-1")
    tracker("deploy", tracker.json("release", "create")["release_id"], "prod")
    assert tracker.json("pending", "prod")["waiting"] is False  # exit 0: the label's digests are released
    again = push(ecr, "hatching", "v1", "hatching-build-2")  # same tag, new image; the label is unchanged
    found = tracker.json("pending", "prod", code=1)
    hatching, feeding = found["services"]
    assert (
        hatching["published_not_released"] is True
        and hatching["label_image"] == f"{image('hatching')}@{again}"
    )
    assert feeding["published_not_released"] is False
