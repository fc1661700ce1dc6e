"""The fault proxy (tests/proxy.py): what it recognises, and every fault as boto3 sees it.

What botocore makes of a 200 that lies matters to the product, which checks the
shape of every answer; these tests pin it down per protocol:

* JSON (SageMaker, ECR, Organizations): an HTML page, ``{}`` or half an answer
  all parse to ``{}`` plus ResponseMetadata: botocore turns a body that is not
  JSON into ``{"message": body}`` and keeps only the output shape's members.
* query (STS): an HTML page, an empty body or half an answer raise
  ``ResponseParserError`` ("invalid XML received").
* REST-XML (S3): a listing whose body is not XML is turned into a retryable 500
  by botocore's ``_handle_200_error`` (ClientError code ``500`` once retries are
  spent); an empty listing body parses to ``{}``; HeadObject reads headers only,
  so a garbage answer "succeeds" with the proxy's Content-Type and length;
  GetObject's half body fails its checksum (``FlexibleChecksumError``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    FlexibleChecksumError,
    PaginationError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from tests.aws_world import ROLE, Aws, direct
from tests.proxy import Fault, FaultProxy
from tests.proxy_answers import GARBAGE
from tests.proxy_protocols import Call, identify

OTHER_ROLE = "arn:aws:iam::111122223333:role/drift-reader"


def auth(service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=abc")


# -- identification -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "headers", "body", "expected"), [
    ("POST", "/", {"X-Amz-Target": "SageMaker.DescribeModel", "Authorization": auth("sagemaker")},
     b'{"ModelName": "fraud"}', Call("sagemaker", "json", "DescribeModel", "fraud", "ModelName")),
    ("POST", "/", {"X-Amz-Target": "SageMaker.ListTags"},
     b'{"ResourceArn": "arn:aws:sagemaker:us-east-1:1:model/fraud"}',
     Call("sagemaker", "json", "ListTags", "fraud", "ResourceArn")),
    ("POST", "/", {"X-Amz-Target": "ResourceGroupsTaggingAPI_20170126.GetResources"}, b"{}",
     Call("tagging", "json", "GetResources")),
    ("POST", "/", {"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.BatchGetImage"},
     b'{"repositoryName": "svc"}', Call("ecr", "json", "ecr.BatchGetImage", "svc", "repositoryName")),
    ("POST", "/", {"X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts"}, b"{}",
     Call("organizations", "json", "organizations.ListAccounts")),
    ("POST", "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources", {}, b"",
     Call("tagging", "json", "GetResources")),
    ("POST", "/", {"Authorization": auth("sts")}, f"Action=AssumeRole&RoleArn={OTHER_ROLE}".encode(),
     Call("sts", "query", "sts.AssumeRole", OTHER_ROLE)),
    ("POST", "/", {"Authorization": auth("sts")}, b"Action=GetCallerIdentity&Version=2011-06-15",
     Call("sts", "query", "sts.GetCallerIdentity")),
    ("HEAD", "/ml-artifacts/m/model.tar.gz", {"Authorization": auth("s3"), "Host": "127.0.0.1:5000"}, b"",
     Call("s3", "rest-xml", "s3.HeadObject", "ml-artifacts/m/model.tar.gz")),
    ("GET", "/ml-artifacts?list-type=2&prefix=m%2F", {"Authorization": auth("s3")}, b"",
     Call("s3", "rest-xml", "s3.ListObjectsV2", "ml-artifacts")),
    ("PUT", "/ml-artifacts/k", {"Authorization": auth("s3")}, b"x", Call("s3", "rest-xml", "s3.PutObject",
                                                                         "ml-artifacts/k")),
    ("GET", "/m/model.tar.gz", {"Authorization": auth("s3"), "Host": "ml-artifacts.s3.localhost.localstack.cloud"},
     b"", Call("s3", "rest-xml", "s3.GetObject", "ml-artifacts/m/model.tar.gz")),
])
def test_requests_are_identified_for_every_protocol(method: str, path: str, headers: dict[str, str], body: bytes,
                                                     expected: Call) -> None:
    """JSON targets, query actions and S3 paths (path or virtual-host style) name operation and resource."""
    assert expected == identify(method, path, headers, body)


def test_an_unknown_fault_kind_is_refused() -> None:
    """A typo in a fault kind fails at once instead of injecting nothing."""
    with pytest.raises(ValueError, match="unknown fault kind 'garbge'"):
        Fault("garbge")


# -- counts and latency -------------------------------------------------------------------------------
def test_calls_are_counted_by_operation_for_every_service(aws: Aws, proxy: FaultProxy) -> None:
    """SageMaker keeps plain names; STS, S3, ECR and Organizations are prefixed with their service."""
    aws.model("m", "x")
    aws.world.put_object("ml-artifacts", "k", b"x")
    aws.pushed("svc", "1.0", "b")
    aws.client("organizations").create_organization(FeatureSet="ALL")
    direct("sagemaker", proxy.url).describe_model(ModelName="m")
    direct("sts", proxy.url).get_caller_identity()
    direct("s3", proxy.url).head_object(Bucket="ml-artifacts", Key="k")
    direct("ecr", proxy.url).batch_get_image(repositoryName="svc", imageIds=[{"imageTag": "1.0"}])
    direct("organizations", proxy.url).list_accounts()
    assert {"DescribeModel": 1, "sts.GetCallerIdentity": 1, "s3.HeadObject": 1, "ecr.BatchGetImage": 1,
            "organizations.ListAccounts": 1} == dict(proxy.counts)


def test_latency_is_added_to_every_call(aws: Aws, proxy: FaultProxy) -> None:
    """latency seconds are spent before each answer."""
    proxy.latency = 0.2
    started = time.monotonic()
    direct("sagemaker", proxy.url).list_models()
    assert time.monotonic() - started >= 0.2


# -- errors in each protocol's format -----------------------------------------------------------------
def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])


def test_a_fault_selects_one_model(aws: Aws, proxy: FaultProxy) -> None:
    """throttle on DescribeModel of m1 only: m1 is throttled, m2 answers."""
    aws.model("m1", "x")
    aws.model("m2", "x")
    proxy.add(Fault("throttle", operation="DescribeModel", resource="m1"))
    client = direct("sagemaker", proxy.url)
    assert ("ThrottlingException", "m2") == (code_of(client.describe_model, ModelName="m1"),
                                             client.describe_model(ModelName="m2")["ModelName"])


def test_a_dotless_operation_glob_leaves_other_services_alone(aws: Aws, proxy: FaultProxy) -> None:
    """Fault("access_denied") with operation "*" denies SageMaker calls only, as it always did."""
    proxy.add(Fault("access_denied"))
    assert ("AccessDeniedException", "123456789012") == (
        code_of(direct("sagemaker", proxy.url).list_models),
        direct("sts", proxy.url).get_caller_identity()["Account"])


def test_assume_role_is_denied_for_one_role_in_xml(aws: Aws, proxy: FaultProxy) -> None:
    """access_denied on sts.AssumeRole of one role ARN: that role is AccessDenied, another is assumed."""
    proxy.add(Fault("access_denied", operation="sts.AssumeRole", resource=OTHER_ROLE))
    sts = direct("sts", proxy.url)
    assert "AccessDenied" == code_of(sts.assume_role, RoleArn=OTHER_ROLE, RoleSessionName="drift")
    assert "Credentials" in sts.assume_role(RoleArn="arn:aws:iam::444455556666:role/x", RoleSessionName="drift")


@pytest.mark.parametrize(("fault", "operation", "expected"), [
    (Fault("error", operation="s3.GetObject", code="NoSuchKey"), "get_object", "NoSuchKey"),
    (Fault("access_denied", operation="s3.GetObject"), "get_object", "AccessDenied"),
    (Fault("access_denied", operation="s3.HeadObject"), "head_object", "403"),
    (Fault("error", operation="s3.HeadObject", code="NoSuchKey"), "head_object", "404"),
])
def test_s3_errors_come_in_s3s_format(aws: Aws, proxy: FaultProxy, fault: Fault, operation: str,
                                      expected: str) -> None:
    """S3 errors as S3 sends them: an XML Error body, none for HEAD (botocore then names the status)."""
    aws.world.put_object("ml-artifacts", "k", b"x")
    proxy.add(fault)
    assert expected == code_of(getattr(direct("s3", proxy.url), operation), Bucket="ml-artifacts", Key="k")


def test_a_fault_selects_an_s3_object_by_bucket_and_key(aws: Aws, proxy: FaultProxy) -> None:
    """The resource of an S3 call is bucket/key: a glob picks objects."""
    aws.world.put_object("ml-artifacts", "a/model.tar.gz", b"x")
    aws.world.put_object("ml-artifacts", "b/model.tar.gz", b"x")
    proxy.add(Fault("access_denied", operation="s3.*", resource="ml-artifacts/a/*"))
    s3 = direct("s3", proxy.url)
    assert ("403", 1) == (code_of(s3.head_object, Bucket="ml-artifacts", Key="a/model.tar.gz"),
                          s3.head_object(Bucket="ml-artifacts", Key="b/model.tar.gz")["ContentLength"])


@pytest.mark.parametrize(("fault", "expected"), [
    (Fault("error", operation="ecr.BatchGetImage", code="RepositoryNotFoundException"), "RepositoryNotFoundException"),
    (Fault("access_denied", operation="ecr.*", resource="svc"), "AccessDeniedException"),
    (Fault("server_error", operation="ecr.*"), "ServerException"),
])
def test_ecr_errors_come_in_json(aws: Aws, proxy: FaultProxy, fault: Fault, expected: str) -> None:
    """ECR errors are JSON __type errors, per repository."""
    aws.pushed("svc", "1.0", "b")
    proxy.add(fault)
    assert expected == code_of(direct("ecr", proxy.url).batch_get_image, repositoryName="svc",
                               imageIds=[{"imageTag": "1.0"}])


@pytest.mark.parametrize(("kind", "expected"), [("access_denied", "AccessDeniedException"),
                                                ("throttle", "TooManyRequestsException")])
def test_organizations_errors_use_its_codes(aws: Aws, proxy: FaultProxy, kind: str, expected: str) -> None:
    """Organizations throttles with TooManyRequestsException and denies with AccessDeniedException."""
    aws.client("organizations").create_organization(FeatureSet="ALL")
    proxy.add(Fault(kind, operation="organizations.ListAccounts"))
    assert expected == code_of(direct("organizations", proxy.url).list_accounts)


def test_server_errors_are_retried_until_they_pass(aws: Aws, proxy: FaultProxy) -> None:
    """server_error at 50%: a client with retries gets its answer; one without sees InternalFailure."""
    aws.model("m", "x")
    proxy.add(Fault("server_error", operation="DescribeModel", rate=0.5))
    assert "m" == direct("sagemaker", proxy.url, attempts=10).describe_model(ModelName="m")["ModelName"]
    proxy.clear()
    proxy.add(Fault("server_error", operation="DescribeModel"))
    assert "InternalFailure" == code_of(direct("sagemaker", proxy.url).describe_model, ModelName="m")


# -- transport ----------------------------------------------------------------------------------------
def test_slow_answers_time_out(aws: Aws, proxy: FaultProxy) -> None:
    """slow: the answer comes after delay seconds, so a shorter read timeout fails."""
    proxy.add(Fault("slow", operation="ListModels", delay=2))
    with pytest.raises(ReadTimeoutError):
        direct("sagemaker", proxy.url, read_timeout=0.5).list_models()


def test_dropped_connections_close_without_an_answer(aws: Aws, proxy: FaultProxy) -> None:
    """drop: the connection closes; botocore reports it as closed before a valid response."""
    proxy.add(Fault("drop", operation="sts.GetCallerIdentity"))
    with pytest.raises(ConnectionClosedError):
        direct("sts", proxy.url).get_caller_identity()


# -- 200s that lie ------------------------------------------------------------------------------------
def answer(call: Any, **kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in call(**kwargs).items() if k != "ResponseMetadata"}


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated"])
def test_a_lying_json_answer_parses_to_an_empty_dict(aws: Aws, proxy: FaultProxy, kind: str) -> None:
    """JSON protocol: HTML, {} and half an answer all come back from boto3 as {} (no ModelName)."""
    aws.model("m", "x")
    proxy.add(Fault(kind, operation="DescribeModel"))
    assert {} == answer(direct("sagemaker", proxy.url).describe_model, ModelName="m")


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated"])
def test_a_lying_query_answer_is_a_parser_error(aws: Aws, proxy: FaultProxy, kind: str) -> None:
    """query protocol (STS): HTML, an empty body and half an answer raise ResponseParserError."""
    proxy.add(Fault(kind, operation="sts.GetCallerIdentity"))
    with pytest.raises(ResponseParserError, match="invalid XML received"):
        direct("sts", proxy.url).get_caller_identity()


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
def test_an_s3_listing_that_is_not_xml_is_a_retryable_500(aws: Aws, proxy: FaultProxy, kind: str) -> None:
    """REST-XML: botocore turns a 200 listing it cannot parse into a 500 (ClientError "500" when retries run out)."""
    aws.world.put_object("ml-artifacts", "k", b"x")
    proxy.add(Fault(kind, operation="s3.ListObjectsV2"))
    assert "500" == code_of(direct("s3", proxy.url).list_objects_v2, Bucket="ml-artifacts")


def test_an_empty_s3_listing_parses_to_nothing(aws: Aws, proxy: FaultProxy) -> None:
    """REST-XML: an empty 200 listing body is {}: no Contents, no KeyCount."""
    aws.world.put_object("ml-artifacts", "k", b"x")
    proxy.add(Fault("empty", operation="s3.ListObjectsV2"))
    assert {} == answer(direct("s3", proxy.url).list_objects_v2, Bucket="ml-artifacts")


def test_a_garbage_head_object_succeeds_with_the_pages_headers(aws: Aws, proxy: FaultProxy) -> None:
    """HeadObject reads headers only: a garbage 200 has no ETag, the HTML's type and length."""
    aws.world.put_object("ml-artifacts", "k", b"x")
    proxy.add(Fault("garbage", operation="s3.HeadObject"))
    assert {"ContentLength": len(GARBAGE), "ContentType": "text/html", "Metadata": {}} == answer(
        direct("s3", proxy.url).head_object, Bucket="ml-artifacts", Key="k")


