"""`drift daemon`: signals handled from the first moment, then the service (service.py)."""

from __future__ import annotations

import signal
import threading

from drift.errors import UsageError


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"expected HOST:PORT such as 127.0.0.1:9108, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class Signals:
    """What the signals asked for, set by handlers that take no lock.

    A Python signal handler runs in the main thread between two bytecodes, possibly while that thread holds
    the very lock a ``threading.Event.set`` would take: a burst of SIGHUPs then deadlocks or recurses. The
    handlers here only assign booleans; the daemon's main loop turns them into events it can wait on.
    """

    def __init__(self) -> None:
        self.stop_requested = False
        self.reload_requested = False
        self.stop = threading.Event()
        self.reload = threading.Event()

    def _on_stop(self, *_: object) -> None:
        self.stop_requested = True

    def _on_reload(self, *_: object) -> None:
        self.reload_requested = True

    def install(self) -> Signals:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        return self

    def poll(self) -> None:
        """Called from the main thread's loop: hand the requests to the threads that wait on them."""
        if self.reload_requested:
            self.reload_requested = False
            self.reload.set()
        if self.stop_requested:
            self.stop.set()


def install_signals() -> Signals:
    """Handlers for SIGTERM/SIGINT (stop) and SIGHUP (reload) from this moment on: a SIGHUP during start-up
    (``systemctl reload`` right after a start) is a reload request, never a death."""
    return Signals().install()
