"""The keys of drift.yaml as data: one table per section and one generic reader.

Adding a setting is adding a row: its name, a checker (which converts and says
what is wrong, in words for a person) and its default. The reader reports every
unknown key with a "did you mean" and every bad value with its file, line and
dotted key, and never stops at the first problem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drift._words import suggest, type_name
from drift._yaml import key_line
from drift.errors import Finding

#: value -> (converted value, None) or (None, "what is wrong")
Check = Callable[[Any], tuple[Any, str | None]]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_MAX_SECONDS = 366 * 86400
#: SPEC §2: "a region that is not of the form xx-name-N" (us-east-1, us-gov-west-1, eu-central-2).
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
#: SPEC §2: an endpoint URL is http(s)://host[:port] (a trailing slash is harmless).
ENDPOINT_URL = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?/?$")
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    check: Check
    default: Any = None


def parse_duration(value: Any) -> float:
    """'15m' -> 900.0; plain numbers are seconds. Raises ValueError with a readable message."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 24h")
    if isinstance(value, int | float):
        seconds = float(value) if abs(value) <= _MAX_SECONDS else math.inf
    else:
        match = _DURATION.match(str(value)[:64])
        if not match:
            raise ValueError(f"{str(value)[:40]!r} is not a duration (use a number with s, m, h or d: 30s, 15m, 24h)")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("must not be negative")
    if seconds > _MAX_SECONDS:
        raise ValueError("is longer than a year")
    return seconds


# -- checkers ---------------------------------------------------------------------------------------------
def string(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, str) else (None, f"expected a string, got {type_name(value)}")


def boolean(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, bool) else (None, f"expected true or false, got {type_name(value)}")


def mapping(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, dict) else (None, f"expected a mapping, got {type_name(value)}")


def items(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, list) else (None, f"expected a list, got {type_name(value)}")


def strings(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str):
        return (value,), None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value), None
    return None, "expected a string or a list of strings"


def integer(low: int, high: int) -> Check:
    def check(value: Any) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"expected an integer, got {type_name(value)}"
        return (value, None) if low <= value <= high else (None, f"must be between {low} and {high}")
    return check


def number(low: float, high: float) -> Check:
    def check(value: Any) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"expected a number, got {type_name(value)}"
        return (float(value), None) if low < value <= high else (None, f"must be between {low:g} and {high:g}")
    return check


def duration(*, positive: bool = True) -> Check:
    def check(value: Any) -> tuple[Any, str | None]:
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            return None, str(exc)
        if positive and seconds <= 0:
            return None, "must be greater than zero"
        return seconds, None
    return check


def choice(*allowed: str, aliases: Mapping[Any, str] | None = None) -> Check:
    def check(value: Any) -> tuple[Any, str | None]:
        if aliases and not isinstance(value, str) and value in aliases:
            return aliases[value], None
        if isinstance(value, str) and value in allowed:
            return value, None
        return None, f"must be one of {', '.join(allowed)}"
    return check


