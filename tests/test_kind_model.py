"""The Model kind's quirks, one table per rule, then the invariants of the whole (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from drift.kinds import Context
from drift.kinds import model as m
from tests.strategies import live_form, models

S3 = "s3://bucket/model.tar.gz"
DEFAULTS = {"Mode": "SingleModel", "ImageConfig": {"RepositoryAccessMode": "Platform"},
            "MultiModelConfig": {"ModelCacheSetting": "Enabled"}}
SERIAL = {"InferenceExecutionConfig": {"Mode": "Serial"}}
CTX = Context(account="123456789012", region="us-east-1")


@pytest.mark.parametrize(("given_", "expected"), [
    ({"PrimaryContainer": {"Image": "i"}}, {"Containers": [{"Image": "i"}]}),
    ({"PrimaryContainer": {}, "Containers": [{"Image": "i"}]}, {"Containers": [{"Image": "i"}]}),
    ({"Containers": [{"Image": "i"}, {"Image": "j"}]}, {"Containers": [{"Image": "i"}, {"Image": "j"}]}),
])
def test_primary_container_as_list(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """PrimaryContainer and a one-entry Containers are one form; moto's placeholders lose."""
    assert expected == m.primary_container_as_list(given_)


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
    assert expected == m.model_data_source_as_url(given_)


@pytest.mark.parametrize(("given_", "expected"), [
    ({"Environment": {"A": 1, "B": 2.5, "C": "x"}}, {"Environment": {"A": "1", "B": "2.5", "C": "x"}}),
    ({"Image": "i"}, {"Image": "i"}),
])
def test_environment_as_strings(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """Numbers in Environment compare as their string form."""
    assert expected == m.environment_as_strings(given_)


def test_vpc_ids_as_sets() -> None:
    """Subnets and security groups are sorted and de-duplicated."""
    assert {"VpcConfig": {"SecurityGroupIds": ["a", "b"], "Subnets": ["x", "y"]}} == m.vpc_ids_as_sets(
        {"VpcConfig": {"SecurityGroupIds": ["b", "a", "b"], "Subnets": ["y", "x"]}})


@pytest.mark.parametrize(("given_", "expected"), [
    ({"Containers": [{"Image": "i"}]},
     {"EnableNetworkIsolation": False, **SERIAL, "Containers": [{"Image": "i", **DEFAULTS}]}),
    ({"Containers": [{"Image": "i"}, {"Image": "j"}]},
     {"EnableNetworkIsolation": False, **SERIAL,
      "Containers": [{"Image": "i", **DEFAULTS}, {"Image": "j", **DEFAULTS}]}),
    ({"Containers": [{"Image": "i", "ImageConfig": {"RepositoryAccessMode": "Vpc"}}]},
     {"EnableNetworkIsolation": False, **SERIAL,
      "Containers": [{"Image": "i", **DEFAULTS, "ImageConfig": {"RepositoryAccessMode": "Vpc"}}]}),
    ({"Containers": [{"Image": "i", "MultiModelConfig": {"ModelCacheSetting": "Disabled"}}]},
     {"EnableNetworkIsolation": False, **SERIAL,
      "Containers": [{"Image": "i", **DEFAULTS, "MultiModelConfig": {"ModelCacheSetting": "Disabled"}}]}),
    ({"EnableNetworkIsolation": True, "InferenceExecutionConfig": {"Mode": "Direct"},
      "Containers": [{"Image": "i", "Mode": "MultiModel"}, {"Image": "j"}]},
     {"EnableNetworkIsolation": True, "InferenceExecutionConfig": {"Mode": "Direct"},
      "Containers": [{"Image": "i", **DEFAULTS, "Mode": "MultiModel"}, {"Image": "j", **DEFAULTS}]}),
])
def test_fill_defaults(given_: dict[str, Any], expected: dict[str, Any]) -> None:
    """SageMaker's documented defaults are filled in (Serial whatever the number of containers), never over a
    declared value."""
    assert expected == m.fill_defaults(given_)


MIRROR = {"S3DataSource": {"S3Uri": S3, "S3DataType": "S3Object", "CompressionType": "Gzip"}}


@pytest.mark.parametrize(("declared", "live", "expected"), [
    ({"ModelDataUrl": S3}, {"ModelDataSource": {"S3DataSource": {**MIRROR["S3DataSource"], "ETag": "e"}}},
     {"ModelDataUrl": S3}),
    ({"ModelDataSource": {"S3DataSource": {**MIRROR["S3DataSource"], "ETag": "e"}}},
     {"ModelDataSource": {"S3DataSource": {**MIRROR["S3DataSource"], "ETag": "e"}}},
     {"ModelDataSource": {"S3DataSource": {**MIRROR["S3DataSource"], "ETag": "e"}}}),
    ({"AdditionalModelDataSources": [{"ChannelName": "c", "S3DataSource": {"S3Uri": S3}}]},
     {"AdditionalModelDataSources": [{"ChannelName": "c", "S3DataSource": {"S3Uri": S3, "ManifestEtag": "m"}}]},
     {"AdditionalModelDataSources": [{"ChannelName": "c", "S3DataSource": {"S3Uri": S3}}]}),
])
def test_s3_etags_are_echoes(declared: dict[str, Any], live: dict[str, Any], expected: dict[str, Any]) -> None:
    """ETag and ManifestEtag are SageMaker's unless declared; what is left is canonicalised again."""
    assert expected == m.s3_etags_are_echoes(declared, live)


@pytest.mark.parametrize(("declared", "live", "expected"), [
    ({"ModelDataUrl": "s3://b/tenants/"}, {"ModelDataSource": {"S3DataSource": {
        "S3Uri": "s3://b/tenants/", "S3DataType": "S3Prefix", "CompressionType": "None"}}},
     {"ModelDataUrl": "s3://b/tenants/"}),
    ({"ModelDataUrl": S3}, {"ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/other"}}},
     {"ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/other"}}}),
    ({"ModelDataSource": MIRROR}, {"ModelDataSource": MIRROR}, {"ModelDataSource": MIRROR}),
])
def test_model_data_source_echoes_url(declared: dict[str, Any], live: dict[str, Any],
                                      expected: dict[str, Any]) -> None:
    """A live source whose S3Uri is the declared ModelDataUrl is that URL's echo, whatever its type."""
    assert expected == m.model_data_source_echoes_url(declared, live)


