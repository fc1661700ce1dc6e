"""Progress on stderr for long passes, only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
import time


class TerminalProgress:
    """Rewrites one stderr line at most ten times a second; silent on pipes and short passes."""

    def __init__(self, label: str, *, minimum: int = 20) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.minimum = minimum
        self.last = 0.0
        self.lock = threading.Lock()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.minimum:
            return
        now = time.monotonic()
        with self.lock:
            if done < total and now - self.last < 0.1:
                return
            self.last = now
            sys.stderr.write(f"\r{self.label}: {done}/{total} models ({done * 100 // max(total, 1)}%)")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
