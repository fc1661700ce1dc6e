"""Helpers for the serving-chain tests (SPEC §9): build a world of models, configs and endpoints, declare
what should be there, run the real `drift check`, and read its report by kind, name and finding."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from drift.embedded.world import AwsWorld, image_uri
from tests.helpers import clean_env, report_of, run_drift, write_config

ROLE = "arn:aws:iam::123456789012:role/drift"
INSTANCE = "ml.m5.large"


def variant(name: str, model: str, **extra: Any) -> dict[str, Any]:
    """One instance-backed variant, as a CreateEndpointConfig request (and a desired entry) writes it."""
    return {"VariantName": name, "ModelName": model, "InstanceType": INSTANCE, "InitialInstanceCount": 1, **extra}


@dataclass
class ChainWorld:
    """The embedded AWS plus the desired state we mean to declare about it (written by ``declare``)."""

    url: str
    directory: Path
    world: AwsWorld = field(init=False)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.world = AwsWorld(self.url)
        (self.directory / "models").mkdir(parents=True, exist_ok=True)

    @property
    def sm(self) -> Any:
        return self.world.client("sagemaker")

    # -- the live world -------------------------------------------------------------------------------
    def push(self, repository: str, tag: str, seed: str) -> tuple[str, str]:
        """(image URI, digest) of a manifest pushed under ``repository:tag`` (again: the tag is re-pointed)."""
        return image_uri(repository, tag), self.world.push_image(repository, tag, seed)

    def model(self, name: str, image: str) -> dict[str, Any]:
        """Create a one-container model; remember its request as what we would declare."""
        request = {"ModelName": name, "PrimaryContainer": {"Image": image}, "ExecutionRoleArn": ROLE}
        self.sm.create_model(**request)
        self.models[name] = request
        return request

    def recreate_model(self, name: str, image: str) -> None:
        """Delete a model and create it again under the same name with another image (no UpdateModel)."""
        self.sm.delete_model(ModelName=name)
        self.sm.create_model(ModelName=name, PrimaryContainer={"Image": image}, ExecutionRoleArn=ROLE)

    def config(self, name: str, *variants: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Create an endpoint config; remember its request as what we would declare."""
        request = {"EndpointConfigName": name, "ProductionVariants": list(variants), **extra}
        self.sm.create_endpoint_config(**request)
        self.configs[name] = request
        return request

    def endpoint(self, name: str, config: str) -> dict[str, Any]:
        request = {"EndpointName": name, "EndpointConfigName": config}
        self.sm.create_endpoint(**request)
        self.endpoints[name] = request
        return request

    def created(self, model: str) -> datetime:
        return self.sm.describe_model(ModelName=model)["CreationTime"]  # type: ignore[no-any-return]

    # -- the desired state ----------------------------------------------------------------------------
    def declare(self, *, models: list[str] | None = None, configs: list[str] | None = None,
                endpoints: list[str] | None = None, overrides: dict[str, dict[str, Any]] | None = None) -> Path:
        """Write ``models/desired.yaml`` declaring the named resources (all remembered ones by default);
        ``overrides`` replaces an entry by name (to declare something other than what is live)."""
        overrides = overrides or {}

        def pick(known: dict[str, dict[str, Any]], names: list[str] | None) -> list[dict[str, Any]]:
            return [overrides.get(n, known[n]) for n in (list(known) if names is None else names)]

        doc: dict[str, Any] = {"models": pick(self.models, models)}
        chosen_configs, chosen_endpoints = pick(self.configs, configs), pick(self.endpoints, endpoints)
        if chosen_configs:
            doc["endpoint_configs"] = chosen_configs
        if chosen_endpoints:
            doc["endpoints"] = chosen_endpoints
        path = self.directory / "models" / "desired.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def write_config(self, url: str | None = None, **sections: Any) -> Path:
        """drift.yaml reading ``models/*.yaml``, state kept in the directory, AWS at ``url`` (the proxy)."""
        return write_config(self.directory, url or self.url, str(self.directory / "models" / "*.yaml"), **sections)


@dataclass(frozen=True)
class Pass:
    """One `drift check` run: its exit code, its report (JSON) or text, and its stderr."""

    code: int
    report: dict[str, Any]
    text: str
    stderr: str

    def section(self, section: str) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.report.get(section, [])}

    def entry(self, section: str, name: str) -> dict[str, Any]:
        return self.section(section)[name]


def check(config: Path, *args: str, fmt: str = "json") -> Pass:
    result: subprocess.CompletedProcess[str] = run_drift("check", "--config", str(config), "--format", fmt, *args,
                                                         env=clean_env())
    assert "Traceback" not in result.stderr, result.stderr
    report = report_of(result) if fmt == "json" and result.stdout.strip() else {}
    return Pass(result.returncode, report, result.stdout, result.stderr)


def findings(entry: dict[str, Any]) -> set[tuple[str, str]]:
    """(path, type) of every difference of one report entry."""
    return {(d["path"], d["type"]) for d in entry["differences"]}


def difference(entry: dict[str, Any], path: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in entry["differences"] if d["path"] == path]
    assert 1 == len(found), entry
    return found[0]


def statuses(report: dict[str, Any], section: str) -> dict[str, str]:
    return {e["name"]: e["status"] for e in report.get(section, [])}


def clock(value: datetime) -> str:
    """How a finding's sentence writes a time."""
    return value.strftime("%Y-%m-%d %H:%M UTC")
