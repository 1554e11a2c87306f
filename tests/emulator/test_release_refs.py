"""Release ids people can type: `latest`, unique prefixes, full ids; and the order of releases in time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import RELEASES
from tests.support.cli import REGISTRY, Cli, Outcome
from tracker.stores.dynamo import serialize


def run(project_file: Path, *args: str, code: int = 0) -> Outcome:
    return Cli(project_file, user="ci")(*args, code=code)


def release(project_file: Path, tag: str) -> str:
    for service in ("hatching", "feeding"):
        run(project_file, "publish", service, f"{REGISTRY}/{service}:{tag}")
    return run(project_file, "release", "create", "--quiet").stdout.strip()


def test_latest_is_the_release_just_created(aws: Any, bugfarm_file: Path) -> None:
    """A CI job that creates a release and deploys `latest` right after gets that release."""
    for tag in ("v1", "v2", "v3", "v4", "v5"):
        created = release(bugfarm_file, tag)
        assert (
            json.loads(run(bugfarm_file, "deploy", "latest", "stage", "-o", "json").stdout)["release_id"]
            == created
        )
    listed = [r["release_id"] for r in json.loads(run(bugfarm_file, "release", "list", "-o", "json").stdout)]
    assert len(listed) == 5 and listed[0] == created


def test_a_unique_prefix_names_a_release_everywhere(aws: Any, bugfarm_file: Path) -> None:
    first, second = release(bugfarm_file, "v1"), release(bugfarm_file, "v2")
    short = first.split(":")[1][:8]
    assert json.loads(run(bugfarm_file, "release", "show", short, "-o", "json").stdout)["release_id"] == first
    deployed = json.loads(run(bugfarm_file, "deploy", short, "stage", "-o", "json").stdout)
    assert deployed["release_id"] == first
    run(bugfarm_file, "deploy", second, "prod")
    assert "hatching" in run(bugfarm_file, "diff", "prod", short, code=1).stdout
    rolled = run(bugfarm_file, "rollback", "stage", "--to", second.split(":")[1][:10], "-o", "json").stdout
    assert json.loads(rolled)["release_id"] == second
    assert json.loads(run(bugfarm_file, "status", "-o", "json").stdout)["stage"]["release_id"] == second
    # The whole id, with or without its project prefix, works too.
    assert (
        json.loads(run(bugfarm_file, "release", "show", first.split(":")[1], "-o", "json").stdout)[
            "release_id"
        ]
        == first
    )


def test_an_ambiguous_prefix_lists_the_candidates_and_writes_nothing(
    aws: Any, bugfarm_file: Path, state: Any
) -> None:
    ids = [
        "bugfarm_73649:abcdef12-0000-4000-8000-000000000001",
        "bugfarm_73649:abcdef12-0000-4000-8000-000000000002",
    ]
    for n, release_id in enumerate(ids):
        aws.dynamodb.put_item(TableName=RELEASES, Item=serialize(_row(release_id, 1_700_000_000 + n)))
    before = state()
    refused = run(bugfarm_file, "deploy", "abcdef12", "stage", code=2)
    assert refused.stderr.strip().splitlines() == [
        "tracker: error: release prefix 'abcdef12' matches 2 releases of project 'bugfarm_73649': "
        f"{ids[1]}, {ids[0]}; give more characters"
    ]
    assert state() == before
    assert run(bugfarm_file, "release", "show", "abcdef12-0000-4000-8000-000000000002", "-o", "json").stdout


def test_short_unknown_and_foreign_refs(aws: Any, bugfarm_file: Path) -> None:
    release(bugfarm_file, "v1")
    assert (
        "a prefix needs at least 8 characters" in run(bugfarm_file, "release", "show", "abc", code=1).stderr
    )
    unknown = run(bugfarm_file, "release", "show", "ffffffff", code=1).stderr
    assert "release 'ffffffff' not found in project 'bugfarm_73649'" in unknown
    foreign = run(bugfarm_file, "deploy", "otherproj:ffffffff-0000-4000-8000-000000000000", "stage", code=1)
    assert "belongs to project 'otherproj', not 'bugfarm_73649'" in foreign.stderr
    assert "has no release yet" not in foreign.stderr


def test_releases_recorded_with_bare_ids_stay_readable_and_deployable(aws: Any, bugfarm_file: Path) -> None:
    """Rows of earlier versions: a bare UUID id, created_at and deployed_at in whole seconds."""
    legacy = "3f1c9b9e-5d2a-4b8e-9c1f-0123456789ab"
    aws.dynamodb.put_item(TableName=RELEASES, Item=serialize(_row(legacy, 1_600_000_000)))
    assert (
        json.loads(run(bugfarm_file, "release", "show", legacy, "-o", "json").stdout)["release_id"] == legacy
    )
    assert (
        json.loads(run(bugfarm_file, "deploy", "3f1c9b9e", "stage", "-o", "json").stdout)["release_id"]
        == legacy
    )
    assert json.loads(run(bugfarm_file, "history", "stage", "-o", "json").stdout)[0]["release_id"] == legacy


def test_releases_created_in_one_millisecond_are_listed_the_same_way_every_time(
    aws: Any, project: Any
) -> None:
    from tests.support.library import library, publish, release

    created = []
    for tag in ("a", "b", "c"):
        tracker = library(aws, project, clock=lambda: 1_800_000_000.5)
        publish(tracker, tag)
        created.append(release(tracker))
    # The clock stood still: each release still sorts after the one before it.
    assert [r.created_at for r in created] == [1_800_000_000.5, 1_800_000_000.501, 1_800_000_000.502]
    assert [r.release_id for r in tracker.releases()] == [r.release_id for r in reversed(created)]


def _row(release_id: str, created_at: int) -> dict[str, Any]:
    return {
        "release_id": release_id,
        "project_id": "bugfarm_73649",
        "created_at": created_at,
        "release_manifest": {
            "project": {"id": "bugfarm_73649", "name": "The Best Bug Farm"},
            "date_requested": "2020-09-13T12:26:40Z",
            "requested_by": {"id": "ci", "name": "ci"},
            "description": "",
            "images": {"hatching": f"{REGISTRY}/hatching:old", "feeding": f"{REGISTRY}/feeding:old"},
            "deployments": [],
        },
    }