@pytest.mark.parametrize(("declared", "live", "expected"), [
    ({"Image": "i"}, {"Image": "i", "ContainerHostname": "container-1"}, {"Image": "i"}),
    ({"ContainerHostname": "a"}, {"ContainerHostname": "b"}, {"ContainerHostname": "b"}),
])
def test_container_hostname_is_echo(declared: dict[str, Any], live: dict[str, Any], expected: dict[str, Any]) -> None:
    """A hostname SageMaker assigned is not drift; a declared one is compared."""
    assert expected == m.container_hostname_is_echo(declared, live)


@pytest.mark.parametrize(("name", "expected"), [
    ("p/3", "arn:aws:sagemaker:us-east-1:123456789012:model-package/p/3"),
    ("MyPkg", "arn:aws:sagemaker:us-east-1:123456789012:model-package/mypkg"),
    ("arn:aws:sagemaker:eu-west-1:1:model-package/X/1", "arn:aws:sagemaker:eu-west-1:1:model-package/x/1"),
])
def test_package_identity(name: str, expected: str) -> None:
    """A bare name[/version] is the ARN in the model's own account and region; ARNs compare lower-cased."""
    assert expected == m.package_identity(name, CTX)


@given(models())
def test_canonical_is_idempotent(spec: dict[str, Any]) -> None:
    """Normalising twice changes nothing."""
    once = m.canonical(spec)
    assert once == m.canonical(once)


@given(models())
def test_desired_and_live_forms_are_equal(spec: dict[str, Any]) -> None:
    """What CreateModel was given and what DescribeModel returns normalise to the same thing."""
    live, _tags = live_form(spec)
    assert m.canonical(spec) == m.canonical(live)
