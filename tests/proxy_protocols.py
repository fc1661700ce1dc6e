"""How the fault proxy reads an AWS request and writes an AWS error, for every protocol drift speaks.

* JSON (SageMaker, Resource Groups Tagging, ECR, Organizations): the operation is
  the ``X-Amz-Target`` header (or the ``/service/<prefix>/operation/<Op>`` path of
  smithy-rpc-v2); the resource is a name in the JSON body.
* query (STS): ``Action=`` in the form body; the resource is ``RoleArn``.
* REST-XML (S3): method and path (path style ``/bucket/key``, or virtual-host
  style ``bucket.<host>``) plus the query string (``list-type=2`` ...).

The service is the signing name in the SigV4 credential scope of the
``Authorization`` header (``.../us-east-1/sts/aws4_request``), which every
botocore request carries. Operation names: SageMaker and tagging operations keep
their plain names (``DescribeModel``, ``GetResources``: the benchmark and older
tests count them so); every other service's are ``<service>.<Operation>``
(``sts.AssumeRole``, ``s3.HeadObject``, ``ecr.BatchGetImage``,
``organizations.ListAccounts``).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

JSON_TYPE = "application/x-amz-json-1.1"
_PLAIN = {"SageMaker": "sagemaker", "ResourceGroupsTaggingAPI_20170126": "tagging"}
_PREFIXED = {"AmazonEC2ContainerRegistry_V20150921": "ecr", "AWSOrganizationsV20161128": "organizations"}
#: JSON body keys that name the resource a call is about, most specific first.
NAME_FIELDS = ("ModelName", "EndpointName", "EndpointConfigName", "ModelPackageName", "repositoryName",
               "AccountId", "ParentId", "ResourceArn")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass(frozen=True, slots=True)
class Call:
    """What a request is: which service and operation, about which resource, in which protocol."""

    service: str
    protocol: str  # "json" | "query" | "rest-xml"
    operation: str
    resource: str = ""
    name_field: str | None = None  # the JSON key holding the resource's name (for swapped answers)


def identify(method: str, path: str, headers: Any, body: bytes) -> Call:
    """Read a request the way AWS routes it."""
    scope = _SCOPE.search(headers.get("Authorization") or "")
    service = scope.group(1) if scope else ""
    target = headers.get("X-Amz-Target") or ""
    smithy = re.match(r"^/service/([^/]+)/operation/([^/?]+)", path)
    if target:
        prefix, operation = target.rsplit(".", 1)
        return _json_call(prefix, operation, body)
    if smithy:
        return _json_call(smithy.group(1), smithy.group(2), body)
    if service == "s3" or (not service and method in ("HEAD", "PUT", "DELETE")):
        return _s3_call(method, path, headers)
    form = parse_qs(body.decode("utf-8", "replace")) if body else parse_qs(urlsplit(path).query)
    action = form.get("Action", [""])[0]
    if action:
        name = service or "sts"
        return Call(name, "query", f"{name}.{action}", form.get("RoleArn", [""])[0])
    return Call(service or "unknown", "json", "other")


def _json_call(prefix: str, operation: str, body: bytes) -> Call:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {}
    if prefix in _PLAIN:
        service, name = _PLAIN[prefix], operation
    else:
        service = _PREFIXED.get(prefix, prefix.lower())
        name = f"{service}.{operation}"
    if not isinstance(payload, dict):
        return Call(service, "json", name)
    for key in NAME_FIELDS:
        value = payload.get(key)
        if isinstance(value, str) and value:
            resource = value.rsplit("/", 1)[-1] if key == "ResourceArn" else value
            return Call(service, "json", name, resource, key)
    return Call(service, "json", name)


def _s3_call(method: str, path: str, headers: Any) -> Call:
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    host = (headers.get("Host") or "").split(":")[0]
    segments = unquote(parts.path).lstrip("/").split("/", 1)
    if host and not re.fullmatch(r"[\d.]+|localhost", host) and "." in host:  # virtual-host style
        bucket, key = host.split(".", 1)[0], unquote(parts.path).lstrip("/")
    else:
        bucket, key = segments[0], segments[1] if len(segments) > 1 else ""
    if not bucket:
        operation = "ListBuckets"
    elif key:
        copy = "x-amz-copy-source" in {k.lower() for k in headers}
        operation = {"HEAD": "HeadObject", "GET": "GetObject", "DELETE": "DeleteObject",
                     "PUT": "CopyObject" if copy else "PutObject"}.get(method, f"{method}Object")
    elif method == "GET":
        operation = ("ListObjectsV2" if query.get("list-type") == ["2"] else
                     "ListObjectVersions" if "versions" in query else
                     "GetBucketVersioning" if "versioning" in query else "ListObjects")
    elif method == "PUT":
        operation = "PutBucketVersioning" if "versioning" in query else "CreateBucket"
    else:
        operation = {"HEAD": "HeadBucket", "DELETE": "DeleteBucket", "POST": "DeleteObjects"}.get(method, method)
    return Call("s3", "rest-xml", f"s3.{operation}", f"{bucket}/{key}" if key else bucket)


#: (status, code) of each canned fault, by protocol family.
_CANNED: dict[str, dict[str, tuple[int, str]]] = {
    "throttle": {"json": (400, "ThrottlingException"), "organizations": (400, "TooManyRequestsException"),
                 "query": (400, "Throttling"), "rest-xml": (503, "SlowDown")},
    "access_denied": {"json": (400, "AccessDeniedException"), "query": (403, "AccessDenied"),
                      "rest-xml": (403, "AccessDenied")},
    "server_error": {"json": (500, "InternalFailure"), "ecr": (500, "ServerException"),
                     "query": (500, "InternalFailure"), "rest-xml": (500, "InternalError")},
}
#: HTTP status of error codes a test names without one.
STATUS = {"NoSuchKey": 404, "NoSuchBucket": 404, "AccessDenied": 403, "RepositoryNotFoundException": 400,
          "ImageNotFoundException": 400, "ValidationException": 400, "AccessDeniedException": 400}


def canned(kind: str, call: Call) -> tuple[int, str]:
    """(status, code) of a throttle, access_denied or server_error fault for this call's protocol and service."""
    table = _CANNED[kind]
    return table.get(call.service) or table[call.protocol]


def message_for(kind: str, call: Call) -> str:
    """A message like AWS's for a canned fault."""
    action = call.operation.split(".")[-1]
    if kind == "access_denied":
        return (f"User: arn:aws:iam::123456789012:user/drift is not authorized to perform: "
                f"{call.service if call.service != 'tagging' else 'tag'}:{action}")
    if kind == "throttle":
        return "Rate exceeded"
    return "We encountered an internal error. Please try again."


def error(call: Call, method: str, status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """An AWS error in the call's own protocol: JSON ``__type``, query ``ErrorResponse``, S3 ``Error``."""
    request_id = str(uuid.uuid4())
    if call.protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": JSON_TYPE, "x-amzn-ErrorType": code, "x-amzn-RequestId": request_id}, body
    if call.protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        text = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>{kind}</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>")
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, text.encode()
    headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id}
    if method == "HEAD":  # S3 answers HEAD errors with a status and no body
        return status, headers, b""
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>{request_id}</RequestId></Error>")
    return status, headers, text.encode()
