"""From a finished pass to queued messages: the glue between changes, formats and the outbox."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from drift.config import Channel
from drift.notify.changes import body_report, detect, remember
from drift.notify.outbox import enqueue
from drift.notify.slack import slack_body
from drift.notify.webhook import webhook_body
from drift.report import Report


def queue_notifications(
    conn: sqlite3.Connection,
    channels: tuple[Channel, ...],
    report: Report,
    read_scopes: set[tuple[str, str]],
) -> int:
    """Queue one message per channel whose models' drift changed; runs inside the pass's transaction."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    queued = 0
    for channel in channels:
        changes = detect(conn, channel, report, read_scopes, now)
        if not changes:
            continue
        body = body_report(report, changes)
        kinds = sorted({c.kind for c in changes})
        payload = slack_body(body) if channel.type == "slack" else webhook_body(body)
        enqueue(conn, channel, "+".join(kinds), payload, stamp)
        remember(conn, channel, changes, stamp)
        queued += 1
    return queued
