"""ECR where moto 5.2.5 differs from it in ways an integrity check would notice.

What moto gets wrong, and what we do instead (evidence in brackets):

* An image's digest is computed from the manifest's *layer* digests (so two
  manifests with the same layers, e.g. none, share a digest; a manifest without
  layers gets a random one). ECR's digest is the sha256 of the manifest itself
  [botocore ECR ``ImageIdentifier.imageDigest``: "The sha256 digest of the image
  manifest"]. A PutImage whose ``imageDigest`` does not match is refused with
  ``ImageDigestDoesNotMatchException`` [botocore ECR PutImage errors].
* PutImage of a new manifest under an existing tag *deletes* the image that
  had the tag when that was its last tag. ECR moves the tag and the old image
  stays, untagged, reachable by digest [botocore ECR ``ListImagesFilter.tagStatus``
  (TAGGED/UNTAGGED); only ``BatchDeleteImage`` documents "When you remove the
  last tag from an image, the image is deleted"]. A pinned ``@sha256:`` image
  must not vanish because its tag was pushed again.
* BatchGetImage ignores ``registryId`` (it always reads the caller's account)
  [botocore ECR ``BatchGetImageRequest.registryId``: "The Amazon Web Services
  account ID associated with the registry that contains the images"], and
  reports a missing digest as ``{"imageTag": "null"}``. We read the named
  registry's backend and echo the requested ``imageId`` in ``failures``.
  Permissions are not modelled: any account may read any registry (the fault
  proxy denies on demand).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from drift.embedded import _moto


def manifest_digest(manifest: str) -> str:
    """ECR's digest of a manifest: sha256 of its bytes."""
    return "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def put_image(self: Any, repository_name: str, image_manifest: str, image_tag: str | None,
              image_manifest_mediatype: str | None = None, digest: str | None = None) -> Any:
    """ECRBackend.put_image: manifest digest, tag moved, the previous image kept untagged."""
    exceptions = _moto.module("moto.ecr.exceptions")
    repository = self._get_repository(repository_name)
    try:
        parsed = json.loads(image_manifest)
    except json.JSONDecodeError as exc:
        raise exceptions.InvalidParameterException(
            "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'") from exc
    media_type = image_manifest_mediatype or (parsed.get("mediaType") if isinstance(parsed, dict) else None)
    if not media_type:
        raise exceptions.InvalidParameterException("image manifest mediatype not provided in manifest or parameter")
    computed = manifest_digest(image_manifest)
    if digest and digest != computed:
        raise _moto.service_error("ImageDigestDoesNotMatchException",
                                  f"Invalid parameter: the digest '{digest}' does not match the manifest's digest")
    existing = next((i for i in repository.images if i.get_image_digest() == computed), None)
    if image_tag:
        if existing is not None and image_tag in existing.image_tags:
            raise exceptions.ImageAlreadyExistsException(repository_name=repository_name,
                                                         registry_id=repository.registry_id,
                                                         digest=computed, image_tag=image_tag)
        self._resolve_image_tag_mutability(repository, image_tag)  # immutable repositories refuse here
        for other in repository.images:
            if other is not existing and image_tag in other.image_tags:
                other.remove_tag(image_tag)
    if existing is None:
        image_class: Any = _moto.module("moto.ecr.models").Image
        existing = image_class(self.account_id, image_tag, image_manifest, repository_name, media_type, computed)
        repository.images.append(existing)
    elif image_tag:
        existing.update_tag(image_tag)
    return existing


def batch_get_image(self: Any) -> Any:
    """BatchGetImage from the registry ``registryId`` names; failures echo the requested imageId."""
    exceptions = _moto.module("moto.ecr.exceptions")
    name = self._get_param("repositoryName")
    registry = self._get_param("registryId") or self.current_account
    repository = _moto.ecr_backend(registry, self.region).repositories.get(name)
    if repository is None:
        raise exceptions.RepositoryNotFoundException(name, registry)
    images: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for wanted in self._get_param("imageIds") or []:
        tag, digest = wanted.get("imageTag"), wanted.get("imageDigest")
        found = next((i for i in repository.images
                      if (not tag or tag in i.image_tags) and (not digest or i.get_image_digest() == digest)), None)
        if found is None or not (tag or digest):
            failures.append({"imageId": dict(wanted), "failureCode": "ImageNotFound",
                             "failureReason": "Requested image not found"})
            continue
        image_id = {"imageDigest": found.get_image_digest()}
        if tag:
            image_id["imageTag"] = tag
        images.append({"registryId": repository.registry_id, "repositoryName": name, "imageId": image_id,
                       "imageManifest": found.image_manifest,
                       "imageManifestMediaType": found.image_manifest_media_type})
    return _moto.action_result({"images": images, "failures": failures})


def install() -> None:
    """Patch moto's ECR backend and response class."""
    _moto.module("moto.ecr.models").ECRBackend.put_image = put_image
    _moto.module("moto.ecr.responses").ECRResponse.batch_get_image = batch_get_image
