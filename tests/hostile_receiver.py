"""A real local HTTP receiver that misbehaves on request, for testing what a webhook sender survives.

The mode is the start of the request path, or ``receiver.mode`` (same syntax)
when the path starts with anything else (such as a Slack-like secret path):

    /status/N[?retry-after=V]   answer N, with Retry-After: V when given
    /redirect/N                 answer N (301, 302, 307, 308) with a Location
    /huge                       200 with Content-Length 1 GiB, streamed lazily until the client goes
    /endless                    200, chunked, chunks forever until the client goes
    /slow-loris                 a status line, then header bytes one per ``drip`` seconds, forever
    /hang                       read the request, never answer, until the client goes
    /close                      read the request, close without a byte
    /malformed                  a status line that is not HTTP
    /bad-headers                200 with a header line without a colon (urllib3 logs the URL for it)

Every request is recorded (method, path, headers, body, when it came, and when
the client went away for the modes that wait for that).
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GIB = 1 << 30
_ZEROS = bytes(64 * 1024)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    gone_at: float | None = None


@dataclass
class HostileReceiver:
    mode: str = "status/200"
    drip: float = 1.0
    requests: list[Recorded] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> HostileReceiver:
        self.server = _Server(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients going away is what these tests are about."""


def _handler_for(owner: HostileReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            record = Recorded(self.command, self.path, dict(self.headers.items()), body, time.monotonic())
            owner.requests.append(record)
            parts = urlsplit(self.path)
            segments = [s for s in parts.path.split("/") if s]
            if not segments or segments[0] not in _MODES:
                mode = urlsplit("/" + owner.mode)
                segments, query = [s for s in mode.path.split("/") if s], mode.query
            else:
                query = parts.query
            self.close_connection = True
            _MODES[segments[0]](self, owner, record, segments[1:], parse_qs(query))

    return Handler


def _status(h: BaseHTTPRequestHandler, _o: HostileReceiver, _r: Recorded, args: list[str],
            query: dict[str, list[str]]) -> None:
    h.send_response(int(args[0]) if args else 200)
    for value in query.get("retry-after", []):
        h.send_header("Retry-After", value)
    h.send_header("Content-Length", "3")
    h.end_headers()
    h.wfile.write(b"ok\n")


def _redirect(h: BaseHTTPRequestHandler, o: HostileReceiver, r: Recorded, args: list[str],
              _q: dict[str, list[str]]) -> None:
    h.send_response(int(args[0]) if args else 302)
    h.send_header("Location", f"http://127.0.0.1:{o.port}/status/200/followed")
    h.send_header("Content-Length", "0")
    h.end_headers()


def _until_gone(h: BaseHTTPRequestHandler, o: HostileReceiver, r: Recorded, send: Any) -> None:
    """Call ``send()`` until it fails (the client went) or the receiver stops; record when the client went."""
    try:
        while not o.stopping.is_set() and send() is not False:
            pass
    except OSError:
        pass
    r.gone_at = time.monotonic()


def _huge(h: BaseHTTPRequestHandler, o: HostileReceiver, r: Recorded, _a: list[str],
          _q: dict[str, list[str]]) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(GIB))
    h.end_headers()
    sent = [0]

    def send() -> bool:
        h.wfile.write(_ZEROS)
        sent[0] += len(_ZEROS)
        return sent[0] < GIB

    _until_gone(h, o, r, send)


def _endless(h: BaseHTTPRequestHandler, o: HostileReceiver, r: Recorded, _a: list[str],
             _q: dict[str, list[str]]) -> None:
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    _until_gone(h, o, r, lambda: h.wfile.write(b"%x\r\n%s\r\n" % (len(_ZEROS), _ZEROS)))


def _slow_loris(h: BaseHTTPRequestHandler, o: HostileReceiver, r: Recorded, _a: list[str],
                _q: dict[str, list[str]]) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")

    def send() -> None:
        o.stopping.wait(o.drip)
        h.connection.sendall(b"a")

    _until_gone(h, o, r, send)


def _hang(h: BaseHTTPRequestHandler, o: HostileReceiver, r: Recorded, _a: list[str],
          _q: dict[str, list[str]]) -> None:
    conn: socket.socket = h.connection

    def wait() -> None:
        readable, _, _ = select.select([conn], [], [], 0.05)
        if readable and not conn.recv(4096):
            raise ConnectionResetError  # EOF: the client went

    _until_gone(h, o, r, wait)


def _close(h: BaseHTTPRequestHandler, _o: HostileReceiver, _r: Recorded, _a: list[str],
           _q: dict[str, list[str]]) -> None:
    """Nothing: the server closes the connection after the handler."""


def _malformed(h: BaseHTTPRequestHandler, _o: HostileReceiver, _r: Recorded, _a: list[str],
               _q: dict[str, list[str]]) -> None:
    h.wfile.write(b"HTTP/1.1 two-hundred OK\r\nContent-Length: 0\r\n\r\n")


def _bad_headers(h: BaseHTTPRequestHandler, _o: HostileReceiver, _r: Recorded, _a: list[str],
                 _q: dict[str, list[str]]) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nthis line has no colon\r\nX-After: 1\r\n\r\nok\n")


_MODES: dict[str, Any] = {
    "status": _status, "redirect": _redirect, "huge": _huge, "endless": _endless, "slow-loris": _slow_loris,
    "hang": _hang, "close": _close, "malformed": _malformed, "bad-headers": _bad_headers,
}
