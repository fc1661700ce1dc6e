"""The state database: private, migrated in place, never silently replaced, honest about full disks."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from drift.errors import DiskFullError, StateError
from drift.store import MIGRATIONS, Store
from drift.store.rows import ResourceRow


def _version_1(path: Path) -> None:
    """A database exactly as the first release left it, with one model, one message and one alert."""
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO models (account, region, name, arn, creation_time, live_json, normaliser, "
                 "result_json, fingerprint, updated_at) VALUES ('1','r','m','arn:m','t','{\"x\": 1}',1,'{}','f','t')")
    conn.execute("INSERT INTO outbox (delivery_id, channel, kind, body, created_at) VALUES ('d1','c','k','{}','t')")
    conn.execute("INSERT INTO notified VALUES ('c','1','r','m','f',1,'t')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    """A database written by the first release keeps its rows (models become resources; cached live forms
    with unsalted digests are dropped) and its undelivered messages and alerts."""
    path = tmp_path / "state.db"
    _version_1(path)
    store = Store(str(path))
    try:
        prior = store.prior()
        assert {("Model", "1", "r", "m"): ("arn:m", "t", None)} == {
            k: (r.arn, r.created, r.live) for k, r in prior.resources.items()}
        assert ["d1"] == [e.delivery_id for e in store.pending("c")]
        assert ["f"] == [r.fingerprint for r in store.notified("c").values()]
        assert 32 == len(store.digest_key())
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


@pytest.mark.parametrize("version", [0, 1, 3, 7])
def test_another_applications_database_is_left_untouched(tmp_path: Path, version: int) -> None:
    """An SQLite file with tables but none of ours is refused byte for byte untouched, whatever its version."""
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StateError) as info:
        Store(str(path))
    assert (f"state database {path}: this SQLite file belongs to another application (none of sagemaker-drift's "
            "tables); it was left untouched: point state.path elsewhere") == str(info.value)
    assert before == path.read_bytes()
    assert not (tmp_path / "app.db-wal").exists()


def test_existing_state_file_is_made_private(tmp_path: Path) -> None:
    """A state file that exists with mode 0644 is made 0600 on open."""
    path = tmp_path / "state.db"
    Store(str(path)).close()
    os.chmod(path, 0o644)
    Store(str(path)).close()
    assert 0o600 == stat.S_IMODE(os.stat(path).st_mode)


def test_full_disk_is_named_as_such(tmp_path: Path) -> None:
    """A write that fails for lack of space is a DiskFullError that says so, never 'corrupt'."""
    store = Store(str(tmp_path / "state.db"))
    try:
        store._conn.execute("PRAGMA max_page_count = 1")  # the file cannot grow: what a full disk does
        row = ResourceRow("Model", "1", "r", "m", "arn", "t", live={"blob": "x" * 100_000})
        with pytest.raises(DiskFullError) as info, store.transaction() as tx:
            tx.save_resource(row, "now")
        assert "the disk is full" in str(info.value)
        assert "corrupt" not in str(info.value)
        assert {} == store.prior().resources
    finally:
        store.close()
