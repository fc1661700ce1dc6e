"""Issue 10, the contract, as its acceptance checks run it: through the real CLI and daemon, as subprocesses.

Usage errors, secrets while deliveries fail, Slack escaping, why a resource is in
a notification, /healthz during an outage, validation of what can be checked
without AWS, config-relative paths, a ConfigMap volume, pasted describe-model
output, CloudFormation intrinsics, `import` on day one and `drift demo`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import World
from tests.helpers import by_name, clean_env, free_port, report_of, run_drift, write_config, write_models
from tests.hostile_receiver import HostileReceiver
from tests.hostile_support import Daemon, Relay, json_lines, leaked
from tests.receiver import Receiver, wait_for

ROLE = "arn:aws:iam::123456789012:role/r"
MODELS = [{"ModelName": f"svc-{i}", "ExecutionRoleArn": ROLE,
           "PrimaryContainer": {"Image": f"img-{i}:1.0", "Environment": {"N": str(i)}}} for i in range(3)]


def changed(spec: dict[str, Any], **container: Any) -> dict[str, Any]:
    """The same model with some container fields replaced."""
    return {**spec, "PrimaryContainer": {**spec["PrimaryContainer"], **container}}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def hostile() -> Iterator[list[HostileReceiver]]:
    started: list[HostileReceiver] = []
    yield started
    for r in started:
        r.stop()


def hostile_receiver(started: list[HostileReceiver], mode: str, drip: float = 1.0) -> HostileReceiver:
    r = HostileReceiver(mode=mode, drip=drip).start()
    started.append(r)
    return r


# -- usage errors ---------------------------------------------------------------------------------------------
USAGE_ERRORS = {
    "misspelt option": (("check", "--formta", "json"), "usage: drift check [-h]", "--formta"),
    "misspelt command": (("chek",), "usage: drift [-h]", "'chek'"),
    "no command": ((), "usage: drift [-h]", "COMMAND"),
    "misspelt top-level option": (("--versoin",), "usage: drift [-h]", "--versoin (did you mean --version?)"),
    "concurrency 0": (("check", "--concurrency", "0"), "usage: drift check [-h]", "--concurrency"),
    "shard index past its count": (("check", "--shard", "3/2"), "usage: drift check [-h]", "--shard"),
}
@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_errors_exit_1_with_their_own_usage(tmp_path: Path, case: str) -> None:
    """A usage error exits 1 (never 2, which reads as "drift found"), printing the usage of the command that was
    mistyped and naming what was wrong; nothing on stdout, no traceback."""
    args, usage, named = USAGE_ERRORS[case]
    result = run_drift(*args, cwd=tmp_path, timeout=30)
    assert 1 == result.returncode, result.stderr
    assert "" == result.stdout
    assert result.stderr.startswith(usage), result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("log_format", [("--log-format", "json"), ("--log-format=json",)])
def test_usage_errors_are_json_with_json_logs_asked(tmp_path: Path, log_format: tuple[str, ...]) -> None:
    """With an explicit `--log-format json` every stderr line is one JSON object, a usage error's too: an event
    naming the command, the error and the command's usage; still exit 1."""
    result = run_drift("check", *log_format, "--formta", "json", cwd=tmp_path, timeout=30)
    assert 1 == result.returncode, result.stderr
    lines = result.stderr.splitlines()
    assert 1 == len(lines), result.stderr
    event = json.loads(lines[0])
    assert ("drift.usage.invalid", "error", "drift check") == (event["event"], event["level"], event["command"])
    assert "--formta" in event["error"]
    assert event["usage"].startswith("usage: drift check [-h]")


# -- secrets while deliveries fail ----------------------------------------------------------------------------
def canary(tag: str) -> str:
    return f"canary{tag}{os.getpid()}x{time.monotonic_ns() % 10**6}"


