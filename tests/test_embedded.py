"""The embedded SageMaker answers as SageMaker does, over HTTP with boto3 (drift/embedded/)."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drift.embedded.world import image_uri
from tests.aws_world import OTHER_ACCOUNT, ROLE, Aws

ECR_IMAGE = image_uri("svc", "1.0")


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """(code, message) of the ClientError a call raises."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


# -- the package --------------------------------------------------------------------------------------
def test_package_imports_without_moto_and_says_how_to_install_it() -> None:
    """Without moto, drift.embedded imports and LocalSageMaker() raises a DriftError naming the demo extra."""
    code = ("import sys; sys.modules['moto'] = None\n"
            "from drift.embedded import LocalSageMaker\n"
            "from drift.errors import DriftError\n"
            "try:\n    LocalSageMaker()\nexcept DriftError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "the embedded SageMaker needs moto: pip install 'sagemaker-drift[demo]'\n" == result.stdout


# -- models -------------------------------------------------------------------------------------------
def test_describe_model_answers_what_was_created(aws: Aws) -> None:
    """Every CreateModel field comes back (moto drops two), and nothing that was not created."""
    request = aws.model("m", ECR_IMAGE, EnableNetworkIsolation=True,
                        InferenceExecutionConfig={"Mode": "Serial"},
                        VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]})
    described = without_metadata(aws.sm.describe_model(ModelName="m"))
    assert {**request, "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m"} == {
        k: v for k, v in described.items() if k != "CreationTime"}


def test_create_model_refuses_an_existing_name(aws: Aws) -> None:
    """A model is immutable: creating one twice is a ValidationException naming its ARN."""
    aws.model("m", ECR_IMAGE)
    assert ("ValidationException",
            'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/m".') == error_of(
        aws.sm.create_model, ModelName="m", PrimaryContainer={"Image": "x"}, ExecutionRoleArn=ROLE)


def test_list_models_pages_ten_summaries_by_default(aws: Aws) -> None:
    """ListModels: 10 a page, newest first, only name/ARN/time, a NextToken to the rest."""
    for i in range(12):
        aws.model(f"m{i:02d}", ECR_IMAGE)
    first = aws.sm.list_models()
    second = aws.sm.list_models(NextToken=first["NextToken"])
    assert [f"m{i:02d}" for i in range(11, 1, -1)] == [m["ModelName"] for m in first["Models"]]
    assert (["m01", "m00"], False) == ([m["ModelName"] for m in second["Models"]], "NextToken" in second)
    assert {"ModelName", "ModelArn", "CreationTime"} == set(first["Models"][0])


