"""False alarms the serving chain must never raise: a multi-platform tag, a model-package container."""

from __future__ import annotations

import json

from drift.aws.ecr import _platforms
from drift.aws.sagemaker import Listed
from drift.chain import judge_chain
from drift.integrity.resolve import Resolution
from drift.read.types import Live
from drift.report import Kind

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/svc:1"
INDEX, AMD64, ARM64 = "sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:" + "c" * 64


def endpoint(specified: str, resolved: str) -> Live:
    facts = {"EndpointStatus": "InService", "LastModifiedTime": "2026-11-30T10:00:00+00:00",
             "EndpointConfigName": "cfg", "ProductionVariants": [{"VariantName": "v0", "DeployedImages": [
                 {"SpecifiedImage": specified, "ResolvedImage": resolved,
                  "ResolutionTime": "2026-11-30T10:00:00+00:00"}]}], "ShadowProductionVariants": []}
    return Live(Kind.ENDPOINT, Listed("e", "arn:e", "2026-11-30T09:00:00+00:00"), form={}, facts=facts)


CONFIG = {"cfg": Live(Kind.ENDPOINT_CONFIG, Listed("cfg", "arn:c", "t"), form={"ProductionVariants": [
    {"VariantName": "v0", "ModelName": "m", "InstanceType": "ml.m5.large"}]})}


def model(container: dict[str, str]) -> dict[str, Live]:
    return {"m": Live(Kind.MODEL, Listed("m", "arn:m", "2026-11-30T08:00:00+00:00"),
                      form={"Containers": [container]})}


def test_a_platform_manifest_of_the_tags_index_is_not_repointed() -> None:
    """The endpoint resolved the amd64 manifest; ECR answers the index that lists it: in sync."""
    resolutions = {("t", "image", IMAGE): Resolution("ok", INDEX, platforms=frozenset({AMD64, ARM64}))}
    outcome = judge_chain(endpoint(IMAGE, f"{IMAGE.split(':1')[0]}@{AMD64}"), CONFIG, model({"Image": IMAGE}),
                          resolutions, "t")
    assert () == outcome.differences


def test_a_model_package_container_is_not_stale() -> None:
    """DescribeModel names no Image for a model-package container; its deployed image is the package's."""
    outcome = judge_chain(endpoint("763104351884.dkr.ecr.us-east-1.amazonaws.com/pkg:1", "x@sha256:1"), CONFIG,
                          model({"ModelPackageName": "arn:aws:sagemaker:us-east-1:1:model-package/p/1"}), {}, "t")
    assert () == outcome.differences


def test_an_index_answer_lists_its_platform_manifests() -> None:
    """BatchGetImage's manifest list (or OCI index) gives the digests a runtime may have resolved."""
    manifest = json.dumps({"schemaVersion": 2, "manifests": [{"digest": AMD64}, {"digest": ARM64}]})
    images = [{"imageId": {"imageTag": "1", "imageDigest": INDEX}, "imageManifest": manifest},
              {"imageId": {"imageTag": "2", "imageDigest": AMD64}, "imageManifest": json.dumps({"layers": []})}]
    assert {INDEX: frozenset({AMD64, ARM64})} == _platforms(images)
