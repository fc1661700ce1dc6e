"""Change detection per channel: appear, change, resolve, remind; errors neither raise nor resolve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from drift.config import Channel
from drift.notify.changes import detect, remember
from drift.report import Difference, DiffType, ModelResult, Report, Severity, Status
from drift.state import Store

CHANNEL = Channel(type="webhook", url="http://127.0.0.1:9/hook", name="hook", remind_after=3600)
SCOPE = {("1", "r")}


def report(*models: ModelResult) -> Report:
    return Report(run_id="r", started_at="t", finished_at="t", models=models)


def modified(image: str) -> ModelResult:
    return ModelResult("m", "1", "r", Status.MODIFIED, Severity.CRITICAL, differences=(
        Difference("PrimaryContainer.Image", DiffType.NOT_EQUAL, "a", image, Severity.CRITICAL),))


def kinds(store: Store, rep: Report, now: datetime) -> list[str]:
    with store.transaction() as conn:
        changes = detect(conn, CHANNEL, rep, SCOPE, now)
        remember(conn, CHANNEL, changes, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return [c.kind for c in changes]


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
    """An unmanaged model that disappears resolves; not when its account/region could not be read."""
    store = Store(str(tmp_path / "s.db"))
    now = datetime(2026, 11, 24, tzinfo=UTC)
    try:
        assert ["appeared"] == kinds(store, report(ModelResult("x", "1", "r", Status.UNMANAGED)), now)
        with store.transaction() as conn:
            assert [] == detect(conn, CHANNEL, report(), set(), now)
        assert ["resolved"] == kinds(store, report(), now)
    finally:
        store.close()
