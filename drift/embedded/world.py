"""A small AWS world on the local server: accounts, images in ECR, objects in S3 (for the demo and the tests).

What a model points at drifts outside SageMaker (SPEC §8): an ECR tag pushed
again, an S3 object overwritten. The demo shows that, so building such a world
is part of the package, not only of the tests. Everything goes through boto3
over HTTP, as a user of the real services would do it; another account is
reached the way drift reaches one, by assuming a role in it with STS (moto
files the resources of assumed-role credentials under the role's account).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from drift.embedded._server import DEFAULT_ACCOUNT, DEFAULT_REGION

#: The role assumed to act in another account (moto allows any role ARN).
WORLD_ROLE = "drift-embedded-world"
_MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def manifest_for(seed: str) -> bytes:
    """A small Docker image manifest (schema 2) that differs for every seed, as a build would."""
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(seed),
              "digest": "sha256:" + hashlib.sha256(seed.encode()).hexdigest()}
    layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1024,
             "digest": "sha256:" + hashlib.sha256(f"layer:{seed}".encode()).hexdigest()}
    return json.dumps({"schemaVersion": 2, "mediaType": _MANIFEST_TYPE, "config": config, "layers": [layer]},
                      sort_keys=True).encode()


def image_uri(repository: str, tag: str, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``."""
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}"


class AwsWorld:
    """boto3 clients on the local server, in any account and region, and the few writes a scenario needs.

    >>> world = AwsWorld(server.url)                                   # doctest: +SKIP
    >>> digest = world.push_image("svc", "1.0", "build-1")            # doctest: +SKIP
    >>> etag, version = world.put_object("ml-artifacts", "m/model.tar.gz", b"v1", versioned=True)  # doctest: +SKIP
    """

    def __init__(self, url: str, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> None:
        self.url = url
        self.account = account
        self.region = region
        self._credentials: dict[str, dict[str, str]] = {}

    def client(self, service: str, *, account: str | None = None, region: str | None = None) -> Any:
        """A boto3 client on the local server, acting in ``account`` (the default one unless named)."""
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=region or self.region,
                            **self._keys(account or self.account))

    def _keys(self, account: str) -> dict[str, str]:
        if account == DEFAULT_ACCOUNT:
            return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if account not in self._credentials:
            sts = self.client("sts", account=DEFAULT_ACCOUNT)
            got = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{WORLD_ROLE}",
                                  RoleSessionName="drift-embedded")["Credentials"]
            self._credentials[account] = {"aws_access_key_id": got["AccessKeyId"],
                                          "aws_secret_access_key": got["SecretAccessKey"],
                                          "aws_session_token": got["SessionToken"]}
        return self._credentials[account]

    def push_image(self, repository: str, tag: str, manifest: bytes | str, *, account: str | None = None,
                   region: str | None = None) -> str:
        """Push a manifest (bytes as given; a str is a seed for ``manifest_for``) under a tag; returns its digest.

        The repository is created when missing; pushing another manifest under the same tag re-points the tag.
        """
        ecr = self.client("ecr", account=account, region=region)
        with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
            ecr.create_repository(repositoryName=repository)
        body = manifest if isinstance(manifest, bytes) else manifest_for(manifest)
        try:
            image = ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=body.decode())["image"]
        except ecr.exceptions.ImageAlreadyExistsException:  # the same manifest under the same tag: nothing moved
            return "sha256:" + hashlib.sha256(body).hexdigest()
        return str(image["imageId"]["imageDigest"])

    def put_object(self, bucket: str, key: str, body: bytes, *, versioned: bool = False,
                   account: str | None = None, region: str | None = None) -> tuple[str, str | None]:
        """Write an object (creating the bucket, versioned if asked); returns (ETag, VersionId or None)."""
        s3 = self.client("s3", account=account, region=region)
        where = region or self.region
        placed = {} if where == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": where}}
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            s3.create_bucket(Bucket=bucket, **placed)
        if versioned:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        answer = s3.put_object(Bucket=bucket, Key=key, Body=body)
        return str(answer["ETag"]), answer.get("VersionId")
