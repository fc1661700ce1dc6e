"""The state database: private, migrated in place, never silently replaced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from drift.errors import StateError
from drift.state import MIGRATIONS, Store


def test_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    """A database written by an older release keeps its rows and gains the new tables."""
    path = tmp_path / "state.db"
    Store(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE listing")
    conn.execute("INSERT INTO outbox (delivery_id, channel, kind, body, created_at) VALUES ('d1','c','k','{}','t')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(str(path))
    try:
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        assert (len(MIGRATIONS), {}) == (version, store.listing_hints())
        assert [("d1",)] == store.conn.execute("SELECT delivery_id FROM outbox").fetchall()
    finally:
        store.close()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    """A database from a newer release is an error, not something to overwrite."""
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StateError) as info:
        Store(str(path))
    assert (f"state database {path}: schema version {len(MIGRATIONS) + 1} is newer than this sagemaker-drift "
            f"understands ({len(MIGRATIONS)}); upgrade the tool") == str(info.value)
