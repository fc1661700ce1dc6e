"""Behaviour under AWS faults, through the real CLI: a fault-injecting proxy sits in front of moto."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import World
from tests.helpers import by_name, report_of, run_drift, write_config, write_models
from tests.proxy import Fault, FaultProxy

MODELS = [
    {"ModelName": f"model-{i}", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
     "PrimaryContainer": {"Image": f"img:{i}", "Environment": {"N": str(i)}}}
    for i in range(6)
]


@pytest.fixture
def proxy(world: World) -> Iterator[FaultProxy]:
    with FaultProxy(world.url, seed=7) as p:
        yield p


@pytest.fixture
def setup(world: World, tmp_path: Path, proxy: FaultProxy) -> Path:
    for spec in MODELS:
        world.create(spec)
    write_models(tmp_path / "m.yaml", MODELS)
    return write_config(tmp_path, proxy.url, str(tmp_path / "m.yaml"), aws={"max_attempts": 10})


def finished_event(stderr: str) -> dict[str, Any]:
    return next(json.loads(line) for line in stderr.splitlines() if '"drift.run.finished"' in line)


def test_throttling_is_absorbed(setup: Path, proxy: FaultProxy) -> None:
    """30% of SageMaker calls throttled: the pass completes, all IN_SYNC, exit 0, throttles counted in the log."""
    proxy.add(Fault("throttle", rate=0.3))
    result = run_drift("check", "--config", str(setup), "--format", "json", "--full")
    assert 0 == result.returncode, result.stderr
    assert {"IN_SYNC"} == {m["status"] for m in report_of(result)["models"]}
    assert finished_event(result.stderr)["throttled"] > 0


def test_server_errors_and_dropped_connections_are_retried(setup: Path, proxy: FaultProxy) -> None:
    """5xx answers and dropped connections are retried with backoff until they succeed."""
    proxy.add(Fault("server_error", rate=0.2))
    proxy.add(Fault("drop", rate=0.2))
    result = run_drift("check", "--config", str(setup), "--format", "json", "--full")
    assert (0, {"IN_SYNC"}) == (result.returncode, {m["status"] for m in report_of(result)["models"]}), result.stderr


def test_access_denied_on_one_model(setup: Path, proxy: FaultProxy) -> None:
    """AccessDenied on one DescribeModel: that model ERROR with the code, the rest IN_SYNC, exit 1."""
    proxy.add(Fault("access_denied", operation="DescribeModel", model="model-3"))
    proxy.add(Fault("access_denied", operation="Search"))  # so the full pass describes (bulk reads fall back)
    result = run_drift("check", "--config", str(setup), "--format", "json", "--full")
    models = by_name(report_of(result))
    assert "ERROR" == models["model-3"]["status"]
    assert models["model-3"]["error"].startswith("AccessDeniedException: User: ")
    assert {"IN_SYNC"} == {m["status"] for n, m in models.items() if n != "model-3"}
    assert 1 == result.returncode


def test_access_denied_on_listing(setup: Path, proxy: FaultProxy) -> None:
    """AccessDenied on ListModels: exit 1 and a report that says the listing failed, never in sync."""
    proxy.add(Fault("access_denied", operation="ListModels"))
    result = run_drift("check", "--config", str(setup), "--format", "json")
    report = report_of(result)
    assert 1 == result.returncode
    assert 0 == report["summary"]["in_sync"]
    assert report["errors"][0].startswith("target default (us-east-1): ListModels failed: AccessDeniedException")
    assert {"ERROR"} == {m["status"] for m in report["models"]}
    assert all(m["error"].startswith("listing failed: target default (us-east-1): ListModels failed: "
                                     "AccessDeniedException") for m in report["models"])
    text = run_drift("check", "--config", str(setup), "--format", "text")
    assert "in sync" not in text.stdout.split("Summary:")[0]
    assert "error: target default (us-east-1): ListModels failed: AccessDeniedException" in text.stdout


def test_hanging_endpoint_fails_within_bounds(world: World, tmp_path: Path) -> None:
    """An endpoint that accepts connections and never answers: exit 1 well within 90 s, one clear line."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        write_models(tmp_path / "m.yaml", MODELS[:1])
        config = write_config(tmp_path, f"http://127.0.0.1:{listener.getsockname()[1]}", str(tmp_path / "m.yaml"),
                              aws={"read_timeout": "2s", "connect_timeout": "2s"})
        started = time.monotonic()
        result = run_drift("check", "--config", str(config), "--format", "json")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert 1 == result.returncode
    assert elapsed < 90
    assert "Traceback" not in result.stderr
    assert "endpoint did not answer" in result.stderr


