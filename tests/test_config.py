"""drift.yaml: ${VAR}, unknown keys with suggestions, overrides, durations; full error texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift import redact
from drift.config import load_config, parse_duration
from drift.errors import ConfigError


def config_errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "drift.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    return [str(f).replace(str(tmp_path) + "/", "") for f in info.value.findings]


def test_unset_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset ${VAR} is an error naming it, with its line."""
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    text = "aws: {region: us-east-1}\ndesired: [m.yaml]\nnotify:\n  - type: slack\n    url: ${SLACK_WEBHOOK_URL}\n"
    assert ["drift.yaml:5: notify[0].url: environment variable SLACK_WEBHOOK_URL is not set "
            "(used as ${SLACK_WEBHOOK_URL})",
            "drift.yaml:5: notify[0].url: url must be an http(s) URL"] == config_errors(tmp_path, text)


def test_unknown_keys_suggest(tmp_path: Path) -> None:
    """Unknown keys are errors with a did-you-mean, at every level."""
    text = "aws:\n  regoin: us-east-1\ndesried: [m.yaml]\nscope:\n  unmanged: true\n"
    assert ["drift.yaml:3: desried: unknown key (did you mean desired?)",
            "drift.yaml:2: aws.regoin: unknown key (did you mean region?)",
            "drift.yaml:5: scope.unmanged: unknown key (did you mean unmanaged?)"] == config_errors(tmp_path, text)


def test_substitution_and_secret_registration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """${VAR} is replaced; values of secret-looking variables are scrubbed from any output."""
    monkeypatch.setenv("DRIFT_WEBHOOK_SECRET", "canary-webhook-secret-42")
    monkeypatch.setenv("HOOK_HOST", "127.0.0.1:9")
    path = tmp_path / "drift.yaml"
    path.write_text("aws: {region: eu-west-1}\ndesired: [m.yaml]\nnotify:\n  - type: webhook\n"
                    "    url: http://${HOOK_HOST}/hook\n    secret: ${DRIFT_WEBHOOK_SECRET}\n")
    config = load_config(str(path))
    assert "http://127.0.0.1:9/hook" == config.notify[0].url
    assert "canary-webhook-secret-42" == config.notify[0].secret
    assert "key=***" == redact.scrub("key=canary-webhook-secret-42")


def test_cli_overrides_and_endpoint_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--region/--endpoint-url override the file; AWS_ENDPOINT_URL is honoured."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    path = tmp_path / "drift.yaml"
    path.write_text("aws: {region: us-east-1}\ndesired: [m.yaml]\n")
    assert "http://127.0.0.1:1" == load_config(str(path)).aws.targets[0].endpoint_url
    config = load_config(str(path), region="eu-west-1", endpoint_url="http://127.0.0.1:2")
    assert ("eu-west-1",) == config.aws.targets[0].regions
    assert "http://127.0.0.1:2" == config.aws.targets[0].endpoint_url


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("24h", 86400), ("1d", 86400),
                                               (5, 5), ("1.5s", 1.5), ("250ms", 0.25)])
def test_durations(text: object, seconds: float) -> None:
    """Durations take s, m, h, d (and plain numbers as seconds)."""
    assert seconds == parse_duration(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("schedule: {interval: soon}\n",
     "drift.yaml:1: schedule.interval: 'soon' is not a duration (use a number with s, m, h or d: 30s, 15m, 24h)"),
    ("severity:\n  - paths: [x]\n    level: fatal\n",
     "drift.yaml:3: severity[0].level: level must be one of critical, warning, info"),
    ("aws: {retry_mode: fast}\n", "drift.yaml:1: aws.retry_mode: must be one of standard, adaptive"),
    ("[1, 2]\n", "drift.yaml:1: expected a mapping at the top level, got list"),
    ("aws: {max_attempts: many}\n", "drift.yaml:1: aws.max_attempts: expected an integer, got string"),
    ("schedule: {interval: " + str(10**400) + "}\n", "drift.yaml:1: schedule.interval: is longer than a year"),
    ("schedule: {interval: 15m, jitter: -1}\n", "drift.yaml:1: schedule.jitter: must not be negative"),
    ("schedule: {interval: 15m, jitter: -1s}\n",
     "drift.yaml:1: schedule.jitter: '-1s' is not a duration (use a number with s, m, h or d: 30s, 15m, 24h)"),
    ("aws: {max_calls_per_second: " + str(10**400) + "}\n",
     "drift.yaml:1: aws.max_calls_per_second: must be between 0 and 100000"),
])
def test_config_messages(tmp_path: Path, text: str, expected: str) -> None:
    """Each config mistake has a precise message."""
    assert expected in config_errors(tmp_path, text)


def test_missing_config_file(tmp_path: Path) -> None:
    """A missing config says how to provide one."""
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path / "nope.yaml"))
    assert [f"{tmp_path}/nope.yaml: config file not found (use --config PATH or set DRIFT_CONFIG)"] == [
        str(f) for f in info.value.findings]
