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
_json_logs = False


def use_json(strict: bool, logs: bool | None = None) -> None:
    """Set by logging.configure: ``--log-format json`` was asked for (strict), or JSON logs are on (logs:
    the default off a terminal)."""
    global _json, _json_logs
    _json = strict
    _json_logs = strict if logs is None else logs or strict


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


def note(message: str, *, event: str, level: str = "error", **fields: Any) -> None:
    """A condition of the run itself (not of the user's input): with JSON logs, the default off a terminal,
    it is one event like the rest, so a daemon's or CI job's stderr stays JSON lines while, say, every
    delivery fails (SPEC §6); on a terminal, a line for the person there."""
    if _json_logs:
        getattr(structlog.get_logger("drift"), level)(event, message=message, **fields)
        return
    print(message, file=sys.stderr)

