"""drift.yaml -> Config: ${VAR} substitution, targets, ignore and severity rules.

Every problem is collected (not just the first) and reported as a Finding with
file and line, because a config that fails one error at a time wastes an
operator's afternoon.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from drift import redact
from drift._schema import check_keys, type_name
from drift._yaml import MarkedDict, YamlSyntaxError, key_line, load_file
from drift.errors import ConfigError, Finding

DEFAULT_CONFIG = "config/drift.yaml"
_VAR = re.compile(r"\$\{([^}]*)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_MAX_SECONDS = 366 * 86400
SEVERITIES = ("critical", "warning", "info")
RETRY_MODES = ("standard", "adaptive")

_TOP = ("aws", "desired", "scope", "ignore", "severity", "schedule", "notify", "state")
_AWS = (
    "region", "profile", "role_arn", "external_id", "endpoint_url", "targets", "retry_mode",
    "max_attempts", "connect_timeout", "read_timeout", "max_calls_per_second", "concurrency",
)
_TARGET = ("name", "role_arn", "external_id", "regions", "region", "profile", "endpoint_url")
_SCOPE = ("unmanaged", "name_prefix")
_RULE = ("models", "paths", "level")
_SCHEDULE = ("interval", "cron", "jitter")
_NOTIFY = ("type", "url", "secret", "remind_after", "name", "timeout", "max_attempts")
_STATE = ("path",)


@dataclass(frozen=True, slots=True)
class Target:
    """One account to read, in one or more regions."""

    name: str
    regions: tuple[str, ...]
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True, slots=True)
class AwsSettings:
    targets: tuple[Target, ...]
    retry_mode: str = "standard"
    max_attempts: int = 10
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_calls_per_second: float | None = None
    concurrency: int = 32


@dataclass(frozen=True, slots=True)
class PathRule:
    """An ignore or severity rule: fnmatch-style globs on model name and dotted path."""

    models: tuple[str, ...]
    paths: tuple[str, ...]
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    interval: float | None = 900.0
    cron: str | None = None
    jitter: float = 0.0

    @property
    def period(self) -> float:
        """The nominal time between passes, used by /healthz; cron schedules assume an hour."""
        return self.interval if self.interval else 3600.0


@dataclass(frozen=True, slots=True)
class Channel:
    type: str
    url: str
    name: str
    secret: str | None = None
    remind_after: float | None = None
    timeout: float = 10.0
    max_attempts: int = 5


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    aws: AwsSettings
    desired: tuple[str, ...]
    unmanaged: bool = True
    name_prefix: str = ""
    ignore: tuple[PathRule, ...] = ()
    severity: tuple[PathRule, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    notify: tuple[Channel, ...] = ()
    state_path: str | None = None

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))


def parse_duration(value: Any) -> float:
    """'15m' -> 900.0; integers are seconds. Raises ValueError with a readable message."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 24h")
    if isinstance(value, int | float):
        seconds = float(value) if abs(value) <= _MAX_SECONDS else math.inf
    else:
        match = _DURATION.match(str(value)[:64])
        if not match:
            shown = str(value)[:40]
            raise ValueError(f"{shown!r} is not a duration (use a number with s, m, h or d: 30s, 15m, 24h)")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("must not be negative")
    if seconds > _MAX_SECONDS:
        raise ValueError("is longer than a year")
    return seconds


def _substitute(value: Any, file: str, line: int | None, path: str, findings: list[Finding]) -> Any:
    """Replace ${VAR} in strings from the environment; an unset variable is an error naming it."""
    if isinstance(value, str):
        def repl(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                findings.append(Finding(file, line, f"${{{name}}} is not a valid variable name", path=path))
                return ""
            if name not in os.environ:
                findings.append(
                    Finding(file, line, f"environment variable {name} is not set (used as ${{{name}}})",
                            path=path)
                )
                return ""
            resolved = os.environ[name]
            if redact.is_secret_key(name) or redact.is_secret_key(path):
                redact.register(resolved)
            return resolved

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        out = MarkedDict()
        out.line = getattr(value, "line", line)
        out.lines = dict(getattr(value, "lines", {}))
        for k, v in value.items():
            out[k] = _substitute(v, file, key_line(value, k), f"{path}.{k}" if path else str(k), findings)
        return out
    if isinstance(value, list):
        return [_substitute(v, file, key_line(value, i), f"{path}[{i}]", findings) for i, v in enumerate(value)]
    return value


class _Reader:
    """Typed access to one mapping that records findings instead of raising."""

    def __init__(self, mapping: Any, file: str, prefix: str, findings: list[Finding]) -> None:
        self.m: dict[Any, Any] = mapping if isinstance(mapping, dict) else {}
        self.file = file
        self.prefix = prefix
        self.findings = findings

    def _err(self, key: str, message: str) -> None:
        self.findings.append(
            Finding(self.file, key_line(self.m, key), message, path=f"{self.prefix}{key}")
        )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.m.get(key)
        if value is None:
            return default
        if isinstance(value, bool) and kind is not bool and (kind is int or kind is float or kind == (int, float)):
            self._err(key, f"expected {kind_name(kind)}, got boolean")
            return default
        if not isinstance(value, kind):
            self._err(key, f"expected {kind_name(kind)}, got {type_name(value)}")
            return default
        return value

    def duration(self, key: str, default: float | None) -> float | None:
        value = self.m.get(key)
        if value is None:
            return default
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            self._err(key, str(exc))
            return default
        if seconds <= 0 and key != "jitter":
            self._err(key, "must be greater than zero")
            return default
        return seconds

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.m.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self._err(key, "expected a string or a list of strings")
        return ()

    def line(self, key: str) -> int | None:
        return key_line(self.m, key)


def _entries(items: Any, file: str, name: str, allowed: tuple[str, ...], findings: list[Finding],
             expected: str = "expected a mapping") -> Iterator[tuple[int, str, _Reader]]:
    """Each mapping of a list section (targets, rules, channels), keys checked; non-mappings reported."""
    for i, item in enumerate(items):
        prefix = f"{name}[{i}]"
        if not isinstance(item, dict):
            findings.append(Finding(file, key_line(items, i), expected, path=prefix))
            continue
        check_keys(item, allowed, file, prefix, findings)
        yield i, prefix, _Reader(item, file, prefix + ".", findings)


def kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             dict: "a mapping", list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kind))
    return names.get(kind, kind.__name__)


