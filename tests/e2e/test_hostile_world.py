"""Issue 16, a hostile world, as bounded reproductions through the real CLI and daemon.

Hostile webhook receivers (tests/hostile_receiver.py), a hostile AWS proxy
(tests/proxy.py fault kinds that answer 200 with the wrong thing, endless
tokens), edits during a reload, secret-shaped values under any key, special
files and symlink loops, idle sockets under a lowered descriptor limit, a
SIGHUP at start-up, a full disk and another application's SQLite file. Every
hang case asserts a bound, every leak case a canary.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.aws_world import Aws
from tests.conftest import World
from tests.helpers import by_name, clean_env, report_of, run_drift, write_config, write_models
from tests.hostile_receiver import HostileReceiver
from tests.hostile_support import (
    AuthReceiver,
    Daemon,
    fill,
    fsize_limit,
    json_lines,
    leaked,
    sighup_caught,
    small_disk,
)
from tests.proxy import Fault, FaultProxy
from tests.receiver import Receiver, wait_for

ROLE = "arn:aws:iam::123456789012:role/r"
MODELS = [{"ModelName": f"svc-{i}", "ExecutionRoleArn": ROLE,
           "PrimaryContainer": {"Image": f"img-{i}:1.0", "Environment": {"N": str(i)}}} for i in range(3)]


def changed(spec: dict[str, Any], **container: Any) -> dict[str, Any]:
    return {**spec, "PrimaryContainer": {**spec["PrimaryContainer"], **container}}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {m["name"]: m["status"] for m in report["models"]}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def hostile() -> Iterator[dict[str, HostileReceiver]]:
    started: dict[str, HostileReceiver] = {}
    yield started
    for r in started.values():
        r.stop()


# == deliveries ===============================================================================================
#: name -> (receiver mode, whether the channel rejects the message for good)
RECEIVERS = {
    "retry-after": ("status/429?retry-after=" + "9" * 5000, True),
    "bad-request": ("status/400", True),
    "too-large": ("status/413", True),
    "redirect": ("redirect/302", True),
    "slow-loris": ("slow-loris", False),
    "huge": ("huge", False),
    "endless": ("endless", False),
}


def deliveries(receiver: HostileReceiver) -> dict[str, int]:
    """Attempts per X-Drift-Delivery id."""
    out: dict[str, int] = {}
    for request in receiver.requests:
        key = request.headers.get("X-Drift-Delivery", "")
        out[key] = out.get(key, 0) + 1
    return out


def test_one_hostile_receiver_never_stops_the_others(world: World, tmp_path: Path, receiver: Receiver,
                                                     hostile: dict[str, HostileReceiver]) -> None:
    """A daemon with a healthy channel, a channel that wants basic auth and one channel per hostile receiver (absurd
    Retry-After, 400, 413, redirect, slow-loris, 1 GiB body, endless body): the healthy channel gets every message
    promptly; user:password@ is sent as basic auth; a message rejected for good is tried at most 3 times and later
    messages to that channel go through; memory stays bounded; /healthz stays 200; logs are JSON without traceback."""
    for spec in MODELS:
        world.create(spec)
    world.recreate(changed(MODELS[0], Image="img-0:2.0"))
    write_models(tmp_path / "models.yaml", MODELS)
    auth = AuthReceiver("drift-user", "pa:ss-w0rd")
    limits = {"type": "webhook", "max_attempts": 2, "timeout": "2s"}
    channels = [{"name": "healthy", "url": receiver.url, **limits},
                {"name": "auth", "url": f"http://drift-user:pa%3Ass-w0rd@127.0.0.1:{auth.port}/hook", **limits}]
    for name, (mode, _) in RECEIVERS.items():
        hostile[name] = HostileReceiver(mode=mode, drip=0.5).start()
        channels.append({"name": name, "url": hostile[name].url(f"/hook/{name}"), **limits})
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), schedule={"interval": "1s"},
                          notify=channels)
    rejecting = [name for name, (_, rejects) in RECEIVERS.items() if rejects]
    daemon = Daemon(config, tmp_path)
    try:
        wait_for(lambda: receiver.delivered(), 20)
        wait_for(lambda: all(f'drift_notifications_rejected_total{{channel="{n}"}} 1.0'.encode()
                             in daemon.get("/metrics")[1] for n in rejecting), 30)
        first = {n: dict(deliveries(hostile[n])) for n in rejecting}
        daemon.wait_passes(3)
        assert first == {n: deliveries(hostile[n]) for n in rejecting}, "a rejected message is not tried again"
        assert all(1 == len(attempts) and 1 <= next(iter(attempts.values())) <= 3 for attempts in first.values()), (
            first)

        for name in rejecting:
            hostile[name].mode = "status/200"
        world.delete("svc-1")
        deleted_at = time.monotonic()
        wait_for(lambda: len(receiver.delivered()) >= 2, 20)
        healthy_delay = time.monotonic() - deleted_at
        wait_for(lambda: all(len(deliveries(hostile[n])) >= 2 for n in rejecting), 30)
        later = {n: [r for r in hostile[n].requests if r.headers.get("X-Drift-Delivery") not in first[n]]
                 for n in rejecting}
        assert all({"svc-1": "MISSING"} == statuses(json.loads(later[n][0].body)) for n in rejecting)
        assert 200 == daemon.health()[0]
        rss_mib = daemon.rss_kib() / 1024
        _, metrics = daemon.get("/metrics")
        assert 0 == daemon.stop()
    finally:
        daemon.kill()
        auth.stop()
    assert healthy_delay < 10, healthy_delay
    assert [{"svc-0": "MODIFIED"}, {"svc-1": "MISSING"}] == [statuses(r.json) for r in receiver.delivered()]
    authorized = auth.all()
    assert authorized
    assert all(200 == status and "/hook" == path for status, path, _, _ in authorized)
    assert {auth.expected} == {headers.get("Authorization") for _, _, headers, _ in authorized}
    assert rss_mib < 300, rss_mib
    for name in rejecting:
        assert f'drift_notifications_rejected_total{{channel="{name}"}} 1.0'.encode() in metrics, name
    log = daemon.log()
    assert "Traceback" not in log
    json_lines(log)


def _read_stdout(proc: subprocess.Popen[bytes], seen: dict[str, Any]) -> None:
    assert proc.stdout is not None
    while chunk := proc.stdout.read1(65536):
        seen.setdefault("first", time.monotonic())
        seen["data"] = seen.get("data", b"") + chunk


@pytest.mark.parametrize("mode", ["slow-loris", "status/400", "hang"])
def test_check_notify_prints_its_report_promptly_and_exits_1(world: World, tmp_path: Path, mode: str,
                                                             hostile: dict[str, HostileReceiver]) -> None:
    """`check --notify` with a receiver that dribbles, rejects or never answers: the report is on stdout within 5 s of
    the start (before delivery ends), and the exit code is 1 because a message could not be delivered."""
    for spec in MODELS:
        world.create(spec)
    world.delete("svc-2")
    hostile[mode] = HostileReceiver(mode=mode, drip=0.5).start()
    write_models(tmp_path / "models.yaml", MODELS)
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), notify=[
        {"type": "webhook", "url": hostile[mode].url("/hook"), "timeout": "3s", "max_attempts": 2}])
    started = time.monotonic()
    with open(tmp_path / "stderr", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "drift", "check", "--config", str(config), "--notify",
                                 "--format", "json"], stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                env=clean_env(), cwd=tmp_path)
        seen: dict[str, Any] = {}
        reader = threading.Thread(target=_read_stdout, args=(proc, seen), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
        reader.join(5)
    stderr = (tmp_path / "stderr").read_bytes()
    assert "first" in seen, stderr
    assert seen["first"] - started < 5, seen["first"] - started
    assert {"svc-0": "IN_SYNC", "svc-1": "IN_SYNC", "svc-2": "MISSING"} == statuses(json.loads(seen["data"]))
    assert 1 == proc.returncode
    assert b"could not be delivered" in stderr
    assert hostile[mode].requests


# == answers nobody checked ===================================================================================
def tagged(spec: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    return {**spec, "Tags": tags}


def proxied_config(tmp_path: Path, proxy: FaultProxy, receiver: Receiver, models: list[dict[str, Any]],
                   **aws: Any) -> Path:
    write_models(tmp_path / "models.yaml", models)
    return write_config(tmp_path, proxy.url, str(tmp_path / "models.yaml"),
                        aws={"bulk_read": "off", "max_attempts": 2, **aws},
                        notify=[{"type": "webhook", "url": receiver.url}])


def check_notify(config: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_drift("check", "--config", str(config), "--notify", "--format", "json", *extra, timeout=90)
    assert "Traceback" not in result.stderr
    return result.returncode, report_of(result)


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated", "swapped", "renamed"])
def test_a_describe_answer_that_lies_makes_the_model_error(aws: Aws, tmp_path: Path, proxy: FaultProxy,
                                                            receiver: Receiver, kind: str) -> None:
    """DescribeModel answering 200 with garbage, `{}`, half an answer, another model or a renamed model: that model
    is ERROR (exit 1), never MISSING or IN_SYNC, raises or resolves no alert, and is not cached: the next clean
    pass describes it again and finds the same drift as before, without a new notification."""
    for spec in MODELS:
        aws.sm.create_model(**spec)
    drifted = changed(MODELS[0], Image="img-0:2.0")
    sm = aws.sm
    sm.delete_model(ModelName="svc-0")
    sm.create_model(**drifted)
    config = proxied_config(tmp_path, proxy, receiver, MODELS)
    assert (2, "MODIFIED") == (lambda c, r: (c, by_name(r)["svc-0"]["status"]))(*check_notify(config))

    sm.delete_model(ModelName="svc-0")
    sm.create_model(**drifted)  # same content, new CreationTime: the next pass must describe it
    proxy.add(Fault(kind, operation="DescribeModel", resource="svc-0"))
    code, report = check_notify(config)
    assert 1 == code
    model = by_name(report)["svc-0"]
    assert ("ERROR", True) == (model["status"], bool(model.get("error")))
    assert {"svc-1": "IN_SYNC", "svc-2": "IN_SYNC"} == {n: s for n, s in statuses(report).items() if n != "svc-0"}
    assert proxy.injected[f"{kind}:DescribeModel"] >= 1

    proxy.clear()
    code, report = check_notify(config)
    assert (2, "MODIFIED") == (code, by_name(report)["svc-0"]["status"])
    assert proxy.counts["DescribeModel"] >= 1, "the lying answer was cached"
    assert [{"svc-0": "MODIFIED"}] == [statuses(r.json) for r in receiver.delivered()]


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated"])
def test_a_listing_that_lies_makes_the_target_error(aws: Aws, tmp_path: Path, proxy: FaultProxy,
                                                     receiver: Receiver, kind: str) -> None:
    """ListModels answering 200 without its list: the target is ERROR (exit 1, the report's errors say why), its
    declared models ERROR, never MISSING; the unmanaged model is not resolved ("back in sync") and nothing is
    notified."""
    for spec in [*MODELS, {**MODELS[0], "ModelName": "stray"}]:
        aws.sm.create_model(**spec)
    aws.sm.delete_model(ModelName="svc-0")
    aws.sm.create_model(**changed(MODELS[0], Image="img-0:2.0"))
    config = proxied_config(tmp_path, proxy, receiver, MODELS)
    code, report = check_notify(config)
    assert (2, {"svc-0": "MODIFIED", "svc-1": "IN_SYNC", "svc-2": "IN_SYNC", "stray": "UNMANAGED"}) == (
        code, statuses(report))

    proxy.add(Fault(kind, operation="ListModels"))
    code, report = check_notify(config)
    assert 1 == code
    assert report["errors"]
    assert {"svc-0": "ERROR", "svc-1": "ERROR", "svc-2": "ERROR"} == statuses(report)

    proxy.clear()
    assert 2 == check_notify(config)[0]
    assert [{"svc-0": "MODIFIED", "stray": "UNMANAGED"}] == [statuses(r.json) for r in receiver.delivered()]


TAGGED = [tagged(MODELS[0], {"team": "ml"}), tagged(MODELS[1], {}), tagged(MODELS[2], {"team": "ml"})]
LIVE_TAGS = {"svc-0": {"team": "other"}, "svc-1": {"team": "ml"}, "svc-2": {"team": "ml"}}


def tagged_world(aws: Aws) -> None:
    for spec in MODELS:
        name = spec["ModelName"]
        aws.sm.create_model(**spec, Tags=[{"Key": k, "Value": v} for k, v in LIVE_TAGS[name].items()])


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated"])
def test_a_tag_answer_that_lies_makes_the_model_error(aws: Aws, tmp_path: Path, proxy: FaultProxy,
                                                       receiver: Receiver, kind: str) -> None:
    """ListTags answering 200 without its tag list is never "no tags": models that declare Tags are ERROR (exit 1),
    a model declared `Tags: {}` that carries tags is never IN_SYNC, and no alert is raised or resolved."""
    tagged_world(aws)
    config = proxied_config(tmp_path, proxy, receiver, TAGGED)
    proxy.add(Fault("access_denied", operation="GetResources"))  # tags are read one model at a time
    code, report = check_notify(config)
    assert (2, {"svc-0": "MODIFIED", "svc-1": "MODIFIED", "svc-2": "IN_SYNC"}) == (code, statuses(report))

    proxy.add(Fault(kind, operation="ListTags"))
    code, report = check_notify(config)
    assert (1, {"svc-0": "ERROR", "svc-1": "ERROR", "svc-2": "ERROR"}) == (code, statuses(report))

    proxy.clear()
    proxy.add(Fault("access_denied", operation="GetResources"))
    code, report = check_notify(config)
    assert (2, {"svc-0": "MODIFIED", "svc-1": "MODIFIED", "svc-2": "IN_SYNC"}) == (code, statuses(report))
    assert [{"svc-0": "MODIFIED", "svc-1": "MODIFIED"}] == [statuses(r.json) for r in receiver.delivered()]


@pytest.mark.parametrize("kind", ["garbage", "empty", "truncated", "swapped"])
def test_a_bulk_tag_answer_that_lies_is_never_no_tags(aws: Aws, tmp_path: Path, proxy: FaultProxy,
                                                       receiver: Receiver, kind: str) -> None:
    """GetResources answering 200 with garbage, `{}`, half an answer or a list missing models: no model that carries
    other tags than declared is IN_SYNC; each is ERROR (exit 1) or, read again with ListTags, MODIFIED exactly as
    before; nothing is notified as back in sync."""
    tagged_world(aws)
    config = proxied_config(tmp_path, proxy, receiver, TAGGED)
    code, clean = check_notify(config)
    assert (2, {"svc-0": "MODIFIED", "svc-1": "MODIFIED", "svc-2": "IN_SYNC"}) == (code, statuses(clean))

    proxy.add(Fault(kind, operation="GetResources"))
    code, report = check_notify(config)
    assert proxy.injected[f"{kind}:GetResources"] >= 1
    for name, model in by_name(report).items():
        expected = by_name(clean)[name]
        assert model["status"] in ("ERROR", expected["status"]), (name, model)
        if model["status"] != "ERROR":
            assert expected["differences"] == model["differences"]
    assert (1 if "ERROR" in statuses(report).values() else 2) == code
    assert [{"svc-0": "MODIFIED", "svc-1": "MODIFIED"}] == [statuses(r.json) for r in receiver.delivered()]


@pytest.mark.parametrize("variant", ["same", "new"])
def test_an_endless_listing_ends_with_an_error(aws: Aws, tmp_path: Path, proxy: FaultProxy, receiver: Receiver,
                                               variant: str) -> None:
    """ListModels whose NextToken never ends (the same page forever, or new made-up names on every page): the pass
    ends within seconds with the target ERROR and exit 1 (aws.max_models bounds the made-up names)."""
    for spec in MODELS:
        aws.sm.create_model(**spec)
    config = proxied_config(tmp_path, proxy, receiver, MODELS, max_models=50)
    proxy.add(Fault("endless_token", operation="ListModels", variant=variant))
    started = time.monotonic()
    code, report = check_notify(config)
    elapsed = time.monotonic() - started
    assert (1, {"svc-0": "ERROR", "svc-1": "ERROR", "svc-2": "ERROR"}) == (code, statuses(report))
    assert report["errors"]
    assert elapsed < 30
    assert proxy.counts["ListModels"] < 100
    assert [] == receiver.all()


# == an edit during a reload ==================================================================================
def padding(path: Path, items: int) -> None:
    """A desired file that takes a while to load: many items under an ignored x- key."""
    path.write_text("x-padding:\n" + "".join(f"  - item-{i}\n" for i in range(items)) + "models: []\n")


def unread(path: Path) -> int:
    """Put a file's atime before its mtime (mtime kept), so that its next read moves the atime (relatime)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_mtime_ns - 10**9, stat.st_mtime_ns))
    return path.stat().st_atime_ns


def test_a_desired_file_edited_during_a_reload_is_loaded_later(world: World, tmp_path: Path) -> None:
    """A desired file edited while the daemon reloads a large desired set (edited after the reload read it, before
    the reload ended) is loaded by a later pass, every time."""
    world.create(changed(MODELS[0], Image="live:1"))
    desired = tmp_path / "desired"
    desired.mkdir()
    padding(desired / "pad.yaml", 40_000)
    edited = desired / "m.yaml"

    def declare(image: str) -> None:
        write_models(edited, [changed(MODELS[0], Image=image)])

    declare("declared:1")
    config = write_config(tmp_path, world.url, str(desired), schedule={"interval": "1s"})
    daemon = Daemon(config, tmp_path)
    hits = 0
    try:
        wait_for(lambda: (daemon.health()[1].get("last_pass") or {}).get("summary", {}).get("modified") == 1, 60)
        for round_, (image, modified) in enumerate([("live:1", 0), ("declared:2", 1)]):
            reloads = len(daemon.events("drift.config.reloaded"))
            read_at = unread(edited)
            daemon.proc.send_signal(signal.SIGHUP)
            if _wait_quietly(lambda r=read_at: edited.stat().st_atime_ns != r, 10):
                declare(image)
                hits += len(daemon.events("drift.config.reloaded")) == reloads
            else:
                declare(image)
            wait_for(lambda m=modified, r=reloads: (daemon.health()[1].get("last_pass") or {}).get("summary", {}).get(
                "modified") == m and len(daemon.events("drift.config.reloaded")) > r, 30)
            assert daemon.alive(), round_
        assert 0 == daemon.stop()
    finally:
        daemon.kill()
    assert hits >= 1, "no edit landed during a reload; the test proved nothing"
    assert "Traceback" not in daemon.log()


def _wait_quietly(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


# == secrets ==================================================================================================
def secret_env(tag: str) -> tuple[dict[str, str], list[str]]:
    """Secret-shaped values under keys named like secrets and under ordinary keys, each carrying a canary."""
    c = [f"canary{tag}{i}{os.getpid()}" for i in range(10)]
    env = {
        "DATABASE_URL": f"postgres://app:{c[0]}@db.internal:5432/app",
        "CONNECTION_STRING": f"Server=db;Database=app;User Id=app;Password={c[1]};",
        "AUTHORIZATION": f"Bearer {c[2]}",
        "CLAIMS": f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.{c[3]}",
        "SENTRY_DSN": f"https://{c[4]}@o1.ingest.sentry.io/42",
        "SIGNING_KEY": c[5],
        "PASSPHRASE": c[6],
        "PWD": c[7],
        "UPSTREAM": f"https://svc:{c[8]}@upstream.internal/v1",
        "LEGACY_DB": f"Data Source=db;Initial Catalog=app;Pwd={c[9]}",
    }
    return env, c


SECRET_KEYS = ("DATABASE_URL", "CONNECTION_STRING", "AUTHORIZATION", "CLAIMS", "SENTRY_DSN", "SIGNING_KEY",
               "PASSPHRASE", "PWD", "UPSTREAM", "LEGACY_DB")


def test_secret_shaped_values_never_leave_the_process(world: World, tmp_path: Path, receiver: Receiver) -> None:
    """Secret-shaped values under any key (a URL with a password, a connection string, Bearer credentials, a JWT, a
    DSN, keys named SIGNING_KEY/PASSPHRASE/PWD) appear in no report format, no webhook or Slack body, not in the
    state database and not in `import` files; a change to each is still reported (as ***), and ordinary values
    are shown."""
    live, live_canaries = secret_env("live")
    declared, declared_canaries = secret_env("declared")
    canaries = live_canaries + declared_canaries
    world.create(changed(MODELS[0], Environment={**live, "PLAIN": "ordinary-live-value", "REGION_NAME": "eu-west-1"}))
    write_models(tmp_path / "models.yaml", [changed(MODELS[0], Environment={
        **declared, "PLAIN": "ordinary-declared-value", "REGION_NAME": "eu-west-1"})])
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), notify=[
        {"name": "hook", "type": "webhook", "url": receiver.url},
        {"name": "slack", "type": "slack", "url": receiver.url + "/services/T0/B0/x"}])
    outputs = []
    for fmt in ("json", "text", "markdown"):
        result = run_drift("check", "--config", str(config), "--format", fmt, "--log-level", "debug", "--full",
                           cwd=tmp_path)
        assert 2 == result.returncode, result.stderr
        outputs += [result.stdout, result.stderr]
        assert "ordinary-live-value" in result.stdout
    report = json.loads(outputs[0])
    differences = {d["path"]: (d["expected"], d["actual"]) for d in report["models"][0]["differences"]}
    assert {f"PrimaryContainer.Environment.{k}": ("***", "***") for k in SECRET_KEYS} == {
        p: v for p, v in differences.items() if p != "PrimaryContainer.Environment.PLAIN"}
    assert ("ordinary-declared-value", "ordinary-live-value") == differences["PrimaryContainer.Environment.PLAIN"]

    notified = run_drift("check", "--config", str(config), "--notify", "--format", "json", cwd=tmp_path)
    assert 2 == notified.returncode, notified.stderr
    bodies = [r.body for r in receiver.delivered()]
    assert 2 == len(bodies)
    assert b"ordinary-live-value" in bodies[0] + bodies[1]

    imported = run_drift("import", "--endpoint-url", world.url, "--region", "us-east-1", "--model", "svc-0",
                         "--out", "imported", cwd=tmp_path)
    assert 0 == imported.returncode, imported.stderr
    import_file = (tmp_path / "imported" / "svc-0.yaml").read_text()
    assert "ordinary-live-value" in import_file
    assert sorted(SECRET_KEYS) == sorted(re.findall(r"(\w+): !env \w+", import_file))

    state = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    assert [] == leaked(canaries, *outputs, *bodies, notified.stdout, notified.stderr, import_file,
                        imported.stdout, imported.stderr, state)


