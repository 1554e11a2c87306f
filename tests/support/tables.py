"""Test-only helpers: the tracking tables as the Terraform store module defines them.

tests/terraform/test_modules.py asserts that the module creates exactly these
key schemas, so the two definitions cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from tracker.stores.dynamo import LATEST_DEPLOYMENTS, LATEST_RELEASES


def create_tables(
    dynamodb: Any,
    releases: str,
    deployments: str,
    indexes: tuple[str, str] = (LATEST_RELEASES, LATEST_DEPLOYMENTS),
    projection: str = "ALL",
) -> None:
    """The two tables; ``indexes`` names the GSIs (another team's tooling may name them otherwise)."""
    dynamodb.create_table(
        TableName=releases,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "release_id", "AttributeType": "S"},
            {"AttributeName": "project_id", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "N"},
            {"AttributeName": "deployed_at", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "release_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": indexes[0],
                "KeySchema": [
                    {"AttributeName": "project_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": projection},
            },
            {
                "IndexName": indexes[1],
                "KeySchema": [
                    {"AttributeName": "project_id", "KeyType": "HASH"},
                    {"AttributeName": "deployed_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": projection},
            },
        ],
    )
    dynamodb.create_table(
        TableName=deployments,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "project_id", "AttributeType": "S"},
            {"AttributeName": "environment_id", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "project_id", "KeyType": "HASH"},
            {"AttributeName": "environment_id", "KeyType": "RANGE"},
        ],
    )


def snapshot(dynamodb: Any, ssm: Any, releases: str, deployments: str) -> dict[str, Any]:
    """Everything the tracker can write: both tables and every SSM parameter (for 'nothing written')."""
    state: dict[str, Any] = {}
    for table in (releases, deployments):
        try:
            items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
        except dynamodb.exceptions.ResourceNotFoundException:
            items = None
        state[table] = sorted(items, key=repr) if items is not None else None
    names: list[tuple[str, int]] = []
    for page in ssm.get_paginator("describe_parameters").paginate():
        names.extend((p["Name"], p["Version"]) for p in page["Parameters"])
    state["ssm"] = sorted(names)
    return state
