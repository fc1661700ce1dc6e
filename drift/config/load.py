"""drift.yaml -> Config: read the file, replace ${VAR}, check every key against the schema tables,
resolve paths against the config file's directory, and check what can be checked without AWS.

Every problem is collected (not just the first) and reported as a Finding with file
and line, because a config that fails one error at a time wastes an operator's afternoon.
Secrets met on the way are returned in ``Config.secrets`` rather than registered here,
so that a config that fails to load (or a daemon reload) leaves no trace in the registry.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from drift import redact
from drift._yaml import MarkedDict, key_line, load_file
from drift.config import schema
from drift.config.settings import (
    AwsSettings,
    Channel,
    ChannelType,
    Config,
    Integrity,
    Organization,
    PathRule,
    Schedule,
    Target,
)
from drift.errors import ConfigError, Finding, YamlSyntaxError

LOCK_NAME = "drift.lock.yaml"
COMMAND_LINE = "command line"
NO_REGION = "no region: set aws.region in the config, pass --region, or set AWS_REGION"
_VAR = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True, slots=True)
class Overrides:
    """Settings given on the command line; they win over the file."""

    desired: tuple[str, ...] = ()
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


def load_config(path: str, *, overrides: Overrides | None = None, required: bool = True) -> Config:
    """Load drift.yaml (or defaults when it is absent and not required) and apply command-line overrides."""
    overrides = overrides or Overrides()
    findings: list[Finding] = []
    secrets: set[str] = set()
    exists = os.path.exists(path)
    raw = _read(path) if exists else MarkedDict()
    if not exists and required:
        raise ConfigError([Finding(path, None, "config file not found (use --config PATH or set DRIFT_CONFIG)")])
    raw = _substitute(raw, path, getattr(raw, "line", None), "", findings, secrets)
    top = schema.read(raw, schema.TOP, path, "", findings)
    base = os.path.dirname(os.path.abspath(path)) if exists else os.getcwd()
    aws = _aws(top["aws"], path, findings, overrides)
    desired = overrides.desired or tuple(_under(base, p) for p in top["desired"])
    if not overrides.desired and "desired" in raw and not top["desired"]:
        findings.append(Finding(path, key_line(raw, "desired"), "must list at least one file, directory or glob",
                                path="desired"))
    scope = schema.read(top["scope"], schema.SCOPE, path, "scope.", findings)
    integrity = schema.read(top["integrity"], schema.INTEGRITY, path, "integrity.", findings)
    state = schema.read(top["state"], schema.STATE, path, "state.", findings)
    config = Config(
        path=path, aws=aws, desired=desired, unmanaged=scope["unmanaged"], name_prefix=scope["name_prefix"],
        endpoints=scope["endpoints"],
        ignore=_rules(top["ignore"], schema.IGNORE, path, "ignore", findings),
        severity=_rules(top["severity"], schema.SEVERITY, path, "severity", findings),
        schedule=_schedule(top["schedule"], path, findings),
        notify=_channels(top["notify"], path, findings, secrets),
        state_path=_under(base, state["path"]) if state["path"] else None,
        integrity=Integrity(images=integrity["images"], artifacts=integrity["artifacts"], denied=integrity["denied"]),
        lock_path=_under(base, top["lock"] or LOCK_NAME),
        secrets=frozenset(secrets),
    )
    if findings:
        raise ConfigError([f.without(secrets) for f in findings])
    return config


def _read(path: str) -> Any:
    try:
        raw = load_file(path)
    except YamlSyntaxError as exc:
        raise ConfigError([Finding(path, exc.line, str(exc))]) from exc
    if raw is None:
        return MarkedDict()
    if not isinstance(raw, dict):
        from drift._words import type_name

        raise ConfigError([Finding(path, getattr(raw, "line", 1),
                                   f"expected a mapping at the top level, got {type_name(raw)}")])
    return raw


def _under(base: str, path: str) -> str:
    """A path written in the config file: relative to the config file's directory (SPEC §2)."""
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))



