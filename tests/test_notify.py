"""Webhook delivery against a real local server, and Slack payloads within Block Kit's limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from drift.config import Channel, ChannelType
from drift.logging import get_logger
from drift.notify.delivery import Delivered, deliver_channel
from drift.notify.slack import MAX_BLOCKS, MAX_HEADER, MAX_TEXT, slack_payload
from drift.report import Difference, DiffType, ModelResult, Report, Severity, Source, Status
from drift.store import Store
from tests.helpers import free_port
from tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Store]:
    s = Store(str(tmp_path / "state.db"))
    yield s
    s.close()


def channel(url: str, **kwargs: Any) -> Channel:
    return Channel(**{"type": ChannelType.WEBHOOK, "url": url, "name": "hook", "secret": "s3cret", "max_attempts": 3,
                      "timeout": 2.0, **kwargs})


def send(store: Store, hook: Channel, *bodies: bytes, budget: float = 20.0) -> tuple[Delivered, list[str]]:
    """Queue ``bodies`` for ``hook`` and run one delivery round; (what it did, the delivery ids)."""
    with store.transaction() as tx:
        ids = [tx.enqueue(hook.name, "appeared", body, "2026-11-24T10:00:00Z") for body in bodies]
    return deliver_channel(store, hook, get_logger(), budget=budget, backoff=0.01), ids


def test_signature_and_headers(receiver: Receiver, store: Store) -> None:
    """The body is signed with HMAC-SHA256 of the raw bytes; id and user agent are set."""
    body = b'{"schema": "drift.report/v1"}'
    done, [delivery] = send(store, channel(receiver.url), body)
    [request] = receiver.all()
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert (1, 0, 0) == (done.sent, done.failed, len(store.pending("hook")))
    assert (expected, delivery, body) == (request.headers["X-Drift-Signature"], request.headers["X-Drift-Delivery"],
                                          request.body)
    assert request.headers["User-Agent"].startswith("sagemaker-drift/")


def test_5xx_is_retried_with_the_same_id(receiver: Receiver, store: Store) -> None:
    """Server errors are retried (up to max_attempts a round) with the same delivery id and body, then kept."""
    receiver.status = 502
    done, [delivery] = send(store, channel(receiver.url), b"{}")
    assert (0, 3, 1, 3) == (done.sent, done.failed, done.pending, len(receiver.all()))
    assert {delivery} == {r.headers["X-Drift-Delivery"] for r in receiver.all()}
    assert [delivery] == [e.delivery_id for e in store.pending("hook")]


def test_429_honours_retry_after(receiver: Receiver, store: Store) -> None:
    """429 with Retry-After: 1 waits at least a second before the next attempt."""
    receiver.status, receiver.retry_after = 429, "1"
    send(store, channel(receiver.url, max_attempts=2), b"{}")
    first, second = receiver.all()
    assert second.at - first.at >= 0.95


def test_4xx_is_rejected_after_three_attempts_and_the_channel_goes_on(receiver: Receiver, store: Store) -> None:
    """A message the channel rejects for good is given up after 3 attempts and kept; the next one is sent."""
    receiver.status = 400
    done, _ids = send(store, channel(receiver.url), b'{"n": 1}')
    assert (0, 1, 3) == (done.sent, done.rejected, len(receiver.all()))
    receiver.status = 200
    done, _ids = send(store, channel(receiver.url), b'{"n": 2}')
    assert (1, [b'{"n": 2}'], 1) == (done.sent, [r.body for r in receiver.delivered()], store.rejected_count())


def test_connection_refused_fails_cleanly(store: Store) -> None:
    """Nobody listening: failed attempts with a reason, never an exception, bounded in time."""
    started = time.monotonic()
    done, _ids = send(store, channel(f"http://127.0.0.1:{free_port()}/hook"), b"{}")
    assert (0, 3, 1) == (done.sent, done.failed, done.pending)
    assert time.monotonic() - started < 10


def test_slow_receiver_times_out(receiver: Receiver, store: Store) -> None:
    """A receiver slower than the timeout is a failed attempt, bounded in time."""
    receiver.delay = 3
    started = time.monotonic()
    done, _ids = send(store, channel(receiver.url, timeout=0.5, max_attempts=1), b"{}")
    assert (0, 1) == (done.sent, done.pending)
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
    return Report(run_id="r", started_at="t", finished_at="t", resources=tuple(results))


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
    assert "…and 33 more resources" == payload["blocks"][-2]["text"]["text"]
    assert "context" == payload["blocks"][-1]["type"]
    assert "run `r`" in payload["blocks"][-1]["elements"][0]["text"]


def test_slack_back_in_sync_and_redaction() -> None:
    """Resolved models read "back in sync"; secret values never appear."""
    secret = ModelResult(name="s", account="1", region="r", status=Status.MODIFIED, severity=Severity.WARNING,
                         differences=(Difference("PrimaryContainer.Environment.DB_PASSWORD", DiffType.NOT_EQUAL,
                                                 "***", "***", Severity.WARNING),))
    fixed = ModelResult(name="f", account="1", region="r", status=Status.IN_SYNC)
    report = Report(run_id="r", started_at="t", finished_at="t", resources=(secret, fixed))
    payload = json.dumps(slack_payload(report, {fixed.key: "resolved", secret.key: "changed"}))
    assert "model *f* (1/r) is back in sync" in payload
    assert "`PrimaryContainer.Environment.DB_PASSWORD`: \\\"***\\\" \\u2192 \\\"***\\\"" in payload


def test_slack_escapes_live_values() -> None:
    """A live value can never ping a channel or hide a link: &, < and > are escaped in every text."""
    hostile = "<!channel> <https://evil.example|console.aws.amazon.com> &"
    result = ModelResult(name="m<!here>", account="1", region="r", status=Status.MODIFIED, severity=Severity.CRITICAL,
                         differences=(Difference("PrimaryContainer.Image", DiffType.NOT_EQUAL, "img:1", hostile,
                                                 Severity.CRITICAL),))
    text = json.dumps(slack_payload(Report(run_id="r", started_at="t", finished_at="t", resources=(result,))))
    assert "<!" not in text
    assert "<https" not in text
    assert "&lt;!channel&gt; &lt;https://evil.example|console.aws.amazon.com&gt; &amp;" in text