def test_model_package_container_is_described_as_given(aws: Aws) -> None:
    """A container naming a model package is described with the package name only, not the package's image."""
    package = aws.sm.create_model_package(
        ModelPackageName="pkg", InferenceSpecification={
            "Containers": [{"Image": ECR_IMAGE, "ModelDataUrl": "s3://b/model.tar.gz", "Environment": {"A": "1"}}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
    aws.sm.create_model(ModelName="m", PrimaryContainer={"ModelPackageName": package["ModelPackageArn"]},
                        ExecutionRoleArn=ROLE)
    assert {"ModelPackageName": package["ModelPackageArn"]} == aws.sm.describe_model(ModelName="m")["PrimaryContainer"]
    assert ECR_IMAGE == aws.sm.describe_model_package(
        ModelPackageName="pkg")["InferenceSpecification"]["Containers"][0]["Image"]


# -- endpoint configs ---------------------------------------------------------------------------------
CONFIG: dict[str, Any] = {
    "ProductionVariants": [{"VariantName": "a", "ModelName": "m", "InstanceType": "ml.g5.xlarge",
                            "InitialInstanceCount": 2}],
    "ShadowProductionVariants": [{"VariantName": "s", "ModelName": "m", "InstanceType": "ml.m5.large",
                                  "InitialInstanceCount": 1, "InitialVariantWeight": 0.5}],
    "DataCaptureConfig": {"EnableCapture": True, "InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://b/c",
                          "CaptureOptions": [{"CaptureMode": "Input"}]},
    "KmsKeyId": "alias/k",
    "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/out"}},
}


def test_describe_endpoint_config_keeps_every_field_and_fills_the_default_weight(aws: Aws) -> None:
    """Every request field comes back, with ARN and time, and InitialVariantWeight 1.0 where it was omitted."""
    aws.model("m", ECR_IMAGE)
    aws.sm.create_endpoint_config(EndpointConfigName="c", Tags=[{"Key": "t", "Value": "v"}], **CONFIG)
    described = without_metadata(aws.sm.describe_endpoint_config(EndpointConfigName="c"))
    expected = {**CONFIG, "EndpointConfigName": "c",
                "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c",
                "ProductionVariants": [{**CONFIG["ProductionVariants"][0], "InitialVariantWeight": 1.0}]}
    assert expected == {k: v for k, v in described.items() if k != "CreationTime"}
    assert [{"Key": "t", "Value": "v"}] == aws.sm.list_tags(ResourceArn=described["EndpointConfigArn"])["Tags"]


def test_create_endpoint_config_refuses_an_existing_name(aws: Aws) -> None:
    """Endpoint configs are immutable: a second CreateEndpointConfig of a name is refused."""
    aws.model("m", ECR_IMAGE)
    aws.config("c", "m")
    assert ("ValidationException", 'Cannot create already existing endpoint configuration '
            '"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c".') == error_of(aws.config, "c", "m")


def test_create_endpoint_config_refuses_a_missing_model(aws: Aws) -> None:
    """A variant naming a model that does not exist is refused."""
    assert ("ValidationException", 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".'
            ) == error_of(aws.config, "c", "nope")


def test_list_endpoint_configs_pages_sorts_and_filters(aws: Aws) -> None:
    """ListEndpointConfigs: NameContains, SortBy Name ascending, pages of MaxResults, summaries only."""
    aws.model("m", ECR_IMAGE)
    for name in ("b-keep", "a-keep", "c-drop", "d-keep"):
        aws.config(name, "m")
    first = aws.sm.list_endpoint_configs(NameContains="keep", SortBy="Name", SortOrder="Ascending", MaxResults=2)
    rest = aws.sm.list_endpoint_configs(NameContains="keep", SortBy="Name", SortOrder="Ascending", MaxResults=2,
                                        NextToken=first["NextToken"])
    assert ["a-keep", "b-keep", "d-keep"] == [c["EndpointConfigName"] for c in first["EndpointConfigs"]
                                              + rest["EndpointConfigs"]]
    assert {"EndpointConfigName", "EndpointConfigArn", "CreationTime"} == set(first["EndpointConfigs"][0])


def test_list_endpoint_configs_keeps_times_at_or_after_creation_time_after(aws: Aws) -> None:
    """CreationTimeAfter is inclusive (SageMaker: "greater than or equal to"); CreationTimeBefore is strict."""
    aws.model("m", ECR_IMAGE)
    aws.config("c", "m")
    created = aws.sm.describe_endpoint_config(EndpointConfigName="c")["CreationTime"]
    after = aws.sm.list_endpoint_configs(CreationTimeAfter=created)["EndpointConfigs"]
    before = aws.sm.list_endpoint_configs(CreationTimeBefore=created)["EndpointConfigs"]
    assert (["c"], []) == ([c["EndpointConfigName"] for c in after], before)


# -- endpoints ----------------------------------------------------------------------------------------
def test_endpoint_records_deployed_images_per_container_for_production_and_shadow_variants(aws: Aws) -> None:
    """Each container's image is resolved to a digest through ECR; one that cannot be is kept unresolved."""
    image, digest = aws.pushed("svc", "1.0", "build-1")
    aws.sm.create_model(ModelName="m", Containers=[{"Image": image}, {"Image": "python:3.11"}], ExecutionRoleArn=ROLE)
    aws.sm.create_endpoint_config(EndpointConfigName="c", **CONFIG)
    aws.sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    described = aws.sm.describe_endpoint(EndpointName="e")
    resolved = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/svc@{digest}"
    for variant in (described["ProductionVariants"][0], described["ShadowProductionVariants"][0]):
        images = variant["DeployedImages"]
        assert [{"SpecifiedImage": image, "ResolvedImage": resolved}, {"SpecifiedImage": "python:3.11"}] == [
            {k: v for k, v in i.items() if k != "ResolutionTime"} for i in images]
        assert described["CreationTime"] == images[0]["ResolutionTime"] == images[1]["ResolutionTime"]


def test_describe_endpoint_has_the_shape_of_describe_endpoint_output(aws: Aws) -> None:
    """Name, ARN, config, variant summaries (weights and counts), data capture, status and times."""
    aws.model("m", ECR_IMAGE)
    aws.sm.create_endpoint_config(EndpointConfigName="c", **CONFIG)
    aws.sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    described = without_metadata(aws.sm.describe_endpoint(EndpointName="e"))
    assert ({"EndpointName": "e", "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e",
             "EndpointConfigName": "c", "EndpointStatus": "InService"},
            {"VariantName": "a", "CurrentWeight": 1.0, "DesiredWeight": 1.0, "CurrentInstanceCount": 2,
             "DesiredInstanceCount": 2},
            {"EnableCapture": True, "CaptureStatus": "Started", "CurrentSamplingPercentage": 20,
             "DestinationS3Uri": "s3://b/c"}) == (
        {k: described[k] for k in ("EndpointName", "EndpointArn", "EndpointConfigName", "EndpointStatus")},
        {k: v for k, v in described["ProductionVariants"][0].items() if k != "DeployedImages"},
        described["DataCaptureConfig"])
    assert described["CreationTime"] == described["LastModifiedTime"]


def test_an_unresolvable_ecr_image_keeps_specified_image_and_resolution_time(aws: Aws) -> None:
    """A tag the repository does not hold: SpecifiedImage and ResolutionTime, no ResolvedImage."""
    aws.served("e", "m", image_uri("svc", "missing"))
    images = aws.sm.describe_endpoint(EndpointName="e")["ProductionVariants"][0]["DeployedImages"]
    assert [["ResolutionTime", "SpecifiedImage"]] == [sorted(i) for i in images]


def test_an_image_in_another_accounts_registry_resolves_there(aws: Aws) -> None:
    """The registry is the image URI's account: an image pushed in another account resolves from it."""
    image, digest = aws.pushed("shared", "2.0", "other-build", account=OTHER_ACCOUNT)
    aws.served("e", "m", image)
    images = aws.sm.describe_endpoint(EndpointName="e")["ProductionVariants"][0]["DeployedImages"]
    assert f"{OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shared@{digest}" == images[0]["ResolvedImage"]


def test_a_model_package_container_deploys_the_packages_image(aws: Aws) -> None:
    """A model-package container runs, and so deploys, the package's image."""
    image, digest = aws.pushed("svc", "1.0", "build-1")
    package = aws.sm.create_model_package(ModelPackageName="pkg", InferenceSpecification={
        "Containers": [{"Image": image}], "SupportedContentTypes": ["a"], "SupportedResponseMIMETypes": ["a"]})
    aws.sm.create_model(ModelName="m", PrimaryContainer={"ModelPackageName": package["ModelPackageArn"]},
                        ExecutionRoleArn=ROLE)
    aws.config("c", "m")
    aws.sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    images = aws.sm.describe_endpoint(EndpointName="e")["ProductionVariants"][0]["DeployedImages"]
    assert [(image, f"123456789012.dkr.ecr.us-east-1.amazonaws.com/svc@{digest}")] == [
        (i["SpecifiedImage"], i["ResolvedImage"]) for i in images]


def test_update_endpoint_redeploys_and_resolves_again(aws: Aws) -> None:
    """UpdateEndpoint: new config name, images resolved now (a re-pointed tag shows), LastModifiedTime bumped."""
    image, _ = aws.pushed("svc", "1.0", "build-1")
    aws.served("e", "m", image)
    before = aws.sm.describe_endpoint(EndpointName="e")
    _, repointed = aws.pushed("svc", "1.0", "build-2")
    aws.config("c2", "m")
    time.sleep(0.01)
    aws.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")
    after = aws.sm.describe_endpoint(EndpointName="e")
    deployed = after["ProductionVariants"][0]["DeployedImages"][0]
    assert ("c2", f"123456789012.dkr.ecr.us-east-1.amazonaws.com/svc@{repointed}") == (
        after["EndpointConfigName"], deployed["ResolvedImage"])
    assert before["LastModifiedTime"] < after["LastModifiedTime"] == deployed["ResolutionTime"]


def test_update_weights_and_capacities_deploys_nothing(aws: Aws) -> None:
    """Weights and counts change and LastModifiedTime moves; DeployedImages stay as first resolved."""
    image, _ = aws.pushed("svc", "1.0", "build-1")
    aws.served("e", "m", image)
    before = aws.sm.describe_endpoint(EndpointName="e")
    aws.pushed("svc", "1.0", "build-2")
    time.sleep(0.01)
    aws.sm.update_endpoint_weights_and_capacities(EndpointName="e", DesiredWeightsAndCapacities=[
        {"VariantName": "v0", "DesiredWeight": 3, "DesiredInstanceCount": 4}])
    after = aws.sm.describe_endpoint(EndpointName="e")
    variant = after["ProductionVariants"][0]
    assert (3.0, 3.0, 4, 4) == (variant["CurrentWeight"], variant["DesiredWeight"], variant["CurrentInstanceCount"],
                                variant["DesiredInstanceCount"])
    assert before["ProductionVariants"][0]["DeployedImages"] == variant["DeployedImages"]
    assert before["LastModifiedTime"] < after["LastModifiedTime"]


def test_an_endpoint_outlives_its_config_and_model(aws: Aws) -> None:
    """Deleting the config (allowed while in use) and the model changes nothing the endpoint reports."""
    aws.served("e", "m", ECR_IMAGE)
    before = aws.sm.describe_endpoint(EndpointName="e")
    aws.sm.delete_endpoint_config(EndpointConfigName="e-config")
    aws.sm.delete_model(ModelName="m")
    assert without_metadata(before) == without_metadata(aws.sm.describe_endpoint(EndpointName="e"))


def test_create_endpoint_refuses_an_existing_name(aws: Aws) -> None:
    """A second CreateEndpoint of a name is refused, naming the endpoint's ARN."""
    aws.served("e", "m", ECR_IMAGE)
    assert ("ValidationException", 'Cannot create already existing endpoint '
            '"arn:aws:sagemaker:us-east-1:123456789012:endpoint/e".') == error_of(
        aws.sm.create_endpoint, EndpointName="e", EndpointConfigName="e-config")


def test_delete_endpoint_makes_it_unknown(aws: Aws) -> None:
    """After DeleteEndpoint, DescribeEndpoint is a ValidationException naming the ARN."""
    aws.served("e", "m", ECR_IMAGE)
    aws.sm.delete_endpoint(EndpointName="e")
    assert ("ValidationException", 'Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e".'
            ) == error_of(aws.sm.describe_endpoint, EndpointName="e")


def test_list_endpoints_filters_by_status_and_returns_summaries(aws: Aws) -> None:
    """ListEndpoints: StatusEquals (with the status control), EndpointSummary with LastModifiedTime and status."""
    aws.served("e1", "m1", ECR_IMAGE)
    aws.served("e2", "m2", ECR_IMAGE)
    aws.server.set_endpoint_status("e2", "Updating")
    updating = aws.sm.list_endpoints(StatusEquals="Updating")["Endpoints"]
    assert [("e2", "Updating")] == [(e["EndpointName"], e["EndpointStatus"]) for e in updating]
    assert {"EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus"} == set(updating[0])


def test_an_endpoint_in_progress_cannot_be_updated(aws: Aws) -> None:
    """UpdateEndpoint of an endpoint that is Updating is refused, as SageMaker refuses it."""
    aws.served("e", "m", ECR_IMAGE)
    aws.server.set_endpoint_status("e", "Updating")
    assert ("ValidationException", 'Cannot update in-progress endpoint '
            '"arn:aws:sagemaker:us-east-1:123456789012:endpoint/e".') == error_of(
        aws.sm.update_endpoint, EndpointName="e", EndpointConfigName="e-config")


def test_the_status_control_refuses_an_unknown_endpoint(aws: Aws) -> None:
    """set_endpoint_status of an endpoint that does not exist is a KeyError naming it."""
    with pytest.raises(KeyError, match="no endpoint 'nope' in account 123456789012, region us-east-1"):
        aws.server.set_endpoint_status("nope", "Failed")


def test_list_endpoints_pages_ten_newest_first(aws: Aws) -> None:
    """ListEndpoints: 10 a page by default, CreationTime descending, NextToken to the rest."""
    aws.model("m", ECR_IMAGE)
    aws.config("c", "m")
    for i in range(11):
        aws.sm.create_endpoint(EndpointName=f"e{i:02d}", EndpointConfigName="c")
    first = aws.sm.list_endpoints()
    rest = aws.sm.list_endpoints(NextToken=first["NextToken"])
    assert [f"e{i:02d}" for i in range(10, -1, -1)] == [e["EndpointName"] for e in first["Endpoints"]
                                                        + rest["Endpoints"]]
    assert 10 == len(first["Endpoints"])


# -- Search(Resource=Model) ---------------------------------------------------------------------------
def models_found(answer: dict[str, Any]) -> list[str]:
    return [r["Model"]["Model"]["ModelName"] for r in answer["Results"]]


def test_search_returns_model_dashboard_records_with_tags_and_endpoints(aws: Aws) -> None:
    """A Search record is {Model: {Model: description + Tags, Endpoints: [...]}}."""
    aws.served("e", "m", ECR_IMAGE)
    arn = aws.sm.describe_model(ModelName="m")["ModelArn"]
    aws.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    record = aws.sm.search(Resource="Model")["Results"][0]["Model"]
    described = without_metadata(aws.sm.describe_model(ModelName="m"))
    assert {**described, "Tags": [{"Key": "team", "Value": "ml"}]} == record["Model"]
    assert [("e", "InService")] == [(e["EndpointName"], e["EndpointStatus"]) for e in record["Endpoints"]]


def test_search_pages_ten_with_total_hits(aws: Aws) -> None:
    """Search: 10 records a page by default, NextToken, TotalHits exact."""
    for i in range(11):
        aws.model(f"m{i:02d}", ECR_IMAGE)
    first = aws.sm.search(Resource="Model")
    rest = aws.sm.search(Resource="Model", NextToken=first["NextToken"])
    assert (10, 1, {"Value": 11, "Relation": "EqualTo"}) == (len(first["Results"]), len(rest["Results"]),
                                                              first["TotalHits"])


@pytest.mark.parametrize(("sort_by", "order", "expected"), [
    ("ModelName", "Ascending", ["a", "b", "c"]),
    ("Model.ModelName", "Descending", ["c", "b", "a"]),
    ("CreationTime", "Ascending", ["b", "c", "a"]),
    ("CreationTime", "Descending", ["a", "c", "b"]),
])
def test_search_sorts_by_name_or_creation_time(aws: Aws, sort_by: str, order: str, expected: list[str]) -> None:
    """SortBy ModelName (either spelling) or CreationTime, in either order."""
    for name in ("b", "c", "a"):
        aws.model(name, ECR_IMAGE)
    assert expected == models_found(aws.sm.search(Resource="Model", SortBy=sort_by, SortOrder=order))


@pytest.mark.parametrize(("flt", "expected"), [
    ({"Name": "ModelName", "Operator": "Equals", "Value": "fraud-v2"}, ["fraud-v2"]),
    ({"Name": "Model.ModelName", "Operator": "Contains", "Value": "fraud"}, ["fraud-v1", "fraud-v2"]),
    ({"Name": "ModelName", "Operator": "NotEquals", "Value": "fraud-v1"}, ["churn", "fraud-v2"]),
])
def test_search_filters_by_model_name(aws: Aws, flt: dict[str, str], expected: list[str]) -> None:
    """Filters on ModelName: Equals, Contains, NotEquals."""
    for name in ("fraud-v1", "fraud-v2", "churn"):
        aws.model(name, ECR_IMAGE)
    found = aws.sm.search(Resource="Model", SearchExpression={"Filters": [flt]}, SortBy="ModelName",
                          SortOrder="Ascending")
    assert expected == models_found(found)


def test_search_filters_by_creation_time(aws: Aws) -> None:
    """CreationTime GreaterThan a model's own time keeps only later models."""
    aws.model("old", ECR_IMAGE)
    time.sleep(0.01)
    aws.model("new", ECR_IMAGE)
    old_time = aws.sm.describe_model(ModelName="old")["CreationTime"]
    flt = {"Name": "CreationTime", "Operator": "GreaterThan", "Value": old_time.isoformat()}
    assert ["new"] == models_found(aws.sm.search(Resource="Model", SearchExpression={"Filters": [flt]}))


def test_search_refuses_an_unknown_property(aws: Aws) -> None:
    """A filter on a property Model does not have is a ValidationException."""
    assert ("ValidationException", "Unknown property name: Flavour") == error_of(
        aws.sm.search, Resource="Model", SearchExpression={"Filters": [{"Name": "Flavour", "Value": "x"}]})


def test_a_frozen_search_index_lags_behind_the_models(aws: Aws) -> None:
    """Frozen: a re-created model keeps its old record, a deleted one stays, a new one is missing."""
    aws.model("recreated", image_uri("svc", "1"))
    aws.model("deleted", ECR_IMAGE)
    old_time = aws.sm.describe_model(ModelName="recreated")["CreationTime"]
    aws.server.freeze_search_index()
    aws.sm.delete_model(ModelName="recreated")
    aws.model("recreated", image_uri("svc", "2"))
    aws.sm.delete_model(ModelName="deleted")
    aws.model("new", ECR_IMAGE)
    found = aws.sm.search(Resource="Model")["Results"]
    records = {r["Model"]["Model"]["ModelName"]: r["Model"]["Model"] for r in found}
    assert ({"deleted", "recreated"}, image_uri("svc", "1"), old_time) == (
        set(records), records["recreated"]["PrimaryContainer"]["Image"], records["recreated"]["CreationTime"])


def test_refreshing_a_frozen_index_catches_up(aws: Aws) -> None:
    """refresh_search_index() takes the models again: new models appear, deleted ones go."""
    aws.model("deleted", ECR_IMAGE)
    aws.server.freeze_search_index()
    aws.sm.delete_model(ModelName="deleted")
    aws.model("new", ECR_IMAGE)
    aws.server.refresh_search_index()
    assert ["new"] == models_found(aws.sm.search(Resource="Model"))


@pytest.mark.parametrize(("code", "message"), [
    ("AccessDeniedException",
     "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: sagemaker:Search"),
    ("ValidationException", "Search is not supported for resource Model"),
])
def test_search_can_be_made_to_fail(aws: Aws, code: str, message: str) -> None:
    """fail_search(code): every Search(Resource=Model) answers that error; other resources still answer."""
    aws.server.fail_search(code)
    assert (code, message) == error_of(aws.sm.search, Resource="Model")
    assert [] == aws.sm.search(Resource="Endpoint")["Results"]
