"""The /healthz and /metrics listener against hostile clients: floods, slow-loris, hang-ups, failing handlers."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drift.http_server import ListenError, ListenServer, Response

BIG = b"x" * (32 * 1024 * 1024)


class App:
    """The handler under test: records the paths it was given; /boom raises, /slow waits for ``release``."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.errors: list[BaseException] = []
        self.release = threading.Event()

    def __call__(self, path: str) -> Response:
        self.paths.append(path)
        if path in ("/healthz", "/metrics"):
            return 200, "text/plain; version=0.0.4", b"ok\n"
        if path == "/boom":
            raise RuntimeError("handler bug")
        if path == "/big":
            return 200, "application/octet-stream", BIG
        if path == "/slow":
            self.release.wait(10)
            return 200, "text/plain", b"slow\n"
        return 404, "text/plain", b"not found\n"


@pytest.fixture
def app() -> App:
    return App()


def serve(app: App, **kwargs: float) -> tuple[ListenServer, int]:
    server = ListenServer(("127.0.0.1", 0), app, on_error=app.errors.append, client_timeout=kwargs.pop(
        "client_timeout", 2.0), max_connections=int(kwargs.pop("max_connections", 32)))
    _, port = server.start()
    return server, port


@pytest.fixture
def port(app: App) -> Iterator[int]:
    """A listener with a 2 s client timeout and 32 slots."""
    server, bound = serve(app)
    yield bound
    server.stop()
    app.release.set()


def exchange(port: int, request: bytes, timeout: float = 3.0) -> bytes:
    """Send ``request`` raw and read the whole answer (the server always closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ")[1]), headers, body


def closed_after(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes ``sock`` (reads until EOF or reset), at most ``limit``."""
    start = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(1024):
            pass
    except (ConnectionResetError, TimeoutError):
        pass
    return time.monotonic() - start


@pytest.mark.parametrize(("request_bytes", "expected_status", "expected_body", "expected_path"), [
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200, b"ok\n", "/healthz"),
    (b"GET /metrics?name[]=a#frag HTTP/1.1\r\n\r\n", 200, b"ok\n", "/metrics"),
    (b"GET http://127.0.0.1:9108/healthz?x HTTP/1.1\r\n\r\n", 200, b"ok\n", "/healthz"),
    (b"GET /healthz HTTP/1.0\n\n", 200, b"ok\n", "/healthz"),
    (b"GET /nope HTTP/1.1\r\n\r\n", 404, b"not found\n", "/nope"),
    (b"POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, b"method not allowed\n", None),
    (b"DELETE /healthz HTTP/1.1\r\n\r\n", 405, b"method not allowed\n", None),
    (b"HELLO\r\n\r\n", 400, b"bad request\n", None),
    (b"GET * HTTP/1.1\r\n\r\n", 400, b"bad request\n", None),
    (b"GET /\xff HTTP/1.1\r\n\r\n", 400, b"bad request\n", None),
    (b"GET / SPDY/3\r\n\r\n", 400, b"bad request\n", None),
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 431, b"request head too large\n", None),
])
def test_answers(app: App, port: int, request_bytes: bytes, expected_status: int, expected_body: bytes,
                 expected_path: str | None) -> None:
    """GET is answered by the handler with the query removed; other methods 405; nonsense 400; huge heads 431."""
    status, headers, body = split(exchange(port, request_bytes))
    assert (expected_status, expected_body, "close") == (status, body, headers["Connection"])
    assert ([expected_path] if expected_path else []) == app.paths


def test_405_says_what_is_allowed(port: int) -> None:
    """A 405 names the methods that are allowed."""
    _, headers, _ = split(exchange(port, b"PUT /healthz HTTP/1.1\r\n\r\n"))
    assert "GET, HEAD" == headers["Allow"]


@pytest.mark.parametrize("path", ["/healthz", "/nope", "/big"])
def test_head_is_get_without_body(port: int, path: str) -> None:
    """HEAD has GET's status and headers (Content-Length included) and no body."""
    get = split(exchange(port, f"GET {path} HTTP/1.1\r\n\r\n".encode()))
    head = split(exchange(port, f"HEAD {path} HTTP/1.1\r\n\r\n".encode()))
    assert (get[0], get[1], b"") == head


def test_handler_error_is_500_and_reported(app: App, port: int) -> None:
    """A handler that raises yields 500 and its exception goes to on_error."""
    status, _, body = split(exchange(port, b"GET /boom HTTP/1.1\r\n\r\n"))
    assert (500, b"internal error\n") == (status, body)
    assert ["handler bug"] == [str(e) for e in app.errors]


