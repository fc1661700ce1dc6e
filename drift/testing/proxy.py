"""A small HTTP proxy on 127.0.0.1 in front of an AWS endpoint (moto): latency, call counts, faults.

The benchmark uses it to add the round trip of a real AWS endpoint and to count
calls by operation; the robustness tests use it to make chosen calls fail the
way AWS fails (throttling, AccessDenied, 5xx, slow answers, dropped
connections), per operation and per model, at a seeded random rate.

Only the JSON protocol (SageMaker, Resource Groups Tagging) carries faults; STS
(query protocol) is passed through and counted.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("throttle", "access_denied", "server_error", "slow", "drop")

_ERRORS = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "access_denied": (400, "AccessDeniedException",
                      "User: arn:aws:iam::123456789012:user/drift is not authorized to perform: sagemaker:{op}"),
    "server_error": (500, "InternalFailure", "An internal error occurred"),
}


@dataclass
class Fault:
    """Answer ``kind`` to calls of ``operation`` (glob) on ``model`` (glob) with probability ``rate``."""

    kind: str
    operation: str = "*"
    model: str = "*"
    rate: float = 1.0
    delay: float = 30.0  # for "slow"


class FaultProxy:
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

    def _choose(self, operation: str, model: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fnmatch.fnmatchcase(operation, fault.operation) and fnmatch.fnmatchcase(model, fault.model) \
                        and self.random.random() < fault.rate:
                    self.injected[f"{fault.kind}:{operation}"] += 1
                    return fault
        return None

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> str:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        operation, model = _identify(self.headers, body)
        owner = self.owner
        with owner.lock:
            owner.counts[operation] += 1
        if owner.latency:
            time.sleep(owner.latency)
        fault = owner._choose(operation, model) if "." not in operation else None
        if fault and fault.kind == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        elif fault:
            status, code, message = _ERRORS[fault.kind]
            self._send(status, json.dumps({"__type": code, "message": message.format(op=operation)}).encode(),
                       {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code})
            return
        status, headers, payload = self._forward(body)
        self._send(status, payload, headers)

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        for attempt in range(2):
            if conn is None:
                conn = http.client.HTTPConnection(self.owner.upstream_host, self.owner.upstream_port, timeout=60)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._local.conn = conn
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                kept = {k: v for k, v in response.getheaders()
                        if k.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive")}
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
        """Status line, headers and body in one write (one segment where it fits)."""
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}", f"Date: {self.date_time_string()}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("date", "server")]
        lines.append(f"Content-Length: {len(payload)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + payload)


def _identify(headers: Any, body: bytes) -> tuple[str, str]:
    """(operation, model) of an AWS request: ``SageMaker.DescribeModel`` -> ``DescribeModel``."""
    target = headers.get("X-Amz-Target") or ""
    if target:
        operation = target.split(".")[-1]
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            return operation, ""
        model = payload.get("ModelName") or str(payload.get("ResourceArn") or "").rsplit("/", 1)[-1]
        return operation, str(model or "")
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return f"sts.{action}" if action else "other", ""
