"""Endpoints as SageMaker runs them: a snapshot of what was deployed, kept until the next deployment.

What moto 5.2.5 gets wrong, and what we do instead (evidence in brackets):

* CreateEndpoint records no ``DeployedImages`` and no shadow variants, keeps a
  reference to live config data (a later UpdateEndpointWeightsAndCapacities
  edits the config's own dicts), and replaces an endpoint of the same name. We
  record, per production and per shadow variant, a ``ProductionVariantSummary``
  [botocore shape: VariantName, DeployedImages, CurrentWeight, DesiredWeight,
  CurrentInstanceCount, DesiredInstanceCount, Current/DesiredServerlessConfig]
  built from the config and the models *at deployment time*, and refuse an
  existing name (``Cannot create already existing endpoint "<arn>".``).
  Deleting the config or a model later changes nothing the endpoint reports
  [botocore ``DeleteEndpointConfig``/``DeleteModel``: neither deletes endpoints].
* Status is ``InService`` at once (SageMaker passes through ``Creating`` and
  ``Updating`` first [botocore ``CreateEndpoint``/``UpdateEndpoint``]); the
  test control ``set_status`` puts an endpoint in any ``EndpointStatus``.
* UpdateEndpoint does not exist in moto. Ours re-deploys: new
  ``EndpointConfigName``, DeployedImages resolved again now, LastModifiedTime
  bumped [botocore ``UpdateEndpoint``: "Deploys the EndpointConfig specified in
  the request to a new fleet of instances"]. ``RetainAllVariantProperties`` and
  deployment configs are accepted and ignored.
* UpdateEndpointWeightsAndCapacities bumps LastModifiedTime and changes weights
  and counts only; it deploys nothing, so DeployedImages stay as they were.
* ListEndpoints pages and sorts like SageMaker (see ``_paging``; SortBy
  Name|CreationTime|Status [botocore ``EndpointSortKey``]) and returns
  ``EndpointSummary`` with LastModifiedTime and EndpointStatus.

The record lives in moto's ``endpoints`` dict, so moto's tag operations keep
working on its ARN.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drift.embedded import _endpoint_configs, _images, _models, _moto, _paging

#: Config members a DescribeEndpoint repeats as they are [botocore DescribeEndpointOutput].
_CARRIED = ("AsyncInferenceConfig", "ExplainerConfig", "MetricsConfig")
_IN_PROGRESS = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting", "UpdateRollbackFailed")


@dataclass(slots=True)
class EndpointRecord:
    """One endpoint: what it deployed and when (moto edits ``tags`` for AddTags/DeleteTags)."""

    endpoint_name: str
    arn: str
    endpoint_config_name: str
    creation_time: datetime
    last_modified_time: datetime
    deployed: dict[str, Any]
    model_names: tuple[str, ...] = ()
    endpoint_status: str = "InService"
    failure_reason: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """DescribeEndpoint's answer, in DescribeEndpointOutput's order."""
        out: dict[str, Any] = {"EndpointName": self.endpoint_name, "EndpointArn": self.arn,
                               "EndpointConfigName": self.endpoint_config_name}
        out.update(copy.deepcopy(self.deployed))
        out["EndpointStatus"] = self.endpoint_status
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        out["CreationTime"] = self.creation_time
        out["LastModifiedTime"] = self.last_modified_time
        return out

    def summary(self) -> dict[str, Any]:
        """ListEndpoints' EndpointSummary."""
        return {"EndpointName": self.endpoint_name, "EndpointArn": self.arn, "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time, "EndpointStatus": self.endpoint_status}


def _variant_summary(variant: dict[str, Any], backend: Any, when: datetime) -> dict[str, Any]:
    model_name = variant.get("ModelName")
    model = backend._models.get(model_name) if model_name else None
    if model_name and model is None:
        arn = _moto.sagemaker_arn("model", model_name, backend.account_id, backend.region_name)
        raise _moto.validation_error(f'Could not find model "{arn}".')
    images = _images.container_images(_models.describe(model), backend) if model is not None else []
    summary: dict[str, Any] = {"VariantName": variant["VariantName"],
                               "DeployedImages": _images.deployed_images(images, when)}
    weight = variant.get("InitialVariantWeight")
    summary["CurrentWeight"] = summary["DesiredWeight"] = 1.0 if weight is None else float(weight)
    if variant.get("InitialInstanceCount") is not None:
        summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = int(variant["InitialInstanceCount"])
    if variant.get("ServerlessConfig"):
        summary["CurrentServerlessConfig"] = copy.deepcopy(variant["ServerlessConfig"])
        summary["DesiredServerlessConfig"] = copy.deepcopy(variant["ServerlessConfig"])
    for key in ("ManagedInstanceScaling", "RoutingConfig"):
        if variant.get(key):
            summary[key] = copy.deepcopy(variant[key])
    return summary


def _capture_summary(config: dict[str, Any]) -> dict[str, Any]:
    """DataCaptureConfigSummary from a DataCaptureConfig (EnableCapture defaults to true)."""
    enabled = config.get("EnableCapture", True) is not False
    out: dict[str, Any] = {"EnableCapture": enabled, "CaptureStatus": "Started" if enabled else "Stopped",
                           "CurrentSamplingPercentage": config.get("InitialSamplingPercentage"),
                           "DestinationS3Uri": config.get("DestinationS3Uri")}
    if config.get("KmsKeyId"):
        out["KmsKeyId"] = config["KmsKeyId"]
    return {k: v for k, v in out.items() if v is not None}


def _deploy(backend: Any, config_name: str, when: Any) -> dict[str, Any]:
    """Everything an endpoint deployed from a config, resolved at ``when`` (one clock reading per deployment:
    SageMaker's ResolutionTime and the endpoint's times agree)."""
    record = _endpoint_configs.find(backend, config_name)
    if record is None:
        raise _endpoint_configs.not_found(backend, config_name)
    config = record.describe()
    deployed: dict[str, Any] = {
        "ProductionVariants": [_variant_summary(v, backend, when) for v in config.get("ProductionVariants", [])]}
    if config.get("DataCaptureConfig"):
        deployed["DataCaptureConfig"] = _capture_summary(config["DataCaptureConfig"])
    deployed.update({key: config[key] for key in _CARRIED if config.get(key)})
    if config.get("ShadowProductionVariants"):
        deployed["ShadowProductionVariants"] = [_variant_summary(v, backend, when)
                                                for v in config["ShadowProductionVariants"]]
    return deployed


def _model_names(backend: Any, config_name: str) -> tuple[str, ...]:
    """The models an endpoint deployed (production and shadow variants), for the Search index."""
    record = _endpoint_configs.find(backend, config_name)
    variants = [*record.request.get("ProductionVariants", []),
                *record.request.get("ShadowProductionVariants", [])] if record else []
    return tuple(dict.fromkeys(v["ModelName"] for v in variants if v.get("ModelName")))


def _find(backend: Any, name: str) -> EndpointRecord:
    record = backend.endpoints.get(name)
    if not isinstance(record, EndpointRecord):
        arn = _moto.sagemaker_arn("endpoint", name, backend.account_id, backend.region_name)
        raise _moto.validation_error(f'Could not find endpoint "{arn}".')
    return record


def set_status(account: str, region: str, name: str, status: str, failure_reason: str | None = None) -> None:
    """Test control: put an endpoint in another EndpointStatus (and FailureReason), as SageMaker would."""
    record = _moto.sagemaker_backend(account, region).endpoints.get(name)
    if not isinstance(record, EndpointRecord):
        raise KeyError(f"no endpoint {name!r} in account {account}, region {region}")
    record.endpoint_status = status
    record.failure_reason = failure_reason


def create_endpoint(self: Any) -> Any:
    """CreateEndpoint: deploy the config's variants now; InService at once."""
    backend = self.sagemaker_backend
    name, config_name = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
    arn = _moto.sagemaker_arn("endpoint", name, backend.account_id, backend.region_name)
    if name in backend.endpoints:
        raise _moto.validation_error(f'Cannot create already existing endpoint "{arn}".')
    when = _moto.now()
    deployed = _deploy(backend, config_name, when)
    backend.endpoints[name] = EndpointRecord(name, arn, config_name, when, when, deployed,
                                             _model_names(backend, config_name),
                                             tags=list(self._get_param("Tags") or []))
    return _moto.action_result({"EndpointArn": arn})


def describe_endpoint(self: Any) -> Any:
    """DescribeEndpoint: what was deployed, whatever happened to the config and models since."""
    return _moto.action_result(_find(self.sagemaker_backend, self._get_param("EndpointName")).describe())


def update_endpoint(self: Any) -> Any:
    """UpdateEndpoint: re-deploy from another (or the same) config; images resolved again."""
    backend = self.sagemaker_backend
    record = _find(backend, self._get_param("EndpointName"))
    if record.endpoint_status in _IN_PROGRESS:
        raise _moto.validation_error(f'Cannot update in-progress endpoint "{record.arn}".')
    config_name, when = self._get_param("EndpointConfigName"), _moto.now()
    record.deployed = _deploy(backend, config_name, when)
    record.model_names = _model_names(backend, config_name)
    record.endpoint_config_name = config_name
    record.endpoint_status, record.failure_reason = "InService", None
    record.last_modified_time = when
    return _moto.action_result({"EndpointArn": record.arn})


def update_endpoint_weights_and_capacities(self: Any) -> Any:
    """UpdateEndpointWeightsAndCapacities: weights and counts change, deployed images do not."""
    record = _find(self.sagemaker_backend, self._get_param("EndpointName"))
    variants = {v["VariantName"]: v for v in record.deployed.get("ProductionVariants", [])}
    desired = list(self._get_param("DesiredWeightsAndCapacities") or [])
    names = [d.get("VariantName") for d in desired]
    for name in names:
        if names.count(name) > 1:
            raise _moto.validation_error(f'The variant name "{name}" was non-unique within the request.')
        if name not in variants:
            raise _moto.validation_error(f'The variant name(s) "{name}" is/are not present within endpoint '
                                         f'configuration "{record.endpoint_config_name}".')
    for change in desired:
        variant = variants[change["VariantName"]]
        if change.get("DesiredWeight") is not None:
            variant["DesiredWeight"] = variant["CurrentWeight"] = float(change["DesiredWeight"])
        if change.get("DesiredInstanceCount") is not None:
            variant["DesiredInstanceCount"] = variant["CurrentInstanceCount"] = int(change["DesiredInstanceCount"])
    record.last_modified_time = _moto.now()
    return _moto.action_result({"EndpointArn": record.arn})


def delete_endpoint(self: Any) -> Any:
    """DeleteEndpoint."""
    backend = self.sagemaker_backend
    record = _find(backend, self._get_param("EndpointName"))
    del backend.endpoints[record.endpoint_name]
    return _moto.empty_result()


def list_endpoints(self: Any) -> Any:
    """ListEndpoints: SageMaker's filters, order and pages; EndpointSummary only."""
    p = self._get_param
    contains, status = p("NameContains") or "", p("StatusEquals")
    records = [r for r in list(self.sagemaker_backend.endpoints.values())
               if isinstance(r, EndpointRecord) and contains in r.endpoint_name
               and (not status or r.endpoint_status == status)
               and _paging.within(r.creation_time, p("CreationTimeAfter"), p("CreationTimeBefore"))
               and _paging.within(r.last_modified_time, p("LastModifiedTimeAfter"), p("LastModifiedTimeBefore"),
                                  inclusive_after=False)]
    keys = {"Name": lambda r: r.endpoint_name, "Status": lambda r: (r.endpoint_status, r.endpoint_name),
            "CreationTime": lambda r: (_moto.timestamp(r.creation_time), r.endpoint_name)}
    records = _paging.sort(records, keys, p("SortBy"), p("SortOrder"))
    chunk, token = _paging.page(records, p("MaxResults"), p("NextToken"))
    body: dict[str, Any] = {"Endpoints": [r.summary() for r in chunk]}
    if token:
        body["NextToken"] = token
    return _moto.action_result(body)


def install(response_class: Any) -> None:
    """Put the faithful endpoint operations on moto's SageMaker response class."""
    response_class.create_endpoint = create_endpoint
    response_class.describe_endpoint = describe_endpoint
    response_class.update_endpoint = update_endpoint
    response_class.update_endpoint_weights_and_capacities = update_endpoint_weights_and_capacities
    response_class.delete_endpoint = delete_endpoint
    response_class.list_endpoints = list_endpoints