NO_SECRET_IN_MESSAGES = {
    "config duration": ("drift.yaml", "schedule:\n  interval: ${API_TOKEN}\n", "schedule.interval"),
    "config endpoint": ("drift.yaml", "aws:\n  region: us-east-1\n  endpoint_url: ${ENDPOINT_PASSWORD}\n",
                        "aws.endpoint_url"),
    "config region": ("drift.yaml", "aws:\n  region: ${REGION_SECRET}\n", "aws.region"),
    "desired role": ("m.yaml", "    ExecutionRoleArn: !env ROLE_TOKEN\n", "ExecutionRoleArn"),
    "desired image": ("m.yaml", "    PrimaryContainer: {Image: !env IMAGE_PASSWORD}\n", "Image"),
}


@pytest.mark.parametrize("case", NO_SECRET_IN_MESSAGES)
def test_validation_messages_carry_no_secret(tmp_path: Path, case: str) -> None:
    """A value read from a secret-named variable (${VAR} in the config, !env in desired state) that fails
    validation: the message names the file and key, never the value."""
    where, text, key = NO_SECRET_IN_MESSAGES[case]
    value = f"not valid s3cr3t-canary-{os.getpid()}"
    variables = dict.fromkeys(re.findall(r"(?:\$\{|!env )(\w+)", text), value)
    model = "models:\n  - ModelName: m\n"
    if where == "m.yaml":
        body = model + text + ("    PrimaryContainer: {Image: img:1}\n" if "PrimaryContainer" not in text else "")
        (tmp_path / "m.yaml").write_text(body)
        (tmp_path / "drift.yaml").write_text("aws: {region: us-east-1}\ndesired: [m.yaml]\n")
    else:
        (tmp_path / "m.yaml").write_text(model + "    PrimaryContainer: {Image: img:1}\n")
        (tmp_path / "drift.yaml").write_text(text + "desired: [m.yaml]\n")
    result = run_drift("validate", "--config", "drift.yaml", cwd=tmp_path, env=clean_env(**variables))
    assert 1 == result.returncode, result.stderr
    assert any(line.startswith(f"{where}:") and key in line for line in result.stderr.splitlines()), result.stderr
    assert [] == leaked(["s3cr3t-canary"], result.stdout, result.stderr)


