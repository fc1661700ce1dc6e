"""One table from botocore's exceptions and AWS error codes to our tree (httpx's transport habit).

Every AWS call goes through ``translate``: a target-level call raises the
mapped ``AwsError``; a per-resource call (``resource=True``) raises
``ResourceReadError`` or ``ResourceGoneError`` instead, which become that
resource's ERROR or MISSING, never a stopped pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drift.errors import (
    AwsError,
    CredentialsError,
    EndpointError,
    ResourceGoneError,
    ResourceReadError,
)

CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthFailure", "RequestExpired",
})
THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "SlowDown", "RequestThrottled", "LimitExceededException",
})
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "403"})
GONE_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound",
                        "404",
                        "RepositoryNotFoundException", "ImageNotFoundException"})
_NOT_FOUND_MARKERS = ("Could not find", "does not exist", "not found")

_CREDENTIALS_HINT = ("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile or "
                     "AWS_PROFILE, or run with an instance/pod role")


def error_of(exc: Any) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    error = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
    return str(error.get("Code") or "Unknown"), str(error.get("Message") or "")


def short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def _during(prefix: str) -> str:
    """' (during ListModels)' from the 'ListModels failed: ' prefix, so the sentence starts with what failed."""
    return f" (during {prefix.removesuffix(' failed: ')})" if prefix else ""


def _client_error(exc: Any, where: str, what: str, target: str | None, resource: bool) -> AwsError:
    code, message = error_of(exc)
    if code in CREDENTIAL_CODES:
        return CredentialsError(f"{where}: AWS rejected the credentials ({code}): refresh them or point --profile "
                                "at valid ones", target=target, code=code)
    gone = code in GONE_CODES or (code == "ValidationException" and any(m in message for m in _NOT_FOUND_MARKERS))
    if resource and gone:
        return ResourceGoneError(f"{code}: {message}" if message else code, target=target, code=code)
    if resource:
        return ResourceReadError(f"{code}: {message}" if message else code, target=target, code=code)
    return AwsError(f"{where}: {what}{code}: {message}", target=target, code=code)


#: (botocore exception class name, builder): the first class in an exception's MRO that appears here wins.
_TABLE: dict[str, Callable[[Any, str, str, str | None, bool], AwsError]] = {
    "ClientError": _client_error,
    "NoCredentialsError": lambda e, w, x, t, r: CredentialsError(_CREDENTIALS_HINT, target=t, code="NoCredentials"),
    "PartialCredentialsError": lambda e, w, x, t, r: CredentialsError(_CREDENTIALS_HINT, target=t,
                                                                       code="NoCredentials"),
    "ProfileNotFound": lambda e, w, x, t, r: CredentialsError(f"aws.profile: {short(e)}", target=t,
                                                              code="ProfileNotFound"),
    "ReadTimeoutError": lambda e, w, x, t, r: EndpointError(
        f"{w}: endpoint did not answer in time (read timeout){_during(x)}: {short(e)}", target=t,
        code="ReadTimeout"),
    "ConnectTimeoutError": lambda e, w, x, t, r: EndpointError(
        f"{w}: endpoint did not answer (connect timeout){_during(x)}: {short(e)}", target=t,
        code="EndpointUnreachable"),
    "EndpointConnectionError": lambda e, w, x, t, r: EndpointError(
        f"{w}: endpoint did not answer{_during(x)}: {short(e)}", target=t, code="EndpointUnreachable"),
    "ConnectionClosedError": lambda e, w, x, t, r: EndpointError(
        f"{w}: endpoint closed the connection{_during(x)}: {short(e)}", target=t, code="ConnectionClosed"),
}


def translate(exc: BaseException, *, where: str, what: str = "", target: str | None = None,
              resource: bool = False) -> AwsError | None:
    """Our error for a botocore exception, or None when it is not one of botocore's."""
    prefix = f"{what} failed: " if what else ""
    for cls in type(exc).__mro__:
        builder = _TABLE.get(cls.__name__)
        if builder is not None and cls.__module__.startswith("botocore"):
            error = builder(exc, where, prefix, target, resource)
            if resource and not isinstance(error, ResourceReadError | CredentialsError):
                return ResourceReadError(f"{error.code or 'Error'}: {error}", target=target, code=error.code)
            return error
    if type(exc).__module__.startswith("botocore"):
        code = type(exc).__name__
        if resource:
            return ResourceReadError(f"{code}: {short(exc)}", target=target, code=code)
        return AwsError(f"{where}: {prefix}{short(exc)}", target=target, code=code)
    return None


def is_denied(error: AwsError) -> bool:
    return (error.code or "") in DENIED_CODES
