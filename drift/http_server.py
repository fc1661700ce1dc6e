"""The daemon's ``/healthz`` and ``/metrics`` listener, built so that hostile clients cannot starve it.

``http.server`` gives every connection a thread that waits for the request for
as long as the client likes, prints a log line per request to stderr and a
traceback for every client that hangs up; a few hundred idle connections use up
the process's file descriptors. Here instead:

* One thread owns the listening socket and every connection that is still
  sending its request, in a ``selectors`` loop with non-blocking sockets: it
  never waits on any one client. Each connection has ``client_timeout`` seconds
  *in total* from accept to the end of its headers (a slow-loris that sends a
  byte a second is cut off like an idle one), and at most 16 KiB of head.
* At most ``max_connections`` are open at once. When a new client arrives at
  the cap, the oldest connection still sending its request is closed to make
  room: real clients send their request at once, so idle or dribbling
  connections are the ones that go, and a fresh ``/healthz`` is answered even
  under a flood. When every slot is busy answering, the newcomer gets a 503
  written without reading and is closed at once. Nothing ever queues.
* A complete request is answered on its own daemon thread (the handler may be
  slow), with the same ``client_timeout`` bound on writing the answer.
  ``Connection: close`` always: one request per connection keeps the
  accounting exact.
* Nothing is printed. Client hang-ups and timeouts are silent; anything
  unexpected (a failing handler, a crashed loop) goes to ``on_error``.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import urlsplit

Response = tuple[int, str, bytes]
"""(status, content type, body) as the handler returns it."""

MAX_HEAD = 16 * 1024
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_OUT_OF_FDS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_TEXT = "text/plain; charset=utf-8"


class ListenError(OSError):
    """The listening address cannot be bound (in use, not ours, not resolvable); the message says which."""

    def __init__(self, address: tuple[str, int], cause: OSError) -> None:
        self.address = address
        reason = cause.strerror or str(cause)
        super().__init__(cause.errno, f"cannot listen on {_format(address)}: {reason}")

    def __str__(self) -> str:
        return str(self.strerror)


def _format(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ListenServer:
    """A tiny HTTP/1.1 server for GET and HEAD; ``handler(path)`` makes every answer."""

    def __init__(self, address: tuple[str, int], handler: Callable[[str], Response], *,
                 max_connections: int = 32, client_timeout: float = 10.0,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._address = address
        self._handler = handler
        self._max = max_connections
        self._timeout = client_timeout
        self._on_error = on_error
        self._lock = threading.Lock()
        self._answering: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> tuple[str, int]:
        """Bind, listen and serve from a daemon thread; the bound (host, port), useful with port 0."""
        self._listener = _bind(self._address)
        self._wake = socket.socketpair()
        for sock in (self._listener, *self._wake):
            sock.setblocking(False)
        self._thread = threading.Thread(target=self._serve, name="drift-listen", daemon=True)
        self._thread.start()
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    def stop(self) -> None:
        """Stop accepting, close every connection (answers in progress are cut short) and wait for the loop."""
        self._stopping.set()
        if self._wake is not None:
            with contextlib.suppress(OSError):
                self._wake[1].send(b"x")
        if self._thread is not None:
            self._thread.join(5.0)
        with self._lock:
            for sock in self._answering:
                _shutdown(sock)

    def _report(self, exc: BaseException) -> None:
        if self._on_error is not None:
            # A broken error hook must not take the listener down.
            with contextlib.suppress(Exception):
                self._on_error(exc)

    def _serve(self) -> None:
        assert self._listener is not None
        assert self._wake is not None
        selector = selectors.DefaultSelector()
        pending: dict[socket.socket, tuple[float, bytearray]] = {}  # in accept order: oldest first
        try:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake[0], selectors.EVENT_READ)
            while not self._stopping.is_set():
                wait = None if not pending else max(0.0, next(iter(pending.values()))[0] - time.monotonic())
                for key, _ in selector.select(wait):
                    if key.fileobj is self._listener:
                        self._accept(selector, pending)
                    elif key.fileobj is not self._wake[0]:
                        sock = key.fileobj
                        assert isinstance(sock, socket.socket)
                        self._receive(selector, pending, sock)
                now = time.monotonic()
                while pending and next(iter(pending.values()))[0] <= now:
                    _drop(selector, pending, next(iter(pending)))
        except Exception as exc:  # noqa: BLE001 (a bug in the loop is reported, never printed)
            self._report(exc)
        finally:
            for sock in list(pending):
                _drop(selector, pending, sock)
            selector.close()
            for sock in (self._listener, *self._wake):
                sock.close()

    def _accept(self, selector: selectors.BaseSelector, pending: dict[socket.socket, tuple[float, bytearray]]
                ) -> None:
        """Accept everything waiting (up to a batch), so the kernel's queue never holds clients for us."""
        assert self._listener is not None
        for _ in range(256):
            try:
                sock, _addr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno not in _OUT_OF_FDS:
                    continue  # ECONNABORTED and kin: that client is gone already
                self._report(exc)
                if pending:
                    _drop(selector, pending, next(iter(pending)))
                else:
                    time.sleep(0.05)  # nothing of ours to free: do not spin while the process is out of fds
                return
            sock.setblocking(False)
            with self._lock:
                full = len(pending) + len(self._answering) >= self._max
            if full and pending:
                _drop(selector, pending, next(iter(pending)))
            elif full:
                _refuse(sock)
                continue
            pending[sock] = (time.monotonic() + self._timeout, bytearray())
            selector.register(sock, selectors.EVENT_READ)

    def _receive(self, selector: selectors.BaseSelector, pending: dict[socket.socket, tuple[float, bytearray]],
                 sock: socket.socket) -> None:
        head = pending[sock][1]
        try:
            chunk = sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            _drop(selector, pending, sock)
            return
        start = max(0, len(head) - 3)
        head += chunk
        if b"\r\n\r\n" not in head[start:] and b"\n\n" not in head[start:] and len(head) <= MAX_HEAD:
            return
        selector.unregister(sock)
        del pending[sock]
        with self._lock:
            self._answering.add(sock)
        try:
            threading.Thread(target=self._respond, args=(sock, bytes(head)),
                             name="drift-listen-answer", daemon=True).start()
        except RuntimeError as exc:  # cannot start a thread: answer busy rather than hold the client
            self._report(exc)
            self._finish(sock, _BUSY)

    def _respond(self, sock: socket.socket, head: bytes) -> None:
        try:
            answer = self._answer(head)
        except Exception as exc:  # noqa: BLE001 (reported through on_error, answered 500)
            self._report(exc)
            answer = _response(500, _TEXT, b"internal error\n", head_only=False)
        self._finish(sock, answer)

    def _finish(self, sock: socket.socket, answer: bytes) -> None:
        """Write the answer within client_timeout and close; a client that went away is no error."""
        try:
            sock.settimeout(self._timeout)
            sock.sendall(answer)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            with self._lock:
                self._answering.discard(sock)
            sock.close()

    def _answer(self, head: bytes) -> bytes:
        """The whole answer for one request head; only the handler's exceptions escape."""
        ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
        if not ends or min(ends) > MAX_HEAD:
            return _response(431, _TEXT, b"request head too large\n", head_only=False)
        line = head.split(b"\n", 1)[0].rstrip(b"\r")
        parts = line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1.") or not line.isascii():
            return _response(400, _TEXT, b"bad request\n", head_only=False)
        method, target = parts[0].decode("ascii"), parts[1].decode("ascii")
        if method not in ("GET", "HEAD"):
            return _response(405, _TEXT, b"method not allowed\n", head_only=False, extra="Allow: GET, HEAD\r\n")
        try:
            path = urlsplit(target).path if target.startswith(("http://", "https://")) else target
        except ValueError:  # e.g. an unclosed IPv6 bracket in an absolute-form target
            path = ""
        path = path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith("/"):
            return _response(400, _TEXT, b"bad request\n", head_only=method == "HEAD")
        status, content_type, body = self._handler(path)
        return _response(status, content_type, body, head_only=method == "HEAD")


