"""structlog set-up: always stderr, one renderer for our events and everyone else's, secrets scrubbed.

stdout carries only the report, so ``drift check --format json | jq`` works. Our
events and the standard library's records (botocore, urllib3, apscheduler,
warnings, uncaught errors in threads) all go through structlog's
``ProcessorFormatter``, the same scrubbing and the same renderer: with JSON logs,
every line on stderr is one JSON object. Library loggers stay at WARNING whatever
``--log-level`` says, since their debug output prints whole requests, secrets included.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import structlog

from drift import console
from drift.redact import scrub_value

LEVELS = ("debug", "info", "warning", "error")
_QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer", "werkzeug", "moto", "apscheduler", "py.warnings")
_HANDLER_NAME = "drift-stderr"


def _scrub(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return dict(scrub_value(dict(event)))


def _foreign(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A standard-library record: its logger name kept, its message scrubbed like our own values."""
    record = event.get("_record")
    if record is not None:
        event["logger"] = record.name
    return event


def default_level(log_format: str | None) -> str:
    """A person's terminal shows what needs attention (warnings); the details stay in the JSON logs."""
    return "warning" if (log_format or ("console" if sys.stderr.isatty() else "json")) == "console" else "info"


def configure(log_format: str | None = None, level: str | None = None) -> None:
    """Configure once per command; ``log_format`` None means JSON unless stderr is a TTY."""
    tty = sys.stderr.isatty()
    fmt = log_format or ("console" if tty else "json")
    console.use_json(log_format == "json", logs=fmt == "json")
    level = level or default_level(fmt)
    renderer: Any = (structlog.dev.ConsoleRenderer(colors=tty) if fmt == "console"
                     else structlog.processors.JSONRenderer())
    shared: list[Any] = [structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True)]
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, *shared, structlog.processors.format_exc_info, _scrub,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.contextvars.merge_contextvars, *shared, _foreign,
                           structlog.processors.format_exc_info, _scrub],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("drift").setLevel(logging.DEBUG)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is by design: passes never overlap.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.captureWarnings(True)
    threading.excepthook = _thread_died


def _thread_died(args: threading.ExceptHookArgs) -> None:
    """An error that escaped a thread is logged like everything else (one JSON line), never a bare traceback."""
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread else "?"
    get_logger().error("drift.thread.failed", thread=thread, error=f"{args.exc_type.__name__}: {args.exc_value}",
                       exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def get_logger(**bind: Any) -> Any:
    return structlog.get_logger("drift").bind(**bind)
