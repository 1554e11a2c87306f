"""Query pages read with json.loads (tracker.stores.dynamo.raw_query_body) equal botocore's parse."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.parsers import create_parser

from tracker.stores.dynamo import raw_query_body

BODY = {
    "Count": 1,
    "ScannedCount": 1,
    "Items": [
        {
            "release_id": {"S": "shop:1"},
            "deployed_at": {"N": "1700000000.123"},
            "release_manifest": {
                "M": {
                    "deployments": {"L": [{"M": {"forced": {"NULL": True}, "ok": {"BOOL": False}}}]},
                    "tags": {"SS": ["a", "b"]},
                    "sizes": {"NS": ["1", "2.5"]},
                }
            },
        }
    ],
    "LastEvaluatedKey": {"project_id": {"S": "shop"}, "deployed_at": {"N": "1"}},
}


def parse(response: dict[str, Any], raw: bool) -> dict[str, Any]:
    """What botocore's endpoint does with a response: the before-parse hook (or not), then its parser."""
    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("Query")
    custom: dict[str, Any] = {}
    if raw:
        raw_query_body(response_dict=response, customized_response_dict=custom)
    parsed = create_parser("json").parse(response, model.output_shape)
    parsed.update(custom)
    parsed.pop("ResponseMetadata", None)
    return parsed


def response(body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {"status_code": status, "headers": {}, "body": json.dumps(body).encode()}


def test_items_read_raw_are_what_botocore_parses() -> None:
    raw = response(BODY)
    assert parse(raw, raw=True) == parse(response(BODY), raw=False)
    assert raw["body"] == b"{}"  # botocore's walker was given nothing to walk


def test_an_error_is_left_to_botocore() -> None:
    error = {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "no table"}
    failed = response(error, 400)
    parse(failed, raw=True)
    assert json.loads(failed["body"]) == error  # untouched: botocore reads the error from it