def failing_channels(hostile: list[HostileReceiver]) -> tuple[list[dict[str, Any]], dict[str, str], list[str]]:
    """Channels that fail (receiver down, 500s, a slow-loris) and one answering a malformed header line (where
    urllib3 used to log the URL), with canaries in URL paths, user:password and signing secrets; (channels,
    environment, canaries)."""
    c = {tag: canary(tag) for tag in ("user", "pass", "path", "slack", "secret", "user2", "pass2", "slow", "bad",
                                      "secret2")}
    server_error = hostile_receiver(hostile, "status/500")
    slow = hostile_receiver(hostile, "slow-loris", drip=0.5)
    bad = hostile_receiver(hostile, "bad-headers")
    limits = {"max_attempts": 2, "timeout": "2s"}
    channels = [
        {"name": "down", "type": "webhook", "secret": "${HOOK_SECRET}",
         "url": f"http://{c['user']}:{c['pass']}@127.0.0.1:{free_port()}/hook/{c['path']}", **limits},
        {"name": "five-hundred", "type": "slack", "url": f"{server_error.url()}services/T0/B0/{c['slack']}", **limits},
        {"name": "slow", "type": "webhook", "secret": "${OTHER_SIGNING}",
         "url": f"http://{c['user2']}:{c['pass2']}@127.0.0.1:{slow.port}/hook/{c['slow']}", **limits},
        {"name": "malformed", "type": "slack", "url": f"{bad.url()}services/T1/B1/{c['bad']}", **limits},
    ]
    return channels, {"HOOK_SECRET": c["secret"], "OTHER_SIGNING": c["secret2"]}, list(c.values())


def secret_world(world: World, tmp_path: Path) -> tuple[Path, dict[str, str], list[str]]:
    """Three models, one drifted in a secret Environment value read with !env: (models file, env, canaries)."""
    declared_token, live_token = canary("declaredtoken"), canary("livetoken")
    for spec in MODELS:
        world.create(spec)
    world.recreate(changed(MODELS[0], Image="img-0:2.0", Environment={"N": "0", "API_TOKEN": live_token}))
    models = tmp_path / "models.yaml"
    models.write_text("models:\n" + "".join(f"  - {json.dumps(spec)}\n" for spec in MODELS[1:]) + (
        "  - ModelName: svc-0\n"
        f"    ExecutionRoleArn: {ROLE}\n"
        "    PrimaryContainer:\n"
        "      Image: img-0:1.0\n"
        "      Environment: {N: '0', API_TOKEN: !env MODEL_API_TOKEN}\n"))
    return models, {"MODEL_API_TOKEN": declared_token}, [declared_token, live_token]


def test_daemon_leaks_no_url_or_secret_while_deliveries_fail(world: World, tmp_path: Path,
                                                              hostile: list[HostileReceiver]) -> None:
    """A daemon whose channels fail (receiver down, 500s, a slow-loris) or answer with a malformed header line keeps
    their URLs, user:password, signing secrets and secret Environment values out of its logs, even at debug level;
    every stderr line is one JSON object and none is a traceback."""
    models, model_env, model_canaries = secret_world(world, tmp_path)
    channels, channel_env, channel_canaries = failing_channels(hostile)
    config = write_config(tmp_path, world.url, str(models), schedule={"interval": "1s"}, notify=channels)
    daemon = Daemon(config, tmp_path, env=clean_env(**model_env, **channel_env), log_level="debug")

    def failed() -> set[str]:
        return {str(e.get("channel")) for e in daemon.events("drift.notify.failed")}

    with daemon:
        wait_for(lambda: {"down", "five-hundred", "slow"} <= failed(), 60)
        wait_for(lambda: all(len(r.requests) >= 2 for r in hostile[:2]), 60)
        daemon.wait_passes(2)
        assert 0 == daemon.stop()
    log = daemon.log()
    assert [] == leaked(channel_canaries + model_canaries, log)
    events = json_lines(log)
    assert "Traceback" not in log
    assert {"drift.run.finished", "drift.notify.failed"} <= {e["event"] for e in events}


