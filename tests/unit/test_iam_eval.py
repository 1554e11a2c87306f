"""The test-only IAM evaluator (tests/support/iam_eval.py) against IAM's documented semantics.

No maintained evaluator on PyPI fits (checked 2026-11: moto's ignores
``ForAllValues:StringLike``; PMapper is AGPL, unmaintained and fails to import
on Python >= 3.10), so the policy tests rely on this one, and these cases hold
it to IAM's rules: wildcards, case rules, set operators, negation on absent
keys, explicit deny.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import iam_eval
from tests.support.iam_eval import Decision, Request, evaluate, is_allowed

REGION = "eu-west-1"
ACCOUNT = "123456789012"
RELEASES_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/tracker-releases"
DEPLOYMENTS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/tracker-deployments"
RELEASES_INDEX_ARN = f"{RELEASES_ARN}/index/latest_releases"


def param(name: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"


def ddb(action: str, table_arn: str, leading_keys: list[str] | None = None) -> Request:
    context = {"dynamodb:LeadingKeys": leading_keys} if leading_keys is not None else {}
    return Request(f"dynamodb:{action}", table_arn, context)


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: Any, resource: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return statement


PARAM = param("/p/images/latest/a")


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("ssm:PutParameter", "ssm:PutParameter", True),
        ("SSM:putparameter", "ssm:PutParameter", True),
        ("ssm:Get*", "ssm:GetParametersByPath", True),
        ("ssm:Get*", "ssm:PutParameter", False),
        ("ssm:GetParameter?", "ssm:GetParameters", True),
        ("ssm:GetParameter?", "ssm:GetParameter", False),
        ("ssm:GetParameter", "ssm:GetParameters", False),
        ("*", "dynamodb:DeleteTable", True),
        ("ssm:*", "dynamodb:PutItem", False),
    ],
)
def test_eval_action_matching(pattern: str, action: str, matches: bool) -> None:
    assert iam_eval.action_matches(pattern, action) is matches


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("*", PARAM, True),
        (param("/p/images/*"), PARAM, True),  # '*' spans '/'
        (param("/p/images/*"), param("/p/images"), False),
        (param("/p/images"), param("/p/images"), True),
        (param("/p/images/*"), param("/P/images/latest/a"), False),  # resources are case-sensitive
        (param("/p/images/*"), param("/p/deployments/stage/a"), False),
        (param("/p.x/*"), param("/pyx/a"), False),  # '.' is literal
        (param("/p/images/latest/?"), PARAM, True),
        (param("/p/images/latest/?"), param("/p/images/latest/ab"), False),
        (f"arn:aws:ssm:*:{ACCOUNT}:parameter/p/*", PARAM, True),
        # A wildcard never spans ARN segments: the region segment cannot swallow the account.
        (
            f"arn:aws:ssm:eu-*:{ACCOUNT}:parameter/p/*",
            f"arn:aws:ssm:eu-west-1:x:{ACCOUNT}:parameter/p/a",
            False,
        ),
        (f"arn:aws:ssm:{REGION}:*:parameter/p/*", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/p/a:b", True),
        (f"{RELEASES_ARN}/index/*", RELEASES_INDEX_ARN, True),
        (f"{RELEASES_ARN}/index/*", RELEASES_ARN, False),
    ],
)
def test_eval_resource_matching(pattern: str, resource: str, matches: bool) -> None:
    assert iam_eval.resource_matches(pattern, resource) is matches


LEADING = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["p"]}}


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        (LEADING, {"dynamodb:LeadingKeys": ["p"]}, True),
        (LEADING, {"dynamodb:LeadingKeys": ["p", "p"]}, True),
        (LEADING, {"dynamodb:LeadingKeys": ["p", "q"]}, False),
        (LEADING, {"dynamodb:LeadingKeys": ["P"]}, False),  # StringEquals is case-sensitive
        (LEADING, {"DynamoDB:leadingkeys": ["q"]}, False),  # key names are not
        (LEADING, {}, True),  # ForAllValues over no values is vacuously true
        (LEADING, {"dynamodb:LeadingKeys": []}, True),
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": ["x", "b"]}, True),
        ({"ForAnyValue:StringEquals": {"k": ["a"]}}, {}, False),
        ({"StringEquals": {"k": "a"}}, {"k": ["a"]}, True),
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": ["b"]}, True),  # values of one key: OR
        ({"StringEquals": {"k": "a"}}, {}, False),
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {"k": ["b"]}, False),
        ({"StringNotEquals": {"k": "a"}}, {}, True),
        ({"StringNotEquals": {"k": "a"}}, {"k": ["a"]}, False),
        ({"StringEqualsIgnoreCase": {"k": "A"}}, {"k": ["a"]}, True),
        ({"StringLike": {"k": "a*"}}, {"k": ["abc"]}, True),
        ({"StringNotLike": {"k": "a*"}}, {"k": ["abc"]}, False),
        ({"StringNotLike": {"k": "a*"}}, {}, True),  # negated operators hold for an absent key
        ({"ForAllValues:StringLike": {"k": "p:*"}}, {"k": ["p:1", "p:2"]}, True),
        ({"ForAllValues:StringLike": {"k": "p:*"}}, {"k": ["p:1", "q:2"]}, False),
        ({"ForAllValues:StringLike": {"k": "p:*"}}, {"k": ["px:1"]}, False),
        ({"ForAllValues:StringNotLike": {"k": "*:*"}}, {"k": ["3f1c9b9e"]}, True),
        ({"ForAllValues:StringNotLike": {"k": "*:*"}}, {"k": ["3f1c9b9e", "p:1"]}, False),
        ({"StringLike": {"k": "a+b"}}, {"k": ["aab"]}, False),  # regex characters are literal
        ({"StringEquals": {"k": "a", "j": "b"}}, {"k": ["a"], "j": ["x"]}, False),  # keys: AND
        ({"StringEquals": {"k": "a"}, "StringLike": {"j": "b*"}}, {"k": ["a"], "j": ["bb"]}, True),
    ],
)
def test_eval_conditions(condition: dict[str, Any], context: dict[str, list[str]], holds: bool) -> None:
    assert iam_eval.condition_matches(condition, context) is holds


def test_eval_decisions() -> None:
    allow_all = _policy(_allow("ssm:*", "*"))
    deny_put = _policy({"Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*"})
    put = Request("ssm:PutParameter", PARAM)
    get = Request("ssm:GetParameter", PARAM)
    assert evaluate([allow_all], put) is Decision.ALLOWED
    assert evaluate([allow_all, deny_put], put) is Decision.EXPLICIT_DENY
    assert evaluate([deny_put, allow_all], put) is Decision.EXPLICIT_DENY  # order does not matter
    assert evaluate([deny_put, allow_all], get) is Decision.ALLOWED
    assert evaluate([], get) is Decision.IMPLICIT_DENY
    assert evaluate([_policy(_allow("dynamodb:GetItem", "*"))], get) is Decision.IMPLICIT_DENY
    not_action = _policy({"Effect": "Allow", "NotAction": "ssm:Delete*", "Resource": "*"})
    assert is_allowed(not_action, get)
    assert not is_allowed(not_action, Request("ssm:DeleteParameter", PARAM))
    not_resource = _policy({"Effect": "Allow", "Action": "ssm:*", "NotResource": param("/p/images/*")})
    assert not is_allowed(not_resource, get)
    assert is_allowed(not_resource, Request("ssm:GetParameter", param("/q/x")))
    scoped = _policy(_allow("dynamodb:GetItem", DEPLOYMENTS_ARN, LEADING))
    assert is_allowed(scoped, ddb("GetItem", DEPLOYMENTS_ARN, ["p"]))
    assert not is_allowed(scoped, ddb("GetItem", DEPLOYMENTS_ARN, ["q"]))
    assert not is_allowed(scoped, ddb("GetItem", RELEASES_ARN, ["p"]))


@pytest.mark.parametrize(
    "policy",
    [
        _policy(_allow("ssm:GetParameter", param("/${aws:username}/*"))),
        _policy({"Effect": "Allow", "Principal": "*", "Action": "ssm:GetParameter", "Resource": "*"}),
        _policy(_allow("ssm:GetParameter", "*", {"NumericLessThan": {"k": "1"}})),
        _policy(_allow("ssm:GetParameter", "*", {"ForSomeValues:StringEquals": {"k": "1"}})),
        _policy(_allow("ssm:GetParameter", "arn:aws:ssm:*")),
        _policy({"Effect": "Allow", "Action": "ssm:GetParameter"}),
        _policy({"Effect": "allow", "Action": "ssm:GetParameter", "Resource": "*"}),
        {"Version": "2008-10-17", "Statement": [_allow("ssm:GetParameter", "*")]},
    ],
)
def test_eval_refuses_what_it_does_not_implement(policy: dict[str, Any]) -> None:
    with pytest.raises(iam_eval.UnsupportedPolicyError):
        evaluate([policy], Request("ssm:GetParameter", PARAM, {"k": ["1"]}))