def load_config(
    path: str,
    *,
    desired_override: tuple[str, ...] = (),
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    required: bool = True,
) -> Config:
    """Load drift.yaml (or defaults when it is absent and not required) and apply CLI overrides."""
    findings: list[Finding] = []
    raw: Any = MarkedDict()
    if os.path.exists(path):
        try:
            raw = load_file(path)
        except YamlSyntaxError as exc:
            raise ConfigError([Finding(path, exc.line, str(exc))]) from exc
        except OSError as exc:
            raise ConfigError([Finding(path, None, f"cannot read: {exc.strerror or exc}")]) from exc
        if raw is None:
            raw = MarkedDict()
        if not isinstance(raw, dict):
            raise ConfigError([Finding(path, getattr(raw, "line", 1),
                                       f"expected a mapping at the top level, got {type_name(raw)}")])
    elif required:
        raise ConfigError([Finding(path, None, "config file not found (use --config PATH or set DRIFT_CONFIG)")])

    raw = _substitute(raw, path, getattr(raw, "line", None), "", findings)
    check_keys(raw, _TOP, path, "", findings)
    top = _Reader(raw, path, "", findings)

    aws = _read_aws(top.get("aws", dict, MarkedDict()), path, findings, region, profile, endpoint_url)
    desired = desired_override or top.strings("desired")
    if not desired_override and "desired" in raw and not desired:
        findings.append(Finding(path, top.line("desired"), "must list at least one file, directory or glob",
                                path="desired"))

    scope = _Reader(top.get("scope", dict, {}), path, "scope.", findings)
    check_keys(scope.m, _SCOPE, path, "scope", findings)
    ignore = _read_rules(top.get("ignore", list, []), path, "ignore", findings, with_level=False)
    severity = _read_rules(top.get("severity", list, []), path, "severity", findings, with_level=True)
    schedule = _read_schedule(top.get("schedule", dict, {}), path, findings)
    notify = _read_notify(top.get("notify", list, []), path, findings)
    state = _Reader(top.get("state", dict, {}), path, "state.", findings)
    check_keys(state.m, _STATE, path, "state", findings)

    if findings:
        raise ConfigError(findings)
    state_path = state.get("path", str)
    return Config(
        path=path,
        aws=aws,
        desired=desired,
        unmanaged=scope.get("unmanaged", bool, True),
        name_prefix=scope.get("name_prefix", str, ""),
        ignore=ignore,
        severity=severity,
        schedule=schedule,
        notify=notify,
        state_path=state_path or None,
    )


