"""The references a model's containers hold: images in ECR and artifacts in S3, each at its canonical path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift.paths import Path

_ECR = re.compile(r"^(?P<registry>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                  r"(?P<repository>[^:@\s]+)(?::(?P<tag>[^@\s]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


@dataclass(frozen=True, slots=True)
class EcrImage:
    registry: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """Written with a digest: only checked to still exist (SPEC §8)."""
        return self.digest is not None

    @property
    def short(self) -> str:
        """``repository:tag`` as people say it."""
        return f"{self.repository}@{self.digest[:19]}…" if self.digest else f"{self.repository}:{self.tag or 'latest'}"


def parse_image(image: str) -> EcrImage | None:
    """An ECR image URI (no tag meaning ``latest``), or None for images outside ECR."""
    match = _ECR.match(image)
    if match is None:
        return None
    return EcrImage(match["registry"], match["region"], match["repository"],
                    None if match["digest"] else (match["tag"] or "latest"), match["digest"])


@dataclass(frozen=True, slots=True)
class Ref:
    """One reference at one canonical path: ``image``, ``object`` or ``prefix``."""

    type: str
    value: str
    path: Path


def _artifact(uri: Any, *, prefix: bool, path: Path) -> Ref | None:
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        return None
    return Ref("prefix" if prefix else "object", uri, path)


def container_refs(container: Mapping[str, Any], base: Path, *, images: bool, artifacts: bool) -> list[Ref]:
    refs: list[Ref] = []
    if images and isinstance(container.get("Image"), str):
        refs.append(Ref("image", container["Image"], (*base, "Image")))
    if not artifacts:
        return refs
    url = container.get("ModelDataUrl")
    # A multi-model container's ModelDataUrl is a prefix of many models, not one object.
    multi = container.get("Mode") == "MultiModel" or (isinstance(url, str) and url.endswith("/"))
    ref = _artifact(url, prefix=multi, path=(*base, "ModelDataUrl"))
    refs += [ref] if ref else []
    sources: list[tuple[Any, Path]] = [(container.get("ModelDataSource"), (*base, "ModelDataSource"))]
    for j, extra in enumerate(container.get("AdditionalModelDataSources") or []):
        sources.append((extra, (*base, "AdditionalModelDataSources", j)))
    for source, where in sources:
        s3 = source.get("S3DataSource") if isinstance(source, Mapping) else None
        if isinstance(s3, Mapping):
            ref = _artifact(s3.get("S3Uri"), prefix=s3.get("S3DataType") == "S3Prefix",
                            path=(*where, "S3DataSource", "S3Uri"))
            refs += [ref] if ref else []
    return refs


def model_refs(form: Mapping[str, Any], *, images: bool = True, artifacts: bool = True) -> list[Ref]:
    """Every reference of a canonical model form (``Containers`` list), in container order."""
    refs: list[Ref] = []
    for i, container in enumerate(form.get("Containers") or []):
        if isinstance(container, Mapping):
            refs += container_refs(container, ("Containers", i), images=images, artifacts=artifacts)
    return refs
