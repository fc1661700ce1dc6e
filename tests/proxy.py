"""A small HTTP proxy on 127.0.0.1 in front of an AWS endpoint (moto): latency, call counts, faults.

The benchmark uses it to add the round trip of a real AWS endpoint and to count
calls by operation; the robustness tests use it to make chosen calls fail the
way AWS fails, per operation and per resource, at a seeded random rate. It reads
every protocol drift speaks (JSON, query, REST-XML: see ``proxy_protocols``).

Fault kinds:

* errors, in the protocol's own format: ``throttle``, ``access_denied``,
  ``server_error`` (canned codes per protocol), and ``error`` with any ``code``
  (``NoSuchKey``, ``RepositoryNotFoundException``...) and ``status``;
* transport: ``slow`` (sleep ``delay`` seconds, then answer), ``drop`` (close
  the connection without answering);
* 200s that lie (``proxy_answers``): ``garbage`` (an HTML page), ``empty``
  (``{}`` or an empty body), ``truncated`` (half the real answer), ``swapped``
  (a Describe* answers about another resource, ``swap_with`` or the first other
  model ListModels names; a listing loses every other entry), ``renamed``
  (the real answer with ModelName/ModelArn altered), ``endless_token``
  (``variant="same"``: the same page and NextToken forever; ``"new"``: made-up
  names on every page; S3 ListObjectsV2 supports ``same`` only).

A fault selects calls by ``operation`` and ``resource`` globs (``resource`` is
the model, endpoint or config name, role ARN, ``bucket/key`` or repository;
``model`` is its older spelling). An operation glob without a dot selects
SageMaker and tagging operations only (``"*"`` means every SageMaker call, as it
always did); other services are selected by their prefix (``"sts.*"``,
``"s3.HeadObject"``, ``"*.*"`` for every non-SageMaker call).
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import random
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests import proxy_answers as answers
from tests.proxy_protocols import STATUS, Call, canned, error, identify, message_for

FAULTS = ("throttle", "access_denied", "server_error", "error", "slow", "drop", "garbage", "empty", "truncated",
          "swapped", "renamed", "endless_token")
_HOP = ("connection", "keep-alive", "transfer-encoding", "content-length", "expect")


@dataclass
class Fault:
    """Answer ``kind`` to calls of ``operation`` (glob) on ``resource`` (glob) with probability ``rate``."""

    kind: str
    operation: str = "*"
    model: str = "*"
    rate: float = 1.0
    delay: float = 30.0  # for "slow"
    resource: str = "*"
    code: str = ""  # for "error"
    status: int = 0  # for "error"; 0 means the code's usual status (400 when unknown)
    message: str = "injected by the fault proxy"  # for "error"
    swap_with: str = ""  # for "swapped" Describe* calls
    variant: str = "same"  # for "endless_token": "same" or "new"

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULTS)}")

    def selects(self, call: Call) -> bool:
        """True when this fault applies to the call (before its rate is drawn)."""
        if ("." in call.operation) != ("." in self.operation):
            return False
        return (fnmatch.fnmatchcase(call.operation, self.operation)
                and fnmatch.fnmatchcase(call.resource, self.model)
                and fnmatch.fnmatchcase(call.resource, self.resource))


class FaultProxy:
    """The proxy: ``start()`` returns its URL; ``add`` faults; ``counts`` and ``injected`` say what happened."""

    def __init__(self, upstream: str, *, latency: float = 0.0, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.latency = latency
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.random = random.Random(seed)  # noqa: S311 - fault injection, not cryptography
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- control ------------------------------------------------------------------------------------
    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.counts.clear()
            self.injected.clear()

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def _choose(self, call: Call) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.selects(call) and self.random.random() < fault.rate:
                    self.injected[f"{fault.kind}:{call.operation}"] += 1
                    return fault
        return None

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> str:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="fault-proxy")
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    """The local AWS stops before a straggling client does at teardown: that request just drops, untraced."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy
    _local = threading.local()

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to keep-alive responses.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a proxy that logs every request drowns the test output."""

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        call = identify(self.command, self.path, self.headers, body)
        owner = self.owner
        with owner.lock:
            owner.counts[call.operation] += 1
        if owner.latency:
            time.sleep(owner.latency)
        fault = owner._choose(call)
        if fault and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        status, headers, payload = self._answer(call, fault, body)
        self._send(status, payload, headers)

    def _answer(self, call: Call, fault: Fault | None, body: bytes) -> answers.Answer:
        kind = fault.kind if fault else ""
        if fault and kind in ("throttle", "access_denied", "server_error"):
            status, code = canned(kind, call)
            return error(call, self.command, status, code, message_for(kind, call))
        if fault and kind == "error":
            status = fault.status or STATUS.get(fault.code, 400)
            return error(call, self.command, status, fault.code, fault.message)
        if kind == "garbage":
            return answers.garbage(call)
        if kind == "empty":
            return answers.empty(call)
        if fault and kind == "swapped" and call.name_field and call.operation.startswith("Describe"):
            return self._forward(self._swapped_body(call, fault, body))
        token = _json_field(body, "NextToken")
        if kind == "endless_token":  # the upstream never saw our made-up tokens: ask it for the first page
            body = _without_our_token(body)
            self.path = _without_our_s3_token(self.path)
        real = self._forward(body)
        if real[0] != 200 or not fault:
            return real
        if kind == "truncated":
            return answers.truncated(real)
        if kind == "renamed":
            return answers.renamed(real)
        if kind == "swapped":
            return answers.dropped(real)
        if kind == "endless_token" and call.protocol == "rest-xml":
            return answers.endless_xml(real)
        return answers.endless(real, fault.variant, token)

    def _swapped_body(self, call: Call, fault: Fault, body: bytes) -> bytes:
        """The same request about another resource: ``swap_with``, or another model ListModels names."""
        other = fault.swap_with
        if not other:
            listing = self._forward(b"{}", target="SageMaker.ListModels")
            names = [m["ModelName"] for m in json.loads(listing[2] or b"{}").get("Models", [])]
            other = next((n for n in names if n != call.resource), call.resource)
        payload = json.loads(body)
        payload[call.name_field] = other
        return json.dumps(payload).encode()

    def _forward(self, body: bytes, target: str | None = None) -> answers.Answer:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        if target:
            headers["X-Amz-Target"] = target
        headers["Content-Length"] = str(len(body))
        for attempt in range(2):
            if conn is None:
                conn = http.client.HTTPConnection(self.owner.upstream_host, self.owner.upstream_port, timeout=60)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._local.conn = conn
            try:
                conn.request(self.command if target is None else "POST", self.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP}
                if self.command == "HEAD" and target is None:  # HEAD says how long the body would be
                    kept["Content-Length"] = response.getheader("Content-Length") or "0"
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    self._local.conn = None
                return response.status, kept, payload
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        """Status line, headers and body in one write (one segment where it fits); HEAD carries no body."""
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Date: {self.date_time_string()}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("date", "server", "content-length")]
        head_length = headers.get("Content-Length") if self.command == "HEAD" else None
        lines.append(f"Content-Length: {head_length if head_length is not None else len(payload)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + payload)


def _ours(token: str) -> bool:
    return token == "endless-token" or token.startswith("ghost-page-")


def _without_our_token(body: bytes) -> bytes:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return body
    if isinstance(payload, dict) and _ours(str(payload.get("NextToken") or "")):
        del payload["NextToken"]
        return json.dumps(payload).encode()
    return body


def _without_our_s3_token(path: str) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not (k == "continuation-token" and _ours(v))]
    return parts._replace(query=urlencode(query)).geturl() if parts.query else path


def _json_field(body: bytes, key: str) -> str | None:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return None
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None
