"""structlog set-up: always stderr, JSON off a TTY, console on one, secrets scrubbed.

stdout carries only the report, so ``drift check --format json | jq`` works.
botocore and urllib3 stay at WARNING whatever --log-level says, since their debug
output prints whole requests and responses, credentials included.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from drift.redact import scrub_value

LEVELS = ("debug", "info", "warning", "error")
_QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer", "werkzeug", "moto")


def _scrub(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    return dict(scrub_value(event))


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub_value(record.getMessage())
        record.args = ()
        return True


def configure(log_format: str | None = None, level: str = "info") -> None:
    """Configure once per process; ``log_format`` None means JSON unless stderr is a TTY."""
    tty = sys.stderr.isatty()
    fmt = log_format or ("console" if tty else "json")
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=tty) if fmt == "console" else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    if not any(isinstance(f, _ScrubFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(_ScrubFilter())
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is by design: passes never overlap.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def get_logger(**bind: Any) -> Any:
    return structlog.get_logger("drift").bind(**bind)
