"""`drift daemon`: passes on a schedule, notifications on changes of drift, health and metrics.

Threads: apscheduler runs passes (one at a time, coalesced, the first at
start); a delivery worker drains the outbox, so a failing webhook's retries
never delay a pass; an HTTP server answers /healthz and /metrics; the main
thread waits for signals. SIGHUP (or a changed config or desired file) reloads,
keeping the last good config when the new one is invalid. SIGTERM/SIGINT end
the current pass cleanly or abandon it (SQLite keeps the last committed pass
and its outbox), then exit 0.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from drift.config import Config, Schedule
from drift.desired import DesiredModel, expand_patterns
from drift.errors import DriftError, InputError
from drift.live import TargetReader
from drift.logging import get_logger
from drift.metrics import Metrics
from drift.pipeline import new_run_id, run_pass, utc_now
from drift.report import to_dict
from drift.state import Store

Loader = Callable[[], tuple[Config, list[DesiredModel]]]
DEFAULT_STATE = ".drift/state.db"
STOP_GRACE_SECONDS = 10.0


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise DriftError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9108")
    return host.strip("[]") or "127.0.0.1", int(port)


def _trigger(schedule: Schedule) -> Any:
    if schedule.cron:
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(schedule.cron, timezone=UTC)
        trigger.jitter = int(schedule.jitter) or None
        return trigger
    from apscheduler.triggers.interval import IntervalTrigger

    return IntervalTrigger(seconds=schedule.interval or 900, jitter=int(schedule.jitter) or None, timezone=UTC)


def _period(schedule: Schedule) -> float:
    """Seconds between two passes; for cron, the gap between its next two fire times."""
    if not schedule.cron:
        return schedule.interval or 900.0
    trigger = _trigger(Schedule(cron=schedule.cron))
    now = datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first)
    return float((second - first).total_seconds()) if first and second else 3600.0


def _snapshot(config: Config) -> tuple[tuple[str, float], ...]:
    """What the config and desired files look like on disk, to notice edits without SIGHUP."""
    files, _ = expand_patterns(config.desired, config.base_dir)
    paths = [config.path, *files]
    out = []
    for path in paths:
        try:
            out.append((path, os.stat(path).st_mtime))
        except OSError:
            out.append((path, -1.0))
    return tuple(out)


class Daemon:
    def __init__(self, loader: Loader, listen: tuple[str, int]) -> None:
        self.loader = loader
        self.listen = listen
        self.config, self.models = loader()
        self.log = get_logger()
        state_path = self.config.state_path or DEFAULT_STATE
        if not self.config.state_path:
            self.log.warning("drift.daemon.state", message=f"state.path not set: keeping state in {DEFAULT_STATE}")
        self.store = Store(state_path)
        self.metrics = Metrics()
        self.stop = threading.Event()
        self.reload_requested = threading.Event()
        self.deliver_now = threading.Event()
        self.pass_lock = threading.Lock()
        self.deliver_lock = threading.Lock()
        self.readers: dict[tuple[str, str], TargetReader] = {}
        self.snapshot = _snapshot(self.config)
        self.last: dict[str, Any] | None = None
        self.last_finished: float | None = None
        self.scheduler: Any = None

    # -- passes -------------------------------------------------------------------------------------
    def run_one_pass(self) -> None:
        if self.stop.is_set() or not self.pass_lock.acquire(blocking=False):
            return
        try:
            self._maybe_reload()
            run_id = new_run_id(utc_now())
            log = get_logger(run_id=run_id)
            log.info("drift.run.started", models=len(self.models))
            started = time.monotonic()
            try:
                result = run_pass(self.config, self.models, store=self.store, log=log, run_id=run_id,
                                  channels=self.config.notify, readers=self.readers)
            except DriftError as exc:
                self.metrics.passes.labels("failed").inc()
                log.error("drift.run.finished", exit_code=1, error=str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - a bug in one pass must not stop the daemon
                self.metrics.passes.labels("failed").inc()
                log.error("drift.run.finished", exit_code=1, error=f"internal error: {type(exc).__name__}: {exc}")
                return
            seconds = time.monotonic() - started
            report = result.report
            self.last_finished = time.time()
            self.last = {"run_id": report.run_id, "finished_at": report.finished_at,
                         "exit_code": report.exit_code(), "summary": to_dict(report)["summary"],
                         "errors": list(report.errors)}
            self.metrics.observe_pass(report, seconds, result.calls, result.throttled, self.last_finished)
            s = report.summary
            log.info("drift.run.finished", exit_code=report.exit_code(), checked=s.checked, in_sync=s.in_sync,
                     modified=s.modified, missing=s.missing, unmanaged=s.unmanaged, error=s.error,
                     calls=result.calls, throttled=result.throttled, described=result.described,
                     seconds=round(seconds, 3))
            self.deliver_now.set()
        finally:
            self.pass_lock.release()

    def _maybe_reload(self) -> None:
        current = _snapshot(self.config)
        if not self.reload_requested.is_set() and current == self.snapshot:
            return
        self.reload_requested.clear()
        self.snapshot = current
        try:
            config, models = self.loader()
        except InputError as exc:
            self.metrics.reloads.labels("invalid").inc()
            self.log.error("drift.config.invalid", errors=[str(f) for f in exc.findings],
                           message="keeping the last good config")
            return
        except DriftError as exc:
            self.metrics.reloads.labels("invalid").inc()
            self.log.error("drift.config.invalid", errors=[str(exc)], message="keeping the last good config")
            return
        schedule_changed = config.schedule != self.config.schedule
        if config.aws != self.config.aws:
            self.readers.clear()
        self.config, self.models = config, models
        self.snapshot = _snapshot(config)
        self.metrics.reloads.labels("ok").inc()
        self.log.info("drift.config.reloaded", models=len(models))
        if schedule_changed and self.scheduler is not None:
            self.scheduler.reschedule_job("pass", trigger=_trigger(config.schedule))

    # -- deliveries ---------------------------------------------------------------------------------
    def delivery_worker(self) -> None:
        from drift.notify.outbox import deliver_pending, pending_count

        while not self.stop.is_set():
            self.deliver_now.wait(timeout=5.0)
            self.deliver_now.clear()
            if self.stop.is_set():
                break
            try:
                with self.deliver_lock:
                    if self.stop.is_set():
                        break
                    outcome = deliver_pending(self.store, self.config.notify, self.log, utc_now())
                    self.metrics.outbox.set(pending_count(self.store))
                for name, (sent, failed) in outcome.items():
                    self.metrics.notify_sent.labels(name).inc(sent)
                    self.metrics.notify_failed.labels(name).inc(failed)
                if any(failed for _sent, failed in outcome.values()):
                    self.stop.wait(1.0)  # back off a little, then try again (order kept per channel)
                    self.deliver_now.set()
            except DriftError as exc:
                self.log.error("drift.notify.failed", error=str(exc))
                self.stop.wait(5.0)

    # -- health -------------------------------------------------------------------------------------
    def health(self) -> tuple[int, dict[str, Any]]:
        period = _period(self.config.schedule)
        allowed = 2 * period + self.config.schedule.jitter
        body: dict[str, Any] = {"period_seconds": period, "last_pass": self.last}
        if self.last_finished is None:
            body["status"] = "starting"
            return 503, body
        age = time.time() - self.last_finished
        body["seconds_since_last_pass"] = round(age, 3)
        if age <= allowed:
            body["status"] = "ok"
            return 200, body
        body["status"] = "stale"
        return 503, body

    def serve(self) -> ThreadingHTTPServer:
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Health checks every few seconds would drown the logs."""

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    status, body = daemon.health()
                    payload = json.dumps(body).encode()
                    content_type = "application/json"
                elif path == "/metrics":
                    from prometheus_client import CONTENT_TYPE_LATEST

                    status, payload, content_type = 200, daemon.metrics.exposition(), CONTENT_TYPE_LATEST
                else:
                    status, payload, content_type = 404, b'{"error": "not found"}', "application/json"
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        try:
            server = ThreadingHTTPServer(self.listen, Handler)
        except OSError as exc:
            raise DriftError(f"--listen {self.listen[0]}:{self.listen[1]}: cannot listen: {exc.strerror or exc}") \
                from exc
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True, name="drift-http").start()
        return server

    # -- life cycle ---------------------------------------------------------------------------------
    def run(self) -> int:
        from apscheduler.schedulers.background import BackgroundScheduler

        server = self.serve()
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        worker = threading.Thread(target=self.delivery_worker, daemon=True, name="drift-deliver")
        worker.start()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(self.run_one_pass, _trigger(self.config.schedule), id="pass", max_instances=1,
                               coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC))
        self.scheduler.start()
        host, port = server.server_address[:2]
        self.log.info("drift.daemon.started", listen=f"{host!s}:{port}", models=len(self.models),
                      period_seconds=_period(self.config.schedule))
        while not self.stop.wait(0.5):
            if self.reload_requested.is_set() and not self.pass_lock.locked():
                threading.Thread(target=self.run_one_pass, daemon=True).start()
        self.log.info("drift.daemon.stopping")
        self.scheduler.shutdown(wait=False)
        self.deliver_now.set()
        finished = self.pass_lock.acquire(timeout=STOP_GRACE_SECONDS)
        delivered = self.deliver_lock.acquire(timeout=3.0)
        server.shutdown()
        if finished and delivered:
            self.store.close()
            self.log.info("drift.daemon.stopped")
            return 0
        # A pass or a delivery is still running after the grace period: abandon it. SQLite keeps the last
        # committed pass and outbox (an undelivered message is simply sent again after the restart).
        self.log.warning("drift.daemon.stopped", message="abandoned the pass in progress")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def run_daemon(loader: Loader, listen: str) -> int:
    return Daemon(loader, parse_listen(listen)).run()
