"""The notification outbox in the state database: at-least-once delivery that survives crashes.

A message is queued in the transaction that records the pass, then delivered;
it is marked delivered only after a 2xx. Undelivered messages are retried on
every later pass (after a restart too) with the same delivery id, and in order
per channel: a channel stops at its first failure, so a "back in sync" never
overtakes the drift it resolves.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from drift.config import Channel
from drift.notify.webhook import Delivery, post
from drift.state import Store

KEEP_DELIVERED_DAYS = 7


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    delivery_id: str
    channel: str
    kind: str
    body: bytes
    attempts: int


def enqueue(conn: sqlite3.Connection, channel: Channel, kind: str, body: bytes, now: str) -> str:
    delivery_id = uuid.uuid4().hex
    conn.execute("INSERT INTO outbox (delivery_id, channel, kind, body, created_at) VALUES (?,?,?,?,?)",
                 (delivery_id, channel.name, kind, body.decode("utf-8"), now))
    return delivery_id


def pending(store: Store, channel: str) -> list[Entry]:
    with store.lock:
        rows = store.conn.execute(
            "SELECT id, delivery_id, channel, kind, body, attempts FROM outbox WHERE channel=? AND delivered_at "
            "IS NULL ORDER BY id", (channel,)).fetchall()
    return [Entry(r[0], r[1], r[2], r[3], r[4].encode("utf-8"), r[5]) for r in rows]


def pending_count(store: Store) -> int:
    with store.lock:
        return int(store.conn.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0])


def _record(store: Store, entry: Entry, result: Delivery, now: str) -> None:
    with store.transaction() as conn:
        if result.ok:
            conn.execute("UPDATE outbox SET delivered_at=?, attempts=attempts+? WHERE id=?",
                         (now, result.attempts, entry.id))
        else:
            conn.execute("UPDATE outbox SET attempts=attempts+?, last_error=? WHERE id=?",
                         (result.attempts, result.error, entry.id))
        conn.execute("DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < "
                     "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)", (f"-{KEEP_DELIVERED_DAYS} days",))


def deliver_pending(store: Store, channels: tuple[Channel, ...], log: Any, now: str,
                    *, backoff: float = 0.5) -> dict[str, tuple[int, int]]:
    """Send what is waiting, channel by channel, oldest first; returns {channel: (sent, failed)}."""
    outcome: dict[str, tuple[int, int]] = {}
    for channel in channels:
        sent = failed = 0
        for entry in pending(store, channel.name):
            result = post(channel, entry.body, entry.delivery_id, backoff=backoff)
            _record(store, entry, result, now)
            event = {"channel": channel.name, "type": channel.type, "delivery": entry.delivery_id,
                     "kind": entry.kind, "status": result.status, "attempt": entry.attempts + result.attempts}
            if result.ok:
                sent += 1
                log.info("drift.notify.sent", **event)
            else:
                failed += 1
                log.warning("drift.notify.failed", error=result.error, **event)
                break  # keep this channel's order: later messages wait for this one
        outcome[channel.name] = (sent, failed)
    return outcome
