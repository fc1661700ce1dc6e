"""Raw CreateModel request or DescribeModel response -> one canonical form.

driftctl keeps one middleware per known quirk; so do we. Each rule is a small
function named for what it irons out, applied in ``canonical`` in an order that
matters (comments say why). Both sides go through the same rules, so a
difference that survives is a difference SageMaker would act on.

Canonical form:
* ``Containers`` is always a list (``PrimaryContainer`` becomes its one entry);
* nothing empty: ``{}``, ``[]`` and ``None`` are removed at every depth;
* with ``defaults=True`` SageMaker's documented defaults are filled in;
* Environment values are strings, secret ones replaced by a digest;
* ``VpcConfig`` id lists are sorted and de-duplicated (they are sets);
* ``Tags`` is a ``{key: value}`` mapping without ``aws:`` keys, present only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drift import redact
from drift._yaml import plain

READ_ONLY = frozenset({"ModelArn", "CreationTime", "DeploymentRecommendation", "ResponseMetadata"})

#: Container fields that SageMaker fills in from a model package (ModelPackageName).
PACKAGE_FILLED = ("Image", "ModelDataUrl", "ModelDataSource", "Environment", "AdditionalModelDataSources")


def drop_read_only(model: dict[str, Any]) -> dict[str, Any]:
    """Keep only CreateModel fields: ARN, CreationTime and any field a newer API adds to
    DescribeModel alone can never be declared, so they can never be drift."""
    from drift.validate import create_model_shape

    fields = create_model_shape().members
    return {k: v for k, v in model.items() if k in fields and k not in READ_ONLY and k != "Tags"}


def drop_empty(value: Any) -> Any:
    """``{}``, ``[]``, ``None`` and missing are the same thing, at every depth."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = drop_empty(item)
            if cleaned is None or cleaned == {} or cleaned == []:
                continue
            out[key] = cleaned
        return out
    if isinstance(value, list | tuple):
        return [drop_empty(v) for v in value if drop_empty(v) not in (None, {}, [])]
    return value


def primary_container_as_list(model: dict[str, Any]) -> dict[str, Any]:
    """A one-entry ``Containers`` and a ``PrimaryContainer`` describe the same model.

    DescribeModel echoes whichever form was used at creation (moto also returns an
    empty placeholder for the other), so the non-empty one wins.
    """
    model = dict(model)
    primary = model.pop("PrimaryContainer", None)
    if not model.get("Containers") and primary:
        model["Containers"] = [primary]
    return model


def model_data_source_as_url(container: dict[str, Any]) -> dict[str, Any]:
    """``ModelDataUrl: U`` is ``ModelDataSource.S3DataSource{S3Uri: U, S3Object, Gzip}``.

    The canonical spelling is ``ModelDataUrl`` whenever the source says nothing
    more than that; an echo of the same URL next to a richer source is dropped.
    """
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if not isinstance(source, dict):
        return container
    container = dict(container)
    plain = (
        set(source) <= {"S3Uri", "S3DataType", "CompressionType"}
        and source.get("S3DataType") == "S3Object"
        and source.get("CompressionType") == "Gzip"
        and len(container["ModelDataSource"]) == 1
    )
    url = container.get("ModelDataUrl")
    if plain and url in (None, source.get("S3Uri")):
        container.pop("ModelDataSource")
        container["ModelDataUrl"] = source.get("S3Uri")
    elif url == source.get("S3Uri"):
        container.pop("ModelDataUrl")
    return container


def environment_as_strings(container: dict[str, Any]) -> dict[str, Any]:
    """Environment values are strings to SageMaker; YAML's ``8080`` means ``"8080"``."""
    env = container.get("Environment")
    if not isinstance(env, dict):
        return container
    return {**container, "Environment": {str(k): _as_string(v) for k, v in env.items()}}


def _as_string(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(value)


def secret_environment_as_digest(container: dict[str, Any]) -> dict[str, Any]:
    """Secret-looking Environment values become digests: compared, never kept or shown."""
    env = container.get("Environment")
    if not isinstance(env, dict):
        return container
    return {
        **container,
        "Environment": {
            k: redact.digest(v) if redact.is_secret_key(k) and isinstance(v, str) and not redact.is_digest(v)
            else v
            for k, v in env.items()
        },
    }


def vpc_ids_as_sets(model: dict[str, Any]) -> dict[str, Any]:
    """Security groups and subnets are sets: order and repeats carry no meaning."""
    vpc = model.get("VpcConfig")
    if not isinstance(vpc, dict):
        return model
    vpc = dict(vpc)
    for key in ("SecurityGroupIds", "Subnets"):
        if isinstance(vpc.get(key), list):
            vpc[key] = sorted({str(v) for v in vpc[key]})
    return {**model, "VpcConfig": vpc}


def fill_defaults(model: dict[str, Any]) -> dict[str, Any]:
    """SageMaker's documented defaults count as declared when omitted, on both sides."""
    model = dict(model)
    model.setdefault("EnableNetworkIsolation", False)
    containers = [dict(c) for c in model.get("Containers", [])]
    for container in containers:
        container.setdefault("Mode", "SingleModel")
        # An absent ImageConfig pulls from ECR (Platform) and an absent MultiModelConfig caches models:
        # the defaults hold whether or not their parent structure was written.
        container["ImageConfig"] = {"RepositoryAccessMode": "Platform", **(container.get("ImageConfig") or {})}
        container["MultiModelConfig"] = {"ModelCacheSetting": "Enabled",
                                         **(container.get("MultiModelConfig") or {})}
    if containers:
        model["Containers"] = containers
    if len(containers) > 1:
        model["InferenceExecutionConfig"] = {"Mode": "Serial", **(model.get("InferenceExecutionConfig") or {})}
    return model


def tags_as_mapping(tags: Any) -> dict[str, str]:
    """Tags as ``{key: value}`` whichever form declared them; ``aws:`` tags belong to AWS."""
    if isinstance(tags, dict):
        pairs = [(k, v) for k, v in tags.items()]
    elif isinstance(tags, list):
        pairs = [(t.get("Key"), t.get("Value")) for t in tags if isinstance(t, dict)]
    else:
        pairs = []
    return {
        str(k): "" if v is None else _as_string(v) if not isinstance(v, str) else v
        for k, v in pairs
        if k is not None and not str(k).startswith("aws:")
    }


_CONTAINER_RULES: tuple[Callable[[dict[str, Any]], dict[str, Any]], ...] = (
    model_data_source_as_url,
    environment_as_strings,
    secret_environment_as_digest,
)


def canonical(model: dict[str, Any], *, defaults: bool = True, tags: Any = None) -> dict[str, Any]:
    """The canonical form of one model; ``tags`` (list or mapping) is added when not None."""
    result = drop_read_only(plain(model))
    # Emptiness first, so that moto's {} placeholders never win over the real container list.
    result = drop_empty(result)
    result = primary_container_as_list(result)
    if "Containers" in result:
        result["Containers"] = [_container(c) for c in result["Containers"] if isinstance(c, dict)]
    result = vpc_ids_as_sets(result)
    # Emptiness again: a rule may have emptied something (an Environment of nulls, say).
    result = drop_empty(result)
    if defaults:
        result = fill_defaults(result)
    if tags is not None:
        result["Tags"] = tags_as_mapping(tags)
    return result


def _container(container: dict[str, Any]) -> dict[str, Any]:
    for rule in _CONTAINER_RULES:
        container = rule(container)
    return container