def test_import_placeholders_never_shadow_the_tools_own_variables(world: World, tmp_path: Path) -> None:
    """A container whose Environment holds AWS_* and DRIFT_* secrets: import writes placeholders that are neither
    AWS_* nor DRIFT_*; setting them as import says gives an IN_SYNC check right away, with the tool's own AWS
    credentials untouched."""
    environment = {"AWS_SECRET_ACCESS_KEY": "container-aws-secret", "AWS_SESSION_TOKEN": "container-session",
                   "DRIFT_WEBHOOK_SECRET": "container-drift-secret", "API_KEY": "container-api-key",
                   "MODE": "batch"}
    world.create(changed(MODELS[0], Environment=environment))
    imported = run_drift("import", "--endpoint-url", world.url, "--region", "us-east-1", "--model", "svc-0",
                         "--out", "models", cwd=tmp_path)
    assert 0 == imported.returncode, imported.stderr
    text = (tmp_path / "models" / "svc-0.yaml").read_text()
    placeholders = dict(re.findall(r"(\w+): !env (\w+)", text))
    assert ["API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DRIFT_WEBHOOK_SECRET"] == sorted(placeholders)
    assert [] == [v for v in placeholders.values() if v.startswith(("AWS_", "DRIFT_"))]
    for variable in placeholders.values():
        assert re.search(rf"^  {variable}\s+\(svc-0: PrimaryContainer\.Environment\.\w+\)$", imported.stderr, re.M)
    values = {variable: environment[key] for key, variable in placeholders.items()}
    result = run_drift("check", "--endpoint-url", world.url, "--region", "us-east-1", "--desired", "models",
                       "--format", "json", cwd=tmp_path, env=clean_env(**values))
    assert 0 == result.returncode, result.stderr
    assert {"svc-0": "IN_SYNC"} == statuses(report_of(result))


