"""Sessions and clients for one (target, region): the only place that creates boto3 clients.

One session per target and region, its clients shared by the reading threads
(botocore clients are thread-safe), with botocore's own retry modes and bounded
timeouts. The first call of a chain goes through a *probe* client with few
attempts and short timeouts, so an endpoint that does not answer fails the pass
in seconds instead of after ten slow retries; anything that answers (even
throttling) is retried with the full policy. Every HTTP attempt is counted and
waits for the target's rate budget (each account has its own throttling limits).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from drift import __version__
from drift.aws.errors import THROTTLE_CODES, translate
from drift.config.settings import AwsSettings, Target
from drift.errors import AwsError, CredentialsError, EndpointError

T = TypeVar("T")


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
    """Counts API calls (by service) and throttling answers, for logs and metrics."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.throttled = 0
        self.by_service: dict[str, int] = {}

    def reset(self) -> None:
        with self.lock:
            self.calls = self.throttled = 0
            self.by_service = {}

    def hook(self, **kwargs: Any) -> None:
        """``response-received``: once per HTTP attempt, retries included."""
        parsed = kwargs.get("parsed_response") or {}
        code = (parsed.get("Error") or {}).get("Code") if isinstance(parsed, dict) else None
        service = str(kwargs.get("event_name", "")).split(".")[1:2] or ["?"]
        with self.lock:
            self.calls += 1
            self.by_service[service[0]] = self.by_service.get(service[0], 0) + 1
            if code in THROTTLE_CODES:
                self.throttled += 1


def boto_config(aws: AwsSettings, *, probe: bool) -> Any:
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


class Connection:
    """Credentials, clients, counters and rate budget for one target in one region."""

    #: Re-open sessions this often, well inside the hour that assumed-role credentials last.
    RECONNECT_AFTER = 45 * 60

    def __init__(self, target: Target, region: str, aws: AwsSettings) -> None:
        self.target = target
        self.region = region
        self.aws = aws
        self.limiter = RateLimiter(aws.max_calls_per_second)
        self.counter = CallCounter()
        self.where = f"target {target.name} ({region})"
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self.account_id: str | None = target.account_id
        self.connected_at = 0.0

    # -- set-up ---------------------------------------------------------------------------------------
    def _base_session(self) -> Any:
        import boto3

        from drift._botocore import new_session

        try:
            return boto3.Session(botocore_session=new_session(), profile_name=self.target.profile,
                                 region_name=self.region)
        except Exception as exc:
            raise self._translate(exc, "") from exc

    def _translate(self, exc: BaseException, what: str, *, resource: bool = False) -> BaseException:
        mapped = translate(exc, where=self.where, what=what, target=self.target.name, resource=resource)
        return mapped if mapped is not None else exc

    def _new_client(self, session: Any, service: str, region: str, probe: bool) -> Any:
        client = session.client(service, region_name=region, endpoint_url=self.target.endpoint_url,
                                config=boto_config(self.aws, probe=probe))
        client.meta.events.register("response-received.*", self.counter.hook)
        client.meta.events.register("before-send.*", self._before_send)
        return client

    def _before_send(self, **_: Any) -> None:
        """Every HTTP attempt, retries included, waits for the rate budget (returning None sends it)."""
        self.limiter.wait()

    def open(self) -> None:
        """Session, assuming the target's role first; no call unless a role is assumed."""
        with self._lock:
            if self._session is not None and time.monotonic() - self.connected_at <= self.RECONNECT_AFTER:
                return
            session = self._base_session()
            if self.target.role_arn:
                session = self._assume(session)
            self._session = session
            self._clients = {}
            self.account_id = self.target.account_id
            self.connected_at = time.monotonic()

    def _assume(self, base: Any) -> Any:
        import boto3

        from drift._botocore import new_session

        sts = self._new_client(base, "sts", self.region, probe=True)
        params: dict[str, Any] = {"RoleArn": self.target.role_arn, "RoleSessionName": "sagemaker-drift"}
        if self.target.external_id:
            params["ExternalId"] = self.target.external_id
        answer = self.call(lambda: sts.assume_role(**params), what="AssumeRole")
        creds = answer.get("Credentials") if isinstance(answer, dict) else None
        if not isinstance(creds, dict) or not all(k in creds for k in ("AccessKeyId", "SecretAccessKey")):
            raise AwsError(f"{self.where}: AssumeRole of {self.target.role_arn} answered without credentials",
                           target=self.target.name, code="MalformedAnswer")
        return boto3.Session(botocore_session=new_session(), aws_access_key_id=creds["AccessKeyId"],
                             aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds.get("SessionToken"), region_name=self.region)

    def client(self, service: str, *, region: str | None = None, probe: bool = False) -> Any:
        """A client of ``service`` in ``region`` (default: this connection's), made once."""
        self.open()
        key = (service, region or self.region, probe)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(self._session, service, key[1], probe)
            return self._clients[key]

    def reset(self) -> None:
        """Forget the session: the next call opens a new one (after credentials were rejected, say)."""
        with self._lock:
            self._session = None
            self._clients = {}

    # -- calls ----------------------------------------------------------------------------------------
    def identify(self) -> str:
        """The account id (sts:GetCallerIdentity), read once per session."""
        if self.account_id is None:
            identity = self.probed(lambda: self.client("sts", probe=True).get_caller_identity(),
                                   lambda: self.client("sts").get_caller_identity(), "GetCallerIdentity")
            account = identity.get("Account") if isinstance(identity, dict) else None
            if not isinstance(account, str) or not account.isdigit():
                raise AwsError(f"{self.where}: GetCallerIdentity answered without an account id",
                               target=self.target.name, code="MalformedAnswer")
            self.account_id = account
        return self.account_id

    def call(self, fn: Callable[[], T], what: str = "") -> T:
        """A call whose failure stops the whole target, mapped to our error tree."""
        try:
            return fn()
        except Exception as exc:
            raise self._translate(exc, what) from exc

    def resource_call(self, fn: Callable[[], T]) -> T:
        """A per-resource call: its failure becomes that resource's ERROR (or MISSING when it is gone)."""
        try:
            return fn()
        except Exception as exc:
            raise self._translate(exc, "", resource=True) from exc

    def probed(self, probe: Callable[[], T], full: Callable[[], T], what: str = "") -> T:
        """A first call through the short-timeout probe client: an endpoint that does not answer (or
        refuses the credentials) fails at once; anything that answered is retried with the full policy.
        A connection closed mid-answer is something answering (a proxy or load balancer dropping a
        connection now and then), so it gets the full policy too; botocore counts it as transient."""
        try:
            return self.call(probe, what=what)
        except AwsError as exc:
            if isinstance(exc, CredentialsError) or (isinstance(exc, EndpointError)
                                                      and exc.code != "ConnectionClosed"):
                raise
            return self.call(full, what=what)
