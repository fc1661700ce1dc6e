"""The normalisation rules shared by every kind, each on its own (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from drift import normalise as n
from drift._botocore import input_shape
from drift.redact import is_digest


@pytest.mark.parametrize(("given_", "expected"), [
    ({"ModelName": "m", "ModelArn": "arn", "CreationTime": "t", "ResponseMetadata": {}}, {"ModelName": "m"}),
    ({"ModelName": "m", "DeploymentRecommendation": {"RecommendationStatus": "COMPLETED"}}, {"ModelName": "m"}),
    ({"ModelName": "m", "SomeFutureReadOnlyField": 1}, {"ModelName": "m"}),
    ({"ModelName": "m", "Tags": [{"Key": "a", "Value": "b"}]}, {"ModelName": "m"}),
])
def test_keep_request_fields(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """Read-only fields, unknown Describe-only fields and Tags never reach the comparison."""
    members = input_shape("CreateModel").members
    assert expected == n.keep_request_fields(given_, members, frozenset({"ModelArn", "CreationTime"}))


@pytest.mark.parametrize(("given_", "expected"), [
    ({"a": {}, "b": [], "c": None, "d": 1}, {"d": 1}),
    ({"a": {"b": {"c": {}}}}, {}),
    ({"a": [{}, {"x": 1}]}, {"a": [{"x": 1}]}),
    ({"a": False, "b": 0, "c": ""}, {"a": False, "b": 0, "c": ""}),
])
def test_drop_empty(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """{} [] and null vanish at every depth; false, 0 and "" are values."""
    assert expected == n.drop_empty(given_)


def test_secrets_as_digest_by_key_and_by_shape() -> None:
    """Secret-named Environment keys and credential-shaped values anywhere keep a digest; equal values give
    equal digests; ordinary values stay."""
    form = {"Environment": {"DB_PASSWORD": "hunter2", "DATABASE_URL": "postgres://app:pw@db/x", "PLAIN": "x"},
            "Note": "Bearer abcdefghijklmnop"}
    first, again = n.secrets_as_digest(form), n.secrets_as_digest(form)
    env = first["Environment"]
    assert (True, True, "x") == (is_digest(env["DB_PASSWORD"]), is_digest(env["DATABASE_URL"]), env["PLAIN"])
    assert is_digest(first["Note"])
    assert "hunter2" not in str(first)
    assert first == again


@pytest.mark.parametrize(("given_", "expected"), [
    ([{"Key": "a", "Value": "1"}, {"Key": "aws:cloudformation:stack-name", "Value": "s"}], {"a": "1"}),
    ({"a": 1, "b": "x"}, {"a": "1", "b": "x"}),
    ([], {}),
    ({}, {}),
])
def test_tags_as_mapping(given_: Any, expected: dict[str, str]) -> None:
    """Tags as list or mapping become one mapping; aws: tags are AWS's own."""
    assert expected == n.tags_as_mapping(given_)