# == special files ============================================================================================
def _desired_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "models"
    directory.mkdir()
    write_models(directory / "ok.yaml", MODELS[:1])
    return directory


SPECIAL = {
    "fifo in the directory": lambda d: os.mkfifo(d / "pipe.yaml"),
    "link to /dev/zero": lambda d: (d / "zero.yaml").symlink_to("/dev/zero"),
    "link loop between files": lambda d: ((d / "a.yaml").symlink_to("b.yaml"), (d / "b.yaml").symlink_to("a.yaml")),
}
SPECIAL_MESSAGES = {"fifo in the directory": ("pipe.yaml", "FIFO"), "link to /dev/zero": ("zero.yaml", "device"),
                    "link loop between files": ("a.yaml", "")}


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize("case", SPECIAL)
def test_special_files_are_refused_quickly(world: World, tmp_path: Path, case: str, command: str) -> None:
    """A FIFO named *.yaml, a link to /dev/zero or a loop of file links in the desired directory: exit 1 within
    seconds, naming the file; never a hang or an unbounded read."""
    directory = _desired_dir(tmp_path)
    SPECIAL[case](directory)
    config = write_config(tmp_path, world.url, str(directory))
    started = time.monotonic()
    result = run_drift(command, "--config", str(config), cwd=tmp_path, timeout=30)
    elapsed = time.monotonic() - started
    name, kind = SPECIAL_MESSAGES[case]
    assert 1 == result.returncode, result.stderr
    assert elapsed < 15
    assert any(name in line and kind in line for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr


def test_a_fifo_as_config_is_refused_quickly(tmp_path: Path) -> None:
    """`--config` naming a FIFO: exit 1 within seconds, saying it is not a regular file."""
    os.mkfifo(tmp_path / "drift.yaml")
    started = time.monotonic()
    result = run_drift("validate", "--config", "drift.yaml", cwd=tmp_path, timeout=30)
    assert (1, True) == (result.returncode, time.monotonic() - started < 15)
    assert "drift.yaml" in result.stderr
    assert "FIFO" in result.stderr


def test_the_daemon_refuses_a_fifo_quickly(world: World, tmp_path: Path) -> None:
    """A daemon whose desired directory holds a FIFO named *.yaml exits 1 at start within seconds."""
    directory = _desired_dir(tmp_path)
    os.mkfifo(directory / "pipe.yaml")
    config = write_config(tmp_path, world.url, str(directory), schedule={"interval": "1s"})
    daemon = Daemon(config, tmp_path)
    try:
        code = daemon.proc.wait(timeout=20)
    finally:
        daemon.kill()
    assert 1 == code
    assert "pipe.yaml" in daemon.log()


def test_symlinked_directory_loops_end_and_read_each_file_once(world: World, tmp_path: Path) -> None:
    """A directory linking to itself and two directories linking to each other, globbed recursively: validate and
    check finish within seconds and declare each model once (no "declared twice")."""
    for spec in MODELS:
        world.create(spec)
    root = tmp_path / "models"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    write_models(root / "top.yaml", MODELS[:1])
    write_models(root / "a" / "a.yaml", MODELS[1:2])
    write_models(root / "b" / "b.yaml", MODELS[2:])
    (root / "self").symlink_to(".")
    (root / "a" / "to-b").symlink_to("../b")
    (root / "b" / "to-a").symlink_to("../a")
    for desired in ("models/**/*.yaml", "models/"):
        config = write_config(tmp_path, world.url, desired)
        started = time.monotonic()
        result = run_drift("check", "--config", str(config), "--format", "json", cwd=tmp_path, timeout=30)
        assert time.monotonic() - started < 15
        assert 0 == result.returncode, result.stderr
        assert ["svc-0", "svc-1", "svc-2"] == [m["name"] for m in report_of(result)["models"]]


# == the daemon under pressure ================================================================================
def lowered_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def test_idle_sockets_do_not_starve_the_daemon(world: World, tmp_path: Path) -> None:
    """1,000 clients that connect to --listen and say nothing, against a daemon limited to 256 descriptors (plus
    clients that ask and hang up at once): /healthz still answers within seconds, passes go on and succeed, and
    stderr holds only JSON lines, no traceback."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    for spec in MODELS:
        world.create(spec)
    write_models(tmp_path / "models.yaml", MODELS)
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), schedule={"interval": "1s"})
    daemon = Daemon(config, tmp_path, preexec_fn=lowered_descriptors)
    idle: list[socket.socket] = []
    try:
        wait_for(lambda: daemon.health()[0] == 200, 30)
        for _ in range(1000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", daemon.port))
            idle.append(s)
        for _ in range(20):  # ask, then leave before the answer
            with socket.create_connection(("127.0.0.1", daemon.port), timeout=2) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        status, body = daemon.health(timeout=5)
        answered = time.monotonic() - started
        passes = daemon.passes()
        wait_for(lambda: daemon.passes() >= passes + 2, 20)
        head = daemon.get("/healthz", method="HEAD")[0]
        last = daemon.events("drift.run.finished")[-1]
        assert 0 == daemon.stop()
    finally:
        for s in idle:
            s.close()
        daemon.kill()
    assert (200, "ok") == (status, body.get("status")), body
    assert answered < 5
    assert 200 == head
    assert 0 == last["exit_code"]
    log = daemon.log()
    assert "Traceback" not in log
    json_lines(log)


def sighups_from_the_start(world: World, tmp_path: Path, *, burst: float, every: float) -> tuple[Daemon, bool]:
    """A daemon loading a large desired set, sent SIGHUP from the first moment it handles one, then every ``every``
    seconds for ``burst`` seconds; (the daemon, whether the desired state was read before SIGHUP was handled)."""
    for spec in MODELS:
        world.create(spec)
    desired = tmp_path / "desired"
    desired.mkdir()
    write_models(desired / "models.yaml", MODELS)
    padding(desired / "pad.yaml", 40_000)
    read_at = unread(desired / "pad.yaml")
    config = write_config(tmp_path, world.url, str(desired), schedule={"interval": "1s"})
    daemon = Daemon(config, tmp_path)
    try:
        assert _wait_quietly(lambda: sighup_caught(daemon.proc.pid) or not daemon.alive(), 10)
        read_before_handled = (desired / "pad.yaml").stat().st_atime_ns != read_at
        end = time.monotonic() + burst
        while daemon.alive():
            os.kill(daemon.proc.pid, signal.SIGHUP)
            if time.monotonic() >= end:
                break
            time.sleep(every)
    except BaseException:
        daemon.kill()
        raise
    return daemon, read_before_handled


@pytest.mark.parametrize(("burst", "every"), [(0.0, 0.0), (1.5, 0.1)], ids=["once", "every 100 ms while loading"])
def test_sighup_at_start_up_is_survived(world: World, tmp_path: Path, burst: float, every: float) -> None:
    """The daemon handles SIGHUP before it reads its desired state; a SIGHUP from that moment on (once, or every
    100 ms while a large desired set loads) is a reload request: it becomes healthy and stops with 0 on SIGTERM."""
    daemon, read_before_handled = sighups_from_the_start(world, tmp_path, burst=burst, every=every)
    try:
        wait_for(lambda: daemon.health()[0] == 200 or not daemon.alive(), 30)
        assert daemon.alive(), daemon.log()
        assert 0 == daemon.stop()
    finally:
        daemon.kill()
    assert not read_before_handled, "the desired state was read before SIGHUP was handled"
    assert "Traceback" not in daemon.log()


def test_a_burst_of_sighups_at_start_up_is_survived(world: World, tmp_path: Path) -> None:
    """SIGHUPs as fast as they can be sent for one second from the first moment: each is only a reload request;
    the daemon neither dies nor hangs, becomes healthy and stops with 0."""
    daemon, _ = sighups_from_the_start(world, tmp_path, burst=1.0, every=0.0)
    try:
        wait_for(lambda: daemon.health()[0] == 200 or not daemon.alive(), 15)
        assert daemon.alive()
        assert 0 == daemon.stop()
    finally:
        daemon.kill()


# == the state database =======================================================================================
def full_disk_words(mounted: bool) -> str:
    """What stderr must say: "disk is full" on a real (tmpfs) full disk. Without permission to mount, RLIMIT_FSIZE
    stands in; its EFBIG reaches SQLite as a plain I/O error that no program can tell from a failing disk, so only
    the state database is required to be named then."""
    return "disk is full" if mounted else "state database"


def test_a_full_disk_during_a_pass_is_named_and_the_report_printed(world: World, tmp_path: Path) -> None:
    """The state database's disk fills up between passes: `check` prints its report, says the disk is full (not a
    corrupt database, no advice to move it aside, no internal error) and exits 1."""
    with small_disk(tmp_path, size_kib=1024) as (disk, mounted):
        for spec in MODELS:
            world.create(spec)
        write_models(tmp_path / "models.yaml", MODELS)
        config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"),
                              state={"path": str(disk / "state.db")})
        assert 0 == run_drift("check", "--config", str(config), cwd=tmp_path).returncode
        many = [changed({**MODELS[0], "ModelName": f"bulk-{i}"}, Environment={f"K{j}": "v" * 200 for j in range(40)})
                for i in range(40)]
        for spec in many:
            world.create(spec)
        write_models(tmp_path / "models.yaml", MODELS + many)
        limit = None
        if mounted:
            fill(disk)
            (disk / "filler-small").unlink(missing_ok=True)
            with open(disk / "filler", "r+b") as handle:  # room to open the database, not to record the pass
                handle.truncate(max(0, (disk / "filler").stat().st_size - 96 * 1024))
        else:
            limit = fsize_limit(sum(p.stat().st_size for p in disk.glob("state.db*")) + 96 * 1024)
        result = subprocess.run([sys.executable, "-m", "drift", "check", "--config", str(config), "--format", "json"],
                                capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=120,
                                stdin=subprocess.DEVNULL, check=False, preexec_fn=limit)
    assert 1 == result.returncode, result.stderr
    assert 43 == len(report_of(result)["models"])
    assert full_disk_words(mounted) in result.stderr
    for wrong in ("internal error", "corrupt", "not a usable SQLite database", "move it aside", "Traceback"):
        assert wrong not in result.stderr, result.stderr


def check_on_a_full_disk(world: World, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`check --format json` with state.path on a disk with no room left at all (no state file yet); and whether
    the disk is a real (tmpfs) one."""
    for spec in MODELS:
        world.create(spec)
    write_models(tmp_path / "models.yaml", MODELS)
    with small_disk(tmp_path, size_kib=256) as (disk, mounted):
        config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"),
                              state={"path": str(disk / "state.db")})
        if mounted:
            fill(disk)
        return subprocess.run([sys.executable, "-m", "drift", "check", "--config", str(config), "--format", "json"],
                              capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=120,
                              stdin=subprocess.DEVNULL, check=False,
                              preexec_fn=None if mounted else fsize_limit(0)), mounted