def check_notify_failing(world: World, tmp_path: Path, hostile: list[HostileReceiver],
                         log_format: tuple[str, ...] = ("--log-format", "json")) -> tuple[Any, list[str]]:
    """`check --notify --format json --log-format json --log-level debug` with failing channels."""
    models, model_env, model_canaries = secret_world(world, tmp_path)
    channels, channel_env, channel_canaries = failing_channels(hostile)
    config = write_config(tmp_path, world.url, str(models), notify=channels)
    result = run_drift("check", "--config", str(config), "--notify", "--format", "json", *log_format,
                       "--log-level", "debug", env=clean_env(**model_env, **channel_env), cwd=tmp_path, timeout=120)
    return result, channel_canaries + model_canaries


def test_check_notify_leaks_nothing_and_exits_1_while_deliveries_fail(world: World, tmp_path: Path,
                                                                       hostile: list[HostileReceiver]) -> None:
    """`check --notify` with failing channels: the report on stdout, exit 1 (messages undelivered), no canary
    anywhere on stdout or stderr, no traceback."""
    result, canaries = check_notify_failing(world, tmp_path, hostile)
    assert 1 == result.returncode, result.stderr
    assert "MODIFIED" == by_name(report_of(result))["svc-0"]["status"]
    assert [] == leaked(canaries, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


def test_check_notify_stderr_is_json_lines_while_deliveries_fail(world: World, tmp_path: Path,
                                                                  hostile: list[HostileReceiver]) -> None:
    """`check --notify --log-format json` with failing channels: every stderr line is one JSON object, the
    "could not be delivered" message included."""
    result, _ = check_notify_failing(world, tmp_path, hostile)
    assert 1 == result.returncode, result.stderr
    json_lines(result.stderr)


def test_check_notify_stderr_is_json_lines_by_default_off_a_terminal(world: World, tmp_path: Path,
                                                                     hostile: list[HostileReceiver]) -> None:
    """JSON logs are the default off a terminal (SPEC §6): with no --log-format, a CI job's stderr is still one
    JSON object a line while every delivery fails, and leaks nothing."""
    result, canaries = check_notify_failing(world, tmp_path, hostile, log_format=())
    assert 1 == result.returncode, result.stderr
    assert "drift.notify.undelivered" in {e["event"] for e in json_lines(result.stderr)}
    assert [] == leaked(canaries, result.stdout, result.stderr)


# -- Slack escaping -------------------------------------------------------------------------------------------
HOSTILE_VALUE = "<!channel> <https://evil.example|console.aws.amazon.com> & *pwned*"


def test_slack_body_escapes_live_values(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """A live value written to ping a channel and disguise a link reaches Slack escaped (&lt; &gt; &amp;): no
    `<!channel>`, no `<https://...|...>` link in any block."""
    world.create(changed(MODELS[0], Environment={"N": "0", "BANNER": HOSTILE_VALUE}))
    write_models(tmp_path / "models.yaml", [changed(MODELS[0], Environment={"N": "0", "BANNER": "hello"})])
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"),
                          notify=[{"type": "slack", "url": receiver.url + "/services/T0/B0/slacktoken"}])
    result = run_drift("check", "--config", str(config), "--notify", "--format", "json", cwd=tmp_path)
    assert 2 == result.returncode, result.stderr
    [request] = receiver.delivered()
    texts = [json.dumps(block) for block in request.json["blocks"]] + [request.json.get("text", "")]
    section = request.json["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &lt;https://evil.example|console.aws.amazon.com&gt; &amp; *pwned*" in section
    assert [] == [t for t in texts if "<!channel>" in t or "<https://evil" in t]


# -- why a resource is in a notification ----------------------------------------------------------------------
def changes_in(request: Any) -> dict[str, tuple[str, str]]:
    return {m["name"]: (m["status"], m.get("change")) for m in request.json["models"]}


def test_notifications_say_why_and_a_deleted_unmanaged_model_keeps_its_status(world: World, tmp_path: Path,
                                                                               receiver: Receiver) -> None:
    """Each entry of a webhook body says why it is there: drift that appeared, changed or resolved; an unmanaged
    model that was deleted resolves with its last status, UNMANAGED, never a made-up IN_SYNC."""
    for spec in MODELS:
        world.create(spec)
    world.recreate(changed(MODELS[0], Image="img-0:2.0"))
    world.recreate(changed(MODELS[1], Image="img-1:2.0"))
    world.create({"ModelName": "stray", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "stray:1"}})
    write_models(tmp_path / "models.yaml", MODELS)
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"),
                          notify=[{"type": "webhook", "url": receiver.url}])
    notify = ("check", "--config", str(config), "--notify", "--format", "json")
    assert 2 == run_drift(*notify, cwd=tmp_path).returncode

    world.recreate(MODELS[0])
    world.recreate(changed(MODELS[1], Image="img-1:3.0"))
    world.delete("stray")
    assert 2 == run_drift(*notify, cwd=tmp_path).returncode

    first, second = receiver.delivered()
    assert {"svc-0": ("MODIFIED", "appeared"), "svc-1": ("MODIFIED", "appeared"),
            "stray": ("UNMANAGED", "appeared")} == changes_in(first)
    assert {"svc-0": ("IN_SYNC", "resolved"), "svc-1": ("MODIFIED", "changed"),
            "stray": ("UNMANAGED", "resolved")} == changes_in(second)
    assert {"in_sync": 1, "modified": 1, "unmanaged": 1} == {
        k: v for k, v in second.json["summary"].items() if k in ("in_sync", "modified", "unmanaged")}