def _response(status: int, content_type: str, body: bytes, *, head_only: bool, extra: str = "") -> bytes:
    """Status line, headers and (unless HEAD) body; HEAD keeps GET's Content-Length."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Cache-Control: no-store\r\nConnection: close\r\n{extra}\r\n")
    return head.encode("latin-1") + (b"" if head_only else body)


def _bind(address: tuple[str, int]) -> socket.socket:
    """A listening socket for ``address`` (IPv4 or IPv6, a name is resolved); ListenError when it cannot be."""
    host, port = address
    try:
        family, kind, proto, _name, sockaddr = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ListenError(address, exc) from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(1024)  # the kernel queue costs us no fds; a deep one spares clients a 1 s SYN retry
    except OSError as exc:
        sock.close()
        raise ListenError(address, exc) from exc
    return sock


def _drop(selector: selectors.BaseSelector, pending: dict[socket.socket, tuple[float, bytearray]],
          sock: socket.socket) -> None:
    """Forget a connection that has not finished its request, and close it without a word."""
    pending.pop(sock, None)
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(sock)
    sock.close()


def _refuse(sock: socket.socket) -> None:
    """503 without waiting: discard what already arrived, write, FIN, close (the FIN keeps ahead of any RST)."""
    with contextlib.suppress(OSError):
        sock.recv(MAX_HEAD)
    with contextlib.suppress(OSError):
        sock.send(_BUSY)
        sock.shutdown(socket.SHUT_WR)
    sock.close()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
