"""Each normalisation rule on its own (table-driven), then the invariants of the whole (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from drift import normalise as n
from drift.redact import is_digest
from tests.strategies import live_form, models

S3 = "s3://bucket/model.tar.gz"
DEFAULTS = {"Mode": "SingleModel", "ImageConfig": {"RepositoryAccessMode": "Platform"},
            "MultiModelConfig": {"ModelCacheSetting": "Enabled"}}


@pytest.mark.parametrize(("given_", "expected"), [
    ({"ModelName": "m", "ModelArn": "arn", "CreationTime": "t", "ResponseMetadata": {}},
     {"ModelName": "m"}),
    ({"ModelName": "m", "DeploymentRecommendation": {"RecommendationStatus": "COMPLETED"}}, {"ModelName": "m"}),
    ({"ModelName": "m", "SomeFutureReadOnlyField": 1}, {"ModelName": "m"}),
    ({"ModelName": "m", "Tags": [{"Key": "a", "Value": "b"}]}, {"ModelName": "m"}),
])
def test_drop_read_only(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """Read-only fields, unknown DescribeModel-only fields and Tags never reach the comparison."""
    assert expected == n.drop_read_only(given_)


@pytest.mark.parametrize(("given_", "expected"), [
    ({"a": {}, "b": [], "c": None, "d": 1}, {"d": 1}),
    ({"a": {"b": {"c": {}}}}, {}),
    ({"a": [{}, {"x": 1}]}, {"a": [{"x": 1}]}),
    ({"a": False, "b": 0, "c": ""}, {"a": False, "b": 0, "c": ""}),
])
def test_drop_empty(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """{} [] and null vanish at every depth; false, 0 and "" are values."""
    assert expected == n.drop_empty(given_)


@pytest.mark.parametrize(("given_", "expected"), [
    ({"PrimaryContainer": {"Image": "i"}}, {"Containers": [{"Image": "i"}]}),
    ({"PrimaryContainer": {}, "Containers": [{"Image": "i"}]}, {"Containers": [{"Image": "i"}]}),
    ({"Containers": [{"Image": "i"}, {"Image": "j"}]}, {"Containers": [{"Image": "i"}, {"Image": "j"}]}),
])
def test_primary_container_as_list(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """PrimaryContainer and a one-entry Containers are one form; moto's placeholders lose."""
    assert expected == n.primary_container_as_list(given_)


