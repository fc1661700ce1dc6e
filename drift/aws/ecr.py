"""ECR: what an image tag resolves to, with BatchGetImage (what a pull does).

BatchGetImage works for any registry the caller may pull from (AWS's own
deep-learning-container registries included, where DescribeImages is denied),
with ``registryId`` set to the registry's account, at most 100 image ids a call.
``acceptedMediaTypes`` lists every manifest type, so ECR returns the stored
manifest's digest instead of converting it (a converted manifest has another
digest than the one an endpoint resolved).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from drift.aws.session import Connection
from drift.errors import AnswerError, AwsError

MAX_IDS = 100
MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v1+json",
]


@dataclass(frozen=True, slots=True)
class ImageAnswers:
    """Per asked id ("tag:x" or "digest:sha256:..."): the digest, or why not."""

    digests: dict[str, str]
    missing: frozenset[str]
    failed: dict[str, str]
    #: For a multi-platform tag (manifest list / OCI index): the digests of the platform manifests it lists.
    #: A runtime that pulled one platform resolved the tag to one of these, not to the index's own digest.
    platforms: dict[str, frozenset[str]] = field(default_factory=dict)


def image_id(tag: str | None, digest: str | None) -> dict[str, str]:
    return {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}


def id_key(image: dict[str, str]) -> str:
    return f"digest:{image['imageDigest']}" if "imageDigest" in image else f"tag:{image['imageTag']}"


def batch_get(conn: Connection, registry: str, region: str, repository: str,
              ids: list[dict[str, str]]) -> ImageAnswers:
    """One BatchGetImage for up to 100 ids of one repository; AwsError when the call itself fails."""
    if len(ids) > MAX_IDS:
        raise ValueError("at most 100 image ids a call")
    client = conn.client("ecr", region=region)
    answer = conn.call(lambda: client.batch_get_image(registryId=registry, repositoryName=repository, imageIds=ids,
                                                      acceptedMediaTypes=MEDIA_TYPES), what="ecr:BatchGetImage")
    images, failures = (answer.get("images"), answer.get("failures")) if isinstance(answer, dict) else (None, None)
    if not isinstance(images, list) or not isinstance(failures, list):
        raise AnswerError(f"{conn.where}: ecr:BatchGetImage answered without its images and failures lists",
                          code="MalformedAnswer")
    asked = {id_key(i) for i in ids}
    digests = _digests(images, asked)
    missing, failed = _failures(failures)
    for key in asked - set(digests) - missing - set(failed):
        failed[key] = "ecr:BatchGetImage neither returned nor refused it"
    return ImageAnswers(digests, frozenset(missing), failed, _platforms(images))


def _platforms(images: list[object]) -> dict[str, frozenset[str]]:
    """{index digest: its platform manifests' digests} for every manifest list / OCI index answered."""
    out: dict[str, frozenset[str]] = {}
    for image in images:
        if not isinstance(image, dict) or not isinstance(image.get("imageManifest"), str):
            continue
        try:
            manifest = json.loads(image["imageManifest"])
        except ValueError:
            continue
        children = manifest.get("manifests") if isinstance(manifest, dict) else None
        digest = (image.get("imageId") or {}).get("imageDigest")
        if isinstance(children, list) and isinstance(digest, str):
            out[digest] = frozenset(str(c["digest"]) for c in children if isinstance(c, dict) and c.get("digest"))
    return out


def _digests(images: list[object], asked: set[str]) -> dict[str, str]:
    """The digest of every asked id that the answer returned (by tag and by digest)."""
    out: dict[str, str] = {}
    for image in images:
        found = image.get("imageId") if isinstance(image, dict) else None
        if not isinstance(found, dict) or not isinstance(found.get("imageDigest"), str):
            continue
        digest = str(found["imageDigest"])
        for key in (f"tag:{found.get('imageTag')}", f"digest:{digest}"):
            if key in asked:
                out[key] = digest
    return out


def _failures(failures: list[object]) -> tuple[set[str], dict[str, str]]:
    """(ids not found, {id: why}) from the answer's failures."""
    missing, failed = set(), {}
    for failure in failures:
        if not isinstance(failure, dict) or not isinstance(failure.get("imageId"), dict):
            continue
        image = {k: v for k, v in failure["imageId"].items() if k in ("imageTag", "imageDigest")}
        key = id_key(image or {"imageTag": "latest"})
        code = str(failure.get("failureCode") or "Unknown")
        if code == "ImageNotFound":
            missing.add(key)
        else:
            failed[key] = f"{code}: {failure.get('failureReason') or ''}".strip(": ")
    return missing, failed


__all__ = ["MAX_IDS", "AwsError", "ImageAnswers", "batch_get", "id_key", "image_id"]