SECRETS = ("canary-desired-pw-8f3a", "canary-live-pw-77c1", "canary-api-key-5b9e", "canary-live-key-e2d4")


def test_secrets_never_leak(world: World, tmp_path: Path) -> None:
    """Secret canaries in desired and live Environment are absent from every format and every log; drift reported."""
    declared = {"ModelName": "secretive", "PrimaryContainer": {"Image": "img:1", "Environment": {
        "DB_PASSWORD": SECRETS[0], "api_key": SECRETS[2], "PLAIN": "visible"}}}
    live = {"ModelName": "secretive", "PrimaryContainer": {"Image": "img:1", "Environment": {
        "DB_PASSWORD": SECRETS[1], "api_key": SECRETS[3], "PLAIN": "visible"}}}
    world.create(live)
    write_models(tmp_path / "m.yaml", [declared])
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))
    outputs = []
    for fmt in ("json", "text", "markdown"):
        for log_format in ("json", "console"):
            result = run_drift("check", "--config", str(config), "--format", fmt, "--log-format", log_format,
                               "--log-level", "debug", "--full")
            assert 2 == result.returncode, result.stderr
            outputs.append(result.stdout + result.stderr)
    report = report_of(run_drift("check", "--config", str(config), "--format", "json"))
    paths = {d["path"]: (d["expected"], d["actual"]) for d in report["models"][0]["differences"]}
    assert {"PrimaryContainer.Environment.DB_PASSWORD": ("***", "***"),
            "PrimaryContainer.Environment.api_key": ("***", "***")} == paths
    state = (tmp_path / "state.db").read_bytes()
    for secret in SECRETS:
        assert all(secret not in out for out in outputs), secret
        assert secret.encode() not in state


def test_state_file_is_private(world: World, tmp_path: Path) -> None:
    """The state database is created with mode 0600."""
    write_models(tmp_path / "m.yaml", MODELS[:1])
    world.create(MODELS[0])
    run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))))
    assert 0o600 == stat.S_IMODE(os.stat(tmp_path / "state.db").st_mode)


def test_corrupt_state_is_an_error_and_left_untouched(world: World, tmp_path: Path) -> None:
    """A corrupt state file: exit 1 with a clear line; the file is never silently replaced."""
    write_models(tmp_path / "m.yaml", MODELS[:1])
    world.create(MODELS[0])
    (tmp_path / "state.db").write_bytes(b"this is not a database" * 100)
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))))
    assert 1 == result.returncode
    assert "not a usable SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert b"this is not a database" * 100 == (tmp_path / "state.db").read_bytes()


def test_locked_state_is_a_clear_error(world: World, tmp_path: Path) -> None:
    """A state database locked by another writer fails with a clear message, not a traceback."""
    write_models(tmp_path / "m.yaml", MODELS[:1])
    world.create(MODELS[0])
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))
    run_drift("check", "--config", str(config))
    holder = sqlite3.connect(tmp_path / "state.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_drift("check", "--config", str(config), timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert 1 == result.returncode
    assert "state database" in result.stderr
    assert "locked" in result.stderr
    assert "Traceback" not in result.stderr


def test_denied_bulk_tags_fall_back_to_list_tags(world: World, tmp_path: Path, proxy: FaultProxy) -> None:
    """GetResources denied: tags are read with ListTags per model, and tag drift is still found."""
    tagged = [{**spec, "Tags": {"team": "ml"}} for spec in MODELS]
    for spec in tagged[:-1]:
        world.create(spec)
    world.create({**tagged[-1], "Tags": {"team": "other"}})
    write_models(tmp_path / "m.yaml", tagged)
    config = write_config(tmp_path, proxy.url, str(tmp_path / "m.yaml"))
    proxy.add(Fault("access_denied", operation="GetResources"))
    result = run_drift("check", "--config", str(config), "--format", "json")
    model = by_name(report_of(result))["model-5"]
    assert [("Tags.team", "ml", "other")] == [(d["path"], d["expected"], d["actual"]) for d in model["differences"]]
    assert 2 == result.returncode
    assert len(MODELS) == proxy.counts["ListTags"]
    assert 1 == proxy.injected["access_denied:GetResources"]
