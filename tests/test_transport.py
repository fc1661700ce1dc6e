"""One webhook POST against a hostile receiver: every outcome, the total deadline, bounded memory, no leaks."""

from __future__ import annotations

import base64
import logging
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from email.utils import formatdate
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift.notify.transport import Attempt, Outcome, post_once, retry_after_seconds
from tests.hostile_receiver import HostileReceiver, _handler_for

DELIVERED, RETRY, REJECTED = Outcome.DELIVERED, Outcome.RETRY, Outcome.REJECTED
HEADERS = {"Content-Type": "application/json", "X-Drift-Delivery": "d-1"}


@pytest.fixture
def receiver() -> Iterator[HostileReceiver]:
    r = HostileReceiver().start()
    yield r
    r.stop()


def post(url: str, deadline: float = 3.0) -> Attempt:
    return post_once(url, b'{"x": 1}', HEADERS, deadline=deadline)


@pytest.mark.parametrize(("path", "expected"), [
    ("/status/200", Attempt(DELIVERED, 200, "HTTP 200")),
    ("/status/204", Attempt(DELIVERED, 204, "HTTP 204")),
    ("/status/400", Attempt(REJECTED, 400, "HTTP 400")),
    ("/status/401", Attempt(REJECTED, 401, "HTTP 401")),
    ("/status/404", Attempt(REJECTED, 404, "HTTP 404")),
    ("/status/410", Attempt(REJECTED, 410, "HTTP 410")),
    ("/status/429", Attempt(RETRY, 429, "HTTP 429")),
    ("/status/429?retry-after=7", Attempt(RETRY, 429, "HTTP 429", 7.0)),
    ("/status/500", Attempt(RETRY, 500, "HTTP 500")),
    ("/status/502", Attempt(RETRY, 502, "HTTP 502")),
    ("/status/503?retry-after=0", Attempt(RETRY, 503, "HTTP 503", 0.0)),
    ("/status/503?retry-after=3600", Attempt(RETRY, 503, "HTTP 503", 3600.0)),
    ("/status/503?retry-after=3601", Attempt(REJECTED, 503, "malformed Retry-After")),
    ("/status/503?retry-after=" + "9" * 5000, Attempt(REJECTED, 503, "malformed Retry-After")),
    ("/status/503?retry-after=-5", Attempt(REJECTED, 503, "malformed Retry-After")),
    ("/status/503?retry-after=1.5", Attempt(REJECTED, 503, "malformed Retry-After")),
    ("/status/503?retry-after=soon", Attempt(REJECTED, 503, "malformed Retry-After")),
    ("/status/503?retry-after=%C2%B2", Attempt(REJECTED, 503, "malformed Retry-After")),
    ("/status/429?retry-after=Wed,%2021%20Oct%202015%2007:28:00%20GMT", Attempt(REJECTED, 429,
                                                                                "malformed Retry-After")),
    ("/redirect/301", Attempt(REJECTED, 301, "redirect (not followed)")),
    ("/redirect/302", Attempt(REJECTED, 302, "redirect (not followed)")),
    ("/redirect/307", Attempt(REJECTED, 307, "redirect (not followed)")),
    ("/redirect/308", Attempt(REJECTED, 308, "redirect (not followed)")),
    ("/huge", Attempt(DELIVERED, 200, "HTTP 200")),
    ("/endless", Attempt(DELIVERED, 200, "HTTP 200")),
    ("/bad-headers", Attempt(DELIVERED, 200, "HTTP 200")),
    ("/close", Attempt(RETRY, None, "connection closed without an answer")),
    ("/malformed", Attempt(REJECTED, None, "malformed answer")),
    ("/slow-loris", Attempt(RETRY, None, "no answer within 1.5s")),
    ("/hang", Attempt(RETRY, None, "no answer within 1.5s")),
])
def test_every_mode(receiver: HostileReceiver, path: str, expected: Attempt) -> None:
    """Each receiver behaviour maps to one outcome, status and fixed reason; the request is sent exactly once."""
    assert expected == post(receiver.url(path), deadline=1.5)
    [request] = receiver.requests
    assert ("POST", b'{"x": 1}', "d-1") == (request.method, request.body, request.headers["X-Drift-Delivery"])


@pytest.mark.parametrize(("offset", "expected"), [
    (600, 600.0), (0, 0.0), (-30, 0.0), (3500, 3500.0), (3700, None), (-4000, None), (10**9, None),
])
def test_retry_after_http_date(offset: int, expected: float | None) -> None:
    """An HTTP-date within an hour either way is a delay (a past one means now); anything further is absurd."""
    now = 1_800_000_000.0
    assert expected == retry_after_seconds(formatdate(now + offset, usegmt=True), now=now)


def test_retry_after_date_over_the_wire(receiver: HostileReceiver) -> None:
    """A 503 with an HTTP-date ten minutes ahead is RETRY after about 600 s."""
    when = formatdate(time.time() + 600, usegmt=True).replace(" ", "%20")
    attempt = post(receiver.url(f"/status/503?retry-after={when}"))
    assert (RETRY, 503) == (attempt.outcome, attempt.status)
    assert attempt.retry_after is not None
    assert 595 <= attempt.retry_after <= 600


