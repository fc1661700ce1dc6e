"""The daemon as a real subprocess: scheduled passes, signed de-duplicated notifications, health, reload, stop."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import World
from tests.helpers import REPO, clean_env, free_port, write_config, write_models
from tests.receiver import Receiver, wait_for

SECRET = "canary-hook-secret-3141"
MODELS = [{"ModelName": f"svc-{i}", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
           "PrimaryContainer": {"Image": f"img-{i}:1.0", "Environment": {"N": str(i)}}} for i in range(3)]




class DaemonProcess:
    def __init__(self, config: Path, tmp_path: Path) -> None:
        self.port = free_port()
        self.stderr_path = tmp_path / "daemon.log"
        self.stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "drift", "daemon", "--config", str(config), "--listen",
             f"127.0.0.1:{self.port}", "--log-format", "json"],
            stdout=subprocess.DEVNULL, stderr=self.stderr, stdin=subprocess.DEVNULL, cwd=REPO,
            env=clean_env(SOME_VAR=SECRET),
        )

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), bytes(exc.read())
        except OSError:
            return 0, b""

    def events(self) -> list[dict[str, Any]]:
        lines = self.stderr_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def passes(self) -> int:
        return sum(1 for e in self.events() if e.get("event") == "drift.run.finished")

    def wait_passes(self, more: int, timeout: float = 30) -> None:
        target = self.passes() + more
        wait_for(lambda: self.passes() >= target, timeout)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.stderr.close()
        return code


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def daemon_config(tmp_path: Path, world: World, receiver: Receiver, **extra: Any) -> Path:
    write_models(tmp_path / "models.yaml", MODELS)
    return write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), schedule={"interval": "1s"},
                        notify=[{"type": "webhook", "url": receiver.url, "secret": "${SOME_VAR}",
                                 "max_attempts": 2, "timeout": "3s"}], **extra)


def signed(request: Any) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    return bool(request.headers.get("X-Drift-Signature") == expected)


def statuses(request: Any) -> dict[str, str]:
    return {m["name"]: m["status"] for m in request.json["models"]}


def test_daemon_scenario(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """The issue-4 scenario end to end: quiet in sync, one signed alert per change, retries, resolve, reload, stop."""
    for spec in MODELS:
        world.create(spec)
    config = daemon_config(tmp_path, world, receiver)
    daemon = DaemonProcess(config, tmp_path)
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 30)
        daemon.wait_passes(3)
        assert [] == receiver.all(), "nothing is sent while everything is in sync"

        changed = {**MODELS[0], "PrimaryContainer": {**MODELS[0]["PrimaryContainer"], "Image": "img-0:2.0"}}
        world.recreate(changed)
        first = wait_for(lambda: receiver.delivered(), 30)[0]
        assert {"svc-0": "MODIFIED"} == statuses(first)
        assert signed(first)
        assert first.headers["User-Agent"].startswith("sagemaker-drift/")
        assert "application/json" == first.headers["Content-Type"]
        daemon.wait_passes(4)
        assert 1 == len(receiver.all()), "no repeat while the drift is unchanged"

        receiver.status = 500
        world.delete(MODELS[1]["ModelName"])
        wait_for(lambda: len(receiver.all()) >= 3, 30)
        receiver.status = 200
        wait_for(lambda: len(receiver.delivered()) >= 2, 30)
        daemon.wait_passes(3)
        missing = [r for r in receiver.all() if r is not first]
        delivered = [r for r in missing if r.status == 200]
        assert 1 == len(delivered)
        assert {"svc-1": "MISSING"} == statuses(delivered[0])
        assert {delivered[0].headers["X-Drift-Delivery"]} == {r.headers["X-Drift-Delivery"] for r in missing}
        assert all(signed(r) for r in missing)

        world.recreate(MODELS[0])
        wait_for(lambda: len(receiver.delivered()) >= 3, 30)
        daemon.wait_passes(3)
        assert 3 == len(receiver.delivered())
        assert {"svc-0": "IN_SYNC"} == statuses(receiver.delivered()[2])
        assert 1 == receiver.delivered()[2].json["summary"]["in_sync"]

        for request in receiver.all():
            assert SECRET.encode() not in request.body
        status, metrics = daemon.get("/metrics")
        assert 200 == status
        for name in (b"drift_models{", b"drift_drifted_models{", b"drift_pass_duration_seconds_bucket",
                     b"drift_aws_errors_total", b"drift_notification_failures_total", b"drift_outbox_pending",
                     b"drift_last_success_timestamp_seconds"):
            assert name in metrics, name

        config.write_text("aws: [this is: not valid\n")
        os.kill(daemon.proc.pid, signal.SIGHUP)
        wait_for(lambda: any(e["event"] == "drift.config.invalid" for e in daemon.events()), 15)
        daemon.wait_passes(2)
        assert 200 == daemon.get("/healthz")[0]
        assert daemon.proc.poll() is None
    finally:
        started = time.monotonic()
        code = daemon.stop()
    assert 0 == code
    assert time.monotonic() - started < 15
    log = daemon.stderr_path.read_text()
    assert SECRET not in log
    assert "Traceback" not in log


def test_health_reports_the_last_pass(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """/healthz carries the last pass's time and summary; unknown paths are 404."""
    for spec in MODELS:
        world.create(spec)
    daemon = DaemonProcess(daemon_config(tmp_path, world, receiver), tmp_path)
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 30)
        body = json.loads(daemon.get("/healthz")[1])
        assert ("ok", 3) == (body["status"], body["last_pass"]["summary"]["in_sync"])
        assert 404 == daemon.get("/nope")[0]
    finally:
        assert 0 == daemon.stop()