# -- /healthz during an outage --------------------------------------------------------------------------------
def metric(daemon: Daemon, name: str) -> float | None:
    status, body = daemon.get("/metrics")
    assert 200 == status
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_healthz_is_503_with_the_reason_while_aws_is_unreachable(world: World, tmp_path: Path) -> None:
    """An AWS endpoint that refuses connections: /healthz is 503 with the pass's error from the first pass on (never
    200) and the last-success metric stays unset; once it answers, 200; when it goes away again, 503 with the
    reason within two periods, and never 200 again during the outage."""
    for spec in MODELS:
        world.create(spec)
    relay = Relay(world.url)
    write_models(tmp_path / "models.yaml", MODELS)
    config = write_config(tmp_path, relay.url, str(tmp_path / "models.yaml"), schedule={"interval": "1s"},
                          aws={"max_attempts": 2, "connect_timeout": "1s", "read_timeout": "2s"})
    daemon = Daemon(config, tmp_path)
    with daemon:
        wait_for(lambda: daemon.passes() >= 1, 30)
        answers = []
        while daemon.passes() < 3:
            answers.append(daemon.health())
            time.sleep(0.2)
        assert {503} == {status for status, _ in answers}
        reason = daemon.health()[1]["status"]
        assert reason not in ("ok", "starting", "stale"), reason
        assert metric(daemon, "drift_last_success_timestamp_seconds") in (None, 0.0)

        relay.up()
        wait_for(lambda: daemon.health()[0] == 200, 30)
        assert (metric(daemon, "drift_last_success_timestamp_seconds") or 0) > 0

        relay.down()
        wait_for(lambda: daemon.health()[0] == 503, 30)
        during = []
        for _ in range(10):
            during.append(daemon.health())
            time.sleep(0.3)
        assert {503} == {status for status, _ in during}
        assert all(body["status"] not in ("ok", "starting") for _, body in during), during[-1]
        assert 0 == daemon.stop()
    assert "Traceback" not in daemon.log()


# -- validate: what can be checked without AWS ----------------------------------------------------------------
AWS_CONFIG = "[profile real]\nregion = us-east-1\n"
BY_KEY = {
    "missing profile": ("profile: nosuchprofile", "drift.yaml:2: aws.profile: profile 'nosuchprofile' not found in the "
                        "AWS config files (~/.aws/config, ~/.aws/credentials, $AWS_CONFIG_FILE)"),
    "schemeless endpoint": ("endpoint_url: localhost:5000", "drift.yaml:2: aws.endpoint_url: 'localhost:5000' is not "
                            "an endpoint URL of the form http(s)://host[:port]"),
    "malformed region": ("region: us east 1", "drift.yaml:2: aws.region: 'us east 1' is not an AWS region (such as "
                         "us-east-1)"),
}


