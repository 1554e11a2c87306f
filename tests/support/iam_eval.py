"""A small, strict evaluator of IAM identity policies (test-only).

It decides one request — an action on a resource, with request context keys —
against a set of identity-based policy documents, the way IAM does within one
account and without boundaries, SCPs or session policies:

* an explicit ``Deny`` that matches wins;
* otherwise a matching ``Allow`` allows;
* otherwise the request is implicitly denied.

Supported: ``Effect``, ``Action``/``NotAction`` (case-insensitive, ``*`` and
``?`` wildcards), ``Resource``/``NotResource`` (case-sensitive; an ARN is
matched segment by segment over its six ``:``-separated parts, so a wildcard
never spans a segment, except inside the last one, which may itself contain
``:``), ``Sid``, and ``Condition`` with the string operators
``StringEquals``, ``StringNotEquals``, ``StringEqualsIgnoreCase``,
``StringNotEqualsIgnoreCase``, ``StringLike`` and ``StringNotLike``, each with
an optional ``ForAllValues:``/``ForAnyValue:`` prefix and ``IfExists`` suffix.

Anything else (policy variables ``${...}``, ``Principal``, other operators)
raises :class:`UnsupportedPolicyError` rather than being guessed at: a test
that uses this module fails loudly instead of passing on a misreading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

ALLOW = "Allow"
DENY = "Deny"

_STRING_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class UnsupportedPolicyError(ValueError):
    """The policy uses something this evaluator does not implement."""


class Decision(Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "implicitly denied"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOWED


@dataclass(frozen=True)
class Request:
    """One authorization request: ``action`` on ``resource`` with context keys (name -> values)."""

    action: str
    resource: str
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``*`` matches any sequence, ``?`` any one character; everything else is literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(rf"\A{regex}\Z", (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    _reject_variables(pattern)
    return _wildcard(pattern, ignore_case).match(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """IAM actions: ``service:Action``, compared case-insensitively, with wildcards."""
    return wildcard_match(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM resources: ``*`` alone matches all; ARNs are matched per segment, case-sensitively."""
    _reject_variables(pattern)
    if pattern == "*":
        return True
    if not pattern.startswith("arn:") or not resource.startswith("arn:"):
        return wildcard_match(pattern, resource)
    pattern_parts = pattern.split(":", 5)
    resource_parts = resource.split(":", 5)
    if len(pattern_parts) != 6:
        raise UnsupportedPolicyError(f"resource ARN pattern without six segments: {pattern!r}")
    if len(resource_parts) != 6:
        return False
    return all(wildcard_match(p, r) for p, r in zip(pattern_parts, resource_parts, strict=True))


def _reject_variables(pattern: str) -> None:
    if "${" in pattern:
        raise UnsupportedPolicyError(f"policy variables are not supported: {pattern!r}")


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _string_op(operator: str, policy_values: list[str], request_value: str) -> bool:
    """The single-value comparison of a (non-negated) string operator."""
    if operator == "StringEquals":
        return request_value in policy_values
    if operator == "StringEqualsIgnoreCase":
        return request_value.casefold() in {v.casefold() for v in policy_values}
    if operator == "StringLike":
        return any(wildcard_match(v, request_value) for v in policy_values)
    raise UnsupportedPolicyError(f"unsupported condition operator {operator!r}")


def _condition_entry(operator: str, policy_values: list[str], request_values: list[str] | None) -> bool:
    """One ``"Operator": {"key": values}`` entry against the request's values of that key."""
    qualifier, _, name = operator.rpartition(":")
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedPolicyError(f"unsupported condition set operator {qualifier!r}")
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    if name not in _STRING_OPERATORS:
        raise UnsupportedPolicyError(f"unsupported condition operator {operator!r}")
    if not all(isinstance(v, str) for v in policy_values):
        raise UnsupportedPolicyError(f"non-string values in condition {operator!r}: {policy_values!r}")
    negated = "Not" in name
    base = name.replace("Not", "")

    def one(value: str) -> bool:
        matched = _string_op(base, policy_values, value)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        # True when every request value matches; vacuously true for an absent or empty key.
        return all(one(v) for v in request_values or [])
    if qualifier == "ForAnyValue":
        # False for an absent or empty key.
        return any(one(v) for v in request_values or [])
    if not request_values:
        # An absent key matches nothing, so negated operators hold; IfExists skips the check.
        return if_exists or negated
    if len(request_values) > 1:
        raise UnsupportedPolicyError(f"single-valued operator {operator!r} on a multivalued key")
    return one(request_values[0])


def condition_matches(condition: Mapping[str, Any], context: Mapping[str, Sequence[str]]) -> bool:
    """Every operator block and every key in it must hold (AND); the values of one key are an OR."""
    lowered = {k.lower(): list(v) for k, v in context.items()}
    for operator, entries in condition.items():
        if not isinstance(entries, Mapping):
            raise UnsupportedPolicyError(f"condition block {operator!r} is not an object")
        for key, values in entries.items():
            if not _condition_entry(operator, _as_list(values), lowered.get(key.lower())):
                return False
    return True


def statement_matches(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise UnsupportedPolicyError(f"unsupported statement element(s): {sorted(unknown)}")
    if ("Action" in statement) == ("NotAction" in statement):
        raise UnsupportedPolicyError("a statement needs exactly one of Action and NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise UnsupportedPolicyError("a statement needs exactly one of Resource and NotResource")
    if "Action" in statement:
        action_ok = any(action_matches(p, request.action) for p in _as_list(statement["Action"]))
    else:
        action_ok = not any(action_matches(p, request.action) for p in _as_list(statement["NotAction"]))
    if not action_ok:
        return False
    if "Resource" in statement:
        resource_ok = any(resource_matches(p, request.resource) for p in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(
            resource_matches(p, request.resource) for p in _as_list(statement["NotResource"])
        )
    if not resource_ok:
        return False
    return condition_matches(statement.get("Condition", {}), request.context)


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if policy.get("Version") != "2012-10-17":
        raise UnsupportedPolicyError(f"policy Version must be '2012-10-17', not {policy.get('Version')!r}")
    statements = _as_list(policy["Statement"])
    for statement in statements:
        if statement.get("Effect") not in (ALLOW, DENY):
            raise UnsupportedPolicyError(f"bad Effect {statement.get('Effect')!r}")
    return statements


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """The decision of IAM for ``request`` under the identity policies ``policies``."""
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            if statement_matches(statement, request):
                if statement["Effect"] == DENY:
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def is_allowed(policies: Iterable[Mapping[str, Any]] | Mapping[str, Any], request: Request) -> bool:
    if isinstance(policies, Mapping):
        policies = [policies]
    return evaluate(policies, request).allowed