def test_slow_loris_is_cut_off(port: int) -> None:
    """A client sending its request a byte every 0.5 s is closed at client_timeout (2 s), not kept alive."""
    sock = socket.create_connection(("127.0.0.1", port))
    stop = threading.Event()

    def dribble() -> None:
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100:
            if stop.wait(0.5):
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return

    threading.Thread(target=dribble, daemon=True).start()
    elapsed = closed_after(sock, 10.0)
    stop.set()
    sock.close()
    print(f"slow-loris cut off after {elapsed:.2f}s (client_timeout 2s)")
    assert 1.9 <= elapsed <= 3.0


def test_slow_loris_with_the_defaults(app: App) -> None:
    """With the default 10 s client timeout, a client sending a byte a second is cut off at 10 s."""
    server = ListenServer(("127.0.0.1", 0), app, on_error=app.errors.append)
    _, bound = server.start()
    sock = socket.create_connection(("127.0.0.1", bound))
    stop = threading.Event()

    def dribble() -> None:
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100:
            try:
                sock.send(bytes([byte]))
            except OSError:
                return
            if stop.wait(1.0):
                return

    threading.Thread(target=dribble, daemon=True).start()
    try:
        elapsed = closed_after(sock, 20.0)
    finally:
        stop.set()
        sock.close()
        server.stop()
    print(f"slow-loris (1 byte/s) cut off after {elapsed:.2f}s (default client_timeout 10s)")
    assert (True, []) == (9.9 <= elapsed <= 11.0, app.errors)


def test_idle_connection_is_closed(port: int) -> None:
    """A client that connects and says nothing is closed at client_timeout."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        elapsed = closed_after(sock, 10.0)
    assert 1.9 <= elapsed <= 3.0


def test_idle_connections_make_room_for_a_real_client(app: App) -> None:
    """At the cap, the oldest unfinished connection is dropped and a fresh request is answered at once."""
    server, port = serve(app, max_connections=4)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    try:
        time.sleep(0.2)
        start = time.monotonic()
        status, _, _ = split(exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n"))
        assert (200, True) == (status, time.monotonic() - start < 0.5)
        assert closed_after(idle[0], 1.0) < 0.5
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_busy_slots_answer_503_without_waiting(app: App) -> None:
    """When every slot is answering, a newcomer gets 503 at once and is closed."""
    server, port = serve(app, max_connections=2)
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        for sock in slow:
            sock.sendall(b"GET /slow HTTP/1.1\r\n\r\n")
        time.sleep(0.3)
        start = time.monotonic()
        status, _, _ = split(exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n"))
        assert (503, True) == (status, time.monotonic() - start < 0.5)
        app.release.set()
        assert [200, 200] == [split(s.recv(4096))[0] for s in slow]
    finally:
        app.release.set()
        for sock in slow:
            sock.close()
        server.stop()


def test_client_hanging_up_mid_answer_is_silent(app: App, port: int, capfd: pytest.CaptureFixture[str]) -> None:
    """A client that resets the connection while a 32 MB answer is written: no error, nothing on stderr."""
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /big HTTP/1.1\r\n\r\n")
        sock.recv(1024)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1")  # and hang up before the end of the head
    time.sleep(0.5)
    assert 200 == split(exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n"))[0]
    assert ([], "", "") == (app.errors, *capfd.readouterr())


def test_address_in_use_is_a_clear_oserror(app: App, port: int) -> None:
    """Binding an address already in use raises ListenError (an OSError) naming the address."""
    with pytest.raises(ListenError) as caught:
        ListenServer(("127.0.0.1", port), app).start()
    assert isinstance(caught.value, OSError)
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" == str(caught.value)


def test_stop_closes_the_port(app: App) -> None:
    """After stop() the port refuses connections."""
    server, port = serve(app)
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


SERVER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
from drift.http_server import ListenServer
errors = []
app = lambda path: (200, "text/plain", b"ok\\n") if path == "/healthz" else (404, "text/plain", b"")
server = ListenServer(("127.0.0.1", 0), app, on_error=errors.append)
print(server.start()[1], flush=True)
sys.stdin.read()
server.stop()
print(len(errors), flush=True)
"""


def test_thousand_idle_connections_under_a_low_fd_limit() -> None:
    """1,000 idle connections against a server limited to 256 fds: it stays small and /healthz answers at once."""
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    assert proc.stdout is not None
    idle: list[socket.socket] = []
    try:
        port = int(proc.stdout.readline())
        start = time.monotonic()
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(1000)]
        opened = time.monotonic() - start
        start = time.monotonic()
        status, _, body = split(exchange(port, b"GET /healthz HTTP/1.1\r\n\r\n", timeout=2))
        answered = time.monotonic() - start
        fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
        print(f"1000 idle connections opened in {opened:.2f}s; /healthz in {answered * 1000:.0f} ms; "
              f"server holds {fds} fds")
        assert (200, b"ok\n", True, True) == (status, body, answered < 1.0, fds <= 32 + 16)
    finally:
        for sock in idle:
            sock.close()
        out, err = proc.communicate("", timeout=10)
    assert ("0", "") == (out.strip(), err)