@pytest.mark.parametrize("case", BY_KEY)
@pytest.mark.parametrize("command", ["validate", "check"])
def test_settings_checkable_without_aws_are_rejected_by_key(tmp_path: Path, case: str, command: str) -> None:
    """`validate` (and `check`, before any AWS call) rejects a profile missing from the AWS config files, an endpoint
    URL without a scheme and a malformed region, each naming file, line and key; exit 1, no internal error."""
    setting, expected = BY_KEY[case]
    (tmp_path / "aws-config").write_text(AWS_CONFIG)
    write_models(tmp_path / "m.yaml", MODELS[:1])
    region = "" if setting.startswith("region:") else "  region: us-west-2\n"
    (tmp_path / "drift.yaml").write_text(f"aws:\n  {setting}\n{region}desired: [m.yaml]\n")
    result = run_drift(command, "--config", "drift.yaml", cwd=tmp_path, timeout=60,
                       env=clean_env(AWS_CONFIG_FILE=str(tmp_path / "aws-config")))
    assert 1 == result.returncode, result.stderr
    assert expected in result.stderr.splitlines(), result.stderr
    assert "internal error" not in result.stderr


def test_a_profile_that_exists_is_valid(tmp_path: Path) -> None:
    """The control case: a profile named in the AWS config file, an http endpoint and a real region validate."""
    (tmp_path / "aws-config").write_text(AWS_CONFIG)
    write_models(tmp_path / "m.yaml", MODELS[:1])
    (tmp_path / "drift.yaml").write_text("aws:\n  region: us-gov-west-1\n  profile: real\n  endpoint_url: "
                                         "http://127.0.0.1:5000\ndesired: [m.yaml]\n")
    result = run_drift("validate", "--config", "drift.yaml", cwd=tmp_path,
                       env=clean_env(AWS_CONFIG_FILE=str(tmp_path / "aws-config")))
    assert 0 == result.returncode, result.stderr


@pytest.mark.parametrize("command", [("check", "--format", "json"), ("lock",), ("validate",)])
def test_no_region_anywhere_is_an_error_not_an_empty_pass(tmp_path: Path, command: tuple[str, ...]) -> None:
    """Without a region (no aws.region, no --region, no AWS_REGION, no profile region) a pass would read nothing
    and exit 0 with `checked: 0`: a config file without one is invalid (named by key), and without a config file
    every command that calls AWS says so and exits 1; `validate --desired` of files alone needs no region."""
    write_models(tmp_path / "m.yaml", MODELS[:1])
    (tmp_path / "nowhere").mkdir()
    write_models(tmp_path / "nowhere" / "m.yaml", MODELS[:1])
    (tmp_path / "drift.yaml").write_text("desired: [m.yaml]\n")
    result = run_drift(*command, "--config", "drift.yaml", cwd=tmp_path)
    assert 1 == result.returncode, result.stdout
    assert "drift.yaml: aws.region: no region: set aws.region in the config, pass --region, or set AWS_REGION" \
        in result.stderr
    assert "" == result.stdout
    without_config = run_drift(*command, "--desired", "m.yaml", cwd=tmp_path / "nowhere")
    if command[0] == "validate":  # desired files alone, no AWS: a region is not needed to validate them
        assert 0 == without_config.returncode, without_config.stderr
    else:
        assert 1 == without_config.returncode, without_config.stdout
        assert "command line: --region: no region: set aws.region in the config, pass --region, or set " \
            "AWS_REGION" in without_config.stderr


def test_a_profile_region_is_a_region(tmp_path: Path) -> None:
    """The region the AWS config file gives the profile counts, as it does for the AWS CLI."""
    (tmp_path / "aws-config").write_text(AWS_CONFIG)
    write_models(tmp_path / "m.yaml", MODELS[:1])
    (tmp_path / "drift.yaml").write_text("desired: [m.yaml]\n")
    result = run_drift("validate", "--config", "drift.yaml", "--profile", "real", cwd=tmp_path,
                       env=clean_env(AWS_CONFIG_FILE=str(tmp_path / "aws-config")))
    assert 0 == result.returncode, result.stderr


