"""drift.yaml: ${VAR}, unknown keys with suggestions, overrides, durations; full error texts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drift import redact
from drift.config import Overrides, load_config, parse_duration
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
            "drift.yaml:2: aws.region: no region: set aws.region in the config, pass --region, or set AWS_REGION",
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
    assert "canary-webhook-secret-42" in config.secrets
    redact.use_literals(config.secrets)
    try:
        assert "key=***" == redact.scrub("key=canary-webhook-secret-42")
    finally:
        redact.use_literals(())


def test_secrets_are_registered_only_by_a_successful_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config that fails to load leaves no secret behind, and its messages never repeat one."""
    monkeypatch.setenv("HOOK_SECRET_VALUE", "s3cr3t-token-value")
    path = tmp_path / "drift.yaml"
    path.write_text("aws: {region: us-east-1}\ndesired: [m.yaml]\nschedule:\n  interval: ${HOOK_SECRET_VALUE}\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert ["drift.yaml:4: schedule.interval: '***' is not a duration (use a number with s, m, h or d: 30s, 15m, "
            "24h)"] == [str(f).replace(str(tmp_path) + "/", "") for f in info.value.findings]
    assert "s3cr3t-token-value" == redact.scrub("s3cr3t-token-value")


def test_cli_overrides_and_endpoint_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--region/--endpoint-url override the file; AWS_ENDPOINT_URL is honoured."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    path = tmp_path / "drift.yaml"
    path.write_text("aws: {region: us-east-1}\ndesired: [m.yaml]\n")
    assert "http://127.0.0.1:1" == load_config(str(path)).aws.targets[0].endpoint_url
    config = load_config(str(path), overrides=Overrides(region="eu-west-1", endpoint_url="http://127.0.0.1:2"))
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
     "drift.yaml:3: severity[0].level: must be one of critical, warning, info"),
    ("aws: {retry_mode: fast}\n", "drift.yaml:1: aws.retry_mode: must be one of standard, adaptive"),
    ("[1, 2]\n", "drift.yaml:1: expected a mapping at the top level, got list"),
    ("aws: {max_attempts: many}\n", "drift.yaml:1: aws.max_attempts: expected an integer, got string"),
    ("schedule: {interval: " + str(10**400) + "}\n", "drift.yaml:1: schedule.interval: is longer than a year"),
    ("schedule: {interval: 15m, jitter: -1}\n", "drift.yaml:1: schedule.jitter: must not be negative"),
    ("schedule: {interval: 15m, jitter: -1s}\n",
     "drift.yaml:1: schedule.jitter: '-1s' is not a duration (use a number with s, m, h or d: 30s, 15m, 24h)"),
    ("aws: {max_calls_per_second: " + str(10**400) + "}\n",
     "drift.yaml:1: aws.max_calls_per_second: must be between 0 and 100000"),
    ("aws: {region: us east 1}\n", "drift.yaml:1: aws.region: 'us east 1' is not an AWS region (such as us-east-1)"),
    ("aws: {endpoint_url: '127.0.0.1:5000'}\n",
     "drift.yaml:1: aws.endpoint_url: '127.0.0.1:5000' is not an endpoint URL of the form http(s)://host[:port]"),
    ("aws: {profile: no-such-profile}\n",
     "drift.yaml:1: aws.profile: profile 'no-such-profile' not found in the AWS config files (~/.aws/config, "
     "~/.aws/credentials, $AWS_CONFIG_FILE)"),
    ("scope: {endpoints: some}\n", "drift.yaml:1: scope.endpoints: must be one of all, declared, none"),
    ("integrity: {denied: ignore}\n", "drift.yaml:1: integrity.denied: must be one of warn, error"),
    ("aws: {targets: [{name: a, regions: [us-east-1]}], organization: {role_name: r}}\n",
     "drift.yaml:1: aws.organization: set either targets or organization, not both"),
    ("aws: {organization: {regions: [us-east-1]}}\n",
     "drift.yaml:1: aws.organization.role_name: needs role_name (the role assumed in every account)"),
])
def test_config_messages(tmp_path: Path, text: str, expected: str) -> None:
    """Each config mistake has a precise message."""
    assert expected in config_errors(tmp_path, text)


def test_command_line_values_are_checked_by_option(tmp_path: Path) -> None:
    """--region, --endpoint-url and --profile get the file's checks, named by their option."""
    path = tmp_path / "drift.yaml"
    path.write_text("aws: {region: us-east-1}\ndesired: [m.yaml]\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path), overrides=Overrides(region="us east 1", endpoint_url="localhost:5000",
                                                   profile="ghost"))
    assert ["command line: --region: 'us east 1' is not an AWS region (such as us-east-1)",
            "command line: --endpoint-url: 'localhost:5000' is not an endpoint URL of the form http(s)://host[:port]",
            "command line: --profile: profile 'ghost' not found in the AWS config files (~/.aws/config, "
            "~/.aws/credentials, $AWS_CONFIG_FILE)"] == [str(f) for f in info.value.findings]


def test_paths_in_the_file_are_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """desired, state.path and lock written in the config are relative to its directory, whatever the working
    directory; a --desired on the command line is relative to the working directory."""
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "drift.yaml"
    path.write_text("aws: {region: us-east-1}\ndesired: [models/*.yaml]\nstate: {path: .drift/state.db}\n"
                    "lock: drift.lock.yaml\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(str(path))
    assert ((f"{tmp_path}/conf/models/*.yaml",), f"{tmp_path}/conf/.drift/state.db",
            f"{tmp_path}/conf/drift.lock.yaml") == (config.desired, config.state_path, config.lock_path)
    assert ("here/*.yaml",) == load_config(str(path), overrides=Overrides(desired=("here/*.yaml",))).desired
    assert os.getcwd() == str(tmp_path)


def test_missing_config_file(tmp_path: Path) -> None:
    """A missing config says how to provide one."""
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path / "nope.yaml"))
    assert [f"{tmp_path}/nope.yaml: config file not found (use --config PATH or set DRIFT_CONFIG)"] == [
        str(f) for f in info.value.findings]
