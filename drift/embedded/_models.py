"""CreateModel, DescribeModel and ListModels as SageMaker answers them.

What moto 5.2.5 gets wrong, and what we do instead (evidence in brackets):

* CreateModel drops ``EnableNetworkIsolation`` and ``InferenceExecutionConfig``
  and silently replaces a model of the same name. We keep every field of the
  request and refuse an existing name with ``ValidationException: Cannot create
  already existing model "<arn>".`` [botocore ``CreateModelInput``; a model is
  immutable: there is no UpdateModel operation in the service model].
* DescribeModel answers ``{}``/``[]`` placeholders for the container form that
  was not used and a made-up ``arn:test`` role. We answer what was created and
  nothing else [botocore ``DescribeModelOutput``: only ModelName, CreationTime
  and ModelArn are required].
* A container that names a model package (``{"ModelPackageName": arn}``) is
  described as it was given: SageMaker does not copy the package's Image,
  ModelDataUrl or Environment into the model [Apache Airflow's
  ``SageMakerTransformOperator`` reads ``DescribeModel`` ->
  ``PrimaryContainer.ModelPackageName`` and then calls ``DescribeModelPackage``
  for ``InferenceSpecification.Containers[].ModelDataUrl``; it would not if
  DescribeModel carried them]. The package is not required to exist (we found
  no evidence either way of what CreateModel checks).
* ListModels pages 100 at a time and returns whole descriptions. We page like
  SageMaker (see ``_paging``) and return only ``ModelSummary`` (name, ARN,
  creation time) [botocore ``ModelSummary``].
"""

from __future__ import annotations

from typing import Any

from drift.embedded import _moto, _paging

#: The CreateModel fields a description repeats, in DescribeModelOutput's order.
_DESCRIBED = ("PrimaryContainer", "Containers", "InferenceExecutionConfig", "ExecutionRoleArn", "VpcConfig")


def describe(model: Any) -> dict[str, Any]:
    """DescribeModel's answer for one moto model object (also the Search index's ``Model`` record)."""
    faithful: dict[str, Any] | None = getattr(model, "faithful", None)
    if faithful is None:  # created some other way (CloudFormation): moto's own answer is all there is
        return dict(model.response_object)
    out: dict[str, Any] = {"ModelName": model.model_name}
    out.update({k: v for k, v in faithful.items() if v is not None})
    out["CreationTime"] = model.creation_time
    out["ModelArn"] = model.arn
    return out


def create_model(self: Any) -> Any:
    """CreateModel: every field kept; an existing name refused."""
    name = self._get_param("ModelName")
    backend = self.sagemaker_backend
    if name in backend._models:
        raise _moto.validation_error(f'Cannot create already existing model "{backend._models[name].arn}".')
    primary = self._get_param("PrimaryContainer")
    containers = self._get_param("Containers")
    model = backend.create_model(
        model_name=name,
        execution_role_arn=self._get_param("ExecutionRoleArn"),
        primary_container=primary,
        vpc_config=self._get_param("VpcConfig"),
        containers=containers,
        tags=self._get_param("Tags"),
    )
    faithful = {key: self._get_param(key) or None for key in _DESCRIBED}
    faithful["EnableNetworkIsolation"] = bool(self._get_param("EnableNetworkIsolation") or False)
    model.faithful = faithful
    return _moto.action_result({"ModelArn": model.arn})


def describe_model(self: Any) -> Any:
    """DescribeModel: what was created and nothing else."""
    model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
    return _moto.action_result(describe(model))


def list_models(self: Any) -> Any:
    """ListModels: SageMaker's filters, order and pages; summaries only."""
    contains = self._get_param("NameContains") or ""
    after, before = self._get_param("CreationTimeAfter"), self._get_param("CreationTimeBefore")
    models = [m for m in list(self.sagemaker_backend.list_models())
              if contains in m.model_name and _paging.within(m.creation_time, after, before)]
    keys = {"Name": lambda m: m.model_name, "CreationTime": lambda m: (_moto.timestamp(m.creation_time), m.model_name)}
    models = _paging.sort(models, keys, self._get_param("SortBy"), self._get_param("SortOrder"))
    chunk, token = _paging.page(models, self._get_param("MaxResults"), self._get_param("NextToken"))
    body: dict[str, Any] = {"Models": [{"ModelName": m.model_name, "ModelArn": m.arn,
                                        "CreationTime": m.creation_time} for m in chunk]}
    if token:
        body["NextToken"] = token
    return _moto.action_result(body)


def install(response_class: Any) -> None:
    """Put the faithful model operations on moto's SageMaker response class."""
    response_class.create_model = create_model
    response_class.describe_model = describe_model
    response_class.list_models = list_models