def region(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected a string, got {type_name(value)}"
    if not REGION.match(value):
        return None, f"{value[:40]!r} is not an AWS region (such as us-east-1)"
    return value, None


def regions(value: Any) -> tuple[Any, str | None]:
    names, problem = strings(value)
    if problem:
        return None, problem
    bad = [r for r in names if not REGION.match(r)]
    if bad:
        return None, f"{bad[0][:40]!r} is not an AWS region (such as us-east-1)"
    return names, None


def endpoint_url(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected a string, got {type_name(value)}"
    if not ENDPOINT_URL.match(value):
        return None, f"{value[:60]!r} is not an endpoint URL of the form http(s)://host[:port]"
    return value.rstrip("/"), None


def http_url(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        return None, "url must be an http(s) URL"
    return value, None


def cron(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected a string, got {type_name(value)}"
    try:
        from apscheduler.triggers.cron import CronTrigger

        CronTrigger.from_crontab(value)
    except ValueError as exc:
        return None, f"invalid cron expression: {exc}"
    return value, None


# -- the tables ------------------------------------------------------------------------------------------
TOP = (Key("aws", mapping, {}), Key("desired", strings, ()), Key("scope", mapping, {}), Key("ignore", items, []),
       Key("severity", items, []), Key("schedule", mapping, {}), Key("notify", items, []),
       Key("state", mapping, {}), Key("integrity", mapping, {}), Key("lock", string))
AWS = (Key("region", region), Key("profile", string), Key("role_arn", string), Key("external_id", string),
       Key("endpoint_url", endpoint_url), Key("targets", items, []), Key("organization", mapping),
       Key("retry_mode", choice("standard", "adaptive"), "standard"), Key("max_attempts", integer(1, 100), 10),
       Key("connect_timeout", duration(), 5.0), Key("read_timeout", duration(), 20.0),
       Key("max_calls_per_second", number(0, 100_000)), Key("concurrency", integer(1, 256), 32),
       Key("bulk_read", choice("auto", "off", aliases={False: "off", True: "auto"}), "auto"),
       Key("max_models", integer(1, 10_000_000), 200_000), Key("max_parallel_targets", integer(1, 64), 8))
TARGET = (Key("name", string), Key("role_arn", string), Key("external_id", string), Key("regions", regions, ()),
          Key("region", regions, ()), Key("profile", string), Key("endpoint_url", endpoint_url))
ORGANIZATION = (Key("role_name", string), Key("external_id", string), Key("regions", regions, ()),
                Key("include_ous", strings, ()), Key("exclude_accounts", strings, ()))
SCOPE = (Key("unmanaged", boolean, True), Key("name_prefix", string, ""),
         Key("endpoints", choice("all", "declared", "none", aliases={False: "none"}), "all"))
INTEGRITY = (Key("images", boolean, True), Key("artifacts", boolean, True),
             Key("denied", choice("warn", "error"), "warn"))
IGNORE = (Key("models", strings, ("*",)), Key("paths", strings, ("*",)))
SEVERITY = (*IGNORE, Key("level", choice(*SEVERITIES)))
SCHEDULE = (Key("interval", duration()), Key("cron", cron), Key("jitter", duration(positive=False), 0.0))
NOTIFY = (Key("type", choice("webhook", "slack")), Key("url", http_url), Key("secret", string),
          Key("remind_after", duration()), Key("name", string), Key("timeout", duration(), 10.0),
          Key("max_attempts", integer(1, 20), 5))
STATE = (Key("path", string),)


def read(node: Any, keys: tuple[Key, ...], file: str, prefix: str, findings: list[Finding]) -> dict[str, Any]:
    """Values for every key of ``keys`` (defaults where absent or wrong); problems appended to ``findings``."""
    m: Mapping[Any, Any] = node if isinstance(node, dict) else {}
    names = [k.name for k in keys]
    for key in m:
        if not isinstance(key, str) or key not in names:
            where = f"{prefix}{key}"
            findings.append(Finding(file, key_line(m, key), f"unknown key{suggest(str(key), names)}", path=where))
    out: dict[str, Any] = {}
    for key in keys:
        value = m.get(key.name)
        if value is None:
            out[key.name] = key.default
            continue
        converted, problem = key.check(value)
        if problem is not None:
            findings.append(Finding(file, key_line(m, key.name), problem, path=f"{prefix}{key.name}"))
            converted = key.default
        out[key.name] = converted
    return out


def read_items(node: Any, keys: tuple[Key, ...], file: str, name: str, findings: list[Finding],
               expected: str = "expected a mapping") -> list[tuple[int, dict[str, Any]]]:
    """Each mapping of a list section (targets, rules, channels), read with ``keys``; non-mappings reported."""
    out = []
    for i, entry in enumerate(node or []):
        if not isinstance(entry, dict):
            findings.append(Finding(file, key_line(node, i), expected, path=f"{name}[{i}]"))
            continue
        out.append((i, read(entry, keys, file, f"{name}[{i}].", findings)))
    return out
