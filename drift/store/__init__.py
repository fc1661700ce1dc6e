"""SQLite state: the only module that speaks SQL.

What it keeps: the last verdict and canonical live form of every resource, listing
hints, integrity baselines, pass history, and the notification outbox with what
each channel was last told. Callers use its verbs; writes happen inside one
``Transaction`` so that a pass's verdicts and the alerts they cause commit together.

Safety: the file is created 0600 and made 0600 when it already exists; a file
that is not ours (tables but none of ours, whatever its ``user_version``) or from a
newer release is refused untouched; a full disk is reported as a full disk.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from drift.errors import DiskFullError, StateError
from drift.store.rows import (
    NORMALISER_VERSION,
    BaselineRow,
    ListingHint,
    NotifiedRow,
    OutboxEntry,
    Prior,
    ResourceKey,
    ResourceRow,
)
from drift.store.schema import MIGRATIONS, OUR_TABLES
from drift.store.tx import Transaction, dumps, loads

__all__ = ["MIGRATIONS", "NORMALISER_VERSION", "BaselineRow", "ListingHint", "NotifiedRow", "OutboxEntry", "Prior",
           "ResourceKey", "ResourceRow", "Store", "Transaction"]


def _is_full(exc: BaseException) -> bool:
    return "disk is full" in str(exc) or getattr(exc, "errno", None) == 28 or getattr(
        exc, "sqlite_errorcode", None) == 13


class Store:
    """One state database; safe to share across threads (one connection, one lock)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._conn = self._open(path)

    def _fail(self, what: str, exc: BaseException) -> StateError:
        if _is_full(exc):
            return DiskFullError(f"state database {self.path}: the disk is full ({what}); free some space, the "
                                 "database itself is intact")
        return StateError(f"state database {self.path}: {what}: {exc}")

    def _open(self, path: str) -> sqlite3.Connection:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            if _is_full(exc):
                raise self._fail("cannot create the file", exc) from exc
            raise StateError(f"state database {path}: cannot create or open: {exc.strerror or exc}") from exc
        try:
            conn = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            if _is_full(exc):
                raise self._fail("cannot read", exc) from exc
            raise StateError(
                f"state database {path}: not a usable SQLite database ({exc}); it was left untouched: "
                "move it aside to start afresh (undelivered notifications in it would be lost)") from exc
        if tables and not tables & OUR_TABLES:
            conn.close()
            raise StateError(f"state database {path}: this SQLite file belongs to another application (none of "
                             "sagemaker-drift's tables); it was left untouched: point state.path elsewhere")
        if version > len(MIGRATIONS):
            conn.close()
            raise StateError(f"state database {path}: schema version {version} is newer than this "
                             f"sagemaker-drift understands ({len(MIGRATIONS)}); upgrade the tool")
        try:  # ours (or new): private, since it holds model configuration
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError as exc:
            conn.close()
            raise StateError(f"state database {path}: cannot make it private (0600): {exc.strerror or exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._migrate(conn, version)
        except sqlite3.Error as exc:
            conn.close()
            raise self._fail("migration failed", exc) from exc
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        for number in range(version, len(MIGRATIONS)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        if not conn.execute("SELECT 1 FROM meta WHERE key='digest_key'").fetchone():
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('digest_key', ?)", (os.urandom(32).hex(),))

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One atomic unit: results and the outbox entries they cause commit together."""
        with self.lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._fail("cannot write", exc) from exc
            try:
                yield Transaction(conn)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise self._fail("write failed", exc) from exc
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self.lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise self._fail("cannot read", exc) from exc

    # -- reads --------------------------------------------------------------------------------------------
    def digest_key(self) -> bytes:
        return bytes.fromhex(str(self._read("SELECT value FROM meta WHERE key='digest_key'")[0][0]))

    def prior(self) -> Prior:
        resources = {
            (str(r[0]), str(r[1]), str(r[2]), str(r[3])): ResourceRow(
                str(r[0]), str(r[1]), str(r[2]), str(r[3]), _opt(r[4]), _opt(r[5]), _opt(r[6]), loads(r[7]),
                loads(r[8]), loads(r[9]), _int(r[10]), loads(r[11]), _opt(r[12]))
            for r in self._read("SELECT kind, account, region, name, arn, created, modified, live_json, tags_json, "
                                "facts_json, normaliser, result_json, fingerprint FROM resources")}
        listings = {(str(r[0]), str(r[1]), str(r[2])): ListingHint(bool(r[3]), int(str(r[4])), _opt(r[5]))
                    for r in self._read("SELECT target, region, kind, two_way, items, account FROM listing")}
        baselines: dict[tuple[str, str, str], list[BaselineRow]] = {}
        for r in self._read("SELECT account, region, name, arn, created, path, reference, resolved_json, seen_at "
                            "FROM baselines ORDER BY path"):
            row = BaselineRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]),
                              loads(r[7]), str(r[8]))
            baselines.setdefault((row.account, row.region, row.name), []).append(row)
        return Prior(resources, listings, baselines)

    def listing_hints(self) -> dict[tuple[str, str, str], ListingHint]:
        return self.prior().listings

    def pending(self, channel: str) -> list[OutboxEntry]:
        rows = self._read("SELECT id, delivery_id, channel, kind, body, attempts, rejections FROM outbox WHERE "
                          "channel=? AND delivered_at IS NULL AND rejected_at IS NULL ORDER BY id", (channel,))
        return [OutboxEntry(int(str(r[0])), str(r[1]), str(r[2]), str(r[3]), str(r[4]).encode("utf-8"),
                            int(str(r[5])), int(str(r[6]))) for r in rows]

    def pending_count(self) -> int:
        return int(str(self._read("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND rejected_at IS "
                                  "NULL")[0][0]))

    def rejected_count(self) -> int:
        return int(str(self._read("SELECT COUNT(*) FROM outbox WHERE rejected_at IS NOT NULL")[0][0]))

    def notified(self, channel: str) -> dict[ResourceKey, NotifiedRow]:
        rows = self._read("SELECT kind, account, region, name, fingerprint, drifted, notified_at, last_json FROM "
                          "notified WHERE channel=?", (channel,))
        return {(str(r[0]), str(r[1]), str(r[2]), str(r[3])): NotifiedRow(str(r[4]), bool(r[5]), str(r[6]),
                                                                           loads(r[7])) for r in rows}


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


__all__ += ["dumps"]