def test_redelivery_after_kill_keeps_the_delivery_id(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """kill -9 after a notification was recorded but before it was delivered: a restart delivers it, same id."""
    for spec in MODELS:
        world.create(spec)
    receiver.status = 503
    config = daemon_config(tmp_path, world, receiver)
    daemon = DaemonProcess(config, tmp_path)
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 30)
        world.delete(MODELS[2]["ModelName"])
        wait_for(lambda: receiver.all(), 30)
    finally:
        daemon.proc.kill()
        daemon.proc.wait()
        daemon.stderr.close()
    failed_ids = {r.headers["X-Drift-Delivery"] for r in receiver.all()}
    receiver.status = 200
    again = DaemonProcess(config, tmp_path)
    try:
        wait_for(lambda: receiver.delivered(), 30)
        again.wait_passes(2)
    finally:
        assert 0 == again.stop()
    [delivered] = receiver.delivered()
    assert failed_ids == {delivered.headers["X-Drift-Delivery"]}
    assert {"svc-2": "MISSING"} == statuses(delivered)


def test_sigterm_during_a_slow_pass_exits_0(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """SIGTERM while a pass waits on a slow endpoint: exit 0 within 15 s."""
    from tests.proxy import Fault, FaultProxy

    for spec in MODELS:
        world.create(spec)
    with FaultProxy(world.url) as proxy:
        write_models(tmp_path / "models.yaml", MODELS)
        config = write_config(tmp_path, proxy.url, str(tmp_path / "models.yaml"), schedule={"interval": "1s"},
                              aws={"read_timeout": "60s"})
        daemon = DaemonProcess(config, tmp_path)
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 30)
        proxy.add(Fault("slow", operation="ListModels", delay=40))
        wait_for(lambda: proxy.injected, 15)
        started = time.monotonic()
        code = daemon.stop()
        assert (0, True) == (code, time.monotonic() - started < 15)


def test_bad_config_at_start_exits_1(tmp_path: Path) -> None:
    """A daemon cannot start on an invalid config: exit 1 with the located error, no traceback."""
    (tmp_path / "drift.yaml").write_text("aws: {regoin: us-east-1}\ndesired: [x.yaml]\n")
    result = subprocess.run([sys.executable, "-m", "drift", "daemon", "--config", str(tmp_path / "drift.yaml")],
                            capture_output=True, text=True, env=clean_env(), timeout=30, check=False,
                            stdin=subprocess.DEVNULL)
    assert 1 == result.returncode
    assert f"{tmp_path}/drift.yaml:1: aws.regoin: unknown key (did you mean region?)" in result.stderr


