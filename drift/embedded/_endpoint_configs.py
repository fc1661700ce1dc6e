"""Endpoint configs as SageMaker keeps them: every field of the request, immutable, listable.

What moto 5.2.5 gets wrong, and what we do instead (evidence in brackets):

* CreateEndpointConfig keeps only ProductionVariants, DataCaptureConfig,
  AsyncInferenceConfig, KmsKeyId and Tags, validates instance types against an
  old list of its own, and replaces an existing config of the same name. We keep
  every member of the request but Tags [botocore ``CreateEndpointConfigInput``
  and ``DescribeEndpointConfigOutput`` share all other members], refuse an
  existing name (``Cannot create already existing endpoint configuration
  "<arn>".``), and leave instance types to botocore's client-side enum check.
* Server-side default: a variant without ``InitialVariantWeight`` is described
  with 1.0, for production and shadow variants alike [botocore
  ``ProductionVariant.InitialVariantWeight``: "If unspecified, it defaults to
  1.0"].
* A variant naming a model that does not exist is refused, as moto already does.
* ListEndpointConfigs pages and sorts like SageMaker (see ``_paging``) and
  returns ``EndpointConfigSummary`` only [botocore shape].
* DeleteEndpointConfig succeeds while an endpoint uses the config: the endpoint
  keeps running what it deployed [botocore ``DeleteEndpointConfig``: "It does
  not delete endpoints created using the configuration ... If you delete the
  EndpointConfig of an endpoint that is active ... you may lose visibility into
  the instance type the endpoint is using"]. moto allows it too; our endpoints
  never look their config up again.

The record lives in moto's ``endpoint_configs`` dict, so moto's AddTags,
ListTags and DeleteTags keep working on its ARN.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drift.embedded import _moto, _paging


@dataclass(slots=True)
class EndpointConfigRecord:
    """One endpoint config: its description (without ARN and time) and its tags (moto edits ``tags``)."""

    endpoint_config_name: str
    arn: str
    creation_time: datetime
    request: dict[str, Any]
    tags: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """DescribeEndpointConfig's answer: the request, defaults filled, plus ARN and creation time."""
        out: dict[str, Any] = {"EndpointConfigName": self.endpoint_config_name, "EndpointConfigArn": self.arn}
        out.update(copy.deepcopy(self.request))
        out["CreationTime"] = self.creation_time
        return out

    def summary(self) -> dict[str, Any]:
        """ListEndpointConfigs' EndpointConfigSummary."""
        return {"EndpointConfigName": self.endpoint_config_name, "EndpointConfigArn": self.arn,
                "CreationTime": self.creation_time}


@functools.cache
def _request_members() -> tuple[str, ...]:
    """CreateEndpointConfig's members a description repeats: all but the name and Tags (from botocore)."""
    import botocore.session

    shape: Any = botocore.session.get_session().get_service_model("sagemaker").shape_for("CreateEndpointConfigInput")
    return tuple(name for name in shape.members if name not in ("EndpointConfigName", "Tags"))


def _with_default_weights(variants: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not variants:
        return variants
    return [v if v.get("InitialVariantWeight") is not None else {**v, "InitialVariantWeight": 1.0} for v in variants]


def find(backend: Any, name: str) -> EndpointConfigRecord | None:
    """The faithful record of a config, or None (missing, or made by moto's own code paths)."""
    record = backend.endpoint_configs.get(name)
    return record if isinstance(record, EndpointConfigRecord) else None


def not_found(backend: Any, name: str) -> Exception:
    """SageMaker's error for a config that does not exist."""
    arn = _moto.sagemaker_arn("endpoint-config", name, backend.account_id, backend.region_name)
    return _moto.validation_error(f'Could not find endpoint configuration "{arn}".')


def create_endpoint_config(self: Any) -> Any:
    """CreateEndpointConfig: everything kept, defaults filled, existing names and missing models refused."""
    backend = self.sagemaker_backend
    name = self._get_param("EndpointConfigName")
    arn = _moto.sagemaker_arn("endpoint-config", name, backend.account_id, backend.region_name)
    if name in backend.endpoint_configs:
        raise _moto.validation_error(f'Cannot create already existing endpoint configuration "{arn}".')
    request = {key: copy.deepcopy(value) for key in _request_members()
               if (value := self._get_param(key)) is not None}
    for key in ("ProductionVariants", "ShadowProductionVariants"):
        if key in request:
            request[key] = _with_default_weights(request[key])
    for variant in [*request.get("ProductionVariants", []), *request.get("ShadowProductionVariants", [])]:
        model = variant.get("ModelName")
        if model and model not in backend._models:
            model_arn = _moto.sagemaker_arn("model", model, backend.account_id, backend.region_name)
            raise _moto.validation_error(f'Could not find model "{model_arn}".')
    backend.endpoint_configs[name] = EndpointConfigRecord(name, arn, _moto.now(), request,
                                                          list(self._get_param("Tags") or []))
    return _moto.action_result({"EndpointConfigArn": arn})


def describe_endpoint_config(self: Any) -> Any:
    """DescribeEndpointConfig: what was created, plus EndpointConfigArn and CreationTime."""
    backend = self.sagemaker_backend
    name = self._get_param("EndpointConfigName")
    record = find(backend, name)
    if record is None:
        raise not_found(backend, name)
    return _moto.action_result(record.describe())


def delete_endpoint_config(self: Any) -> Any:
    """DeleteEndpointConfig: allowed even while an endpoint uses the config."""
    backend = self.sagemaker_backend
    name = self._get_param("EndpointConfigName")
    if name not in backend.endpoint_configs:
        raise not_found(backend, name)
    del backend.endpoint_configs[name]
    return _moto.empty_result()


def list_endpoint_configs(self: Any) -> Any:
    """ListEndpointConfigs: SageMaker's filters, order and pages; summaries only."""
    contains = self._get_param("NameContains") or ""
    after, before = self._get_param("CreationTimeAfter"), self._get_param("CreationTimeBefore")
    records = [r for r in list(self.sagemaker_backend.endpoint_configs.values())
               if isinstance(r, EndpointConfigRecord) and contains in r.endpoint_config_name
               and _paging.within(r.creation_time, after, before)]
    keys = {"Name": lambda r: r.endpoint_config_name,
            "CreationTime": lambda r: (_moto.timestamp(r.creation_time), r.endpoint_config_name)}
    records = _paging.sort(records, keys, self._get_param("SortBy"), self._get_param("SortOrder"))
    chunk, token = _paging.page(records, self._get_param("MaxResults"), self._get_param("NextToken"))
    body: dict[str, Any] = {"EndpointConfigs": [r.summary() for r in chunk]}
    if token:
        body["NextToken"] = token
    return _moto.action_result(body)


def install(response_class: Any) -> None:
    """Put the faithful endpoint-config operations on moto's SageMaker response class."""
    response_class.create_endpoint_config = create_endpoint_config
    response_class.describe_endpoint_config = describe_endpoint_config
    response_class.delete_endpoint_config = delete_endpoint_config
    response_class.list_endpoint_configs = list_endpoint_configs
