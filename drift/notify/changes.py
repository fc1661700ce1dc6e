"""Which models' drift appeared, changed, resolved or deserves a reminder, per channel.

A model's drift identity is ``report.fingerprint``: its status and redacted
differences. Nothing is sent while it stays the same; a model in ERROR keeps
its previous fingerprint, so an outage neither raises nor resolves an alert.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from drift.config import Channel
from drift.report import ModelResult, Report, Status, fingerprint

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Change:
    key: Key
    kind: str  # appeared | changed | resolved | reminder
    result: ModelResult
    fingerprint: str | None


def _seconds_since(stamp: str, now: datetime) -> float:
    then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (now - then).total_seconds()


def detect(
    conn: sqlite3.Connection,
    channel: Channel,
    report: Report,
    read_scopes: set[tuple[str, str]],
    now: datetime,
) -> list[Change]:
    """Changes for one channel, from what it was last told (table ``notified``) and this report."""
    told = {
        (r[0], r[1], r[2]): (r[3], bool(r[4]), r[5])
        for r in conn.execute("SELECT account, region, name, fingerprint, drifted, notified_at FROM notified "
                              "WHERE channel = ?", (channel.name,))
    }
    changes: list[Change] = []
    seen: set[Key] = set()
    for model in report.models:
        key = model.sort_key
        seen.add(key)
        if model.status is Status.ERROR:
            continue
        previous = told.get(key)
        if model.drifted:
            current = fingerprint(model)
            if previous is None or not previous[1]:
                changes.append(Change(key, "appeared", model, current))
            elif previous[0] != current:
                changes.append(Change(key, "changed", model, current))
            elif channel.remind_after and _seconds_since(previous[2], now) >= channel.remind_after:
                changes.append(Change(key, "reminder", model, current))
        elif previous is not None and previous[1]:
            changes.append(Change(key, "resolved", model, None))
    for key, (_fp, drifted, _at) in told.items():
        # Gone from scope entirely (an unmanaged model deleted, a declaration removed): resolved, but only
        # when its account and region were read completely in this pass.
        if key not in seen and drifted and (key[0], key[1]) in read_scopes:
            gone = ModelResult(name=key[2], account=key[0], region=key[1], status=Status.IN_SYNC)
            changes.append(Change(key, "resolved", gone, None))
    return changes


def remember(conn: sqlite3.Connection, channel: Channel, changes: list[Change], stamp: str) -> None:
    """Record what the channel is now being told, in the transaction that queues the message."""
    for change in changes:
        if change.kind == "resolved":
            conn.execute("DELETE FROM notified WHERE channel=? AND account=? AND region=? AND name=?",
                         (channel.name, *change.key))
        else:
            conn.execute(
                "INSERT INTO notified (channel, account, region, name, fingerprint, drifted, notified_at) "
                "VALUES (?,?,?,?,?,1,?) ON CONFLICT (channel, account, region, name) DO UPDATE SET "
                "fingerprint=excluded.fingerprint, drifted=1, notified_at=excluded.notified_at",
                (channel.name, *change.key, change.fingerprint, stamp),
            )


def body_report(report: Report, changes: list[Change]) -> Report:
    """The report restricted to the changed models; resolved ones appear as IN_SYNC."""
    return Report(run_id=report.run_id, started_at=report.started_at, finished_at=report.finished_at,
                  models=tuple(c.result for c in changes))