def test_a_truncated_get_object_fails_its_checksum(aws: Aws, proxy: FaultProxy) -> None:
    """GetObject's half body no longer matches the object's checksum."""
    aws.world.put_object("ml-artifacts", "k", b"weights" * 10)
    proxy.add(Fault("truncated", operation="s3.GetObject"))
    with pytest.raises(FlexibleChecksumError):
        direct("s3", proxy.url).get_object(Bucket="ml-artifacts", Key="k")["Body"].read()


@pytest.mark.parametrize(("swap_with", "expected"), [("", "m2"), ("m3", "m3")])
def test_a_swapped_describe_answers_about_another_model(aws: Aws, proxy: FaultProxy, swap_with: str,
                                                        expected: str) -> None:
    """swapped DescribeModel: the real description of another model (swap_with, or one ListModels names)."""
    for name in ("m1", "m2", "m3"):
        aws.model(name, f"{name}-image")
    aws.sm.delete_model(ModelName="m3")
    aws.model("m3", "m3-image")  # newest first: ListModels names m3, m2, m1
    proxy.add(Fault("swapped", operation="DescribeModel", resource="m3" if not swap_with else "m1",
                    swap_with=swap_with))
    asked = "m3" if not swap_with else "m1"
    described = direct("sagemaker", proxy.url).describe_model(ModelName=asked)
    assert (expected, f"{expected}-image") == (described["ModelName"], described["PrimaryContainer"]["Image"])


