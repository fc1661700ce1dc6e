"""`drift validate` and `drift check` end to end: real subprocesses against moto in server mode."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from drift.desired import load_desired
from tests.conftest import World
from tests.helpers import FIXTURES, by_name, clean_env, free_port, report_of, run_drift, write_config, write_models

REAL = str(FIXTURES / "real" / "*.yaml")


def real_models() -> list[Any]:
    env = clean_env()
    saved = {k: os.environ.get(k) for k in ("WANDB_API_KEY", "HUGGING_FACE_HUB_TOKEN")}
    os.environ.update({k: env[k] for k in saved})
    try:
        return list(load_desired([REAL]).models)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_real_definitions_validate_and_are_in_sync(world: World, tmp_path: Path) -> None:
    """Definitions written by others, created in SageMaker and declared as desired state, are all IN_SYNC."""
    models = real_models()
    assert len(models) >= 20
    for model in models:
        world.create(model.spec)
    config = write_config(tmp_path, world.url, REAL)
    validated = run_drift("validate", "--config", str(config))
    assert (0, "") == (validated.returncode, validated.stderr)
    result = run_drift("check", "--config", str(config), "--format", "json")
    report = report_of(result)
    assert {m.name: "IN_SYNC" for m in models} == {m["name"]: m["status"] for m in report["models"]}
    assert 0 == result.returncode, result.stderr
    assert "Traceback" not in result.stderr


BASE: dict[str, Any] = {
    "ModelName": "fraud-v3",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/fraud",
    "PrimaryContainer": {
        "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:3.1.0",
        "ModelDataUrl": "s3://models/fraud/model.tar.gz",
        "Environment": {"THRESHOLD": "0.7"},
    },
}


def changed(path: str, value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE)
    node = spec
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    return spec


@pytest.mark.parametrize(("path", "value", "kind"), [
    ("PrimaryContainer.Image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:3.2.0-rc1", "NOT_EQUAL"),
    ("PrimaryContainer.Environment.DEBUG", "1", "ADD"),
    ("ExecutionRoleArn", "arn:aws:iam::123456789012:role/other", "NOT_EQUAL"),
    ("EnableNetworkIsolation", True, "ADD"),
])
def test_each_change_is_modified_with_its_path(world: World, tmp_path: Path, path: str, value: Any,
                                               kind: str) -> None:
    """A model re-created with one change is MODIFIED with exactly that path, and exit 2."""
    write_models(tmp_path / "m.yaml", [BASE])
    world.create(BASE)
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))
    assert 0 == run_drift("check", "--config", str(config), "--format", "json").returncode
    world.recreate(changed(path, value))
    result = run_drift("check", "--config", str(config), "--format", "json")
    model = by_name(report_of(result))["fraud-v3"]
    assert ("MODIFIED", [(path, kind)]) == (model["status"], [(d["path"], d["type"]) for d in model["differences"]])
    assert 2 == result.returncode
    assert model["recreated"] is True


def test_network_isolation_declared_true_is_checked_end_to_end(world: World, tmp_path: Path) -> None:
    """EnableNetworkIsolation and InferenceExecutionConfig survive the trip through the local SageMaker."""
    spec = {**BASE, "EnableNetworkIsolation": True, "PrimaryContainer": None,
            "Containers": [BASE["PrimaryContainer"], {"Image": "sidecar:1"}],
            "InferenceExecutionConfig": {"Mode": "Direct"}}
    spec = {k: v for k, v in spec.items() if v is not None}
    write_models(tmp_path / "m.yaml", [spec])
    world.create({**spec, "EnableNetworkIsolation": False, "InferenceExecutionConfig": {"Mode": "Serial"}})
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))),
                       "--format", "json")
    diffs = {(d["path"], d["expected"], d["actual"]) for d in by_name(report_of(result))["fraud-v3"]["differences"]}
    assert {("EnableNetworkIsolation", True, False), ("InferenceExecutionConfig.Mode", "Direct", "Serial")} == diffs


def test_missing_and_unmanaged(world: World, tmp_path: Path) -> None:
    """A deleted model is MISSING (critical); an undeclared one in scope is UNMANAGED (warning)."""
    other = {**BASE, "ModelName": "kept"}
    write_models(tmp_path / "m.yaml", [BASE, other])
    world.create(other)
    world.create({**BASE, "ModelName": "stray-model"})
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))),
                       "--format", "json")
    report = report_of(result)
    got = {m["name"]: (m["status"], m["severity"]) for m in report["models"]}
    assert {"fraud-v3": ("MISSING", "critical"), "kept": ("IN_SYNC", None),
            "stray-model": ("UNMANAGED", "warning")} == got
    # (its image and artifact exist nowhere in the local AWS: "not found" notes, counted as unverified)
    assert {"checked": 3, "in_sync": 1, "modified": 0, "missing": 1, "unmanaged": 1, "error": 0,
            "unverified": 1} == report["summary"]
    assert 2 == result.returncode


def test_name_prefix_limits_unmanaged(world: World, tmp_path: Path) -> None:
    """Only live models whose name starts with scope.name_prefix are considered."""
    write_models(tmp_path / "m.yaml", [BASE])
    world.create(BASE)
    world.create({**BASE, "ModelName": "other-team-model"})
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"), scope={"name_prefix": "fraud-"})
    result = run_drift("check", "--config", str(config), "--format", "json")
    assert (0, ["fraud-v3"]) == (result.returncode, [m["name"] for m in report_of(result)["models"]])


EQUIVALENCES = {
    "one-entry Containers vs PrimaryContainer": (
        {**{k: v for k, v in BASE.items() if k != "PrimaryContainer"}, "Containers": [BASE["PrimaryContainer"]]},
        BASE),
    "ModelDataUrl vs ModelDataSource": (
        BASE,
        changed("PrimaryContainer", {**{k: v for k, v in BASE["PrimaryContainer"].items() if k != "ModelDataUrl"},
                                     "ModelDataSource": {"S3DataSource": {
                                         "S3Uri": "s3://models/fraud/model.tar.gz", "S3DataType": "S3Object",
                                         "CompressionType": "Gzip"}}})),
    "shuffled subnets and security groups": (
        {**BASE, "VpcConfig": {"Subnets": ["subnet-1", "subnet-2", "subnet-3"], "SecurityGroupIds": ["sg-1", "sg-2"]}},
        {**BASE, "VpcConfig": {"Subnets": ["subnet-3", "subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-2", "sg-1"]}}),
    "omitted defaults": (
        BASE, {**changed("PrimaryContainer.Mode", "SingleModel"), "EnableNetworkIsolation": False}),
    "empty vs absent": ({**BASE, "VpcConfig": {}, "Containers": []}, BASE),
    "Tags as mapping vs list": (
        {**BASE, "Tags": {"team": "risk", "tier": "1"}},
        {**BASE, "Tags": [{"Key": "tier", "Value": "1"}, {"Key": "team", "Value": "risk"}]}),
    "numbers in Environment": (changed("PrimaryContainer.Environment", {"THRESHOLD": 0.7}), BASE),
}


@pytest.mark.parametrize("case", EQUIVALENCES, ids=list(EQUIVALENCES))
def test_equivalences_are_in_sync(world: World, tmp_path: Path, case: str) -> None:
    """SPEC §3 equivalent spellings report IN_SYNC and exit 0 through the whole CLI."""
    declared, created = EQUIVALENCES[case]
    write_models(tmp_path / "m.yaml", [declared])
    world.create(created)
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))),
                       "--format", "json")
    assert (0, "IN_SYNC") == (result.returncode, by_name(report_of(result))["fraud-v3"]["status"]), result.stdout


def test_recreated_identical_model_is_in_sync_and_marked(world: World, tmp_path: Path) -> None:
    """Deleted and re-created with identical content: IN_SYNC, recreated true (state kept)."""
    write_models(tmp_path / "m.yaml", [BASE])
    world.create(BASE)
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))
    first = by_name(report_of(run_drift("check", "--config", str(config), "--format", "json")))["fraud-v3"]
    time.sleep(0.01)
    world.recreate(BASE)
    result = run_drift("check", "--config", str(config), "--format", "json")
    second = by_name(report_of(result))["fraud-v3"]
    assert ((False, "IN_SYNC"), (True, "IN_SYNC"), 0) == (
        (first["recreated"], first["status"]), (second["recreated"], second["status"]), result.returncode)


@pytest.mark.parametrize(("body", "expected"), [
    ("    PrimaryContainer:\n      Imagee: x\n",
     "bad.yaml:4: fraud-v3: PrimaryContainer.Imagee: unknown field (did you mean Image?)"),
    ("    PrimaryContainer:\n      Image: x\n      Environment:\n        VERBOSE: yes\n",
     'bad.yaml:6: fraud-v3: PrimaryContainer.Environment.VERBOSE: boolean value; environment values are strings:'
     ' quote it ("true")'),
    ("    PrimaryContainer:\n      Image: x\n      Mode: Multi\n",
     "bad.yaml:5: fraud-v3: PrimaryContainer.Mode: invalid value 'Multi' (allowed: SingleModel, MultiModel)"),
])
def test_bad_input_exits_1_with_located_message(world: World, tmp_path: Path, body: str, expected: str) -> None:
    """Bad desired state: exit 1, file:line: model: field: message, no traceback, for validate and check."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - ModelName: fraud-v3\n" + body)
    config = write_config(tmp_path, world.url, str(bad))
    for command in ("validate", "check"):
        result = run_drift(command, "--config", str(config), cwd=tmp_path)
        assert 1 == result.returncode
        assert expected in result.stderr.splitlines(), result.stderr
        assert "Traceback" not in result.stderr
        assert "" == result.stdout


