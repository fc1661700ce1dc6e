"""boto3 list/describe/list_tags -> raw dicts. The only module that imports boto3.

One session and one client per (target, region), shared by the describe
threads (botocore clients are thread-safe), with botocore's own retry modes and
bounded timeouts. The first call goes through a client with few attempts and
short timeouts, so that an endpoint that does not answer fails the pass in
seconds instead of ten slow retries; anything that *answers* (even throttling)
is retried with the full policy.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from drift import __version__
from drift.config import AwsSettings, Target
from drift.errors import AwsError, CredentialsError, EndpointError
from drift.listing import list_both_ways
from drift.state import ListingHint

T = TypeVar("T")

_CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthFailure", "RequestExpired",
})
_THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "SlowDown", "RequestThrottled", "LimitExceededException",
})
_NOT_FOUND_MARKERS = ("Could not find model", "does not exist", "not found")


@dataclass(frozen=True, slots=True)
class LiveSummary:
    """What ListModels says of one model: enough to know whether it changed."""

    name: str
    arn: str
    creation_time: str


class ModelNotFoundError(Exception):
    """DescribeModel says the model is gone (deleted between list and describe)."""


class ModelReadError(Exception):
    """One model could not be read; ``code`` is AWS's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class RateLimiter:
    """At most ``rate`` calls a second across all threads of one target (a token bucket of one)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.lock = threading.Lock()
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            delay = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if delay > 0:
            time.sleep(delay)


class CallCounter:
    """Counts API calls and throttling answers, for logs and metrics."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.throttled = 0

    def reset(self) -> None:
        with self.lock:
            self.calls = 0
            self.throttled = 0

    def hook(self, **kwargs: Any) -> None:
        """``response-received``: once per HTTP attempt, retries included."""
        parsed = kwargs.get("parsed_response") or {}
        code = (parsed.get("Error") or {}).get("Code")
        with self.lock:
            self.calls += 1
            if code in _THROTTLE_CODES:
                self.throttled += 1


def _boto_config(aws: AwsSettings, *, probe: bool) -> Any:
    from botocore.config import Config

    retries: Any = {"mode": aws.retry_mode,
                    "total_max_attempts": min(3, aws.max_attempts) if probe else aws.max_attempts}
    return Config(
        retries=retries,
        connect_timeout=min(aws.connect_timeout, 5.0) if probe else aws.connect_timeout,
        read_timeout=min(aws.read_timeout, 10.0) if probe else aws.read_timeout,
        max_pool_connections=max(10, aws.concurrency + 4),
        user_agent_extra=f"sagemaker-drift/{__version__}",
        tcp_keepalive=True,
    )