# -- config-relative paths ------------------------------------------------------------------------------------
def test_config_paths_are_relative_to_the_config_file(world: World, tmp_path: Path) -> None:
    """Run from another directory that has a `models/` of its own: the config's `desired` and `state.path` resolve
    against the config file's directory; the working directory's files are neither read nor written."""
    for spec in MODELS:
        world.create(spec)
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "models").mkdir(parents=True)
    (elsewhere / "models").mkdir(parents=True)
    write_models(project / "models" / "svc.yaml", MODELS)
    write_models(elsewhere / "models" / "decoy.yaml", [{**MODELS[0], "ModelName": "decoy"}])
    (project / "drift.yaml").write_text(yaml.safe_dump({
        "aws": {"region": "us-east-1", "endpoint_url": world.url, "max_attempts": 3},
        "desired": ["models/*.yaml"], "state": {"path": "state/drift.db"}}))
    result = run_drift("check", "--config", str(project / "drift.yaml"), "--format", "json", cwd=elsewhere)
    assert 0 == result.returncode, result.stderr
    assert {"svc-0": "IN_SYNC", "svc-1": "IN_SYNC", "svc-2": "IN_SYNC"} == {
        m["name"]: m["status"] for m in report_of(result)["models"]}
    assert (project / "state" / "drift.db").is_file()
    assert ["models"] == sorted(p.name for p in elsewhere.iterdir())


# -- a Kubernetes ConfigMap volume ----------------------------------------------------------------------------
def configmap_volume(root: Path, files: dict[str, str]) -> Path:
    """The kubelet's layout: files in a timestamped directory, `..data` linking to it, each name a link through it."""
    root.mkdir()
    stamped = root / "..2026_11_24_10_00_00.123456789"
    stamped.mkdir()
    for name, text in files.items():
        (stamped / name).write_text(text)
        (root / name).symlink_to(Path("..data") / name)
    (root / "..data").symlink_to(stamped.name)
    return root


@pytest.mark.parametrize("desired", ["models/", "models/*.yaml", "models/**/*.yaml", "models"])
def test_configmap_volume_is_read_once(world: World, tmp_path: Path, desired: str) -> None:
    """A desired directory laid out as a ConfigMap volume (timestamped directory, `..data`, links) is read once:
    each model declared once, IN_SYNC, nothing "declared twice"."""
    for spec in MODELS:
        world.create(spec)
    configmap_volume(tmp_path / "models", {"svc.yaml": yaml.safe_dump({"models": MODELS[:2]}),
                                           "more.yaml": yaml.safe_dump({"models": MODELS[2:]})})
    (tmp_path / "drift.yaml").write_text(yaml.safe_dump({
        "aws": {"region": "us-east-1", "endpoint_url": world.url, "max_attempts": 3}, "desired": [desired]}))
    validated = run_drift("validate", "--config", "drift.yaml", cwd=tmp_path)
    assert 0 == validated.returncode, validated.stderr
    result = run_drift("check", "--config", "drift.yaml", "--format", "json", cwd=tmp_path)
    assert 0 == result.returncode, result.stderr
    assert ["svc-0", "svc-1", "svc-2"] == [m["name"] for m in report_of(result)["models"]]
    assert "twice" not in result.stderr


# -- pasted describe-model output -----------------------------------------------------------------------------
def test_pasted_describe_model_output_is_valid_and_in_sync(world: World, tmp_path: Path) -> None:
    """`aws sagemaker describe-model` output pasted as a desired entry (ModelArn, CreationTime,
    DeploymentRecommendation, ResponseMetadata included) validates with one warning and is IN_SYNC with the live
    model it came from."""
    spec = {**changed(MODELS[0], Environment={"N": "0", "MODE": "fast"}),
            "VpcConfig": {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}}
    world.create(spec)
    described = world.client.describe_model(ModelName="svc-0")
    described["CreationTime"] = described["CreationTime"].isoformat()
    described["ResponseMetadata"] = {"RequestId": "4c8f0d9e-0000-4000-8000-000000000000", "HTTPStatusCode": 200}
    described["DeploymentRecommendation"] = {"RecommendationStatus": "NOT_APPLICABLE"}
    (tmp_path / "pasted.yaml").write_text('{"models": [' + json.dumps(described, indent=2) + "]}\n")
    config = write_config(tmp_path, world.url, "pasted.yaml")
    validated = run_drift("validate", "--config", str(config), cwd=tmp_path)
    assert 0 == validated.returncode, validated.stderr
    warnings = [line for line in validated.stderr.splitlines() if "read-only" in line]
    assert 1 == len(warnings), validated.stderr
    assert "pasted.yaml" in warnings[0]
    result = run_drift("check", "--config", str(config), "--format", "json", cwd=tmp_path)
    assert 0 == result.returncode, result.stderr
    assert "IN_SYNC" == by_name(report_of(result))["svc-0"]["status"]


