"""S3: the identity of a model artifact (HeadObject), of a prefix (ListObjectsV2), and report objects.

An object's identity is its ETag, VersionId (when the bucket is versioned) and
size; a prefix's is a digest of its sorted (key, ETag, size) triples and its
object count (SPEC §8). Reports of sharded passes are written and read here too.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from drift.aws.session import Connection
from drift.errors import AnswerError, AwsError


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location | None:
        if not uri.startswith("s3://"):
            return None
        bucket, _, key = uri[5:].partition("/")
        return cls(bucket, key) if bucket else None

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _etag(value: Any) -> str:
    return str(value or "").strip('"')


def head(conn: Connection, where: S3Location) -> dict[str, Any]:
    """{etag, version_id, size}; AwsError (code 404/NoSuchKey when it does not exist, 403 when denied)."""
    client = conn.client("s3")
    answer = conn.call(lambda: client.head_object(Bucket=where.bucket, Key=where.key), what="s3:HeadObject")
    if not isinstance(answer, dict) or "ContentLength" not in answer or not _etag(answer.get("ETag")):
        # A 200 that is not S3's (an HTML error page through a proxy) has a length but no ETag: no evidence.
        raise AnswerError(f"{conn.where}: s3:HeadObject answered without the object's ETag and size",
                          code="MalformedAnswer")
    return {"etag": _etag(answer.get("ETag")), "version_id": answer.get("VersionId") or None,
            "size": int(answer.get("ContentLength") or 0)}


def list_prefix(conn: Connection, where: S3Location, *, limit: int = 1_000_000) -> dict[str, tuple[str, int]]:
    """Every object under a prefix: {key relative to the prefix: (etag, size)}."""
    client = conn.client("s3")
    out: dict[str, tuple[str, int]] = {}
    token: str | None = None
    seen: set[str] = set()
    while True:
        request: dict[str, Any] = {"Bucket": where.bucket, "Prefix": where.key, **(
            {"ContinuationToken": token} if token else {})}
        page = conn.call(functools.partial(client.list_objects_v2, **request), what="s3:ListObjectsV2")
        if not isinstance(page, dict) or ("Contents" not in page and page.get("KeyCount", 0) != 0):
            raise AnswerError(f"{conn.where}: s3:ListObjectsV2 answered without its Contents", code="MalformedAnswer")
        for item in page.get("Contents") or []:
            if isinstance(item, dict) and isinstance(item.get("Key"), str):
                out[item["Key"][len(where.key):]] = (_etag(item.get("ETag")), int(item.get("Size") or 0))
        token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
        if not token:
            return out
        if token in seen or len(out) > limit:
            raise AnswerError(f"{conn.where}: s3:ListObjectsV2 never ends", code="EndlessListing")
        seen.add(token)


def prefix_identity(listing: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """A digest of the sorted (key, ETag, size) triples and the object count."""
    triples = sorted((key, etag, size) for key, (etag, size) in listing.items())
    digest = hashlib.sha256(json.dumps(triples, separators=(",", ":")).encode()).hexdigest()
    return {"digest": f"sha256:{digest}", "count": len(triples)}


def put_report(conn: Connection, where: S3Location, body: bytes) -> None:
    client = conn.client("s3")
    conn.call(lambda: client.put_object(Bucket=where.bucket, Key=where.key, Body=body,
                                        ContentType="application/json"), what="s3:PutObject")


def get_object(conn: Connection, where: S3Location, *, limit: int) -> bytes:
    client = conn.client("s3")
    answer = conn.call(lambda: client.get_object(Bucket=where.bucket, Key=where.key), what="s3:GetObject")
    body = answer.get("Body") if isinstance(answer, dict) else None
    if body is None:
        raise AnswerError(f"s3:GetObject {where} answered without a body", code="MalformedAnswer")
    data = bytes(body.read(limit + 1))
    if len(data) > limit:
        raise AwsError(f"{where}: larger than {limit} bytes", code="TooLarge")
    return data


def list_keys(conn: Connection, where: S3Location) -> list[str]:
    return sorted(where.key + key for key in list_prefix(conn, where))
