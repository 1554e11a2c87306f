"""The RFC's 'bugfarm' example, end to end through the `tracker` command (subprocess, moto server).

Asserts the releases row, the deployments rows and the SSM keys equal the RFC's
tables field by field; generated ids and times aside.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import DEPLOYMENTS, RELEASES
from tests.support.cli import Cli, Outcome
from tracker.model.clock import epoch

ANY_RECORD = "(publish's record of the image)"
RFC_IMAGES = {
    "hatching": "http://example.com/images/hatching/00001",
    "feeding": "http://example.com/images/feeding/00001",
}


def tracker(project_file: Path, *args: str, user: str = "dev_dave") -> Outcome:
    """``python -m tracker`` as its own process: the entry point a user runs."""
    return Cli(project_file, user=user, process=True)(*args, code=None)


def ok(result: Outcome) -> str:
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_bugfarm_publish_release_deploy_promote(aws: Any, bugfarm_file: Path) -> None:
    for service, image in RFC_IMAGES.items():
        ok(tracker(bugfarm_file, "publish", service, image, "--label", "latest"))

    created = json.loads(
        ok(
            tracker(
                bugfarm_file,
                "release",
                "create",
                "--label",
                "latest",
                "--description",
                "Some stuff wot I did.",
                "--user-name",
                "Dave Dollop",
                "--output",
                "json",
            )
        )
    )
    release_id = created["release_id"]
    # The tracker's one addition to the RFC's manifest: where each image came from (publish's record).
    published = created["release_manifest"].pop("published")
    assert {s: p["by"] for s, p in published.items()} == dict.fromkeys(RFC_IMAGES, "dev_dave")
    assert created["release_manifest"] == {
        "project": {"id": "bugfarm_73649", "name": "The Best Bug Farm"},
        "date_requested": created["release_manifest"]["date_requested"],
        "requested_by": {"id": "dev_dave", "name": "Dave Dollop"},
        "description": "Some stuff wot I did.",
        "images": RFC_IMAGES,
        "deployments": [],
    }
    row = aws.dynamodb.get_item(TableName=RELEASES, Key={"release_id": {"S": release_id}})["Item"]
    assert set(row) == {"release_id", "project_id", "created_at", "release_manifest"}
    assert row["project_id"] == {"S": "bugfarm_73649"}

    ok(
        tracker(
            bugfarm_file,
            "deploy",
            release_id,
            "stage",
            "--description",
            "Some stuff wot dave did for testing.",
            "--user-name",
            "Ophelia Oppenheimer",
            user="ops_ophelia",
        )
    )
    ok(
        tracker(
            bugfarm_file,
            "promote",
            "stage",
            "prod",
            "--description",
            "Some stuff wot dave did for releasing.",
            "--user-name",
            "Ophelia Oppenheimer",
            user="ops_ophelia",
        )
    )

    shown = json.loads(ok(tracker(bugfarm_file, "release", "show", release_id, "--output", "json")))
    manifest = shown["release_manifest"]
    assert shown["release_id"] == release_id
    assert shown["project_id"] == "bugfarm_73649"
    # The RFC's unix-time Numbers, to the millisecond; the date_requested says the same moment.
    for column in ("created_at", "deployed_at"):
        assert isinstance(shown[column], int | float) and round(shown[column], 3) == shown[column]
    assert shown["deployed_at"] > shown["created_at"]
    assert epoch(manifest["date_requested"]) == shown["created_at"]
    assert epoch(manifest["deployments"][-1]["date_requested"]) == shown["deployed_at"]
    assert manifest["images"] == RFC_IMAGES
    assert [{k: v for k, v in d.items() if k != "date_requested"} for d in manifest["deployments"]] == [
        {
            "environment": {"id": "stage", "name": "Simon's staging sideshow!"},
            "requested_by": {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"},
            "description": "Some stuff wot dave did for testing.",
        },
        {
            "environment": {"id": "prod", "name": "Peters prod palace!"},
            "requested_by": {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"},
            "description": "Some stuff wot dave did for releasing.",
        },
    ]

    rows = aws.dynamodb.scan(TableName=DEPLOYMENTS)["Items"]
    assert sorted((r["project_id"]["S"], r["environment_id"]["S"], r["release_id"]["S"]) for r in rows) == [
        ("bugfarm_73649", "prod", release_id),
        ("bugfarm_73649", "stage", release_id),
    ]

    params = aws.ssm.get_parameters_by_path(Path="/bugfarm_73649", Recursive=True)["Parameters"]
    found = {p["Name"]: p["Value"] for p in params}
    for name, value in found.items():
        if name.endswith("/published"):
            assert json.loads(value)["image"] == found[name.removesuffix("/published")]
            found[name] = ANY_RECORD
    assert found == {
        "/bugfarm_73649/images/latest/hatching": RFC_IMAGES["hatching"],
        "/bugfarm_73649/images/latest/feeding": RFC_IMAGES["feeding"],
        "/bugfarm_73649/deployments/stage/hatching": RFC_IMAGES["hatching"],
        "/bugfarm_73649/deployments/stage/feeding": RFC_IMAGES["feeding"],
        "/bugfarm_73649/deployments/prod/hatching": RFC_IMAGES["hatching"],
        "/bugfarm_73649/deployments/prod/feeding": RFC_IMAGES["feeding"],
        # publish's records, below each label's image (a listing one level deep does not see them)
        "/bugfarm_73649/images/latest/hatching/published": ANY_RECORD,
        "/bugfarm_73649/images/latest/feeding/published": ANY_RECORD,
    }
    shallow = aws.ssm.get_parameters_by_path(Path="/bugfarm_73649/images/latest")["Parameters"]
    assert sorted(p["Name"] for p in shallow) == [
        "/bugfarm_73649/images/latest/feeding",
        "/bugfarm_73649/images/latest/hatching",
    ]
    described = aws.ssm.describe_parameters()["Parameters"]
    by_name = {p["Name"]: p.get("Description", "") for p in described}
    assert "dev_dave" in by_name["/bugfarm_73649/images/latest/hatching"]

    status = json.loads(ok(tracker(bugfarm_file, "status", "--output", "json")))
    assert {env: (s["release_id"], s["images"]) for env, s in status.items()} == {
        "prod": (release_id, RFC_IMAGES),
        "stage": (release_id, RFC_IMAGES),
    }
    assert status["prod"]["requested_by"] == {"id": "ops_ophelia", "name": "Ophelia Oppenheimer"}
    assert status["prod"]["freeze"] is None
