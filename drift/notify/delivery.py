"""Delivery of a channel's outbox: in order, bounded in time, and never stopped by one bad message.

Per channel, oldest message first (a "back in sync" never overtakes the drift it
resolves). A transient failure (5xx, 429, no answer) keeps the message and the
channel's order: it is retried with backoff, honouring a sane Retry-After, and on
later passes. A message the channel rejects for good (a 4xx other than 429, a
redirect, a malformed answer) is given up after ``MAX_REJECTIONS`` attempts:
logged, counted, kept in the outbox for inspection, and the channel goes on.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drift import __version__
from drift.config.settings import Channel
from drift.notify.channels import FORMATS
from drift.notify.transport import Attempt, Outcome, post_once
from drift.store import OutboxEntry, Store

MAX_REJECTIONS = 3
MAX_BACKOFF = 60.0


@dataclass
class Delivered:
    """What one delivery round did on one channel."""

    sent: int = 0
    failed: int = 0
    rejected: int = 0
    pending: int = 0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headers(channel: Channel, entry: OutboxEntry) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": f"sagemaker-drift/{__version__}",
            "X-Drift-Delivery": entry.delivery_id, **FORMATS[channel.type].headers(channel, entry.body)}


def _backoff(attempt: Attempt, tries: int, base: float) -> float:
    if attempt.retry_after is not None:
        return min(attempt.retry_after, MAX_BACKOFF)
    return float(min(MAX_BACKOFF, base * 2 ** (tries - 1)) * (0.5 + random.random() / 2))  # noqa: S311 - jitter


def deliver_channel(store: Store, channel: Channel, log: Any, *, budget: float, stop: threading.Event | None = None,
                    backoff: float = 0.5) -> Delivered:
    """Deliver what is waiting for ``channel`` within ``budget`` seconds; stop early on ``stop``."""
    end = time.monotonic() + budget
    done = Delivered()
    stop = stop or threading.Event()
    pending = store.pending(channel.name)
    for index, entry in enumerate(pending):
        tries, rejections = 0, entry.rejections
        while True:
            remaining = end - time.monotonic()
            if stop.is_set() or remaining <= 0:
                done.pending = len(pending) - index
                return done
            attempt = post_once(channel.url, entry.body, headers(channel, entry),
                                deadline=min(channel.timeout, remaining))
            event = {"channel": channel.name, "type": channel.type.value, "delivery": entry.delivery_id,
                     "kind": entry.kind, "status": attempt.status, "attempt": entry.attempts + tries + 1}
            if attempt.outcome is Outcome.DELIVERED:
                with store.transaction() as tx:
                    tx.mark_delivered(entry.id, tries + 1, _now())
                done.sent += 1
                log.info("drift.notify.sent", **event)
                break
            tries += 1
            done.failed += 1
            rejected = attempt.outcome is Outcome.REJECTED
            rejections += int(rejected)
            give_up = rejections >= MAX_REJECTIONS
            with store.transaction() as tx:
                tx.mark_failed(entry.id, 1, attempt.reason, rejected=rejected, give_up=give_up, now=_now())
            log.warning("drift.notify.failed", error=attempt.reason, **event)
            if give_up:
                done.rejected += 1
                log.error("drift.notify.rejected", error=attempt.reason, message="the channel rejected this message "
                          f"{MAX_REJECTIONS} times; it is kept in the outbox and later messages go on", **event)
                break
            if not rejected and tries >= channel.max_attempts:
                done.pending = len(pending) - index  # keep this channel's order: later messages wait
                return done
            stop.wait(min(_backoff(attempt, tries, backoff), max(0.0, end - time.monotonic())))
    return done
