"""A small world for SPEC §8 tests: models whose images live in the embedded ECR and whose artifacts live in
the embedded S3, declared exactly, and the real CLI run against it through the fault proxy.

``Scene`` keeps the world's writes (push, overwrite, delete) next to the drift commands a test runs, so a
test reads as its story: declare, check, change something behind a reference, check again.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift.embedded import create_model_request
from tests.aws_world import Aws
from tests.helpers import clean_env, report_of, run_drift, write_config, write_models
from tests.proxy import FaultProxy

ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::123456789012:role/inference"
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def pinned(repository: str, digest: str) -> str:
    """``<registry>/<repository>@sha256:...``: an image written with its digest."""
    return f"{REGISTRY}/{repository}@{digest}"


def model(name: str, image: str, **container: Any) -> dict[str, Any]:
    """A CreateModel request with one PrimaryContainer."""
    return {"ModelName": name, "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": image, **container}}


def prefix_source(uri: str) -> dict[str, Any]:
    """A ModelDataSource naming an S3 prefix (uncompressed model files)."""
    return {"S3DataSource": {"S3Uri": uri, "S3DataType": "S3Prefix", "CompressionType": "None"}}


def object_source(uri: str) -> dict[str, Any]:
    """A ModelDataSource naming one S3 object."""
    return {"S3DataSource": {"S3Uri": uri, "S3DataType": "S3Object", "CompressionType": "Gzip"}}


def identity(etag: str, version: str | None, size: int) -> dict[str, Any]:
    """An object's identity as the report's ``resolved`` shows it."""
    return {"etag": etag.strip('"'), "version_id": version, "size": size}


def findings(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, type) of every difference of one report entry, in report order."""
    return [(d["path"], d["type"]) for d in entry["differences"]]


@dataclass
class Scene:
    """One test's world (ECR, S3, SageMaker) and its working directory with drift.yaml and the desired file."""

    aws: Aws
    proxy: FaultProxy
    dir: Path
    specs: list[dict[str, Any]] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)

    # -- the world ----------------------------------------------------------------------------------
    def push(self, repository: str, tag: str, seed: str, **where: str) -> tuple[str, str]:
        """Push a manifest under a tag (in another ``account=`` or ``region=`` when named); (image URI, digest)."""
        return self.aws.pushed(repository, tag, seed, **where)

    def put(self, uri: str, body: bytes, *, versioned: bool = False) -> tuple[str, str | None]:
        """Write an object at an ``s3://`` URI; (ETag, VersionId)."""
        bucket, _, key = uri[len("s3://"):].partition("/")
        return self.aws.world.put_object(bucket, key, body, versioned=versioned)

    def delete_object(self, uri: str) -> None:
        bucket, _, key = uri[len("s3://"):].partition("/")
        self.aws.client("s3").delete_object(Bucket=bucket, Key=key)

    def delete_image(self, repository: str, *, tag: str | None = None, digest: str | None = None) -> None:
        ident = {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}
        answer = self.aws.client("ecr").batch_delete_image(repositoryName=repository, imageIds=[ident])
        assert [] == answer["failures"]

    def delete_repository(self, repository: str) -> None:
        self.aws.client("ecr").delete_repository(repositoryName=repository, force=True)

    def create(self, *specs: dict[str, Any], declare: bool = True) -> None:
        """Create the models in SageMaker and (unless told not to) declare them exactly."""
        for spec in specs:
            self.aws.sm.create_model(**create_model_request(spec))
        if declare:
            self.specs += list(specs)
            self.declare(*self.specs)

    def recreate(self, spec: dict[str, Any]) -> None:
        """Delete a model and create it again with the same content: a new incarnation."""
        self.aws.sm.delete_model(ModelName=spec["ModelName"])
        self.aws.sm.create_model(**create_model_request(spec))

    def declare(self, *specs: dict[str, Any]) -> None:
        write_models(self.dir / "models.yaml", list(specs))

    # -- drift ----------------------------------------------------------------------------------------
    def configure(self, **sections: Any) -> Path:
        """drift.yaml in the scene's directory, through the proxy; ``sections`` merge into it (and stay)."""
        for key, value in sections.items():
            if isinstance(value, dict) and isinstance(self.sections.get(key), dict):
                self.sections[key] = {**self.sections[key], **value}
            else:
                self.sections[key] = value
        return write_config(self.dir, self.proxy.url, "models.yaml", **self.sections)

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``python -m drift ARGS --config drift.yaml`` from the scene's directory (paths show relative)."""
        self.configure()
        return run_drift(*args, "--config", "drift.yaml", env=clean_env(), cwd=self.dir, timeout=timeout)

    def check(self, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        result = self.run("check", "--format", "json", *extra)
        report = report_of(result)
        assert "Traceback" not in result.stderr, result.stderr
        return result, report

    def counted(self, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Counter[str]]:
        """A check and the calls the proxy saw during it, by operation."""
        before = Counter(self.proxy.counts)
        result, report = self.check(*extra)
        after = Counter(self.proxy.counts)
        after.subtract(before)
        return result, report, +after

    def lock_text(self) -> str:
        return (self.dir / "drift.lock.yaml").read_text(encoding="utf-8")

    def lock_line(self, model_name: str, path: str) -> int:
        """The 1-based line of ``path:`` under ``model_name`` in the lock file."""
        lines = self.lock_text().splitlines()
        start = lines.index(f"- name: {model_name}")
        return next(i + 1 for i in range(start, len(lines)) if lines[i].strip() == f"{path}:")


def declared_line(directory: Path, model_name: str, key: str) -> int:
    """The 1-based line of the first ``key:`` after ``- ModelName: model_name`` in the desired file."""
    lines = (directory / "models.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"- ModelName: {model_name}")
    return next(i + 1 for i in range(start, len(lines)) if lines[i].strip().removeprefix("- ").startswith(f"{key}:"))