def test_a_swapped_listing_loses_entries(aws: Aws, proxy: FaultProxy) -> None:
    """swapped ListTags: every other tag is dropped."""
    aws.model("m", "x", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(4)])
    proxy.add(Fault("swapped", operation="ListTags"))
    arn = aws.sm.describe_model(ModelName="m")["ModelArn"]
    assert ["k1", "k3"] == [t["Key"] for t in direct("sagemaker", proxy.url).list_tags(ResourceArn=arn)["Tags"]]


def test_a_renamed_answer_names_another_model(aws: Aws, proxy: FaultProxy) -> None:
    """renamed DescribeModel: the real answer with ModelName and ModelArn altered."""
    aws.model("m", "x")
    proxy.add(Fault("renamed", operation="DescribeModel"))
    described = direct("sagemaker", proxy.url).describe_model(ModelName="m")
    assert ("m-renamed", "arn:aws:sagemaker:us-east-1:123456789012:model/m-renamed", ROLE) == (
        described["ModelName"], described["ModelArn"], described["ExecutionRoleArn"])


def test_an_endless_same_token_is_caught_by_the_paginator(aws: Aws, proxy: FaultProxy) -> None:
    """endless_token "same": the same page and NextToken forever; botocore's paginator refuses a repeated token."""
    aws.model("m", "x")
    proxy.add(Fault("endless_token", operation="ListModels"))
    client = direct("sagemaker", proxy.url)
    assert ("endless-token", "endless-token") == (client.list_models()["NextToken"],
                                                  client.list_models(NextToken="endless-token")["NextToken"])
    with pytest.raises(PaginationError, match="same next token"):
        list(client.get_paginator("list_models").paginate())


def test_an_endless_listing_of_new_names_never_ends(aws: Aws, proxy: FaultProxy) -> None:
    """endless_token "new": every page has made-up names and a new token."""
    aws.model("m", "x")
    proxy.add(Fault("endless_token", operation="ListModels", variant="new"))
    pages = direct("sagemaker", proxy.url).get_paginator("list_models").paginate()
    seen = [(page["Models"][0]["ModelName"], page["NextToken"]) for page, _ in zip(pages, range(3), strict=False)]
    assert [("ghost-1-0", "ghost-page-1"), ("ghost-2-0", "ghost-page-2"), ("ghost-3-0", "ghost-page-3")] == seen


def test_an_endless_s3_listing_repeats_its_token(aws: Aws, proxy: FaultProxy) -> None:
    """endless_token on ListObjectsV2: always truncated, the same continuation token."""
    aws.world.put_object("ml-artifacts", "k", b"x")
    proxy.add(Fault("endless_token", operation="s3.ListObjectsV2"))
    with pytest.raises(PaginationError, match="same next token"):
        list(direct("s3", proxy.url).get_paginator("list_objects_v2").paginate(Bucket="ml-artifacts"))
