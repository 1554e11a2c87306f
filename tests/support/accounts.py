"""Test-only: clients acting in another AWS account of the moto server, without the tracker's code.

moto keeps state per account: credentials from ``sts.assume_role`` into
``arn:aws:iam::ACCOUNT:role/x`` act in ACCOUNT (ENVIRONMENT.md, checked). The
tests use these plain boto3 clients to set up and inspect each account, so
what they see does not depend on the tracker's own role handling.
"""

from __future__ import annotations

from typing import Any

import boto3

DEFAULT_ACCOUNT = "123456789012"  # moto's, for credentials that assumed no role


def account_session(account: str, region: str) -> Any:
    """A boto3 session in ``account`` (by assuming a role there) and ``region``."""
    if account == DEFAULT_ACCOUNT:
        return boto3.session.Session(region_name=region)
    sts = boto3.client("sts", region_name=region)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-inspector", RoleSessionName="test"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def parameters(session: Any) -> dict[str, str]:
    """Every SSM parameter of the session's account and region (name -> value)."""
    ssm = session.client("ssm")
    found: dict[str, str] = {}
    for page in ssm.get_paginator("describe_parameters").paginate():
        for entry in page["Parameters"]:
            found[entry["Name"]] = ssm.get_parameter(Name=entry["Name"])["Parameter"]["Value"]
    return found


def images(session: Any) -> dict[str, str]:
    """The SSM parameters holding images (publish's records beside them, ``…/published``, left out)."""
    return {k: v for k, v in parameters(session).items() if not k.endswith("/published")}


def items(session: Any, table: str) -> list[dict[str, Any]] | None:
    """Every item of a table in the session's account and region (None: no such table)."""
    dynamodb = session.client("dynamodb")
    try:
        return dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
