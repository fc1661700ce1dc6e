"""`drift daemon`: passes on a schedule, notifications on changes of drift, health and metrics.

Threads: apscheduler runs passes (one at a time, coalesced, the first at start);
one delivery worker per channel drains the outbox (a failing webhook never delays
a pass or another channel); the listen server answers /healthz and /metrics; the
main thread waits for signals, restarts dead workers, and starts reloads. SIGHUP
(or a changed config or desired file) reloads, keeping the last good config when
the new one is invalid. SIGTERM/SIGINT end the current pass cleanly or abandon it
(SQLite keeps the last committed pass and its outbox), then exit 0.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from drift.aws.organizations import discover
from drift.commands.inputs import load_lock
from drift.config.settings import Config, Schedule, Target
from drift.daemon import Signals
from drift.daemon.health import health, period
from drift.daemon.workers import Workers
from drift.desired import DesiredState
from drift.errors import DriftError, InputError
from drift.files import find_files
from drift.logging import get_logger
from drift.metrics import Metrics
from drift.pipeline import Connections, PassContext, PassOptions, new_run_id, run_pass, utc_now
from drift.serialise import to_dict
from drift.store import Store

Loader = Callable[[], tuple[Config, DesiredState]]
DEFAULT_STATE = ".drift/state.db"
STOP_GRACE_SECONDS = 10.0
ORGANIZATION_EVERY = 15 * 60


def trigger(schedule: Schedule) -> Any:
    if schedule.cron:
        from apscheduler.triggers.cron import CronTrigger

        cron = CronTrigger.from_crontab(schedule.cron, timezone=UTC)
        cron.jitter = int(schedule.jitter) or None
        return cron
    from apscheduler.triggers.interval import IntervalTrigger

    return IntervalTrigger(seconds=schedule.interval or 900, jitter=int(schedule.jitter) or None, timezone=UTC)


def snapshot(config: Config) -> tuple[tuple[str, float, int], ...]:
    """What the config and desired files look like on disk (taken *before* loading, so an edit made while
    loading is seen by the next check)."""
    files, _ = find_files(config.desired)
    out = []
    for path in [config.path, *files, *([config.lock_path] if config.lock_path else [])]:
        try:
            stat = os.stat(path)
            out.append((path, stat.st_mtime, stat.st_size))
        except OSError:
            out.append((path, -1.0, -1))
    return tuple(out)


class Daemon:
    def __init__(self, loader: Loader, signals: Signals) -> None:
        self.loader = loader
        self.signals = signals
        self.stop = signals.stop
        self.reload_requested = signals.reload
        self.log = get_logger()
        self.config, self.desired = loader()
        self.snapshot = snapshot(self.config)
        state_path = self.config.state_path or DEFAULT_STATE
        if not self.config.state_path:
            self.log.warning("drift.daemon.state", message=f"state.path not set: keeping state in {DEFAULT_STATE}")
        self.store = Store(state_path)
        self.metrics = Metrics()
        self.pass_lock = threading.Lock()
        self.connections: Connections = {}
        self.run_id = ""
        self.last_pass: dict[str, Any] | None = None
        self.last_success: float | None = None
        self.last_error: str | None = None
        self.targets: tuple[Target, ...] | None = None
        self.targets_at = 0.0
        self.scheduler: Any = None
        self.workers = Workers(self.store, self.metrics, lambda: get_logger(run_id=self.run_id))
        self.workers.configure(self.config.notify)

    # -- passes -------------------------------------------------------------------------------------
    def run_one_pass(self) -> None:
        if self.stop.is_set() or not self.pass_lock.acquire(blocking=False):
            return
        try:
            self.run_id = new_run_id(utc_now())
            log = get_logger(run_id=self.run_id)
            self._maybe_reload(log)
            log.info("drift.run.started", resources=len(self.desired.resources))
            started = time.monotonic()
            try:
                options = PassOptions(targets=self._targets(), lock=load_lock(self.config), notify=True,
                                      run_id=self.run_id)
                result = run_pass(self.config, self.desired, store=self.store, options=options,
                                  context=PassContext(log=log, connections=self.connections))
            except Exception as exc:  # noqa: BLE001 - a failed pass must never stop the daemon
                message = str(exc) if isinstance(exc, DriftError) else f"internal error: {type(exc).__name__}: {exc}"
                self.last_error = message
                self.metrics.passes.labels("failed").inc()
                log.error("drift.run.finished", exit_code=1, error=message)
                return
            report = result.report
            seconds = time.monotonic() - started
            self.metrics.observe_pass(report, seconds, result.calls_by_service, result.throttled)
            self.last_pass = {"run_id": report.run_id, "finished_at": report.finished_at,
                              "exit_code": report.exit_code(), "summary": to_dict(report)["summary"],
                              "errors": list(report.errors)}
            if result.record_error is not None:
                self.last_error = str(result.record_error)
                self.metrics.passes.labels("failed").inc()
                log.error("drift.run.finished", exit_code=1, error=self.last_error, seconds=round(seconds, 3),
                          message="the pass could not be recorded; its notifications wait for the next one")
                return
            if result.complete:
                self.last_success, self.last_error = time.time(), None
                self.metrics.last_success.set(self.last_success)
            else:
                self.last_error = "; ".join(report.errors)
            self.metrics.outbox.set(self.store.pending_count())
            s = report.summary
            log.info("drift.run.finished", exit_code=report.exit_code(), checked=s.checked, in_sync=s.in_sync,
                     modified=s.modified, missing=s.missing, unmanaged=s.unmanaged, error=s.error,
                     unverified=s.unverified, calls=result.calls, throttled=result.throttled,
                     described=result.described, seconds=round(seconds, 3))
            self.workers.wake()
        finally:
            self.pass_lock.release()

    def _targets(self) -> tuple[Target, ...] | None:
        """The organization's accounts, listed at most every 15 minutes (SPEC §10)."""
        if self.config.aws.organization is None:
            return None
        if self.targets is None or time.monotonic() - self.targets_at > ORGANIZATION_EVERY:
            self.targets, self.targets_at = discover(self.config.aws), time.monotonic()
        return self.targets

    def _maybe_reload(self, log: Any) -> None:
        current = snapshot(self.config)
        if not self.reload_requested.is_set() and current == self.snapshot:
            return
        self.reload_requested.clear()
        self.snapshot = current
        try:
            config, desired = self.loader()
        except DriftError as exc:
            self.metrics.reloads.labels("invalid").inc()
            errors = [str(f) for f in exc.findings] if isinstance(exc, InputError) else [str(exc)]
            log.error("drift.config.invalid", errors=errors, count=len(errors), message="keeping the last good config")
            return
        schedule_changed = config.schedule != self.config.schedule
        if config.aws != self.config.aws:
            self.connections.clear()
            self.targets = None
        self.config, self.desired = config, desired
        self.snapshot = current
        self.workers.configure(config.notify)
        self.metrics.reloads.labels("ok").inc()
        log.info("drift.config.reloaded", resources=len(desired.resources))
        if schedule_changed and self.scheduler is not None:
            self.scheduler.reschedule_job("pass", trigger=trigger(config.schedule))

    # -- health -------------------------------------------------------------------------------------
    def respond(self, path: str) -> tuple[int, str, bytes]:
        if path == "/healthz":
            status, body = health(self.config.schedule, now=time.time(), last_success=self.last_success,
                                  last_pass=self.last_pass, last_error=self.last_error,
                                  dead_workers=self.workers.dead())
            return status, "application/json", json.dumps(body).encode()
        if path == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST

            return 200, CONTENT_TYPE_LATEST, self.metrics.exposition()
        return 404, "application/json", b'{"error": "not found"}'

    # -- life cycle ---------------------------------------------------------------------------------
    def run(self, listen: tuple[str, int]) -> int:
        from apscheduler.schedulers.background import BackgroundScheduler

        from drift.http_server import ListenServer

        server = ListenServer(listen, self.respond,
                              on_error=lambda exc: self.log.error("drift.http.failed", error=repr(exc)))
        try:
            host, port = server.start()
        except OSError as exc:
            raise DriftError(f"--listen: {exc}") from exc
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(self.run_one_pass, trigger(self.config.schedule), id="pass", max_instances=1,
                               coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC))
        self.scheduler.start()
        self.log.info("drift.daemon.started", listen=f"{host}:{port}", resources=len(self.desired.resources),
                      period_seconds=period(self.config.schedule))
        while not self.stop.is_set():
            time.sleep(0.2)
            self.signals.poll()
            self.workers.restart_dead()
            if self.reload_requested.is_set() and not self.pass_lock.locked():
                threading.Thread(target=self.run_one_pass, daemon=True, name="drift-reload").start()
        return self._shutdown(server)

    def _shutdown(self, server: Any) -> int:
        self.log.info("drift.daemon.stopping")
        self.scheduler.shutdown(wait=False)
        finished = self.pass_lock.acquire(timeout=STOP_GRACE_SECONDS)
        self.workers.stop(timeout=3.0)
        server.stop()
        if finished:
            self.store.close()
            self.log.info("drift.daemon.stopped")
            return 0
        # A pass is still running after the grace period: abandon it. SQLite keeps the last committed
        # pass and outbox (an undelivered message is simply sent again after the restart).
        self.log.warning("drift.daemon.stopped", message="abandoned the pass in progress")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
