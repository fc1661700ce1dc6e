"""Fixtures for tests that need more of AWS than SageMaker models: ECR, S3, STS, Organizations, the proxy.

Loaded as a pytest plugin from ``conftest.py``. ``aws`` is the embedded AWS as a
test sees it: boto3 clients on the server, the scenario writes of
``drift.embedded.world`` and the server's test controls, over a fresh world
(``world`` resets moto and every control before each test).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from drift.embedded import LocalSageMaker
from drift.embedded.world import AwsWorld, image_uri
from tests.conftest import World
from tests.proxy import FaultProxy

OTHER_ACCOUNT = "111122223333"
ROLE = "arn:aws:iam::123456789012:role/drift"


@dataclass
class Aws:
    """The embedded AWS: its URL, its controls (``server``), clients and scenario writes (``world``)."""

    url: str
    server: LocalSageMaker
    world: AwsWorld

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.world.client(service, **kwargs)

    @property
    def sm(self) -> Any:
        return self.world.client("sagemaker")

    def model(self, name: str, image: str, **extra: Any) -> dict[str, Any]:
        """Create a model with one container and return its CreateModel request."""
        request = {"ModelName": name, "PrimaryContainer": {"Image": image}, "ExecutionRoleArn": ROLE, **extra}
        self.sm.create_model(**request)
        return request

    def config(self, name: str, *models: str, **extra: Any) -> None:
        """Create an endpoint config with one instance variant per model (``v0``, ``v1``...)."""
        variants = [{"VariantName": f"v{i}", "ModelName": m, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
                    for i, m in enumerate(models)]
        self.sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants, **extra)

    def served(self, endpoint: str, model: str, image: str) -> None:
        """A model, a config named ``<endpoint>-config`` and an endpoint serving it."""
        self.model(model, image)
        self.config(f"{endpoint}-config", model)
        self.sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-config")

    def pushed(self, repository: str, tag: str, seed: str, **where: str) -> tuple[str, str]:
        """(image URI, digest) of a manifest pushed under a tag."""
        return image_uri(repository, tag, **where), self.world.push_image(repository, tag, seed, **where)


@pytest.fixture
def aws(world: World, local_sagemaker: LocalSageMaker) -> Aws:
    """A fresh embedded AWS (moto reset, Search index following the models, no Search fault)."""
    return Aws(world.url, local_sagemaker, AwsWorld(world.url))


@pytest.fixture
def proxy(aws: Aws) -> Iterator[FaultProxy]:
    """The fault proxy in front of the embedded AWS."""
    with FaultProxy(aws.url, seed=3) as running:
        yield running


def direct(service: str, url: str, *, attempts: int = 1, read_timeout: float = 10, **keys: str) -> Any:
    """A boto3 client that retries nothing (unless asked): each fault is seen as boto3 first meets it."""
    config = Config(retries={"mode": "standard", "max_attempts": attempts}, read_timeout=read_timeout,
                    connect_timeout=5)
    credentials = keys or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", config=config, **credentials)