def _substitute(value: Any, file: str, line: int | None, path: str, findings: list[Finding],
                secrets: set[str]) -> Any:
    """Replace ${VAR} in strings from the environment; an unset variable is an error naming it."""
    if isinstance(value, str):
        def repl(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                findings.append(Finding(file, line, f"${{{name}}} is not a valid variable name", path=path))
                return ""
            if name not in os.environ:
                findings.append(Finding(file, line, f"environment variable {name} is not set (used as ${{{name}}})",
                                        path=path))
                return ""
            resolved = os.environ[name]
            if redact.is_secret_key(name) or redact.is_secret_key(path) or redact.looks_secret(resolved):
                secrets.add(resolved)
            return resolved

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        out = MarkedDict()
        out.line = getattr(value, "line", line)
        out.lines = dict(getattr(value, "lines", {}))
        for k, v in value.items():
            out[k] = _substitute(v, file, key_line(value, k), f"{path}.{k}" if path else str(k), findings, secrets)
        return out
    if isinstance(value, list):
        return [_substitute(v, file, key_line(value, i), f"{path}[{i}]", findings, secrets)
                for i, v in enumerate(value)]
    return value


def _aws(node: Any, file: str, findings: list[Finding], overrides: Overrides) -> AwsSettings:
    aws = schema.read(node, schema.AWS, file, "aws.", findings)
    env_endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    endpoint = overrides.endpoint_url or aws["endpoint_url"] or env_endpoint
    region = (overrides.region or aws["region"] or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION") or ("us-east-1" if endpoint else None))
    profile = overrides.profile or aws["profile"]
    region = region or _profile_region(profile)
    _check_cli(overrides, findings)
    _check_profiles(file, node, [(profile, "aws.profile")], findings, overrides)
    organization = _organization(aws["organization"], file, findings, region) if aws["organization"] else None
    if organization and aws["targets"]:
        findings.append(Finding(file, key_line(node, "organization"),
                                "set either targets or organization, not both", path="aws.organization"))
    default = Target(name="default", regions=(region,) if region else (), profile=profile, endpoint_url=endpoint)
    targets = _targets(aws["targets"], file, findings, overrides, default)
    if not aws["targets"] and organization is None:
        if not region:
            _no_region(file, node, findings)
        targets = [Target(name="default", regions=(region,) if region else (), profile=profile,
                          role_arn=aws["role_arn"], external_id=aws["external_id"], endpoint_url=endpoint)]
    for target in targets:
        _check_profiles(file, node, [(target.profile, "aws.profile")], findings, overrides)
    return AwsSettings(
        targets=tuple(targets), retry_mode=aws["retry_mode"], max_attempts=aws["max_attempts"],
        connect_timeout=aws["connect_timeout"], read_timeout=aws["read_timeout"],
        max_calls_per_second=aws["max_calls_per_second"], concurrency=aws["concurrency"],
        bulk_read=aws["bulk_read"] == "auto", max_models=aws["max_models"],
        max_parallel_targets=aws["max_parallel_targets"], organization=organization,
        profile=profile, endpoint_url=endpoint, region=region,
    )


def _targets(items: Any, file: str, findings: list[Finding], overrides: Overrides, default: Target) -> list[Target]:
    """``aws.targets``; what a target does not say comes from ``default`` (aws.region, profile, endpoint)."""
    region, profile, endpoint = (default.regions[0] if default.regions else None), default.profile, default.endpoint_url
    targets: list[Target] = []
    for i, t in schema.read_items(items, schema.TARGET, file, "aws.targets", findings):
        if not t["name"]:
            findings.append(Finding(file, key_line(items, i), "a target needs a name", path=f"aws.targets[{i}]"))
            continue
        regions = (overrides.region,) if overrides.region else (t["regions"] or t["region"] or
                                                                ((region,) if region else ()))
        if not regions:
            findings.append(Finding(file, key_line(items, i), "no region: set regions: [...] or aws.region",
                                    path=f"aws.targets[{i}]"))
            continue
        if any(existing.name == t["name"] for existing in targets):
            findings.append(Finding(file, key_line(items, i), f"target {t['name']!r} is declared twice",
                                    path=f"aws.targets[{i}]"))
        targets.append(Target(name=t["name"], regions=tuple(regions),
                              profile=overrides.profile or t["profile"] or profile,
                              role_arn=t["role_arn"], external_id=t["external_id"],
                              endpoint_url=overrides.endpoint_url or t["endpoint_url"] or endpoint))
    return targets


def _organization(node: Any, file: str, findings: list[Finding], region: str | None) -> Organization | None:
    org = schema.read(node, schema.ORGANIZATION, file, "aws.organization.", findings)
    if not org["role_name"]:
        findings.append(Finding(file, getattr(node, "line", None), "needs role_name (the role assumed in every "
                                "account)", path="aws.organization.role_name"))
        return None
    regions = org["regions"] or ((region,) if region else ())
    if not regions:
        findings.append(Finding(file, getattr(node, "line", None), "no region: set regions: [...] or aws.region",
                                path="aws.organization.regions"))
    return Organization(role_name=org["role_name"], regions=tuple(regions), external_id=org["external_id"],
                        include_ous=tuple(org["include_ous"]), exclude_accounts=tuple(org["exclude_accounts"]))


def _profile_region(profile: str | None) -> str | None:
    """The region the AWS config files give the profile (``region =`` under it), as the AWS CLI would use."""
    from drift._botocore import new_session

    try:
        session = new_session()
        if profile:
            session.set_config_variable("profile", profile)
        region = session.get_config_variable("region")
    except Exception:  # noqa: BLE001 - a missing profile or an unreadable config file is reported by its own check
        return None
    return str(region) if region else None


def _no_region(file: str, node: Any, findings: list[Finding]) -> None:
    """A config file that gives no region anywhere is incomplete: its passes would read nothing and look in
    sync. Without a config file, the commands that call AWS say so themselves (``validate --desired`` of
    desired files alone needs no region)."""
    if os.path.exists(file):
        findings.append(Finding(file, key_line(node, "region"), NO_REGION, path="aws.region"))


def _check_cli(overrides: Overrides, findings: list[Finding]) -> None:
    """Command-line values get the checks the file's values get, named by their option."""
    if overrides.region is not None and schema.region(overrides.region)[1]:
        findings.append(Finding(COMMAND_LINE, None, str(schema.region(overrides.region)[1]), path="--region"))
    if overrides.endpoint_url is not None and schema.endpoint_url(overrides.endpoint_url)[1]:
        findings.append(Finding(COMMAND_LINE, None, str(schema.endpoint_url(overrides.endpoint_url)[1]),
                                path="--endpoint-url"))


def _check_profiles(file: str, node: Any, profiles: Iterable[tuple[str | None, str]], findings: list[Finding],
                    overrides: Overrides) -> None:
    """A profile must exist in the AWS config files (SPEC §2), checked without any AWS call."""
    for profile, key in profiles:
        if not profile or profile in _known_profiles() or any(f.message.startswith(f"profile {profile!r}")
                                                               for f in findings):
            continue
        where, line, name = (COMMAND_LINE, None, "--profile") if profile == overrides.profile else (
            file, key_line(node, "profile"), key)
        findings.append(Finding(where, line, f"profile {profile!r} not found in the AWS config files "
                                             "(~/.aws/config, ~/.aws/credentials, $AWS_CONFIG_FILE)", path=name))


def _known_profiles() -> frozenset[str]:
    from drift._botocore import new_session

    try:
        return frozenset(new_session().available_profiles)
    except Exception:  # noqa: BLE001 - an unreadable AWS config file is reported by botocore at run time
        return frozenset()


def _rules(items: Any, keys: tuple[schema.Key, ...], file: str, name: str, findings: list[Finding]) -> tuple[
        PathRule, ...]:
    rules = []
    for i, r in schema.read_items(items, keys, file, name, findings, "expected a mapping with models/paths"):
        if "level" in r and r["level"] is None:
            findings.append(Finding(file, key_line(items, i), f"level must be one of {', '.join(schema.SEVERITIES)}",
                                    path=f"{name}[{i}].level"))
            continue
        rules.append(PathRule(models=r["models"], paths=r["paths"], level=r.get("level")))
    return tuple(rules)


def _schedule(node: Any, file: str, findings: list[Finding]) -> Schedule:
    s = schema.read(node, schema.SCHEDULE, file, "schedule.", findings)
    if s["cron"] and s["interval"] is not None:
        findings.append(Finding(file, key_line(node, "cron"), "set either interval or cron, not both",
                                path="schedule"))
    interval = s["interval"] if s["interval"] is not None else (None if s["cron"] else 900.0)
    return Schedule(interval=interval, cron=s["cron"], jitter=s["jitter"])


def _channels(items: Any, file: str, findings: list[Finding], secrets: set[str]) -> tuple[Channel, ...]:
    channels: list[Channel] = []
    for i, c in schema.read_items(items, schema.NOTIFY, file, "notify", findings,
                                  "expected a mapping with type and url"):
        if c["type"] is None or c["url"] is None:
            missing = "type must be webhook or slack" if c["type"] is None else "url must be an http(s) URL"
            if not any(f.path in (f"notify[{i}].type", f"notify[{i}].url") for f in findings):
                findings.append(Finding(file, key_line(items, i), missing, path=f"notify[{i}]"))
            continue
        # URLs are credentials (a Slack URL's path is its secret; a webhook may carry user:password@).
        secrets.update(s for s in (c["url"], c["secret"], _userinfo_password(c["url"])) if s)
        # A default name derived from the URL survives reordering of notify: (the outbox is keyed by it).
        name = c["name"] or f"{c['type']}-{hashlib.sha256(c['url'].encode()).hexdigest()[:8]}"
        channels.append(Channel(type=ChannelType(c["type"]), url=c["url"], name=name, secret=c["secret"] or None,
                                remind_after=c["remind_after"], timeout=c["timeout"], max_attempts=c["max_attempts"]))
    return tuple(channels)


def _userinfo_password(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password
    except ValueError:
        return None
