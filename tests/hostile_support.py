"""Support for the contract and hostile-world end-to-end tests (tests/e2e/test_contract.py, test_hostile_world.py).

* ``Daemon``: ``drift daemon`` as a real subprocess on a free ``--listen`` port,
  JSON logs in a file, with an optional ``preexec_fn`` (a lowered descriptor
  limit) and its own environment and working directory.
* ``Relay``: a TCP relay on a fixed port in front of the embedded AWS that can
  be switched off (connection refused) and on again: an AWS endpoint that
  becomes unreachable and comes back.
* ``AuthReceiver``: a webhook receiver that answers 401 unless the request
  carries the expected HTTP basic credentials, and records every request.
* ``json_lines``: every stderr line must be one JSON object.
* ``small_disk``: a directory on a tiny file system (a tmpfs when this process
  may mount one), to fill up.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.helpers import clean_env, free_port
from tests.receiver import wait_for


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line of ``text`` parsed as one JSON object; AssertionError naming the first line that is not."""
    events = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            event = None
        if not isinstance(event, dict):
            raise AssertionError(f"a stderr line is not a JSON object: {line[:300]!r}")
        events.append(event)
    return events


def leaked(canaries: tuple[str, ...] | list[str], *texts: str | bytes) -> list[str]:
    """The canaries found in any of ``texts`` (empty when nothing leaked)."""
    found = []
    for canary in canaries:
        for text in texts:
            haystack = text if isinstance(text, str) else text.decode("utf-8", "replace")
            if canary in haystack:
                found.append(canary)
                break
    return found


class Daemon:
    """``drift daemon --config CONFIG --listen 127.0.0.1:<free port> --log-format json`` as a subprocess."""

    def __init__(self, config: Path, log_dir: Path, *, env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                 preexec_fn: Callable[[], None] | None = None, cwd: Path | None = None,
                 log_level: str = "info") -> None:
        self.port = free_port()
        self.stderr_path = log_dir / f"daemon-{self.port}.log"
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "drift", "daemon", "--config", str(config), "--listen", f"127.0.0.1:{self.port}",
             "--log-format", "json", "--log-level", log_level, *args],
            stdout=subprocess.DEVNULL, stderr=self._stderr, stdin=subprocess.DEVNULL, cwd=cwd or log_dir,
            env=env or clean_env(), preexec_fn=preexec_fn,
        )

    # -- HTTP ----------------------------------------------------------------------------------------
    def get(self, path: str, *, method: str = "GET", timeout: float = 5) -> tuple[int, bytes]:
        """(status, body) of one request to the listen address; (0, b"") when nothing answered."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())
        except OSError:
            return 0, b""

    def health(self, timeout: float = 5) -> tuple[int, dict[str, Any]]:
        status, body = self.get("/healthz", timeout=timeout)
        try:
            parsed = json.loads(body) if body else {}
        except json.JSONDecodeError:
            parsed = {"unparsed": body.decode("utf-8", "replace")}
        return status, parsed if isinstance(parsed, dict) else {}

    # -- logs ----------------------------------------------------------------------------------------
    def log(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The JSON events logged so far (lines that are not JSON are skipped here; ``json_lines`` checks them)."""
        out = []
        for line in self.log().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                event = json.loads(line)
                if isinstance(event, dict) and (name is None or event.get("event") == name):
                    out.append(event)
        return out

    def passes(self) -> int:
        return len(self.events("drift.run.finished"))

    def wait_passes(self, more: int, timeout: float = 30) -> None:
        target = self.passes() + more
        wait_for(lambda: self.passes() >= target, timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kib(self) -> int:
        """Resident memory of the daemon now, in KiB (0 when it is gone)."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, then the exit code (killed and AssertionError when it does not stop in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the daemon did not stop within {timeout}s of SIGTERM") from exc
        finally:
            self._stderr.close()
        return int(self.proc.returncode)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._stderr.close()

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()


def sighup_caught(pid: int) -> bool:
    """Whether process ``pid`` has a handler for SIGHUP now (SigCgt in /proc/<pid>/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next((int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")), 0)
    return bool(mask & (1 << (signal.SIGHUP - 1)))


class Relay:
    """A TCP relay on 127.0.0.1:<port> to ``upstream``; ``down()`` refuses connections, ``up()`` relays again."""

    def __init__(self, upstream: str) -> None:
        host_port = upstream.split("://", 1)[-1].rstrip("/")
        host, _, port = host_port.rpartition(":")
        self.upstream = (host, int(port))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def up(self) -> Relay:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self) -> None:
        """Close the listener and every relayed connection: the endpoint is unreachable from now on."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class AuthReceiver:
    """Answers 200 to requests with ``Authorization: Basic base64(user:password)``, 401 to the rest."""

    def __init__(self, user: str, password: str) -> None:
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.requests: list[tuple[int, str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 200 if self.headers.get("Authorization") == owner.expected else 401
                with owner._lock:
                    owner.requests.append((status, self.path, dict(self.headers.items()), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def all(self) -> list[tuple[int, str, dict[str, str], bytes]]:
        with self._lock:
            return list(self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def small_disk(where: Path, size_kib: int = 512) -> Iterator[tuple[Path, bool]]:
    """(a directory on a ``size_kib`` KiB tmpfs, True), or (a plain directory, False) when this process may not
    mount one; then use ``fsize_limit`` for the drift process instead of filling the disk."""
    mount = where / "small-disk"
    mount.mkdir()
    mounted = shutil.which("mount") is not None and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(mount)],
        capture_output=True, check=False).returncode == 0
    try:
        yield mount, mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def fsize_limit(nbytes: int) -> Callable[[], None]:
    """A preexec_fn: no file may grow past ``nbytes`` (RLIMIT_FSIZE, SIGXFSZ ignored, so writes fail with EFBIG
    as they would fail with ENOSPC on a full disk)."""
    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return limit


def fill(directory: Path) -> None:
    """Write a filler file in ``directory`` until the file system is full."""
    chunk = b"\0" * 4096
    with open(directory / "filler", "ab", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError:
            pass
    with contextlib.suppress(OSError), open(directory / "filler-small", "ab", buffering=0) as handle:
        while True:
            handle.write(b"\0")
            handle.flush()


def popen_drift(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                preexec_fn: Callable[[], None] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "drift", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env or clean_env(), cwd=cwd or os.getcwd(),
                            preexec_fn=preexec_fn)