def test_invalid_model_name_is_rejected(world: World, tmp_path: Path) -> None:
    """An invalid ModelName names the pattern it fails."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - ModelName: Fraud_V3\n    PrimaryContainer: {Image: x}\n")
    result = run_drift("validate", "--desired", str(bad), cwd=tmp_path)
    assert 1 == result.returncode
    assert ("bad.yaml:2: Fraud_V3: ModelName: value 'Fraud_V3' does not match the pattern "
            "[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?") in result.stderr


def test_incremental_and_full_passes_agree(world: World, tmp_path: Path) -> None:
    """A steady-state pass skips DescribeModel yet gives the same report as --full."""
    write_models(tmp_path / "m.yaml", [BASE, {**BASE, "ModelName": "second"}])
    world.create(BASE)
    world.create(changed("PrimaryContainer.Image", "other:1") | {"ModelName": "second"})
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))
    run_drift("check", "--config", str(config), "--format", "json")
    steady = run_drift("check", "--config", str(config), "--format", "json")
    full = run_drift("check", "--config", str(config), "--format", "json", "--full")

    def essence(result: Any) -> list[Any]:
        return [(m["name"], m["status"], m["differences"]) for m in report_of(result)["models"]]

    assert essence(full) == essence(steady)
    finished = [json.loads(line) for line in steady.stderr.splitlines() if '"drift.run.finished"' in line]
    assert 0 == finished[0]["described"]


def test_stdout_is_only_the_report_and_logs_carry_run_id(world: World, tmp_path: Path) -> None:
    """stdout parses as JSON; every stderr line is a JSON log event with run_id."""
    write_models(tmp_path / "m.yaml", [BASE])
    world.create(BASE)
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))))
    report = report_of(result)
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert {report["run_id"]} == {e["run_id"] for e in events}
    assert ["drift.run.started", "drift.run.finished"] == [e["event"] for e in events]
    assert "drift.report/v1" == report["schema"]




def test_unreachable_endpoint_exits_1_quickly(tmp_path: Path) -> None:
    """Nothing listening: exit 1 within seconds, one clear line, a report that is not in sync."""
    write_models(tmp_path / "m.yaml", [BASE])
    config = write_config(tmp_path, f"http://127.0.0.1:{free_port()}", str(tmp_path / "m.yaml"))
    started = time.monotonic()
    result = run_drift("check", "--config", str(config), "--format", "json")
    assert 1 == result.returncode
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.stderr
    assert any(line.startswith("drift: error: target default (us-east-1): endpoint did not answer")
               for line in result.stderr.splitlines()), result.stderr
    assert ["ERROR"] == [m["status"] for m in report_of(result)["models"]]


def test_missing_credentials_exit_1_naming_the_fix(world: World, tmp_path: Path) -> None:
    """No credentials at all: exit 1 saying what is missing and how to provide it."""
    write_models(tmp_path / "m.yaml", [BASE])
    env = clean_env()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))),
                       "--format", "json", env=env)
    assert 1 == result.returncode
    assert ("drift: error: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use "
            "--profile or AWS_PROFILE, or run with an instance/pod role") in result.stderr.splitlines()
