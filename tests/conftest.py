"""One local SageMaker (moto in server mode, faithful adapter) per test session, reset per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings

from drift.embedded import LocalSageMaker, create_model_request

# ECR, S3, STS, Organizations and the fault proxy: the `aws` and `proxy` fixtures.
pytest_plugins = ("tests.aws_world",)

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


class World:
    """The local SageMaker as a test sees it: a URL and a boto3 client."""

    def __init__(self, server: LocalSageMaker) -> None:
        self.url = server.url
        self.client: Any = boto3.client(
            "sagemaker", endpoint_url=server.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    def create(self, spec: dict[str, Any]) -> None:
        self.client.create_model(**create_model_request(spec))

    def recreate(self, spec: dict[str, Any]) -> None:
        self.client.delete_model(ModelName=spec["ModelName"])
        self.create(spec)

    def delete(self, name: str) -> None:
        self.client.delete_model(ModelName=name)


@pytest.fixture(scope="session")
def local_sagemaker() -> Iterator[LocalSageMaker]:
    server = LocalSageMaker()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(local_sagemaker: LocalSageMaker, monkeypatch: pytest.MonkeyPatch) -> World:
    """A fresh local SageMaker; in-process passes get the same dummy credentials as the CLI tests."""
    local_sagemaker.reset()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return World(local_sagemaker)
