"""The Endpoint kind: compared on the endpoint config it uses and on tags (SPEC §9).

An endpoint is mutable (UpdateEndpoint), so it is not cached by creation time but
by ``LastModifiedTime``; what it actually serves is judged by the serving-chain
checks (``drift/chain.py``), not by this comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift.kinds.base import KindSpec
from drift.report import Kind, Severity

_VARIANT_LISTS = ("ProductionVariants", "ShadowProductionVariants")

READ_ONLY = frozenset({"EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus", "ResponseMetadata"})


def canonical(raw: Mapping[str, Any], *, defaults: bool = True) -> dict[str, Any]:
    """Only ``EndpointConfigName`` is compared: DeploymentConfig is how to deploy, not what is deployed,
    and DescribeEndpoint does not return it (botocore: DescribeEndpointOutput has LastDeploymentConfig)."""
    name = raw.get("EndpointConfigName")
    return {"EndpointConfigName": name} if name else {}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def facts(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What the serving-chain checks judge: status, deployment time and, per variant, the images deployed.

    Evidence: botocore's DescribeEndpointOutput (ProductionVariantSummary.DeployedImages: SpecifiedImage,
    ResolvedImage, ResolutionTime); recorded DescribeEndpoint answers in tests/fixtures/recorded/.
    """
    out: dict[str, Any] = {"EndpointStatus": raw.get("EndpointStatus"),
                           "LastModifiedTime": _iso(raw.get("LastModifiedTime")),
                           "EndpointConfigName": raw.get("EndpointConfigName")}
    for key in _VARIANT_LISTS:
        variants = []
        for variant in raw.get(key) or []:
            if not isinstance(variant, dict):
                continue
            images = [{"SpecifiedImage": image.get("SpecifiedImage"), "ResolvedImage": image.get("ResolvedImage"),
                       "ResolutionTime": _iso(image.get("ResolutionTime"))}
                      for image in variant.get("DeployedImages") or [] if isinstance(image, dict)]
            variants.append({"VariantName": variant.get("VariantName"), "DeployedImages": images})
        out[key] = variants
    return out


def fill_defaults(form: dict[str, Any]) -> dict[str, Any]:
    return form


def severity(path: str) -> Severity:
    return Severity.INFO if path.startswith("Tags") else Severity.CRITICAL


ENDPOINT = KindSpec(kind=Kind.ENDPOINT, name_field="EndpointName", create_operation="CreateEndpoint",
                    read_only=READ_ONLY, canonical=canonical, fill_defaults=fill_defaults, severity=severity)
