"""Tables a team created with its own tooling: other table names, other GSI names, other projections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import reset_moto
from tests.support.cli import REGISTRY, Cli, Outcome
from tests.support.tables import create_tables, snapshot

THEIRS = {"TRACKER_RELEASES_TABLE": "platform-releases", "TRACKER_DEPLOYMENTS_TABLE": "platform-deployments"}


@pytest.fixture
def clients(moto_endpoint: str) -> Any:
    from tracker.stores.clients import Clients

    reset_moto(moto_endpoint)
    return Clients()


def run(project_file: Path, *args: str, code: int = 0, **env: str) -> Outcome:
    return Cli(project_file, user="ci", env={**THEIRS, **env})(*args, code=code)


def rfc_flow(project_file: Path, **env: str) -> None:
    for tag in ("v1", "v2"):
        for service in ("hatching", "feeding"):
            run(project_file, "publish", service, f"{REGISTRY}/{service}:{tag}", **env)
        run(project_file, "release", "create", **env)
        run(project_file, "deploy", "latest", "stage", **env)
    run(project_file, "promote", "stage", "prod", **env)
    listed = json.loads(run(project_file, "release", "list", "-o", "json", **env).stdout)
    assert [r["release_manifest"]["images"]["hatching"] for r in listed] == [
        f"{REGISTRY}/hatching:v2",
        f"{REGISTRY}/hatching:v1",
    ]
    history = json.loads(run(project_file, "history", "--all", "-o", "json", **env).stdout)
    assert [h["environment"]["id"] for h in history] == ["prod", "stage", "stage"]


@pytest.mark.parametrize("projection", ["ALL", "KEYS_ONLY"])
def test_gsis_with_other_names_are_found_by_their_key_schema(
    clients: Any, bugfarm_file: Path, projection: str
) -> None:
    create_tables(
        clients.dynamodb, *THEIRS.values(), indexes=("by-created", "by-deployed"), projection=projection
    )
    rfc_flow(bugfarm_file)


def test_gsi_names_from_the_settings(clients: Any, bugfarm_file: Path) -> None:
    create_tables(clients.dynamodb, *THEIRS.values(), indexes=("released", "deployed"))
    rfc_flow(
        bugfarm_file, TRACKER_LATEST_RELEASES_INDEX="released", TRACKER_LATEST_DEPLOYMENTS_INDEX="deployed"
    )
    wrong = run(bugfarm_file, "release", "list", code=1, TRACKER_LATEST_RELEASES_INDEX="nope")
    assert (
        "DynamoDB table 'platform-releases' (region eu-west-1, account 123456789012) has no index 'nope' "
        "(TRACKER_LATEST_RELEASES_INDEX)" in wrong.stderr
    )


def test_a_missing_gsi_is_named_with_its_keys_and_nothing_is_written(
    clients: Any, bugfarm_file: Path
) -> None:
    create_tables(clients.dynamodb, *THEIRS.values())
    clients.dynamodb.update_table(
        TableName=THEIRS["TRACKER_RELEASES_TABLE"],
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "latest_releases"}}],
    )
    for service in ("hatching", "feeding"):
        run(bugfarm_file, "publish", service, f"{REGISTRY}/{service}:v1")
    before = snapshot(clients.dynamodb, clients.ssm, *THEIRS.values())
    refused = run(bugfarm_file, "release", "create", code=1)
    assert refused.stderr.strip().splitlines() == [
        "tracker: error: DynamoDB table 'platform-releases' (region eu-west-1, account 123456789012) has "
        "no global secondary index on project_id (hash) + created_at (range), the RFC's 'latest releases' "
        "index: add one, or name yours with TRACKER_LATEST_RELEASES_INDEX"
    ]
    assert snapshot(clients.dynamodb, clients.ssm, *THEIRS.values()) == before


def test_a_missing_table_is_named_with_region_and_account(clients: Any, bugfarm_file: Path) -> None:
    refused = run(bugfarm_file, "status", code=1)
    assert (
        "DynamoDB tables 'platform-releases' and 'platform-deployments' do not exist "
        "(region eu-west-1, account 123456789012) (create them with the Terraform module "
        "modules/tracking-store, or point TRACKER_RELEASES_TABLE / TRACKER_DEPLOYMENTS_TABLE at yours)"
        in refused.stderr
    )
    create_tables(clients.dynamodb, "platform-releases", "elsewhere")
    refused = run(bugfarm_file, "status", code=1)
    assert (
        "DynamoDB table 'platform-deployments' does not exist (region eu-west-1, account 123456789012)"
        in refused.stderr
    )


def test_a_release_without_images_says_where_it_looked(clients: Any, bugfarm_file: Path) -> None:
    create_tables(clients.dynamodb, *THEIRS.values())
    refused = run(bugfarm_file, "release", "create", "--label", "stable", code=1)
    assert (
        "label 'stable' of project 'bugfarm_73649' has no image for service(s): hatching, feeding "
        "(looked in SSM /bugfarm_73649/images/stable/*, region eu-west-1)" in refused.stderr
    )
