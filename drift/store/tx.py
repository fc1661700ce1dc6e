"""The write verbs of the state store, usable only inside ``Store.transaction()``."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from typing import Any

from drift.store.rows import BaselineRow, ListingHint, ResourceKey, ResourceRow

KEEP_DELIVERED_DAYS = 7
KEEP_RUNS = 1000


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def loads(text: object) -> Any:
    return None if text is None else json.loads(str(text))


class Transaction:
    """One open write transaction; every method is one verb of the state's vocabulary."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # -- resources and listings -----------------------------------------------------------------------
    def save_resource(self, row: ResourceRow, now: str) -> None:
        self._conn.execute(
            "INSERT INTO resources (kind, account, region, name, arn, created, modified, live_json, tags_json, "
            "facts_json, normaliser, result_json, fingerprint, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (kind, account, region, name) DO UPDATE SET arn=excluded.arn, created=excluded.created, "
            "modified=excluded.modified, live_json=excluded.live_json, tags_json=excluded.tags_json, "
            "facts_json=excluded.facts_json, normaliser=excluded.normaliser, result_json=excluded.result_json, "
            "fingerprint=excluded.fingerprint, updated_at=excluded.updated_at",
            (row.kind, row.account, row.region, row.name, row.arn, row.created, row.modified, dumps(row.live),
             dumps(row.tags), dumps(row.facts), row.normaliser, dumps(row.result), row.fingerprint, now))

    def forget_resources(self, keys: Iterable[ResourceKey]) -> None:
        self._conn.executemany("DELETE FROM resources WHERE kind=? AND account=? AND region=? AND name=?", list(keys))

    def save_listing(self, target: str, region: str, kind: str, hint: ListingHint, now: str) -> None:
        self._conn.execute(
            "INSERT INTO listing (target, region, kind, two_way, items, account, updated_at) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT (target, region, kind) DO UPDATE SET two_way=excluded.two_way, items=excluded.items, "
            "account=excluded.account, updated_at=excluded.updated_at",
            (target, region, kind, int(hint.two_way), hint.items, hint.account, now))

    def save_run(self, run_id: str, started: str, finished: str, summary: dict[str, Any], exit_code: int) -> None:
        self._conn.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?)",
                           (run_id, started, finished, json.dumps(summary), exit_code))
        self._conn.execute("DELETE FROM runs WHERE run_id NOT IN (SELECT run_id FROM runs ORDER BY started_at DESC "
                           "LIMIT ?)", (KEEP_RUNS,))

    # -- integrity baselines --------------------------------------------------------------------------
    def save_baseline(self, row: BaselineRow) -> None:
        """A first resolution; never replaces the one an incarnation already has."""
        self._conn.execute(
            "INSERT INTO baselines (account, region, name, arn, created, path, reference, resolved_json, seen_at) "
            "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (account, region, name, path) DO UPDATE SET arn=excluded.arn, "
            "created=excluded.created, reference=excluded.reference, resolved_json=excluded.resolved_json, "
            "seen_at=excluded.seen_at WHERE baselines.arn != excluded.arn OR baselines.created != excluded.created "
            "OR baselines.reference != excluded.reference",
            (row.account, row.region, row.name, row.arn, row.created, row.path, row.reference, dumps(row.resolved),
             row.seen_at))

    def forget_baselines(self, account: str, region: str, name: str, *, keep: tuple[str, str] | None = None) -> None:
        """Baselines of a model that is gone, or (with ``keep``) of its earlier incarnations."""
        if keep is None:
            self._conn.execute("DELETE FROM baselines WHERE account=? AND region=? AND name=?", (account, region, name))
        else:
            self._conn.execute("DELETE FROM baselines WHERE account=? AND region=? AND name=? AND NOT (arn=? AND "
                               "created=?)", (account, region, name, *keep))

    # -- notifications --------------------------------------------------------------------------------
    def enqueue(self, channel: str, kind: str, body: bytes, now: str) -> str:
        delivery_id = uuid.uuid4().hex
        self._conn.execute("INSERT INTO outbox (delivery_id, channel, kind, body, created_at) VALUES (?,?,?,?,?)",
                           (delivery_id, channel, kind, body.decode("utf-8"), now))
        return delivery_id

    def mark_delivered(self, entry_id: int, attempts: int, now: str) -> None:
        self._conn.execute("UPDATE outbox SET delivered_at=?, attempts=attempts+? WHERE id=?",
                           (now, attempts, entry_id))
        self._conn.execute("DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < "
                           "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)", (f"-{KEEP_DELIVERED_DAYS} days",))

    def mark_failed(self, entry_id: int, attempts: int, error: str, *, rejected: bool, give_up: bool,
                    now: str) -> None:
        """A failed attempt; a rejection counts towards giving up, after which the message is kept but skipped."""
        self._conn.execute(
            "UPDATE outbox SET attempts=attempts+?, last_error=?, rejections=rejections+?, "
            "rejected_at=CASE WHEN ? THEN ? ELSE rejected_at END WHERE id=?",
            (attempts, error, int(rejected), int(give_up), now, entry_id))

    def remember_told(self, channel: str, key: ResourceKey, fingerprint: str, last: dict[str, Any],
                      stamp: str) -> None:
        self._conn.execute(
            "INSERT INTO notified (channel, kind, account, region, name, fingerprint, drifted, notified_at, last_json) "
            "VALUES (?,?,?,?,?,?,1,?,?) ON CONFLICT (channel, kind, account, region, name) DO UPDATE SET "
            "fingerprint=excluded.fingerprint, drifted=1, notified_at=excluded.notified_at, "
            "last_json=excluded.last_json", (channel, *key, fingerprint, stamp, dumps(last)))

    def forget_told(self, channel: str, key: ResourceKey) -> None:
        self._conn.execute("DELETE FROM notified WHERE channel=? AND kind=? AND account=? AND region=? AND name=?",
                           (channel, *key))
