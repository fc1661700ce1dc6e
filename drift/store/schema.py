"""The state database's schema, versioned with ``PRAGMA user_version`` and migrated in place.

Each migration is a script run in one transaction; a database is never rebuilt
from scratch, because it holds undelivered notifications.
"""

from __future__ import annotations

#: Tables that only our databases have: a file with tables but none of these is someone else's.
OUR_TABLES = frozenset({"models", "resources", "runs", "outbox", "notified"})

MIGRATIONS: tuple[str, ...] = (
    # 1: per-model verdicts and live forms, pass history, notification outbox and memory.
    """
    CREATE TABLE models (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT, creation_time TEXT,
        live_json TEXT, tags_json TEXT, normaliser INTEGER, result_json TEXT, fingerprint TEXT,
        updated_at TEXT NOT NULL, PRIMARY KEY (account, region, name));
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, summary_json TEXT NOT NULL,
        exit_code INTEGER NOT NULL);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL UNIQUE, channel TEXT NOT NULL,
        kind TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at TEXT, last_error TEXT);
    CREATE INDEX outbox_pending ON outbox (channel, delivered_at, id);
    CREATE TABLE notified (
        channel TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        fingerprint TEXT NOT NULL, drifted INTEGER NOT NULL, notified_at TEXT NOT NULL,
        PRIMARY KEY (channel, account, region, name));
    """,
    # 2: how each target's listing went last time (its size plans the next two-way listing).
    """
    CREATE TABLE listing (
        target TEXT NOT NULL, region TEXT NOT NULL, two_way INTEGER NOT NULL, models INTEGER NOT NULL,
        updated_at TEXT NOT NULL, PRIMARY KEY (target, region));
    """,
    # 3: every kind of resource (models, endpoint configs, endpoints); integrity baselines; rejected
    # notifications; the last verdict told to each channel; a per-database key for secret digests.
    # Cached live forms are dropped: their secret digests were unsalted, and the normaliser changed.
    """
    CREATE TABLE resources (
        kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT,
        created TEXT, modified TEXT, live_json TEXT, tags_json TEXT, facts_json TEXT, normaliser INTEGER,
        result_json TEXT, fingerprint TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (kind, account, region, name));
    INSERT INTO resources (kind, account, region, name, arn, created, result_json, fingerprint, updated_at)
        SELECT 'Model', account, region, name, arn, creation_time, result_json, fingerprint, updated_at FROM models;
    DROP TABLE models;
    CREATE TABLE notified_v3 (
        channel TEXT NOT NULL, kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
        fingerprint TEXT NOT NULL, drifted INTEGER NOT NULL, notified_at TEXT NOT NULL, last_json TEXT,
        PRIMARY KEY (channel, kind, account, region, name));
    INSERT INTO notified_v3 (channel, kind, account, region, name, fingerprint, drifted, notified_at)
        SELECT channel, 'Model', account, region, name, fingerprint, drifted, notified_at FROM notified;
    DROP TABLE notified;
    ALTER TABLE notified_v3 RENAME TO notified;
    ALTER TABLE outbox ADD COLUMN rejections INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN rejected_at TEXT;
    CREATE TABLE listing_v3 (
        target TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, two_way INTEGER NOT NULL,
        items INTEGER NOT NULL, account TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (target, region, kind));
    INSERT INTO listing_v3 (target, region, kind, two_way, items, updated_at)
        SELECT target, region, 'Model', two_way, models, updated_at FROM listing;
    DROP TABLE listing;
    ALTER TABLE listing_v3 RENAME TO listing;
    CREATE TABLE baselines (
        account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, created TEXT NOT NULL,
        path TEXT NOT NULL, reference TEXT NOT NULL, resolved_json TEXT NOT NULL, seen_at TEXT NOT NULL,
        PRIMARY KEY (account, region, name, path));
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)
