"""First five minutes and day two: demo, --help, import round trip, several accounts and regions."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.conftest import World
from tests.e2e.test_check import REAL, real_models
from tests.helpers import FIXTURE_ENV, by_name, clean_env, report_of, run_drift, write_config, write_models


def test_demo_ignores_aws_settings_and_shows_every_kind_of_drift() -> None:
    """`drift demo` with AWS_PROFILE and AWS_ENDPOINT_URL pointing nowhere: exit 0, fast, all statuses shown."""
    env = clean_env(AWS_PROFILE="does-not-exist", AWS_ENDPOINT_URL="http://127.0.0.1:9",
                    AWS_ACCESS_KEY_ID="AKIAREALLOOKINGKEY000")
    del env["AWS_CONFIG_FILE"]
    started = time.monotonic()
    result = run_drift("demo", env=env)
    elapsed = time.monotonic() - started
    assert 0 == result.returncode, result.stderr
    assert elapsed < 60
    for status in ("MODIFIED", "MISSING", "UNMANAGED"):
        assert status in result.stdout
    assert "Traceback" not in result.stderr


def test_demo_json_format() -> None:
    """The demo can print its report as JSON too."""
    result = run_drift("demo", "--format", "json")
    assert {"MODIFIED", "MISSING", "UNMANAGED", "IN_SYNC"} == {m["status"] for m in report_of(result)["models"]}


@pytest.mark.parametrize("command", ["check", "daemon", "validate", "import", "demo"])
def test_help_for_every_command(command: str) -> None:
    """`drift COMMAND --help` explains the command and exits 0."""
    result = run_drift(command, "--help")
    assert 0 == result.returncode
    assert result.stdout.startswith(f"usage: drift {command}")


def test_import_then_check_round_trip(world: World, tmp_path: Path) -> None:
    """Import real definitions written by others, check against the import: every model IN_SYNC, no secret in clear."""
    models = real_models()
    for model in models:
        world.create(model.spec)
    config = write_config(tmp_path, world.url, str(tmp_path / "unused.yaml"))
    out = tmp_path / "imported"
    result = run_drift("import", "--config", str(config), "--out", str(out))
    assert 0 == result.returncode, result.stderr
    assert len(models) == len(list(out.glob("*.yaml")))
    written = "".join(p.read_text() for p in out.glob("*.yaml"))
    for secret in FIXTURE_ENV.values():
        assert secret not in written
        assert secret not in result.stderr
    assert "!env WANDB_API_KEY" in written
    variables = printed_variables(result.stderr, {m.name: m.spec for m in models})
    assert FIXTURE_ENV["WANDB_API_KEY"] == variables["WANDB_API_KEY"]
    check = run_drift("check", "--config", str(config), "--desired", str(out), "--format", "json",
                      env=clean_env(**variables))
    assert {m.name: "IN_SYNC" for m in models} == {m["name"]: m["status"] for m in report_of(check)["models"]}
    assert 0 == check.returncode


def printed_variables(stderr: str, specs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Set each variable import printed, as a user would: the value from the place it names."""
    found = {}
    for line in stderr.splitlines():
        match = re.match(r"^  (\S+)\s+\((\S+): (\S+)\.Environment\.(\S+)\)$", line)
        if match:
            name, model, where, key = match.groups()
            spec = specs[model]
            container = spec["PrimaryContainer"] if where == "PrimaryContainer" else spec["Containers"][
                int(where[len("Containers["):-1])]
            found[name] = str(container["Environment"][key])
    return found


def test_import_omits_defaults_and_read_only_fields(world: World, tmp_path: Path) -> None:
    """Imported YAML holds what a person would write: no ARN, no CreationTime, no default values."""
    world.create({"ModelName": "lean", "PrimaryContainer": {"Image": "img:1", "Mode": "SingleModel"},
                  "EnableNetworkIsolation": False, "Tags": {"team": "ml"}})
    config = write_config(tmp_path, world.url, str(tmp_path / "unused.yaml"))
    result = run_drift("import", "--config", str(config), "--model", "lean")
    doc = yaml.safe_load(result.stdout)
    assert {"models": [{"ModelName": "lean", "PrimaryContainer": {"Image": "img:1"}, "Tags": {"team": "ml"}}]} == doc


def test_import_unknown_model_is_an_error(world: World, tmp_path: Path) -> None:
    """Asking for a model that does not exist is a clear error."""
    config = write_config(tmp_path, world.url, REAL)
    result = run_drift("import", "--config", str(config), "--model", "nope")
    assert (1, "drift: error: no such model: nope\n") == (result.returncode, result.stderr)


def _create_in_account(url: str, account: str, spec: dict[str, Any]) -> None:
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/drift-reader", RoleSessionName="test")["Credentials"]
    client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"])
    from drift.embedded import create_model_request

    client.create_model(**create_model_request(spec))


SPEC = {"ModelName": "ranker", "PrimaryContainer": {"Image": "img:1"}}


