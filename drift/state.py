"""SQLite state: the last verdict and live form per model, pass history, notification outbox.

Versioned with ``PRAGMA user_version`` from the first release, so later versions
can migrate a database in place. The file is created 0600 (it holds model
configuration), and it is never silently replaced: a corrupt or foreign file is
an error, because deleting it would lose undelivered notifications.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from drift.errors import StateError

#: Bump when canonical forms change shape, so cached live forms are re-described.
NORMALISER_VERSION = 1

MIGRATIONS: tuple[str, ...] = (
    # 1: per-model verdicts and live forms, pass history, notification outbox and memory.
    """
    CREATE TABLE models (
        account        TEXT NOT NULL,
        region         TEXT NOT NULL,
        name           TEXT NOT NULL,
        arn            TEXT,
        creation_time  TEXT,
        live_json      TEXT,
        tags_json      TEXT,
        normaliser     INTEGER,
        result_json    TEXT,
        fingerprint    TEXT,
        updated_at     TEXT NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    CREATE TABLE runs (
        run_id       TEXT PRIMARY KEY,
        started_at   TEXT NOT NULL,
        finished_at  TEXT NOT NULL,
        summary_json TEXT NOT NULL,
        exit_code    INTEGER NOT NULL
    );
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id     TEXT NOT NULL UNIQUE,
        channel         TEXT NOT NULL,
        kind            TEXT NOT NULL,
        body            TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        delivered_at    TEXT,
        last_error      TEXT
    );
    CREATE INDEX outbox_pending ON outbox (channel, delivered_at, id);
    CREATE TABLE notified (
        channel      TEXT NOT NULL,
        account      TEXT NOT NULL,
        region       TEXT NOT NULL,
        name         TEXT NOT NULL,
        fingerprint  TEXT NOT NULL,
        drifted      INTEGER NOT NULL,
        notified_at  TEXT NOT NULL,
        PRIMARY KEY (channel, account, region, name)
    );
    """,
    # 2: how each target's listing went last time: its size plans the next two-way listing, and a
    # server that ignores the sort order is read sequentially from then on.
    """
    CREATE TABLE listing (
        target      TEXT NOT NULL,
        region      TEXT NOT NULL,
        two_way     INTEGER NOT NULL,
        models      INTEGER NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (target, region)
    );
    """,
)


@dataclass(frozen=True, slots=True)
class ListingHint:
    """What the last listing of a (target, region) taught: whether two-way works, and its size."""

    two_way: bool
    models: int


@dataclass(frozen=True, slots=True)
class ModelRow:
    account: str
    region: str
    name: str
    arn: str | None
    creation_time: str | None
    live: dict[str, Any] | None
    tags: dict[str, str] | None
    normaliser: int | None
    result: dict[str, Any] | None
    fingerprint: str | None


class Store:
    """One state database; safe to share across threads (one connection, one lock)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.conn = self._open(path)

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        directory = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
        except OSError as exc:
            raise StateError(f"state database {path}: cannot create or open: {exc.strerror or exc}") from exc
        try:
            conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"state database {path}: not a usable SQLite database ({exc}); it was left untouched: "
                "move it aside to start afresh (undelivered notifications in it would be lost)") from exc
        if version > len(MIGRATIONS):
            raise StateError(f"state database {path}: schema version {version} is newer than this "
                             f"sagemaker-drift understands ({len(MIGRATIONS)}); upgrade the tool")
        try:
            for number in range(version, len(MIGRATIONS)):
                conn.execute("BEGIN IMMEDIATE")
                _run_script(conn, MIGRATIONS[number])
                conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StateError(f"state database {path}: migration failed: {exc}") from exc
        return conn

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: results and the outbox entries they cause commit together."""
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StateError(f"state database {self.path}: cannot write: {exc}") from exc
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self.conn.execute("ROLLBACK")
                raise StateError(f"state database {self.path}: write failed: {exc}") from exc
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    # -- models -------------------------------------------------------------------------------------
    def model_rows(self) -> dict[tuple[str, str, str], ModelRow]:
        with self.lock:
            try:
                rows = self.conn.execute(
                    "SELECT account, region, name, arn, creation_time, live_json, tags_json, normaliser, "
                    "result_json, fingerprint FROM models").fetchall()
            except sqlite3.Error as exc:
                raise StateError(f"state database {self.path}: cannot read: {exc}") from exc
        return {
            (r[0], r[1], r[2]): ModelRow(r[0], r[1], r[2], r[3], r[4], _loads(r[5]), _loads(r[6]), r[7],
                                         _loads(r[8]), r[9])
            for r in rows
        }

    def listing_hints(self) -> dict[tuple[str, str], ListingHint]:
        with self.lock:
            try:
                rows = self.conn.execute("SELECT target, region, two_way, models FROM listing").fetchall()
            except sqlite3.Error as exc:
                raise StateError(f"state database {self.path}: cannot read: {exc}") from exc
        return {(r[0], r[1]): ListingHint(bool(r[2]), int(r[3])) for r in rows}

    @staticmethod
    def save_listing(conn: sqlite3.Connection, target: str, region: str, hint: ListingHint, now: str) -> None:
        conn.execute("INSERT INTO listing (target, region, two_way, models, updated_at) VALUES (?,?,?,?,?) "
                     "ON CONFLICT (target, region) DO UPDATE SET two_way=excluded.two_way, models=excluded.models, "
                     "updated_at=excluded.updated_at", (target, region, int(hint.two_way), hint.models, now))

    @staticmethod
    def save_model(conn: sqlite3.Connection, row: ModelRow, now: str) -> None:
        conn.execute(
            "INSERT INTO models (account, region, name, arn, creation_time, live_json, tags_json, normaliser,"
            " result_json, fingerprint, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT (account, region, name) DO UPDATE SET arn=excluded.arn, "
            "creation_time=excluded.creation_time, live_json=excluded.live_json, tags_json=excluded.tags_json,"
            " normaliser=excluded.normaliser, result_json=excluded.result_json, "
            "fingerprint=excluded.fingerprint, updated_at=excluded.updated_at",
            (row.account, row.region, row.name, row.arn, row.creation_time, _dumps(row.live), _dumps(row.tags),
             row.normaliser, _dumps(row.result), row.fingerprint, now),
        )

    @staticmethod
    def forget_models(conn: sqlite3.Connection, keys: list[tuple[str, str, str]]) -> None:
        conn.executemany("DELETE FROM models WHERE account=? AND region=? AND name=?", keys)

    @staticmethod
    def save_run(conn: sqlite3.Connection, run_id: str, started: str, finished: str, summary: dict[str, Any],
                 exit_code: int) -> None:
        conn.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?)",
                     (run_id, started, finished, json.dumps(summary), exit_code))
        conn.execute("DELETE FROM runs WHERE run_id NOT IN (SELECT run_id FROM runs ORDER BY started_at DESC "
                     "LIMIT 1000)")


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """executescript() would commit our open transaction; run statement by statement instead."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
