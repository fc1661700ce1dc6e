"""`drift daemon`: signals handled from the first moment, then the service (service.py)."""

from __future__ import annotations

import signal
import threading

from drift.errors import UsageError


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"expected HOST:PORT such as 127.0.0.1:9108, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def install_signals() -> tuple[threading.Event, threading.Event]:
    """(stop, reload) events, set by SIGTERM/SIGINT and SIGHUP from this moment on: a SIGHUP during start-up
    (``systemctl reload`` right after a start) is a reload request, never a death."""
    stop, reload = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    return stop, reload
