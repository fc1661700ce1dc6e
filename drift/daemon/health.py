"""What /healthz says, purely: 200 while the last *successful* pass is recent, 503 with the reason otherwise.

A successful pass is one that read every target (some resources may be ERROR); a
pass that failed completely (an endpoint that does not answer, expired
credentials) is not, so an outage turns /healthz red instead of hiding behind
the last good pass. A delivery worker that is not running is a reason too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drift.config.settings import Schedule


def period(schedule: Schedule) -> float:
    """Seconds between two passes; for cron, the gap between its next two fire times."""
    if not schedule.cron:
        return schedule.interval or 900.0
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(schedule.cron, timezone=UTC)
    now = datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    return float((second - first).total_seconds()) if first and second else 3600.0


def health(schedule: Schedule, *, now: float, last_success: float | None, last_pass: dict[str, Any] | None,
           last_error: str | None, dead_workers: list[str]) -> tuple[int, dict[str, Any]]:
    every = period(schedule)
    allowed = 2 * every + schedule.jitter
    body: dict[str, Any] = {"period_seconds": every, "last_pass": last_pass}
    if last_success is not None:
        body["seconds_since_last_success"] = round(now - last_success, 3)
    if dead_workers:
        body["status"] = f"delivery worker not running: {', '.join(sorted(dead_workers))}"
        return 503, body
    if last_success is None:
        body["status"] = last_error or "starting"
        return 503, body
    if now - last_success > allowed:
        body["status"] = last_error or "stale"
        return 503, body
    if last_error is not None:
        body["last_error"] = last_error
    body["status"] = "ok"
    return 200, body
