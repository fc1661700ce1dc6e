"""Messages for people on stderr: plain lines, or log events when JSON logs were asked for.

stdout carries only the report. A person at a terminal (or a CI log) reads plain lines such as
``drift: error: ...`` or ``file:line: model: path: message``; with ``--log-format json`` every stderr line
must be one JSON object (SPEC §6), so the same message becomes an event with ``message`` and the event's
own fields instead.
"""

from __future__ import annotations

import sys
from typing import Any

import structlog

_json = False


def use_json(strict: bool) -> None:
    """Set by logging.configure: ``--log-format json`` was asked for."""
    global _json
    _json = strict


def say(message: str, *, event: str = "drift.message", level: str = "error", **fields: Any) -> None:
    """One line for people, or (JSON logs) one event."""
    if _json:
        getattr(structlog.get_logger("drift"), level)(event, message=message, **fields)
        return
    print(message, file=sys.stderr)


def quiet_in_json(message: str) -> None:
    """A line only a person needs (the JSON logs already carry the same in an event of their own)."""
    if not _json:
        print(message, file=sys.stderr)
