"""The EndpointConfig kind: CreateEndpointConfig requests vs DescribeEndpointConfig responses (SPEC §9).

Endpoint configs are immutable like models, so they are compared strictly, with
SageMaker's documented defaults on both sides and empty meaning absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from drift._botocore import input_shape
from drift._yaml import plain
from drift.kinds.base import Context, KindSpec, Reconciled
from drift.normalise import drop_empty, ids_as_set, keep_request_fields, secrets_as_digest
from drift.report import Kind, Severity

READ_ONLY = frozenset({"EndpointConfigArn", "CreationTime", "ResponseMetadata"})
_VARIANT_LISTS = ("ProductionVariants", "ShadowProductionVariants")
_CRITICAL = frozenset({"ModelName", "InstanceType", "ServerlessConfig", "KmsKeyId", "VpcConfig", "ExecutionRoleArn",
                       "EnableNetworkIsolation", "AcceleratorType"})


def vpc_ids_as_sets(config: dict[str, Any]) -> dict[str, Any]:
    """Security groups and subnets are sets (as for models; botocore's VpcConfig shape is shared)."""
    vpc = config.get("VpcConfig")
    if not isinstance(vpc, dict):
        return config
    return {**config, "VpcConfig": {k: ids_as_set(v) if k in ("SecurityGroupIds", "Subnets") else v
                                    for k, v in vpc.items()}}


def _weight(value: Any) -> float:
    """Weights travel as float32 (0.8 comes back as 0.800000011920929): six decimals say all they mean."""
    return round(float(value), 6)


def variant_weight_default(config: dict[str, Any]) -> dict[str, Any]:
    """``InitialVariantWeight`` defaults to 1.0 for a variant that serves a model.

    Evidence: AWS API reference, ProductionVariant ("If unspecified, it defaults to 1.0"); recorded
    DescribeEndpointConfig answers (tests/fixtures/recorded/08-10) show 1.0. A variant without
    ModelName (inference components) gets no weight: Terraform's endpoint_configuration.go suppresses
    the diff because "AWS returns nil" there.
    """
    out = dict(config)
    for key in _VARIANT_LISTS:
        variants = out.get(key)
        if isinstance(variants, list):
            out[key] = [_with_weight(v) for v in variants]
    return out


def _with_weight(variant: Any) -> Any:
    if not isinstance(variant, dict):
        return variant
    if "InitialVariantWeight" in variant:
        return {**variant, "InitialVariantWeight": _weight(variant["InitialVariantWeight"])}
    return {**variant, "InitialVariantWeight": 1.0} if variant.get("ModelName") else variant


def network_isolation_default(config: dict[str, Any]) -> dict[str, Any]:
    """``EnableNetworkIsolation`` is false when omitted. Evidence: sagemaker-python-sdk
    tests/integ/test_sagemaker_config.py asserts DescribeEndpointConfig returns False for configs created
    without it; ACK's generator.yaml late-initialises it."""
    return {"EnableNetworkIsolation": False, **config}


def fill_defaults(config: dict[str, Any]) -> dict[str, Any]:
    return network_isolation_default(variant_weight_default(config))


def volume_size_is_echo(declared: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """``VolumeSizeInGB`` that SageMaker filled in for a variant that does not declare it is not drift.

    Evidence: sagemaker-python-sdk integ tests assert DescribeEndpointConfig returns 4 (ml.t2.medium) or
    16 (ml.m4.xlarge) for variants created without it; ACK's endpoint_config custom_delta.go copies the
    returned value for serverless variants; Terraform marks volume_size_in_gb Computed. The value depends
    on the instance type, so no default can be written down: it is an echo unless declared.
    """
    out = dict(live)
    for key in _VARIANT_LISTS:
        said = declared.get(key) or []
        variants = out.get(key)
        if not isinstance(variants, list):
            continue
        out[key] = [{k: v for k, v in variant.items() if k != "VolumeSizeInGB" or (
            i < len(said) and isinstance(said[i], dict) and "VolumeSizeInGB" in said[i])}
            if isinstance(variant, dict) else variant for i, variant in enumerate(variants)]
    return out


def reconcile(declared: dict[str, Any], expected: dict[str, Any], actual: dict[str, Any], ctx: Context) -> Reconciled:
    return Reconciled(expected, volume_size_is_echo(declared, actual))


def canonical(raw: Mapping[str, Any], *, defaults: bool = True) -> dict[str, Any]:
    """The canonical form of one CreateEndpointConfig request or DescribeEndpointConfig response."""
    result = keep_request_fields(plain(raw), input_shape("CreateEndpointConfig").members, READ_ONLY)
    result = drop_empty(vpc_ids_as_sets(drop_empty(result)))
    result = {k: secrets_as_digest(v, k) for k, v in result.items()}
    return fill_defaults(result) if defaults else result


def severity(path: str) -> Severity:
    """What serves traffic and where (models, instances, keys, network) is critical; tags are info."""
    if path.startswith("Tags"):
        return Severity.INFO
    return Severity.CRITICAL if _CRITICAL & set(re.split(r"[.\[]", path)) else Severity.WARNING


ENDPOINT_CONFIG = KindSpec(kind=Kind.ENDPOINT_CONFIG, name_field="EndpointConfigName",
                           create_operation="CreateEndpointConfig", read_only=READ_ONLY, canonical=canonical,
                           fill_defaults=fill_defaults, severity=severity, reconcile=reconcile)