class TargetReader:
    """Reads the models of one target in one region."""

    def __init__(self, target: Target, region: str, aws: AwsSettings) -> None:
        self.target = target
        self.region = region
        self.aws = aws
        self.limiter = RateLimiter(aws.max_calls_per_second)
        self.counter = CallCounter()
        self._session: Any = None
        self._client: Any = None
        self._probe: Any = None
        self._probe_sts: Any = None
        self.account_id: str | None = None
        self.connected_at = 0.0

    # -- set-up -------------------------------------------------------------------------------------
    def _base_session(self) -> Any:
        import boto3
        import botocore.exceptions as bex

        from drift._botocore import new_session

        try:
            return boto3.Session(botocore_session=new_session(), profile_name=self.target.profile,
                                 region_name=self.region)
        except bex.ProfileNotFound as exc:
            raise CredentialsError(
                f"AWS profile {self.target.profile!r} not found in ~/.aws/config or ~/.aws/credentials",
                target=self.target.name) from exc

    def _new_client(self, session: Any, service: str, *, probe: bool = False) -> Any:
        client = session.client(service, region_name=self.region, endpoint_url=self.target.endpoint_url,
                                config=_boto_config(self.aws, probe=probe))
        client.meta.events.register("response-received.*", self.counter.hook)
        client.meta.events.register("before-send.*", self._before_send)
        return client

    def _before_send(self, **_: Any) -> None:
        """Every HTTP attempt, retries included, waits for the rate limit (returning None sends it)."""
        self.limiter.wait()

    #: Re-open sessions this often, well inside the hour that assumed-role credentials last.
    RECONNECT_AFTER = 45 * 60

    def open(self) -> None:
        """Session and clients, assuming the target's role first; no call unless a role is assumed."""
        if self._client is not None and time.monotonic() - self.connected_at <= self.RECONNECT_AFTER:
            return
        session = self._base_session()
        if self.target.role_arn:
            sts = self._new_client(session, "sts")
            params: dict[str, Any] = {"RoleArn": self.target.role_arn, "RoleSessionName": "sagemaker-drift"}
            if self.target.external_id:
                params["ExternalId"] = self.target.external_id
            creds = self._call(lambda: sts.assume_role(**params))["Credentials"]
            import boto3

            from drift._botocore import new_session

            session = boto3.Session(botocore_session=new_session(), aws_access_key_id=creds["AccessKeyId"],
                                    aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=self.region)
        self._session = session
        self._probe_sts = self._new_client(session, "sts", probe=True)
        self._probe = self._new_client(session, "sagemaker", probe=True)
        self._client = self._new_client(session, "sagemaker")
        self.account_id = None
        self.connected_at = time.monotonic()

    def identify(self) -> str:
        """The account id (sts:GetCallerIdentity), read once per session."""
        if self.account_id is None:
            identity = self._probed(self._probe_sts.get_caller_identity,
                                    lambda: self._new_client(self._session, "sts").get_caller_identity())
            self.account_id = str(identity["Account"])
        return self.account_id

    def ensure_connected(self) -> str:
        self.open()
        return self.identify()

    def connect(self) -> str:
        """A new session (assuming the target's role) and the account id."""
        self._client = None
        return self.ensure_connected()

    # -- reads --------------------------------------------------------------------------------------
    def list_models(self, name_contains: str = "", hint: ListingHint | None = None) -> tuple[
            list[LiveSummary], ListingHint]:
        """Every model, in full pages of 100, read from both ends at once (see listing.py) unless the
        server showed it ignores the sort order. The first page of each chain goes through the probe
        client, so an endpoint that does not answer fails in seconds."""
        base: dict[str, Any] = {"MaxResults": 100}
        if name_contains:
            base["NameContains"] = name_contains
        two_way = hint is None or hint.two_way
        if two_way:
            base["SortBy"] = "Name"
        first = {"Ascending": True, "Descending": True}

        def fetch(order: str, token: str | None) -> tuple[list[LiveSummary], str | None]:
            request = {**base, **({"SortOrder": order} if two_way else {}), **({"NextToken": token} if token else {})}
            full = functools.partial(self._client.list_models, **request)
            if first[order]:
                first[order] = False
                page = self._probed(functools.partial(self._probe.list_models, **request), full, "ListModels")
            else:
                page = self._call(full, what="ListModels")
            items = [LiveSummary(name=m["ModelName"], arn=m.get("ModelArn", ""),
                                 creation_time=_iso(m.get("CreationTime"))) for m in page.get("Models", [])]
            return items, page.get("NextToken") or None

        # A plan of one page means a single chain read to its end: the sequential listing.
        planned = 1 if not two_way else -(-hint.models // 100) if hint is not None else None
        listing = list_both_ways(fetch, lambda s: s.name, planned)
        return listing.items, ListingHint(two_way=two_way and listing.order_honoured, models=len(listing.items))

    def describe(self, name: str) -> dict[str, Any]:
        response = self._model_call(lambda: self._client.describe_model(ModelName=name))
        response.pop("ResponseMetadata", None)
        return dict(response)

    def bulk_tags(self) -> dict[str, list[dict[str, str]]] | None:
        """Tags of every model in one paginated GetResources (100 a page), or None when that API is
        denied or failing, so the caller falls back to one ListTags per model."""
        import botocore.exceptions as bex

        client = self._new_client(self._session, "resourcegroupstaggingapi")
        out: dict[str, list[dict[str, str]]] = {}
        try:
            paginator = client.get_paginator("get_resources")
            for page in paginator.paginate(ResourceTypeFilters=["sagemaker:model"], ResourcesPerPage=100):
                for item in page.get("ResourceTagMappingList", []):
                    out[item["ResourceARN"]] = list(item.get("Tags", []))
        except (bex.ClientError, bex.BotoCoreError):
            return None
        return out

    def list_tags(self, arn: str) -> list[dict[str, str]]:
        tags: list[dict[str, str]] = []

        def read_all() -> None:
            for page in self._client.get_paginator("list_tags").paginate(ResourceArn=arn):
                tags.extend(page.get("Tags", []))

        self._model_call(read_all)
        return tags

    # -- error mapping ------------------------------------------------------------------------------
    def _probed(self, probe: Callable[[], T], full: Callable[[], T], what: str = "") -> T:
        """A first call through the short-timeout probe client: an endpoint that does not answer (or
        refuses the credentials) fails at once; anything that answered is retried with the full policy."""
        try:
            return self._call(probe, what=what)
        except AwsError as exc:
            if isinstance(exc, EndpointError | CredentialsError):
                raise
            return self._call(full, what=what)

    def _call(self, fn: Callable[[], T], what: str = "") -> T:
        """Run a call whose failure stops the whole target; map botocore errors to our tree."""
        import botocore.exceptions as bex

        prefix = f"{what} failed: " if what else ""
        where = f"target {self.target.name} ({self.region})"
        try:
            return fn()
        except (bex.NoCredentialsError, bex.PartialCredentialsError) as exc:
            raise CredentialsError(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile "
                "or AWS_PROFILE, or run with an instance/pod role", target=self.target.name) from exc
        except bex.ProfileNotFound as exc:
            raise CredentialsError(f"AWS profile not found: {exc}", target=self.target.name) from exc
        except bex.ClientError as exc:
            code, message = _error_of(exc)
            if code in _CREDENTIAL_CODES:
                raise CredentialsError(f"{where}: AWS rejected the credentials ({code}): refresh them "
                                       "or point --profile at valid ones", target=self.target.name,
                                       code=code) from exc
            raise AwsError(f"{where}: {prefix}{code}: {message}", target=self.target.name, code=code) from exc
        except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError,
                bex.ConnectionClosedError) as exc:
            raise EndpointError(f"{where}: {prefix}endpoint did not answer: {_short(exc)}",
                                target=self.target.name, code="EndpointUnreachable") from exc
        except bex.BotoCoreError as exc:
            raise AwsError(f"{where}: {prefix}{_short(exc)}", target=self.target.name) from exc

    def _model_call(self, fn: Callable[[], T]) -> T:
        """Run a per-model call: its failure becomes that model's ERROR, or MISSING when it is gone."""
        import botocore.exceptions as bex

        try:
            return fn()
        except bex.ClientError as exc:
            code, message = _error_of(exc)
            if code in ("ValidationException", "ResourceNotFound", "ResourceNotFoundException") and any(
                    marker in message for marker in _NOT_FOUND_MARKERS):
                raise ModelNotFoundError(message) from exc
            raise ModelReadError(code, message) from exc
        except (bex.NoCredentialsError, bex.PartialCredentialsError) as exc:
            raise ModelReadError("NoCredentials", _short(exc)) from exc
        except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError,
                bex.ConnectionClosedError) as exc:
            raise ModelReadError("EndpointUnreachable", _short(exc)) from exc
        except bex.BotoCoreError as exc:
            raise ModelReadError(type(exc).__name__, _short(exc)) from exc


def _error_of(exc: Any) -> tuple[str, str]:
    error = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
    return str(error.get("Code") or "Unknown"), str(error.get("Message") or "")


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:300]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value or "")