def test_redirect_is_not_followed(receiver: HostileReceiver) -> None:
    """A 307 is answered REJECTED and its Location is never requested."""
    post(receiver.url("/redirect/307"))
    assert ["/redirect/307"] == [r.path for r in receiver.requests]


def test_connection_refused() -> None:
    """Nobody listening is RETRY 'connection refused'."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert Attempt(RETRY, None, "connection refused") == post(f"http://127.0.0.1:{port}/")


def test_unresolvable_host_is_retry_within_the_deadline() -> None:
    """A name that cannot be resolved is RETRY, and a slow resolver cannot hold the caller past the deadline."""
    start = time.monotonic()
    attempt = post("http://drift-test.invalid/hook", deadline=2.0)
    assert (RETRY, True) == (attempt.outcome, attempt.reason in ("cannot resolve host", "no answer within 2s"))
    assert time.monotonic() - start < 3.0


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/x", "http://", "http:///path", "127.0.0.1:80/x", "http://127.0.0.1:99999/", "http://[::1/",
    "http://127.0.0.1/a b", "http://127.0.0.1/\u00e9", "http://us\u20acr:pw@127.0.0.1/",
])
def test_malformed_urls(url: str) -> None:
    """A URL that is not plain http(s) is REJECTED 'malformed URL' before anything is sent."""
    assert Attempt(REJECTED, None, "malformed URL") == post(url)


@pytest.mark.parametrize(("path", "drip"), [("/slow-loris", 1.0), ("/hang", 1.0), ("/slow-loris", 0.05)])
def test_deadline_is_total(receiver: HostileReceiver, path: str, drip: float) -> None:
    """A receiver that dribbles headers or never answers costs the deadline, and its connection is cut then."""
    receiver.drip = drip
    start = time.monotonic()
    attempt = post(receiver.url(path), deadline=1.5)
    elapsed = time.monotonic() - start
    print(f"{path} (drip {drip}s): returned after {elapsed:.2f}s with deadline 1.5s")
    assert (RETRY, "no answer within 1.5s", True) == (attempt.outcome, attempt.reason, elapsed < 2.5)
    deadline = time.monotonic() + 5
    while receiver.requests[0].gone_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    gone_at = receiver.requests[0].gone_at
    assert gone_at is not None
    assert gone_at - start < 1.5 + 2 * drip + 0.5  # the receiver saw the connection go: nothing lingers


def _peak_rss_growth_kib(action: object) -> int:
    """Peak resident memory during ``action()`` minus resident memory before, from /proc/self/status."""
    def field(name: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise AssertionError(name)

    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = field("VmRSS")
    action()  # type: ignore[operator]
    return field("VmHWM") - before


def test_memory_probe_sees_an_allocation() -> None:
    """The probe itself works: a 50 MB buffer, freed before the probe reads, still shows as peak growth."""
    growth = _peak_rss_growth_kib(lambda: len(bytearray(50 * 1024 * 1024)))
    assert growth > 45 * 1024


@pytest.mark.parametrize("path", ["/huge", "/endless"])
def test_huge_answer_costs_no_memory(receiver: HostileReceiver, path: str) -> None:
    """A 1 GiB or endless body: RSS grows by less than 20 MB and the exchange is quick."""
    start = time.monotonic()
    attempts: list[Attempt] = []
    growth = _peak_rss_growth_kib(lambda: attempts.append(post(receiver.url(path), deadline=10.0)))
    print(f"{path}: peak RSS growth {growth} KiB in {time.monotonic() - start:.2f}s")
    assert (DELIVERED, True) == (attempts[0].outcome, growth < 20 * 1024)


def test_basic_auth_from_the_url(receiver: HostileReceiver) -> None:
    """user:password@ becomes a Basic Authorization header (percent-decoded) and leaves the request line."""
    attempt = post(f"http://ops%40example:p%3Ass@127.0.0.1:{receiver.port}/status/200/hook?x=1")
    [request] = receiver.requests
    expected_auth = "Basic " + base64.b64encode(b"ops@example:p:ss").decode()
    assert (DELIVERED, expected_auth) == (attempt.outcome, request.headers["Authorization"])
    assert ("/status/200/hook?x=1", f"127.0.0.1:{receiver.port}") == (request.path, request.headers["Host"])


def test_no_auth_header_without_userinfo(receiver: HostileReceiver) -> None:
    """A URL without user info sends no Authorization header."""
    post(receiver.url("/status/200"))
    assert "Authorization" not in receiver.requests[0].headers


CANARY = "c4n4ry7q"


@pytest.mark.parametrize("mode", [
    "status/200", "status/503?retry-after=" + "9" * 50, "status/404", "redirect/302", "malformed", "close",
    "bad-headers", "hang", "slow-loris", "refused",
])
def test_no_secret_in_logs_warnings_or_attempt(receiver: HostileReceiver, mode: str, caplog: pytest.LogCaptureFixture,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    """The URL path, user and password never reach a log record (DEBUG included), a warning, stderr or the Attempt."""
    receiver.mode = mode
    port = receiver.port
    if mode == "refused":
        receiver.stop()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    url = f"http://u-{CANARY}:p-{CANARY}@127.0.0.1:{port}/services/T{CANARY}/B{CANARY}/{CANARY}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        attempt = post(url, deadline=0.5)
    seen = [repr(attempt), caplog.text, *(str(r.msg) + repr(r.args) for r in caplog.records),
            *(str(w.message) for w in caught), *capfd.readouterr()]
    assert [] == [text for text in seen if CANARY in text]
    if mode != "refused":
        assert [f"/services/T{CANARY}/B{CANARY}/{CANARY}"] == [r.path for r in receiver.requests]


any_text = st.text(st.characters(codec="utf-8"), min_size=6, max_size=20)
FIXED_REASONS = re.compile(r"HTTP \d{3}|malformed (URL|answer|Retry-After)|connection (refused|reset|closed without an "
                           r"answer|failed \(\w+\))|cannot resolve host|no answer within 2s|redirect \(not followed\)")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=any_text, password=any_text, path=any_text)
def test_never_raises_and_never_echoes(receiver: HostileReceiver, user: str, password: str, path: str) -> None:
    """Any raw text in user, password or path (delimiters included): an Attempt whose fixed reason holds none of it."""
    attempt = post(f"http://{user}:{password}@127.0.0.1:{receiver.port}/status/200/{path}", deadline=2.0)
    assert FIXED_REASONS.fullmatch(attempt.reason), attempt.reason
    assert not any(secret in repr(attempt) for secret in (user, password, path))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=any_text, password=any_text)
def test_escaped_credentials_round_trip(receiver: HostileReceiver, user: str, password: str) -> None:
    """Percent-encoded credentials arrive exactly as Basic auth (latin-1, as urllib3 encodes it), never in the path."""
    receiver.requests.clear()
    url = f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{receiver.port}/status/200"
    attempt = post(url)
    try:
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode("latin-1")).decode()
    except UnicodeEncodeError:
        assert Attempt(REJECTED, None, "malformed URL") == attempt
        return
    assert (DELIVERED, [expected], ["/status/200"]) == (
        attempt.outcome, [r.headers["Authorization"] for r in receiver.requests], [r.path for r in receiver.requests])


def test_fragment_is_refused(receiver: HostileReceiver) -> None:
    """An unescaped '#' (say in a password) would cut the URL short: refused, and nothing is sent anywhere."""
    assert Attempt(REJECTED, None, "malformed URL") == post(f"http://u:p#w@127.0.0.1:{receiver.port}/status/200")
    assert Attempt(REJECTED, None, "malformed URL") == post(f"http://127.0.0.1:{receiver.port}/status/200#x")
    assert [] == receiver.requests


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_receiver(self_signed: tuple[str, str]) -> Iterator[HostileReceiver]:
    """The hostile receiver behind TLS with the self-signed certificate."""
    receiver = HostileReceiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)

    class TlsServer(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            """Quiet: failed handshakes are the point."""

    server = TlsServer(("127.0.0.1", 0), _handler_for(receiver))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    receiver.server = server
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield receiver
    receiver.stop()


def test_self_signed_certificate_is_rejected(tls_receiver: HostileReceiver) -> None:
    """An untrusted certificate is REJECTED: a wrong certificate will not fix itself by retrying."""
    url = f"https://127.0.0.1:{tls_receiver.port}/status/200"
    assert Attempt(REJECTED, None, "TLS certificate verification failed") == post(url)
    assert [] == tls_receiver.requests


def test_trusted_certificate_is_delivered(tls_receiver: HostileReceiver, self_signed: tuple[str, str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With the certificate in the trust store (SSL_CERT_FILE), the same receiver is DELIVERED over TLS."""
    monkeypatch.setenv("SSL_CERT_FILE", self_signed[0])
    assert Attempt(DELIVERED, 200, "HTTP 200") == post(f"https://127.0.0.1:{tls_receiver.port}/status/200")


def test_tls_to_a_plain_http_port_is_rejected(receiver: HostileReceiver) -> None:
    """https:// to a server that speaks plain HTTP fails the handshake for good."""
    attempt = post(f"https://127.0.0.1:{receiver.port}/status/200")
    assert (REJECTED, None) == (attempt.outcome, attempt.status)
    assert attempt.reason in ("TLS handshake failed", "malformed answer")


def test_no_thread_is_left_behind(receiver: HostileReceiver) -> None:
    """After a deadline cut, the worker thread ends too (the socket was shut, not abandoned)."""
    before = threading.active_count()
    post(receiver.url("/hang"), deadline=0.3)
    deadline = time.monotonic() + 3
    while any(t.name == "drift-webhook-post" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [] == [t.name for t in threading.enumerate() if t.name == "drift-webhook-post"]
    assert threading.active_count() <= before + 1  # the receiver's own handler thread may still be winding down
