"""The daemon's /healthz and /metrics listener (interim version; the hardened server replaces it)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Response = tuple[int, str, bytes]


class ListenServer:
    def __init__(self, address: tuple[str, int], handler: Callable[[str], Response], *, max_connections: int = 32,
                 client_timeout: float = 10.0, on_error: Callable[[BaseException], None] | None = None) -> None:
        owner = self
        self.handler = handler
        self.on_error = on_error

        class Handler(BaseHTTPRequestHandler):
            timeout = client_timeout

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def _answer(self, body: bool) -> None:
                try:
                    status, content_type, payload = owner.handler(self.path.split("?", 1)[0])
                except Exception as exc:  # noqa: BLE001 - a bug in a handler is a 500, not a dead server
                    if owner.on_error:
                        owner.on_error(exc)
                    status, content_type, payload = 500, "text/plain", b"internal error"
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if body:
                    self.wfile.write(payload)

            def do_GET(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

        self.server = ThreadingHTTPServer(address, Handler)
        self.server.daemon_threads = True

    def start(self) -> tuple[str, int]:
        threading.Thread(target=self.server.serve_forever, daemon=True, name="drift-http").start()
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