def test_check_notify_sends_once_then_resolves(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """`drift check --notify` behaves like one daemon pass: alert once, stay quiet, then "back in sync"."""
    from tests.helpers import run_drift

    for spec in MODELS:
        world.create(spec)
    world.recreate({**MODELS[0], "PrimaryContainer": {"Image": "other:9"}})
    config = daemon_config(tmp_path, world, receiver)
    env = clean_env(SOME_VAR=SECRET)
    assert 2 == run_drift("check", "--config", str(config), "--notify", env=env).returncode
    assert 2 == run_drift("check", "--config", str(config), "--notify", env=env).returncode
    world.recreate(MODELS[0])
    assert 0 == run_drift("check", "--config", str(config), "--notify", env=env).returncode
    assert [{"svc-0": "MODIFIED"}, {"svc-0": "IN_SYNC"}] == [statuses(r) for r in receiver.delivered()]
    assert all(signed(r) for r in receiver.delivered())


def test_check_notify_needs_state(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """--notify without state.path is a clear error: the outbox lives in the state database."""
    import yaml

    from tests.helpers import run_drift

    config = daemon_config(tmp_path, world, receiver)
    doc = yaml.safe_load(config.read_text())
    del doc["state"]
    config.write_text(yaml.safe_dump(doc))
    result = run_drift("check", "--config", str(config), "--notify", env=clean_env(SOME_VAR=SECRET))
    assert 1 == result.returncode
    assert f"{config}: --notify needs state.path" in result.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "models.yaml").write_text("models: []\n")
    without_config = run_drift("check", "--desired", "models.yaml", "--notify", "--endpoint-url", world.url,
                               "--region", "us-east-1", cwd=elsewhere, env=clean_env())
    assert 1 == without_config.returncode
    assert "no config file at config/drift.yaml: --notify needs state.path" in without_config.stderr


def test_slack_channel_posts_block_kit(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """A slack channel receives a Block Kit message naming the drifted model; the URL never shows in logs."""
    from tests.helpers import run_drift

    for spec in MODELS:
        world.create(spec)
    world.delete(MODELS[1]["ModelName"])
    write_models(tmp_path / "models.yaml", MODELS)
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"),
                          notify=[{"type": "slack", "url": receiver.url + "/T000/B000/canaryslacktoken"}])
    result = run_drift("check", "--config", str(config), "--notify", "--log-level", "debug")
    [request] = receiver.delivered()
    payload = request.json
    assert ["header", "section", "context"] == [b["type"] for b in payload["blocks"]]
    assert "*svc-1*" in payload["blocks"][1]["text"]["text"]
    assert "MISSING" in payload["blocks"][1]["text"]["text"]
    assert "canaryslacktoken" not in result.stderr + result.stdout
    assert "X-Drift-Signature" not in request.headers


def test_locked_state_loses_no_alert(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """The state database locked by someone else for a while: passes fail cleanly, the daemon keeps running,
    and the drift that happened meanwhile is delivered once the lock is gone."""
    import sqlite3

    for spec in MODELS:
        world.create(spec)
    config = daemon_config(tmp_path, world, receiver, aws={"max_attempts": 2})
    daemon = DaemonProcess(config, tmp_path)
    try:
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 30)
        holder = sqlite3.connect(tmp_path / "state.db", isolation_level=None, timeout=30)
        holder.execute("BEGIN EXCLUSIVE")
        world.delete(MODELS[0]["ModelName"])
        wait_for(lambda: any("state database" in str(e.get("error", "")) for e in daemon.events()), 60)
        assert [] == receiver.all()
        holder.execute("ROLLBACK")
        holder.close()
        wait_for(lambda: receiver.delivered(), 60)
        daemon.wait_passes(2)
        assert [{"svc-0": "MISSING"}] == [statuses(r) for r in receiver.delivered()]
        assert daemon.proc.poll() is None
    finally:
        assert 0 == daemon.stop()
    assert "Traceback" not in daemon.stderr_path.read_text()
