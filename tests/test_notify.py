"""Webhook delivery against a real local server, and Slack payloads within Block Kit's limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from drift.config import Channel
from drift.notify.slack import MAX_BLOCKS, MAX_HEADER, MAX_TEXT, slack_payload
from drift.notify.webhook import post
from drift.report import Difference, DiffType, ModelResult, Report, Severity, Source, Status
from tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def channel(url: str, **kwargs: Any) -> Channel:
    return Channel(**{"type": "webhook", "url": url, "name": "hook", "secret": "s3cret", "max_attempts": 3,
                      "timeout": 2.0, **kwargs})


def test_signature_and_headers(receiver: Receiver) -> None:
    """The body is signed with HMAC-SHA256 of the raw bytes; id and user agent are set."""
    body = b'{"schema": "drift.report/v1"}'
    result = post(channel(receiver.url), body, "delivery-1", backoff=0.01)
    [request] = receiver.all()
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert (True, 200, 1) == (result.ok, result.status, result.attempts)
    assert (expected, "delivery-1", body) == (request.headers["X-Drift-Signature"],
                                             request.headers["X-Drift-Delivery"], request.body)
    assert request.headers["User-Agent"].startswith("sagemaker-drift/")


def test_5xx_is_retried_with_the_same_id(receiver: Receiver) -> None:
    """Server errors are retried (up to max_attempts) with the same delivery id and body."""
    receiver.status = 502
    result = post(channel(receiver.url), b"{}", "same-id", backoff=0.01)
    assert (False, 502, 3) == (result.ok, result.status, len(receiver.all()))
    assert {"same-id"} == {r.headers["X-Drift-Delivery"] for r in receiver.all()}


def test_429_honours_retry_after(receiver: Receiver) -> None:
    """429 with Retry-After: 1 waits at least a second before the next attempt."""
    receiver.status, receiver.retry_after = 429, "1"
    post(channel(receiver.url, max_attempts=2), b"{}", "x", backoff=0.01)
    first, second = receiver.all()
    assert second.at - first.at >= 0.95


def test_4xx_is_not_retried(receiver: Receiver) -> None:
    """A 404 cannot be fixed by retrying: one attempt."""
    receiver.status = 404
    result = post(channel(receiver.url), b"{}", "x", backoff=0.01)
    assert (False, 404, 1) == (result.ok, result.status, len(receiver.all()))


def test_connection_refused_fails_cleanly() -> None:
    """Nobody listening: a failed delivery with a reason, never an exception."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    result = post(channel(f"http://127.0.0.1:{port}/hook"), b"{}", "x", backoff=0.01)
    assert (False, None) == (result.ok, result.status)
    assert "unreachable" in (result.error or "")
    assert time.monotonic() - started < 10


def test_slow_receiver_times_out(receiver: Receiver) -> None:
    """A receiver slower than the timeout is a failed attempt, bounded in time."""
    receiver.delay = 3
    started = time.monotonic()
    result = post(channel(receiver.url, timeout=0.5, max_attempts=1), b"{}", "x", backoff=0.01)
    assert not result.ok
    assert time.monotonic() - started < 3


def big_report(models: int, diffs: int) -> Report:
    results = []
    for m in range(models):
        differences = tuple(
            Difference(path=f"PrimaryContainer.Environment.KEY_{d:03d}", type=DiffType.NOT_EQUAL,
                       expected="a" * 40, actual="b" * 40, severity=Severity.WARNING,
                       source=Source("m.yaml", 3))
            for d in range(diffs))
        results.append(ModelResult(name=f"model-{m:03d}", account="123456789012", region="us-east-1",
                                   status=Status.MODIFIED, severity=Severity.WARNING, differences=differences))
    return Report(run_id="r", started_at="t", finished_at="t", models=tuple(results))


def _texts(payload: dict[str, Any]) -> list[str]:
    out = []
    for block in payload["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(e["text"] for e in block.get("elements", []))
    return out


def test_slack_fits_with_200_differences() -> None:
    """A model with 200 differences fits Slack's limits and says how many were left out."""
    payload = slack_payload(big_report(1, 200))
    assert len(payload["blocks"]) <= MAX_BLOCKS
    assert all(len(t) <= MAX_TEXT for t in _texts(payload))
    assert len(payload["blocks"][0]["text"]["text"]) <= MAX_HEADER
    assert "more" in payload["blocks"][1]["text"]["text"].splitlines()[-1]


def test_slack_fits_with_many_models() -> None:
    """Eighty drifted models: at most 50 blocks, ending with "and N more models" and the context line."""
    payload = slack_payload(big_report(80, 3))
    assert MAX_BLOCKS >= len(payload["blocks"])
    assert "…and 33 more models" == payload["blocks"][-2]["text"]["text"]
    assert "context" == payload["blocks"][-1]["type"]
    assert "run `r`" in payload["blocks"][-1]["elements"][0]["text"]


def test_slack_back_in_sync_and_redaction() -> None:
    """Resolved models read "back in sync"; secret values never appear."""
    secret = ModelResult(name="s", account="1", region="r", status=Status.MODIFIED, severity=Severity.WARNING,
                         differences=(Difference("PrimaryContainer.Environment.DB_PASSWORD", DiffType.NOT_EQUAL,
                                                 "***", "***", Severity.WARNING),))
    fixed = ModelResult(name="f", account="1", region="r", status=Status.IN_SYNC)
    payload = json.dumps(slack_payload(Report(run_id="r", started_at="t", finished_at="t", models=(secret, fixed))))
    assert "*f* (1/r) is back in sync" in payload
    assert "`PrimaryContainer.Environment.DB_PASSWORD`: \\\"***\\\" \\u2192 \\\"***\\\"" in payload
