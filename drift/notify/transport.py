"""One webhook POST that can never hang, never read an unbounded answer and never leak the URL.

The receiver is not trusted: it may dribble its headers a byte a second, send
an endless body, redirect, answer nonsense, or never answer. So:

* **A total deadline.** The exchange runs on a worker thread; the caller waits
  at most ``deadline`` seconds for it. At the deadline the connection's socket is
  shut down (a duplicate of it is recorded when it is created, so the shutdown
  also cuts a TLS handshake or a read deep inside ``http.client``) and the
  caller gets RETRY "no answer within Ns" at once. Per-read socket timeouts
  alone cannot do this: a receiver that sends one byte per timeout never trips
  them. Even a name lookup that hangs cannot hold the caller.
* **A bounded answer.** Only the status line, the headers (``http.client``'s
  own limits: 100 lines of 64 KiB) and ``max_answer_bytes`` of the body are
  read; then the connection is closed. The body is never echoed: reasons are
  short fixed-form strings.
* **No secret in any output.** ``user:password@`` becomes a Basic
  ``Authorization`` header and leaves the URL. The URL, its path (a Slack
  webhook's secret) and the credentials are never put in a reason. urllib3's
  connections are not used for the exchange: its ``HTTPConnection.getresponse``
  logs a WARNING with the full URL, path included, whenever a receiver sends a
  malformed header line, and its pool logs the path at DEBUG. ``http.client``
  logs and warns nothing; urllib3 only builds the Basic header.
* **No redirects, no retries here.** One attempt; the outbox decides when to
  try again, guided by ``Attempt.outcome`` and ``retry_after``.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from urllib3.util import make_headers

MAX_RETRY_AFTER = 3600.0
"""A receiver asking us to wait longer than an hour (or an hour ago) is talking nonsense."""


class Outcome(enum.Enum):
    DELIVERED = "DELIVERED"
    RETRY = "RETRY"  # may work later: 429, 5xx, network trouble, no answer in time
    REJECTED = "REJECTED"  # will not work by trying again: 4xx, redirects, malformed answers, bad TLS


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went. ``reason`` is short, fixed-form and free of URLs, credentials and answer bodies."""

    outcome: Outcome
    status: int | None
    reason: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    host: str
    port: int | None
    tls: bool
    request_target: str
    authorization: str | None


def post_once(url: str, body: bytes, headers: Mapping[str, str], *, deadline: float,
              max_answer_bytes: int = 4096) -> Attempt:
    """POST ``body`` to ``url`` once, within ``deadline`` seconds in total; never raises."""
    try:
        target = _target(url)
    except ValueError:
        return Attempt(Outcome.REJECTED, None, "malformed URL")
    exchange = _Exchange(target, body, headers, deadline, max_answer_bytes)
    try:
        worker = threading.Thread(target=exchange.run, name="drift-webhook-post", daemon=True)
        worker.start()
    except RuntimeError:
        return Attempt(Outcome.RETRY, None, "cannot start a thread")
    worker.join(deadline)
    if worker.is_alive():
        return exchange.abort() or _late(deadline)
    return exchange.verdict or Attempt(Outcome.REJECTED, None, "internal error")