@pytest.mark.parametrize(("given_", "expected"), [
    ({"ModelDataSource": {"S3DataSource": {"S3Uri": S3, "S3DataType": "S3Object", "CompressionType": "Gzip"}}},
     {"ModelDataUrl": S3}),
    ({"ModelDataUrl": S3,
      "ModelDataSource": {"S3DataSource": {"S3Uri": S3, "S3DataType": "S3Object", "CompressionType": "Gzip"}}},
     {"ModelDataUrl": S3}),
    ({"ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/p/", "S3DataType": "S3Prefix",
                                           "CompressionType": "None"}}},
     {"ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/p/", "S3DataType": "S3Prefix",
                                           "CompressionType": "None"}}}),
    ({"ModelDataUrl": "s3://b/p/", "ModelDataSource": {"S3DataSource": {
        "S3Uri": "s3://b/p/", "S3DataType": "S3Prefix", "CompressionType": "None"}}},
     {"ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/p/", "S3DataType": "S3Prefix",
                                           "CompressionType": "None"}}}),
    ({"ModelDataUrl": S3}, {"ModelDataUrl": S3}),
])
def test_model_data_source_as_url(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """A plain S3Object/Gzip source is ModelDataUrl; a richer one stays, without an echoed URL."""
    assert expected == n.model_data_source_as_url(given_)


@pytest.mark.parametrize(("given_", "expected"), [
    ({"Environment": {"A": 1, "B": 2.5, "C": "x"}}, {"Environment": {"A": "1", "B": "2.5", "C": "x"}}),
    ({"Image": "i"}, {"Image": "i"}),
])
def test_environment_as_strings(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """Numbers in Environment compare as their string form."""
    assert expected == n.environment_as_strings(given_)


def test_secret_environment_as_digest() -> None:
    """Secret-looking keys keep a digest, not the value; equal values give equal digests."""
    first = n.secret_environment_as_digest({"Environment": {"DB_PASSWORD": "hunter2", "PLAIN": "x"}})
    again = n.secret_environment_as_digest({"Environment": {"DB_PASSWORD": "hunter2"}})
    assert is_digest(first["Environment"]["DB_PASSWORD"])
    assert "hunter2" not in str(first)
    assert "x" == first["Environment"]["PLAIN"]
    assert first["Environment"]["DB_PASSWORD"] == again["Environment"]["DB_PASSWORD"]


def test_vpc_ids_as_sets() -> None:
    """Subnets and security groups are sorted and de-duplicated."""
    assert {"VpcConfig": {"SecurityGroupIds": ["a", "b"], "Subnets": ["x", "y"]}} == n.vpc_ids_as_sets(
        {"VpcConfig": {"SecurityGroupIds": ["b", "a", "b"], "Subnets": ["y", "x"]}})


@pytest.mark.parametrize(("given_", "expected"), [
    ({"Containers": [{"Image": "i"}]},
     {"EnableNetworkIsolation": False, "Containers": [{"Image": "i", **DEFAULTS}]}),
    ({"Containers": [{"Image": "i"}, {"Image": "j"}]},
     {"EnableNetworkIsolation": False, "InferenceExecutionConfig": {"Mode": "Serial"},
      "Containers": [{"Image": "i", **DEFAULTS}, {"Image": "j", **DEFAULTS}]}),
    ({"Containers": [{"Image": "i", "ImageConfig": {"RepositoryAccessMode": "Vpc"}}]},
     {"EnableNetworkIsolation": False,
      "Containers": [{"Image": "i", **DEFAULTS, "ImageConfig": {"RepositoryAccessMode": "Vpc"}}]}),
    ({"Containers": [{"Image": "i", "MultiModelConfig": {"ModelCacheSetting": "Disabled"}}]},
     {"EnableNetworkIsolation": False,
      "Containers": [{"Image": "i", **DEFAULTS, "MultiModelConfig": {"ModelCacheSetting": "Disabled"}}]}),
    ({"EnableNetworkIsolation": True, "InferenceExecutionConfig": {"Mode": "Direct"},
      "Containers": [{"Image": "i", "Mode": "MultiModel"}, {"Image": "j"}]},
     {"EnableNetworkIsolation": True, "InferenceExecutionConfig": {"Mode": "Direct"},
      "Containers": [{"Image": "i", **DEFAULTS, "Mode": "MultiModel"}, {"Image": "j", **DEFAULTS}]}),
])
def test_fill_defaults(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """SageMaker's documented defaults are filled in, never over a declared value."""
    assert expected == n.fill_defaults(given_)


@pytest.mark.parametrize(("given_", "expected"), [
    ([{"Key": "a", "Value": "1"}, {"Key": "aws:cloudformation:stack-name", "Value": "s"}], {"a": "1"}),
    ({"a": 1, "b": "x"}, {"a": "1", "b": "x"}),
    ([], {}),
    ({}, {}),
])
def test_tags_as_mapping(given_: Any, expected: dict[str, str]) -> None:
    """Tags as list or mapping become one mapping; aws: tags are AWS's own."""
    assert expected == n.tags_as_mapping(given_)


@given(models())
def test_canonical_is_idempotent(spec: dict[str, Any]) -> None:
    """Normalising twice changes nothing."""
    once = n.canonical(spec, tags=spec.get("Tags"))
    assert once == n.canonical(once, tags=once.get("Tags"))


@given(models())
def test_desired_and_live_forms_are_equal(spec: dict[str, Any]) -> None:
    """What CreateModel was given and what DescribeModel returns normalise to the same thing."""
    live, tags = live_form(spec)
    if "Tags" in spec:
        assert n.canonical(spec, tags=spec["Tags"]) == n.canonical(live, tags=tags or [])
    else:
        assert n.canonical(spec) == n.canonical(live)