def test_a_full_disk_at_open_is_named_as_a_full_disk(world: World, tmp_path: Path) -> None:
    """No room at all for the state database: `check` exits 1 saying the disk is full, never a corrupt database,
    never advice to move it aside, never an internal error."""
    result, mounted = check_on_a_full_disk(world, tmp_path)
    assert 1 == result.returncode, result.stderr
    assert full_disk_words(mounted) in result.stderr
    for wrong in ("internal error", "corrupt", "not a usable SQLite database", "move it aside", "Traceback"):
        assert wrong not in result.stderr, result.stderr


def test_a_full_disk_at_open_still_prints_the_report(world: World, tmp_path: Path) -> None:
    """No room at all for the state database: the pass's report is still printed (SPEC §7), then exit 1."""
    result, _ = check_on_a_full_disk(world, tmp_path)
    assert 1 == result.returncode, result.stderr
    assert {"svc-0": "IN_SYNC", "svc-1": "IN_SYNC", "svc-2": "IN_SYNC"} == statuses(report_of(result))


def test_another_applications_sqlite_file_is_refused_untouched(world: World, tmp_path: Path) -> None:
    """state.path naming another application's SQLite database (its own tables and user_version): exit 1 saying
    it is not ours, and the file is left byte for byte as it was, with no journal files beside it."""
    world.create(MODELS[0])
    foreign = tmp_path / "app.sqlite"
    conn = sqlite3.connect(foreign)
    conn.executescript("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
                       "INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com');"
                       "PRAGMA user_version = 3;")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    mtime = foreign.stat().st_mtime_ns
    write_models(tmp_path / "models.yaml", MODELS[:1])
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), state={"path": str(foreign)})
    result = run_drift("check", "--config", str(config), cwd=tmp_path)
    assert 1 == result.returncode
    assert "belongs to another application" in result.stderr
    assert before == foreign.read_bytes()
    assert mtime == foreign.stat().st_mtime_ns
    assert ["app.sqlite"] == sorted(p.name for p in tmp_path.glob("app.sqlite*"))


def test_another_applications_sqlite_file_keeps_its_mode(world: World, tmp_path: Path) -> None:
    """A foreign SQLite file given as state.path is refused without changing its permissions either."""
    foreign = tmp_path / "app.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    foreign.chmod(0o644)
    write_models(tmp_path / "models.yaml", MODELS[:1])
    config = write_config(tmp_path, world.url, str(tmp_path / "models.yaml"), state={"path": str(foreign)})
    assert 1 == run_drift("check", "--config", str(config), cwd=tmp_path).returncode
    assert 0o644 == foreign.stat().st_mode & 0o777