def test_several_targets_read_their_own_accounts(world: World, tmp_path: Path) -> None:
    """Each target assumes its role; models are found in the role's account and reported with it."""
    _create_in_account(world.url, "111111111111", SPEC)
    _create_in_account(world.url, "222222222222", {**SPEC, "PrimaryContainer": {"Image": "img:2"}})
    (tmp_path / "models").mkdir()
    write_models(tmp_path / "models" / "prod.yaml", [SPEC], target="prod")
    write_models(tmp_path / "models" / "staging.yaml", [SPEC], target="staging")
    config = write_config(tmp_path, world.url, str(tmp_path / "models" / "*.yaml"), aws={"targets": [
        {"name": "prod", "role_arn": "arn:aws:iam::111111111111:role/drift-reader", "regions": ["us-east-1"]},
        {"name": "staging", "role_arn": "arn:aws:iam::222222222222:role/drift-reader",
         "regions": ["us-east-1"], "external_id": "drift-ext"},
    ]})
    result = run_drift("check", "--config", str(config), "--format", "json")
    got = sorted((m["account"], m["name"], m["status"]) for m in report_of(result)["models"])
    assert [("111111111111", "ranker", "IN_SYNC"), ("222222222222", "ranker", "MODIFIED")] == got
    assert 2 == result.returncode


def test_unreachable_target_does_not_hide_the_others(world: World, tmp_path: Path) -> None:
    """One target that cannot be reached makes its models ERROR; the other target is still checked."""
    _create_in_account(world.url, "111111111111", SPEC)
    (tmp_path / "models").mkdir()
    write_models(tmp_path / "models" / "prod.yaml", [SPEC], target="prod")
    write_models(tmp_path / "models" / "dr.yaml", [SPEC], target="dr")
    config = write_config(tmp_path, world.url, str(tmp_path / "models"), aws={"targets": [
        {"name": "prod", "role_arn": "arn:aws:iam::111111111111:role/drift-reader", "regions": ["us-east-1"]},
        {"name": "dr", "regions": ["eu-west-1"], "endpoint_url": "http://127.0.0.1:9"},
    ]})
    result = run_drift("check", "--config", str(config), "--format", "json")
    report = report_of(result)
    assert [("us-east-1", "IN_SYNC"), ("eu-west-1", "ERROR")] == sorted(
        ((m["region"], m["status"]) for m in report["models"]), key=lambda r: r[1], reverse=True)
    assert 1 == result.returncode
    assert "target dr (eu-west-1)" in report["errors"][0]


def test_desired_file_must_name_a_target_when_several(world: World, tmp_path: Path) -> None:
    """With several targets, a desired file without target: is an error saying so."""
    write_models(tmp_path / "m.yaml", [SPEC])
    config = write_config(tmp_path, world.url, str(tmp_path / "m.yaml"), aws={"targets": [
        {"name": "a", "regions": ["us-east-1"]}, {"name": "b", "regions": ["us-east-1"]}]})
    result = run_drift("validate", "--config", str(config))
    assert 1 == result.returncode
    assert f"{tmp_path}/m.yaml:1: several aws.targets are configured: name one with target:" in result.stderr


def test_text_report_puts_drift_first(world: World, tmp_path: Path) -> None:
    """Text output lists drifted models first and sums up in-sync ones in one line."""
    write_models(tmp_path / "m.yaml", [SPEC, {**SPEC, "ModelName": "ok-model"}])
    world.create({**SPEC, "PrimaryContainer": {"Image": "img:9"}})
    world.create({**SPEC, "ModelName": "ok-model"})
    result = run_drift("check", "--config", str(write_config(tmp_path, world.url, str(tmp_path / "m.yaml"))),
                       "--format", "text")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MODIFIED  ranker")
    assert "1 model in sync." in lines
    assert by_name(report_of(run_drift("check", "--config", str(tmp_path / "drift.yaml"), "--format", "json")))


def test_import_names_secret_variables_without_collisions() -> None:
    """Same key, different values: the variable names escalate until each stands for one value."""
    from drift.importer import EnvPlaceholder, Imported, replace_secrets
    from drift.report import Kind

    def model(name: str, *envs: dict[str, str]) -> Imported:
        return Imported(Kind.MODEL, "default", "1", "r", {"ModelName": name, "Containers": [
            {"Image": "i", "Environment": dict(env)} for env in envs]})

    models = [model("a-1", {"DB_PASSWORD": "x", "API_KEY": "k1"}, {"API_KEY": "k2"}),
              model("b-2", {"DB_PASSWORD": "x"})]
    told = dict(replace_secrets(models))
    placeholders = [env[k].name for m in models for c in m.entry["Containers"] for env in [c["Environment"]]
                    for k in env if isinstance(env[k], EnvPlaceholder)]
    assert ["DB_PASSWORD", "A_1_0_API_KEY", "A_1_1_API_KEY", "DB_PASSWORD"] == placeholders
    assert {"DB_PASSWORD", "A_1_0_API_KEY", "A_1_1_API_KEY"} == set(told)