# -- CloudFormation intrinsics --------------------------------------------------------------------------------
INTRINSICS = {
    "!Ref": ("      Image: !Ref ImageUri\n", "!Ref"),
    "!Sub": ("      Image: !Sub '${AWS::AccountId}.dkr.ecr.us-east-1.amazonaws.com/x:1'\n", "!Sub"),
    "!GetAtt": ("      Image: img:1\n    ExecutionRoleArn: !GetAtt Role.Arn\n", "!GetAtt"),
    "Fn::Join": ("      Image: {'Fn::Join': ['', [a, b]]}\n", "Fn::Join"),
    "Ref": ("      Image: img:1\n    ExecutionRoleArn: {Ref: RoleArn}\n", "Ref"),
}


@pytest.mark.parametrize("case", INTRINSICS)
def test_cloudformation_intrinsics_are_rejected_with_a_hint(tmp_path: Path, case: str) -> None:
    """A CloudFormation intrinsic in desired state is an error at its file and line that says to resolve it to its
    value, not a parser message; exit 1."""
    body, name = INTRINSICS[case]
    (tmp_path / "m.yaml").write_text("models:\n  - ModelName: m\n    PrimaryContainer:\n" + body)
    result = run_drift("validate", "--desired", "m.yaml", cwd=tmp_path)
    assert 1 == result.returncode
    located = [line for line in result.stderr.splitlines() if line.startswith("m.yaml:")]
    assert 1 == len(located), result.stderr
    assert f"{name} is a CloudFormation intrinsic function: resolve it to its value" in located[0]


# -- import on day one ----------------------------------------------------------------------------------------
def test_import_without_a_config_file(world: World, tmp_path: Path) -> None:
    """In a new repository (no config/ at all), `import` works from flags alone and from the environment alone."""
    for spec in MODELS:
        world.create(spec)
    flags = run_drift("import", "--endpoint-url", world.url, "--region", "us-east-1", "--model", "svc-0",
                      "--out", "models", cwd=tmp_path)
    assert 0 == flags.returncode, flags.stderr
    assert ["svc-0"] == [m["ModelName"] for m in yaml.safe_load((tmp_path / "models" / "svc-0.yaml").read_text())[
        "models"]]
    env = run_drift("import", "--model", "svc-1", cwd=tmp_path,
                    env=clean_env(AWS_ENDPOINT_URL=world.url, AWS_DEFAULT_REGION="us-east-1"))
    assert 0 == env.returncode, env.stderr
    assert MODELS[1] == yaml.safe_load(env.stdout)["models"][0]
    assert not (tmp_path / "config").exists()


def test_import_never_clobbers_an_edited_file_and_names_what_is_declared(world: World, tmp_path: Path) -> None:
    """A second import into the same directory exits 1 naming the file and leaves the user's edit alone (--force
    overwrites); an import next to an existing desired state says which models are already declared and writes
    only the others."""
    for spec in MODELS:
        world.create(spec)
    where = ("--endpoint-url", world.url, "--region", "us-east-1")
    assert 0 == run_drift("import", *where, "--model", "svc-0", "--out", "models", cwd=tmp_path).returncode
    edited = (tmp_path / "models" / "svc-0.yaml").read_text() + "# reviewed by the team\n"
    (tmp_path / "models" / "svc-0.yaml").write_text(edited)

    again = run_drift("import", *where, "--model", "svc-0", "--out", "models", cwd=tmp_path)
    assert 1 == again.returncode
    assert "models/svc-0.yaml" in again.stderr
    assert edited == (tmp_path / "models" / "svc-0.yaml").read_text()

    forced = run_drift("import", *where, "--model", "svc-0", "--out", "models", "--force", cwd=tmp_path)
    assert 0 == forced.returncode, forced.stderr
    assert "# reviewed by the team" not in (tmp_path / "models" / "svc-0.yaml").read_text()

    rest = run_drift("import", *where, "--desired", "models", "--out", "more", cwd=tmp_path)
    assert 0 == rest.returncode, rest.stderr
    assert "svc-0: already declared at models/svc-0.yaml:" in rest.stderr
    assert ["svc-1.yaml", "svc-2.yaml"] == sorted(p.name for p in (tmp_path / "more").iterdir())