def _target(url: str) -> _Target:
    """Where to connect and what to ask; ValueError for anything that is not a plain http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")
    if "#" in url:  # never sent; in a webhook URL it is an unescaped '#' in a password, cutting it short
        raise ValueError("a fragment")
    port = parts.port  # ValueError when not a number in range
    host = parts.hostname.encode("idna").decode("ascii")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path.isascii() or any(c <= " " or c == "\x7f" for c in path):
        raise ValueError("the path needs escaping")
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = make_headers(basic_auth=credentials)["authorization"]  # latin-1, else ValueError
    return _Target(host, port, parts.scheme == "https", path, authorization)


def _late(deadline: float) -> Attempt:
    return Attempt(Outcome.RETRY, None, f"no answer within {deadline:g}s")


class _Exchange:
    """One connection, driven by the worker thread; ``abort`` may be called from the caller's thread."""

    def __init__(self, target: _Target, body: bytes, headers: Mapping[str, str], deadline: float,
                 max_answer_bytes: int) -> None:
        self.target = target
        self.body = body
        self.headers = {**headers, "Connection": "close"}
        if target.authorization is not None:
            self.headers["Authorization"] = target.authorization
        self.deadline = deadline
        self.ends_at = time.monotonic() + deadline
        self.max_answer_bytes = max_answer_bytes
        self.verdict: Attempt | None = None
        self._lock = threading.Lock()
        self._watch: socket.socket | None = None
        self._aborted = False

    def _remaining(self) -> float:
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    def run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        try:
            conn = self._connection()
            conn.request("POST", self.target.request_target, body=self.body, headers=self.headers)
            assert conn.sock is not None
            conn.sock.settimeout(self._remaining())
            answer = conn.getresponse()
            self._decide(judge(answer.status, answer.msg.get_all("Retry-After") or []))
            try:  # the verdict stands whatever the body does; read a little of it, politely, then hang up
                conn.sock.settimeout(self._remaining())
                answer.read(self.max_answer_bytes)
            except (OSError, http.client.HTTPException):
                pass
        except Exception as exc:  # noqa: BLE001 (every failure becomes an Attempt; nothing escapes the thread)
            self._decide(classify(exc, self.deadline))
        finally:
            with self._lock:
                if self._watch is not None:
                    self._watch.close()
                    self._watch = None
            if conn is not None:
                conn.close()

    def _connection(self) -> http.client.HTTPConnection:
        target, timeout = self.target, self._remaining()
        conn: http.client.HTTPConnection
        if target.tls:
            conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        conn._create_connection = self._connect  # type: ignore[attr-defined]  # http.client's hook
        return conn

    def _connect(self, address: tuple[str, int], timeout: Any = None, source: Any = None) -> socket.socket:
        """``socket.create_connection``, keeping a duplicate so that ``abort`` can shut the connection.

        A duplicate, because the TLS wrapper detaches the original socket object.
        """
        sock = socket.create_connection(address, self._remaining(), source)
        with self._lock:
            if self._aborted:
                sock.close()
                raise TimeoutError
            self._watch = sock.dup()
        return sock

    def _decide(self, attempt: Attempt) -> None:
        """Keep the first verdict reached before any abort (after one, an EOF we caused is no answer)."""
        with self._lock:
            if self.verdict is None and not self._aborted:
                self.verdict = attempt

    def abort(self) -> Attempt | None:
        """Cut the connection now, whatever it is doing; the verdict reached before the cut, if any."""
        with self._lock:
            self._aborted = True
            if self._watch is not None:
                with contextlib.suppress(OSError):
                    self._watch.shutdown(socket.SHUT_RDWR)
            return self.verdict


def judge(status: int, retry_after: list[str]) -> Attempt:
    """The outcome a status (and its first Retry-After, for 429 and 5xx) calls for."""
    if 200 <= status < 300:
        return Attempt(Outcome.DELIVERED, status, f"HTTP {status}")
    if status == 429 or 500 <= status < 600:
        if not retry_after:
            return Attempt(Outcome.RETRY, status, f"HTTP {status}")
        delay = retry_after_seconds(retry_after[0])
        if delay is None:
            return Attempt(Outcome.REJECTED, status, "malformed Retry-After")
        return Attempt(Outcome.RETRY, status, f"HTTP {status}", delay)
    if 300 <= status < 400:
        return Attempt(Outcome.REJECTED, status, "redirect (not followed)")
    return Attempt(Outcome.REJECTED, status, f"HTTP {status}")


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """Seconds to wait, from delay-seconds or an HTTP-date within an hour either way; None when absurd."""
    value = value.strip()
    if not value or len(value) > 64:
        return None
    if value.isascii() and value.isdigit():
        seconds = int(value)
        return float(seconds) if seconds <= MAX_RETRY_AFTER else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None  # "-0000" and kin: an HTTP-date is always GMT, so this is not one
    delay = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, delay) if -MAX_RETRY_AFTER <= delay <= MAX_RETRY_AFTER else None


#: Failures in the order they are tested (subclasses before their bases): the outcome and a fixed reason.
#: A wrong certificate stays wrong, and a malformed answer will not fix itself: both are rejections.
_FAILURES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Outcome, str], ...] = (
    (ssl.SSLCertVerificationError, Outcome.REJECTED, "TLS certificate verification failed"),
    ((ssl.SSLEOFError, ssl.SSLZeroReturnError), Outcome.RETRY, "connection closed during TLS handshake"),
    (ssl.SSLError, Outcome.REJECTED, "TLS handshake failed"),
    (http.client.RemoteDisconnected, Outcome.RETRY, "connection closed without an answer"),
    (http.client.HTTPException, Outcome.REJECTED, "malformed answer"),
    (ConnectionRefusedError, Outcome.RETRY, "connection refused"),
    (ConnectionError, Outcome.RETRY, "connection reset"),
    (socket.gaierror, Outcome.RETRY, "cannot resolve host"),
)


def classify(exc: BaseException, deadline: float) -> Attempt:
    """A failure as an Attempt; the exception's text is never used (it may name the host or echo the answer)."""
    if isinstance(exc, TimeoutError):
        return _late(deadline)
    for kinds, outcome, reason in _FAILURES:
        if isinstance(exc, kinds):
            return Attempt(outcome, None, reason)
    if isinstance(exc, OSError):
        return Attempt(Outcome.RETRY, None, f"connection failed ({errno.errorcode.get(exc.errno or 0, 'unknown')})")
    return Attempt(Outcome.REJECTED, None, f"cannot send ({type(exc).__name__})")
