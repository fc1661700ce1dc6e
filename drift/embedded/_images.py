"""What an endpoint records about the images it deployed: DeployedImages, resolved through the embedded ECR.

SageMaker resolves each container's image when it deploys a variant and keeps
the answer: ``DeployedImage{SpecifiedImage, ResolvedImage, ResolutionTime}``
[botocore ``DeployedImage``: "If you used the registry/repository[:tag] form to
specify the image path of the primary container when you created the model
hosted in this ProductionVariant, the path resolves to a path of the form
registry/repository[@digest]"]. moto 5.2.5 records nothing of the kind.

We resolve through moto's ECR backend of the image's own account and region,
as SageMaker pulls from the registry the URI names. An image we cannot resolve
(not an ECR URI, repository or tag missing) keeps ``SpecifiedImage`` and
``ResolutionTime`` and has no ``ResolvedImage``: all three members of
DeployedImage are optional in botocore's shape, and a drift tool must meet an
unresolved entry anyway (a real SageMaker would fail the deployment instead;
keeping the endpoint lets tests build that state without a second mechanism).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift.embedded import _moto

_ECR = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]*?)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


@dataclass(frozen=True, slots=True)
class EcrImage:
    """An image URI in an ECR registry, split into what BatchGetImage needs."""

    registry: str
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None


def parse(image: str) -> EcrImage | None:
    """The parts of an ECR image URI (no tag and no digest means ``latest``), or None outside ECR."""
    match = _ECR.match(image)
    if not match:
        return None
    tag, digest = match["tag"], match["digest"]
    return EcrImage(match["registry"], match["account"], match["region"], match["repository"],
                    tag if tag or digest else "latest", digest)


def resolve(image: str) -> str | None:
    """``<registry>/<repo>@sha256:<digest>`` for an image the embedded ECR holds now, else None."""
    parts = parse(image)
    if parts is None:
        return None
    try:
        repository = _moto.ecr_backend(parts.account, parts.region).repositories.get(parts.repository)
    except KeyError:  # a region moto does not know
        return None
    if repository is None:
        return None
    for stored in repository.images:
        digest = str(stored.get_image_digest())
        if (parts.digest and digest == parts.digest) or (parts.tag and parts.tag in stored.image_tags):
            return f"{parts.registry}/{parts.repository}@{digest}"
    return None


def container_images(model: dict[str, Any], backend: Any) -> list[str]:
    """The images a model runs, container by container (PrimaryContainer, or Containers in order).

    A container that names a model package runs the package's images
    [botocore ``ContainerDefinition.ModelPackageName``: "The name or Amazon
    Resource Name (ARN) of the model package to use to create the model"], so
    those are what a deployment resolves; a package moto does not hold adds none.
    """
    containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else list(model.get("Containers") or [])
    images: list[str] = []
    for container in containers:
        if container.get("Image"):
            images.append(str(container["Image"]))
        elif container.get("ModelPackageName"):
            name = container["ModelPackageName"]
            package = backend.model_packages.get(backend.model_package_name_mapping.get(name, name))
            if package is None:
                continue
            spec = package.inference_specification or {}
            images.extend(str(c["Image"]) for c in spec.get("Containers") or [] if c.get("Image"))
    return images


def deployed_images(images: list[str], when: datetime) -> list[dict[str, Any]]:
    """One DeployedImage per image, resolved now; ``ResolvedImage`` omitted when it cannot be resolved."""
    out: list[dict[str, Any]] = []
    for specified in images:
        entry: dict[str, Any] = {"SpecifiedImage": specified}
        resolved = resolve(specified)
        if resolved:
            entry["ResolvedImage"] = resolved
        entry["ResolutionTime"] = when
        out.append(entry)
    return out
