"""One delivery worker per channel, restarted when it dies, so one channel never holds up another.

A slow or failing receiver costs its own worker only; the daemon's watchdog
restarts a worker that stopped, and /healthz reports one that is not running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from drift.config.settings import Channel
from drift.metrics import Metrics
from drift.notify.delivery import deliver_channel
from drift.store import Store

#: A delivery round may take this long before the worker looks at its stop flag again.
ROUND_BUDGET = 120.0
RETRY_PAUSE = 5.0


class ChannelWorker:
    def __init__(self, channel: Channel, store: Store, metrics: Metrics, log: Callable[[], Any]) -> None:
        self.channel = channel
        self.store = store
        self.metrics = metrics
        self.log = log
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, daemon=True, name=f"drift-deliver-{self.channel.name}")
        self.thread.start()
        self.metrics.workers.labels(self.channel.name).set(1)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.wake.wait(timeout=RETRY_PAUSE)
                self.wake.clear()
                if self.stop.is_set():
                    break
                done = deliver_channel(self.store, self.channel, self.log(), budget=ROUND_BUDGET, stop=self.stop)
                name = self.channel.name
                self.metrics.notify_sent.labels(name).inc(done.sent)
                self.metrics.notify_failed.labels(name).inc(done.failed)
                self.metrics.notify_rejected.labels(name).inc(done.rejected)
                self.metrics.outbox.set(self.store.pending_count())
                if done.pending:
                    self.stop.wait(RETRY_PAUSE)  # the receiver is down: try again soon, order kept
                    self.wake.set()
        finally:
            self.metrics.workers.labels(self.channel.name).set(0)


class Workers:
    """The workers of the configured channels; started, restarted and stopped together."""

    def __init__(self, store: Store, metrics: Metrics, log: Callable[[], Any]) -> None:
        self.store, self.metrics, self.log = store, metrics, log
        self.by_name: dict[str, ChannelWorker] = {}

    def configure(self, channels: tuple[Channel, ...]) -> None:
        wanted = {c.name: c for c in channels}
        for name in [n for n in self.by_name if n not in wanted or self.by_name[n].channel != wanted[n]]:
            self.by_name.pop(name).stop.set()
        for name, channel in wanted.items():
            if name not in self.by_name:
                self.by_name[name] = ChannelWorker(channel, self.store, self.metrics, self.log)
                self.by_name[name].start()

    def wake(self) -> None:
        for worker in self.by_name.values():
            worker.wake.set()

    def restart_dead(self) -> list[str]:
        """Restart every worker that died; return the names of those found dead."""
        dead = [name for name, worker in self.by_name.items() if not worker.alive and not worker.stop.is_set()]
        for name in dead:
            self.log().error("drift.notify.worker_restarted", channel=name)
            self.by_name[name].start()
            self.by_name[name].wake.set()
        return dead

    def dead(self) -> list[str]:
        return [name for name, worker in self.by_name.items() if not worker.alive and not worker.stop.is_set()]

    def stop(self, timeout: float) -> None:
        for worker in self.by_name.values():
            worker.stop.set()
            worker.wake.set()
        for worker in self.by_name.values():
            if worker.thread is not None:
                worker.thread.join(timeout)
