"""The Model kind: CreateModel requests vs DescribeModel responses, with SageMaker's model quirks.

Canonical form: ``Containers`` is always a list (``PrimaryContainer`` becomes its
one entry); nothing empty; Environment values are strings, secrets are digests;
``VpcConfig`` id lists are sets; with defaults, SageMaker's documented defaults
are filled in. Rules that need both sides (SageMaker's echoes, model packages)
live in ``reconcile``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from drift._botocore import input_shape
from drift._yaml import plain
from drift.kinds.base import Context, KindSpec, Reconciled
from drift.normalise import as_string, drop_empty, ids_as_set, keep_request_fields, secrets_as_digest
from drift.paths import spell
from drift.report import Kind, Severity

READ_ONLY = frozenset({"ModelArn", "CreationTime", "DeploymentRecommendation", "ResponseMetadata"})
#: Container fields a model package provides (SPEC §3).
PACKAGE_FIELDS = ("Image", "ModelDataUrl", "ModelDataSource", "AdditionalModelDataSources", "Environment",
                  "InferenceSpecificationName")
_S3_ECHOES = ("ETag", "ManifestEtag")
_CRITICAL = frozenset({"Image", "ModelDataUrl", "ModelDataSource", "AdditionalModelDataSources",
                       "ModelPackageName"})


# -- one side at a time -----------------------------------------------------------------------------------
def primary_container_as_list(model: dict[str, Any]) -> dict[str, Any]:
    """A one-entry ``Containers`` and a ``PrimaryContainer`` describe the same model (SPEC §3).

    Evidence: botocore's CreateModel shape takes either; DescribeModel echoes the form used at creation,
    and moto adds an empty placeholder for the other, so the non-empty one wins.
    """
    model = dict(model)
    primary = model.pop("PrimaryContainer", None)
    if not model.get("Containers") and primary:
        model["Containers"] = [primary]
    return model


def model_data_source_as_url(container: dict[str, Any]) -> dict[str, Any]:
    """``ModelDataUrl: U`` is ``ModelDataSource.S3DataSource{S3Uri: U, S3Object, Gzip}`` (SPEC §3).

    Evidence: AWS API reference for ContainerDefinition (ModelDataUrl is "the S3 path where the model
    artifacts, which result from model training, are stored ... a single gzip compressed tar archive").
    The canonical spelling is ``ModelDataUrl`` whenever the source says nothing more than that; a URL
    echoed next to a richer source is dropped.
    """
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if not isinstance(source, dict):
        return container
    container = dict(container)
    simple = (set(source) <= {"S3Uri", "S3DataType", "CompressionType"} and source.get("S3DataType") == "S3Object"
              and source.get("CompressionType") == "Gzip" and len(container["ModelDataSource"]) == 1)
    url = container.get("ModelDataUrl")
    if simple and url in (None, source.get("S3Uri")):
        container.pop("ModelDataSource")
        container["ModelDataUrl"] = source.get("S3Uri")
    elif url == source.get("S3Uri"):
        container.pop("ModelDataUrl")
    return container


def environment_as_strings(container: dict[str, Any]) -> dict[str, Any]:
    """Environment values are strings to SageMaker (botocore: EnvironmentMap of EnvironmentValue strings)."""
    env = container.get("Environment")
    if not isinstance(env, dict):
        return container
    return {**container, "Environment": {str(k): as_string(v) for k, v in env.items()}}


def vpc_ids_as_sets(model: dict[str, Any]) -> dict[str, Any]:
    """Security groups and subnets are sets: order and repeats carry no meaning (SPEC §3; Terraform's
    aws_sagemaker_model declares both as TypeSet)."""
    vpc = model.get("VpcConfig")
    if not isinstance(vpc, dict):
        return model
    return {**model, "VpcConfig": {k: ids_as_set(v) if k in ("SecurityGroupIds", "Subnets") else v
                                   for k, v in vpc.items()}}


def fill_defaults(model: dict[str, Any]) -> dict[str, Any]:
    """SageMaker's documented defaults count as declared when omitted, on both sides (SPEC §3).

    Evidence: AWS API reference: ContainerDefinition.Mode "default: SingleModel"; CreateModel
    EnableNetworkIsolation (isolation is off unless requested); ImageConfig.RepositoryAccessMode
    Platform is ECR, used when ImageConfig is absent; MultiModelConfig.ModelCacheSetting "default:
    Enabled"; InferenceExecutionConfig.Mode Serial is what DescribeModel returns for pipelines created
    without it, and SPEC §3 makes it the default whatever the number of containers.
    """
    model = dict(model)
    model.setdefault("EnableNetworkIsolation", False)
    containers = [dict(c) for c in model.get("Containers", [])]
    for container in containers:
        container.setdefault("Mode", "SingleModel")
        container["ImageConfig"] = {"RepositoryAccessMode": "Platform", **(container.get("ImageConfig") or {})}
        container["MultiModelConfig"] = {"ModelCacheSetting": "Enabled", **(container.get("MultiModelConfig") or {})}
    if containers:
        model["Containers"] = containers
        model["InferenceExecutionConfig"] = {"Mode": "Serial", **(model.get("InferenceExecutionConfig") or {})}
    return model


_CONTAINER_RULES: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = (
    model_data_source_as_url,
    environment_as_strings,
)


def canonical_container(container: dict[str, Any]) -> dict[str, Any]:
    for rule in _CONTAINER_RULES:
        container = rule(container)
    return dict(secrets_as_digest(container))


def canonical(raw: Mapping[str, Any], *, defaults: bool = True) -> dict[str, Any]:
    """The canonical form of one CreateModel request or DescribeModel response (without tags)."""
    result = keep_request_fields(plain(raw), input_shape("CreateModel").members, READ_ONLY)
    # Emptiness first, so that moto's {} placeholders never win over the real container list.
    result = primary_container_as_list(drop_empty(result))
    if "Containers" in result:
        result["Containers"] = [canonical_container(c) for c in result["Containers"] if isinstance(c, dict)]
    result = {k: v if k == "Containers" else secrets_as_digest(v, k) for k, v in vpc_ids_as_sets(result).items()}
    # Emptiness again: a rule may have emptied something (an Environment of nulls, say).
    result = drop_empty(result)
    return fill_defaults(result) if defaults else result


# -- both sides: SageMaker's echoes and model packages ----------------------------------------------------
def s3_etags_are_echoes(declared: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """``ETag``/``ManifestEtag`` inside an S3DataSource are SageMaker's, not drift, unless declared (SPEC §3).

    Evidence: botocore's S3ModelDataSource lists ETag and ManifestEtag, which DescribeModel fills in for
    sources created without them; AWS Controllers for Kubernetes ignore them when comparing.
    """
    def strip(source: Any, said: Any) -> Any:
        if not isinstance(source, dict) or not isinstance(source.get("S3DataSource"), dict):
            return source
        keep = said.get("S3DataSource") if isinstance(said, dict) else None
        keep = keep if isinstance(keep, dict) else {}
        s3 = {k: v for k, v in source["S3DataSource"].items() if k not in _S3_ECHOES or k in keep}
        return {**source, "S3DataSource": s3}

    live = dict(live)
    if "ModelDataSource" in live:
        live["ModelDataSource"] = strip(live["ModelDataSource"], declared.get("ModelDataSource"))
    extra = live.get("AdditionalModelDataSources")
    if isinstance(extra, list):
        said = declared.get("AdditionalModelDataSources") or []
        live["AdditionalModelDataSources"] = [strip(s, said[i] if i < len(said) else None) for i, s in enumerate(extra)]
    return model_data_source_as_url(live)


def model_data_source_echoes_url(declared: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """A live ``ModelDataSource`` whose S3Uri is the declared ``ModelDataUrl`` is that URL's echo (SPEC §3),
    whatever its S3DataType and CompressionType (a multi-model prefix is mirrored as S3Prefix).

    Evidence: recorded DescribeModel responses of models created with ModelDataUrl carry a mirrored
    ModelDataSource (see tests/fixtures/recorded/).
    """
    url = declared.get("ModelDataUrl")
    source = (live.get("ModelDataSource") or {}).get("S3DataSource") if isinstance(live.get("ModelDataSource"),
                                                                                     dict) else None
    if url is None or "ModelDataSource" in declared or not isinstance(source, dict) or source.get("S3Uri") != url:
        return live
    live = {k: v for k, v in live.items() if k != "ModelDataSource"}
    live["ModelDataUrl"] = url
    return live


def container_hostname_is_echo(declared: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """A ``ContainerHostname`` SageMaker assigned to a container that does not declare one is not drift
    (SPEC §3). Evidence: AWS API reference, ContainerHostname: "If you don't specify a value for this
    parameter for an inference pipeline, a unique name is automatically assigned"."""
    if "ContainerHostname" in declared or "ContainerHostname" not in live:
        return live
    return {k: v for k, v in live.items() if k != "ContainerHostname"}


def package_identity(name: str, ctx: Context) -> str:
    """``name[/version]`` and the ARN of that package in the model's own account and region are one
    resource (SPEC §3). SageMaker lower-cases resource names in ARNs, so the comparison does too."""
    if name.startswith("arn:"):
        return name.lower()
    return f"arn:aws:sagemaker:{ctx.region}:{ctx.account}:model-package/{name}".lower()


def _package_container(declared: dict[str, Any], index: int, ctx: Context) -> dict[str, Any] | None:
    key = f"{declared.get('ModelPackageName')}#{declared.get('InferenceSpecificationName') or ''}"
    containers = ctx.packages.get(key)
    if not containers:
        return None
    return containers[min(index, len(containers) - 1)]


def model_package_fills(declared: dict[str, Any], expected: dict[str, Any], live: dict[str, Any], index: int,
                        ctx: Context) -> tuple[dict[str, Any], str | None]:
    """A container with ``ModelPackageName`` takes image, model data and environment from the package
    (SPEC §3): the live value is in sync when it equals what the desired container declares, or that
    merged over the package's inference container. An unreadable package makes the comparison strict.
    Evidence: AWS API reference, ContainerDefinition.ModelPackageName; DescribeModelPackage's
    InferenceSpecification.Containers (botocore ModelPackageContainerDefinition).
    """
    name = declared.get("ModelPackageName")
    if not isinstance(name, str):
        return expected, None
    live_name = live.get("ModelPackageName")
    if isinstance(live_name, str) and package_identity(live_name, ctx) == package_identity(name, ctx):
        expected = {**expected, "ModelPackageName": live_name}
    package = _package_container(declared, index, ctx)
    if package is None:
        return expected, f"ModelPackageName {name}: the model package could not be read, compared as declared"
    expected = dict(expected)
    for key in PACKAGE_FIELDS:
        merged = ({**(package.get(key) or {}), **(declared.get(key) or {})} if key == "Environment"
                  else declared.get(key, package.get(key)))
        candidates = (declared.get(key), merged)
        have = live.get(key)
        chosen = have if have in candidates else merged
        if chosen in (None, {}, []):
            expected.pop(key, None)
        else:
            expected[key] = chosen
    return expected, None


def reconcile(declared: dict[str, Any], expected: dict[str, Any], actual: dict[str, Any], ctx: Context) -> Reconciled:
    """Apply the cross-side rules container by container; notes say what could not be verified."""
    notes: list[str] = []
    said = declared.get("Containers") or []
    wanted = list(expected.get("Containers") or [])
    live = list(actual.get("Containers") or [])
    for i, container in enumerate(live):
        mine = said[i] if i < len(said) else {}
        container = s3_etags_are_echoes(mine, container)
        container = model_data_source_echoes_url(mine, container)
        container = container_hostname_is_echo(mine, container)
        live[i] = container
        if i < len(wanted):
            wanted[i], note = model_package_fills(mine, wanted[i], container, i, ctx)
            if note:
                notes.append(f"Containers[{i}].{note}")
    if live:
        actual = {**actual, "Containers": live}
    if wanted:
        expected = {**expected, "Containers": wanted}
    return Reconciled(expected, actual, tuple(notes))


def severity(path: str) -> Severity:
    """Image, model data, model package, execution role, VPC and network isolation are critical;
    environment is a warning; tags are info (SPEC §4)."""
    if path.startswith("Tags"):
        return Severity.INFO
    parts = set(re.split(r"[.\[]", path))
    if ".Environment" in path or path.startswith("Environment"):
        return Severity.WARNING
    if _CRITICAL & parts or path.startswith(("VpcConfig", "ExecutionRoleArn", "EnableNetworkIsolation")):
        return Severity.CRITICAL
    return Severity.WARNING


MODEL = KindSpec(kind=Kind.MODEL, name_field="ModelName", create_operation="CreateModel", read_only=READ_ONLY,
                 canonical=canonical, fill_defaults=fill_defaults, severity=severity, reconcile=reconcile,
                 spell=spell)
