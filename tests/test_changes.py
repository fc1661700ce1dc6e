"""Change detection per channel: appear, change, resolve, remind; errors neither raise nor resolve."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drift.config import Channel, ChannelType
from drift.notify.queue import queue_notifications
from drift.report import Difference, DiffType, ModelResult, Report, Severity, Status
from drift.store import Store

CHANNEL = Channel(type=ChannelType.WEBHOOK, url="http://127.0.0.1:9/hook", name="hook", remind_after=3600)
SCOPE = {("1", "r")}


def report(*models: ModelResult) -> Report:
    return Report(run_id="r", started_at="t", finished_at="t", resources=models)


def modified(image: str) -> ModelResult:
    return ModelResult("m", "1", "r", Status.MODIFIED, Severity.CRITICAL, differences=(
        Difference("PrimaryContainer.Image", DiffType.NOT_EQUAL, "a", image, Severity.CRITICAL),))


def kinds(store: Store, rep: Report, now: datetime, scope: set[tuple[str, str]] = SCOPE) -> list[str]:
    """What one pass queues for the channel, as the body's ``change`` values."""
    before = len(store.pending(CHANNEL.name))
    with store.transaction() as tx:
        queue_notifications(store, tx, (CHANNEL,), rep, scope, now)
    pending = store.pending(CHANNEL.name)
    if len(pending) == before:
        return []
    body = json.loads(pending[-1].body)
    return [m["change"] for m in body["models"]]


def test_life_of_an_alert(tmp_path: Path) -> None:
    """appeared, silence, changed, silence through an ERROR, reminder after remind_after, resolved."""
    store = Store(str(tmp_path / "s.db"))
    t0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    error = ModelResult("m", "1", "r", Status.ERROR, error="AccessDenied")
    steps = [
        (report(ModelResult("m", "1", "r", Status.IN_SYNC)), t0, []),
        (report(modified("b")), t0, ["appeared"]),
        (report(modified("b")), t0 + timedelta(minutes=1), []),
        (report(modified("c")), t0 + timedelta(minutes=2), ["changed"]),
        (report(error), t0 + timedelta(minutes=3), []),
        (report(modified("c")), t0 + timedelta(minutes=4), []),
        (report(modified("c")), t0 + timedelta(hours=2), ["reminder"]),
        (report(modified("c")), t0 + timedelta(hours=2, minutes=1), []),
        (report(ModelResult("m", "1", "r", Status.IN_SYNC)), t0 + timedelta(hours=3), ["resolved"]),
        (report(ModelResult("m", "1", "r", Status.IN_SYNC)), t0 + timedelta(hours=4), []),
    ]
    try:
        assert [expected for _r, _t, expected in steps] == [kinds(store, rep, now) for rep, now, _e in steps]
    finally:
        store.close()


def test_model_gone_from_scope_resolves_only_when_its_region_was_read(tmp_path: Path) -> None:
    """An unmanaged model that disappears resolves, with its last status (never a made-up IN_SYNC); not when
    its account/region could not be read."""
    store = Store(str(tmp_path / "s.db"))
    now = datetime(2026, 11, 24, tzinfo=UTC)
    try:
        assert ["appeared"] == kinds(store, report(ModelResult("x", "1", "r", Status.UNMANAGED)), now)
        assert [] == kinds(store, report(), now, scope=set())
        assert ["resolved"] == kinds(store, report(), now)
        body = json.loads(store.pending(CHANNEL.name)[-1].body)
        assert [("x", "UNMANAGED", "resolved")] == [(m["name"], m["status"], m["change"]) for m in body["models"]]
    finally:
        store.close()