def test_import_sees_declarations_whose_placeholders_are_unset(world: World, tmp_path: Path) -> None:
    """An earlier import wrote `!env` placeholders for secret-looking values; a later import recognises those
    models as declared without the variables being set, and a desired state with a real error is an error
    (exit 1 naming it), never "nothing declared"."""
    world.create({**MODELS[0], "PrimaryContainer": {**MODELS[0]["PrimaryContainer"],
                                                    "Environment": {"HF_TOKEN": "hf_canary_value_1234567890"}}})
    world.create(MODELS[1])
    where = ("--endpoint-url", world.url, "--region", "us-east-1")
    first = run_drift("import", *where, "--model", MODELS[0]["ModelName"], "--out", "models", cwd=tmp_path)
    assert 0 == first.returncode, first.stderr
    assert "!env" in (tmp_path / "models" / f"{MODELS[0]['ModelName']}.yaml").read_text()

    again = run_drift("import", *where, "--desired", "models", "--out", "models", cwd=tmp_path)
    assert 0 == again.returncode, again.stderr
    assert f"{MODELS[0]['ModelName']}: already declared at models/{MODELS[0]['ModelName']}.yaml:" in again.stderr
    assert (tmp_path / "models" / f"{MODELS[1]['ModelName']}.yaml").is_file()

    (tmp_path / "models" / "broken.yaml").write_text("models:\n  - ModelName: broken\n    Imagee: x\n")
    broken = run_drift("import", *where, "--desired", "models", "--out", "more", cwd=tmp_path)
    assert 1 == broken.returncode
    assert "models/broken.yaml:3" in broken.stderr
    assert not (tmp_path / "more").exists()


# -- the demo -------------------------------------------------------------------------------------------------
def test_demo_keep_leaves_a_local_aws_to_try_every_command_on(tmp_path: Path) -> None:
    """`drift demo --keep` prints the report, then a config for the still-running local AWS and the commands to
    try; `drift check` with that config and the printed variables finds the demo's drift (exit 2); Ctrl-C stops
    it with exit 0 and removes its files."""
    demo = subprocess.Popen([sys.executable, "-m", "drift", "demo", "--keep"], cwd=tmp_path, env=clean_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any(" drift check --config " in line for line in lines) and time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
        exports = next(line for line in lines if line.strip().startswith("export "))
        variables = dict(item.split("=", 1) for item in exports.split()[1:])
        config = next(line for line in lines if " drift check --config " in line).split("--config ")[1].strip()
        assert Path(config).is_file()
        assert "127.0.0.1" in Path(config).read_text()

        result = run_drift("check", "--config", config, "--format", "json", cwd=tmp_path,
                           env=clean_env(**variables))
        assert 2 == result.returncode, result.stderr
        summary = report_of(result)["summary"]
        assert (1, 1) == (summary["missing"], summary["unmanaged"])
    finally:
        demo.send_signal(signal.SIGINT)
        demo.communicate(timeout=30)
    assert 0 == demo.returncode
    assert not Path(config).parent.exists()


def test_demo_exits_0_from_an_empty_directory(tmp_path: Path) -> None:
    """`drift demo` needs nothing from the working directory: exit 0 from an empty one, a report on stdout."""
    result = run_drift("demo", cwd=tmp_path, timeout=180)
    assert 0 == result.returncode, result.stderr
    assert "MODIFIED" in result.stdout
    assert [] == list(tmp_path.iterdir())

