"""From a finished pass to queued messages, inside the transaction that records the pass.

A message is queued in the same transaction as the verdicts that cause it, so a
crash can lose neither; what the channel is now being told is remembered in that
transaction too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from drift.config.settings import Channel
from drift.notify.changes import ChangeKind, detect
from drift.notify.channels import FORMATS
from drift.report import Report
from drift.serialise import result_to_dict
from drift.store import Store, Transaction


def queue_notifications(store: Store, tx: Transaction, channels: tuple[Channel, ...], report: Report,
                        read_scopes: set[tuple[str, str]], now: datetime | None = None) -> int:
    """Queue one message per channel whose resources' drift changed; returns how many were queued."""
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    queued = 0
    for channel in channels:
        changes = detect(store.notified(channel.name), channel, report.resources, read_scopes, now)
        if not changes:
            continue
        body_report = Report(run_id=report.run_id, started_at=report.started_at, finished_at=report.finished_at,
                             resources=tuple(c.result for c in changes))
        why = {c.key: c.kind.value for c in changes}
        body = FORMATS[channel.type].body(body_report, why)
        tx.enqueue(channel.name, "+".join(sorted({c.kind.value for c in changes})), body, stamp)
        for change in changes:
            if change.kind is ChangeKind.RESOLVED:
                tx.forget_told(channel.name, change.key)
            else:
                tx.remember_told(channel.name, change.key, str(change.fingerprint), result_to_dict(change.result),
                                 stamp)
        queued += 1
    return queued