def _read_aws(
    m: Any, file: str, findings: list[Finding], region: str | None, profile: str | None,
    endpoint_url: str | None,
) -> AwsSettings:
    check_keys(m, _AWS, file, "aws", findings)
    r = _Reader(m, file, "aws.", findings)
    env_endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    default_endpoint = endpoint_url or r.get("endpoint_url", str) or env_endpoint
    default_region = (region or r.get("region", str) or os.environ.get("AWS_REGION")
                      or os.environ.get("AWS_DEFAULT_REGION"))
    default_profile = profile or r.get("profile", str)
    targets: list[Target] = []
    raw_targets = r.get("targets", list, [])
    for i, prefix, t in _entries(raw_targets, file, "aws.targets", _TARGET, findings):
        name = t.get("name", str)
        if not name:
            findings.append(Finding(file, key_line(raw_targets, i), "a target needs a name", path=prefix))
            continue
        regions: tuple[str, ...] = (region,) if region else (t.strings("regions") or t.strings("region"))
        if not regions and default_region:
            regions = (default_region,)
        if not regions:
            findings.append(Finding(file, key_line(raw_targets, i),
                                    "no region: set regions: [...] or aws.region", path=prefix))
            continue
        if any(existing.name == name for existing in targets):
            findings.append(Finding(file, key_line(raw_targets, i), f"target {name!r} is declared twice",
                                    path=prefix))
        targets.append(Target(
            name=name,
            regions=regions,
            profile=profile or t.get("profile", str) or default_profile,
            role_arn=t.get("role_arn", str),
            external_id=t.get("external_id", str),
            endpoint_url=endpoint_url or t.get("endpoint_url", str) or default_endpoint,
        ))
    if not raw_targets:
        if not default_region:
            default_region = "us-east-1" if default_endpoint else None
        targets.append(Target(name="default", regions=(default_region,) if default_region else (),
                              profile=default_profile, role_arn=r.get("role_arn", str),
                              external_id=r.get("external_id", str), endpoint_url=default_endpoint))
    retry_mode = r.get("retry_mode", str, "standard")
    if retry_mode not in RETRY_MODES:
        findings.append(Finding(file, r.line("retry_mode"), f"must be one of {', '.join(RETRY_MODES)}",
                                path="aws.retry_mode"))
    max_attempts = r.get("max_attempts", int, 10)
    if not 1 <= max_attempts <= 100:
        findings.append(Finding(file, r.line("max_attempts"), "must be between 1 and 100", path="aws.max_attempts"))
        max_attempts = 10
    concurrency = r.get("concurrency", int, 32)
    if not 1 <= concurrency <= 256:
        findings.append(Finding(file, r.line("concurrency"), "must be between 1 and 256",
                                path="aws.concurrency"))
    rate = r.get("max_calls_per_second", (int, float))
    if rate is not None and not 0 < rate <= 100_000:
        findings.append(Finding(file, r.line("max_calls_per_second"), "must be between 0 and 100000",
                                path="aws.max_calls_per_second"))
        rate = None
    return AwsSettings(
        targets=tuple(targets),
        retry_mode=retry_mode,
        max_attempts=max_attempts,
        connect_timeout=r.duration("connect_timeout", 5.0) or 5.0,
        read_timeout=r.duration("read_timeout", 20.0) or 20.0,
        max_calls_per_second=float(rate) if rate else None,
        concurrency=concurrency,
    )


def _read_rules(items: Any, file: str, name: str, findings: list[Finding], *, with_level: bool) -> tuple[
        PathRule, ...]:
    rules = []
    allowed = _RULE if with_level else ("models", "paths")
    for i, prefix, r in _entries(items, file, name, allowed, findings, "expected a mapping with models/paths"):
        models = r.strings("models") or ("*",)
        paths = r.strings("paths") or ("*",)
        level = None
        if with_level:
            level = r.get("level", str)
            if level not in SEVERITIES:
                findings.append(Finding(file, r.line("level") or key_line(items, i),
                                        f"level must be one of {', '.join(SEVERITIES)}", path=f"{prefix}.level"))
                continue
        rules.append(PathRule(models=models, paths=paths, level=level))
    return tuple(rules)


def _read_schedule(m: Any, file: str, findings: list[Finding]) -> Schedule:
    check_keys(m, _SCHEDULE, file, "schedule", findings)
    r = _Reader(m, file, "schedule.", findings)
    cron = r.get("cron", str)
    interval = r.duration("interval", None if cron else 900.0)
    if cron and "interval" in m:
        findings.append(Finding(file, r.line("cron"), "set either interval or cron, not both", path="schedule"))
    if cron:
        try:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger.from_crontab(cron)
        except ValueError as exc:
            findings.append(Finding(file, r.line("cron"), f"invalid cron expression: {exc}",
                                    path="schedule.cron"))
    return Schedule(interval=interval, cron=cron, jitter=r.duration("jitter", 0.0) or 0.0)


def _read_notify(items: Any, file: str, findings: list[Finding]) -> tuple[Channel, ...]:
    channels: list[Channel] = []
    for i, prefix, r in _entries(items, file, "notify", _NOTIFY, findings, "expected a mapping with type and url"):
        kind = r.get("type", str)
        url = r.get("url", str)
        if kind not in ("webhook", "slack"):
            findings.append(Finding(file, r.line("type") or key_line(items, i),
                                    "type must be webhook or slack", path=f"{prefix}.type"))
            continue
        if not url or not re.match(r"^https?://", url):
            findings.append(Finding(file, r.line("url") or key_line(items, i),
                                    "url must be an http(s) URL", path=f"{prefix}.url"))
            continue
        secret = r.get("secret", str)
        redact.register(secret)
        if kind == "slack":
            redact.register(url)  # an incoming-webhook URL is itself a credential
        # A default name derived from the URL survives reordering of notify: (the outbox is keyed by it).
        name = r.get("name", str) or f"{kind}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
        attempts = r.get("max_attempts", int, 5)
        if not 1 <= attempts <= 20:
            findings.append(Finding(file, r.line("max_attempts"), "must be between 1 and 20",
                                    path=f"{prefix}.max_attempts"))
        channels.append(Channel(type=kind, url=url, name=name, secret=secret or None,
                                remind_after=r.duration("remind_after", None),
                                timeout=r.duration("timeout", 10.0) or 10.0,
                                max_attempts=attempts))
    return tuple(channels)
