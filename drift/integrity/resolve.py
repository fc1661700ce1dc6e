"""Resolve references once per pass: images grouped per repository (at most 100 tags a call), one
HeadObject per distinct object and one listing per distinct prefix, all concurrently (SPEC §8 "Cost").

A target's references are resolved with that target's credentials; two regions of
one target share the resolution (an image or an object does not depend on where
the model that names it lives).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from drift.aws import ecr, s3
from drift.aws.errors import DENIED_CODES, GONE_CODES
from drift.aws.session import Connection
from drift.errors import AwsError, EndpointError
from drift.integrity.refs import Ref, parse_image

#: Prefix listings larger than this keep their identity but not their keys (for "which keys changed").
MAX_KEPT_KEYS = 10_000

Key = tuple[str, str, str]  # (target, type, value)


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one reference resolved to: ``ok`` (with ``value``), ``missing``, ``denied``, ``failed`` or
    ``unsupported`` (with ``reason``)."""

    state: str
    value: Any = None
    reason: str | None = None
    #: For a prefix: {key: [etag, size]}, to tell which keys changed against a baseline.
    keys: dict[str, Any] | None = None
    #: For a multi-platform image: the platform manifests' digests (what a runtime may have resolved).
    platforms: frozenset[str] = frozenset()


def _failure(error: AwsError, what: str) -> Resolution:
    code = error.code or "Error"
    if code in GONE_CODES:
        return Resolution("missing", reason="not found")
    if code in DENIED_CODES:
        return Resolution("denied", reason=f"{what} denied ({code})")
    if isinstance(error, EndpointError):
        return Resolution("failed", reason=f"{what} unreachable ({code})")
    return Resolution("failed", reason=f"{what} failed ({code})")


class Resolver:
    def __init__(self, concurrency: int = 16) -> None:
        self.concurrency = concurrency

    def resolve(self, jobs: Iterable[tuple[Connection, Ref]]) -> dict[Key, Resolution]:
        """Resolutions keyed by (target, type, value) for every distinct reference of ``jobs``."""
        out: dict[Key, Resolution] = {}
        tasks: list[Callable[[], dict[Key, Resolution]]] = []
        images: dict[tuple[str, str, str, str], dict[str, str]] = defaultdict(dict)  # repo -> {id key: value}
        conns: dict[str, Connection] = {}
        seen: set[Key] = set()
        for conn, ref in jobs:
            target = conn.target.name
            conns.setdefault(target, conn)
            key = (target, ref.type, ref.value)
            if key in seen:
                continue
            seen.add(key)
            if ref.type == "image":
                image = parse_image(ref.value)
                if image is None:
                    out[key] = Resolution("unsupported", reason="not an ECR image: not verified")
                    continue
                ident = ecr.id_key(ecr.image_id(image.tag, image.digest))
                images[(target, image.registry, image.region, image.repository)][ident] = ref.value
            else:
                tasks.append(self._artifact_task(conns[target], key, ref))
        for (target, registry, region, repository), wanted in images.items():
            items = sorted(wanted.items())
            for start in range(0, len(items), ecr.MAX_IDS):
                chunk = dict(items[start:start + ecr.MAX_IDS])
                tasks.append(self._image_task(conns[target], target, registry, region, repository, chunk))
        if tasks:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(tasks)),
                                    thread_name_prefix="drift-resolve") as pool:
                for part in pool.map(lambda task: task(), tasks):
                    out.update(part)
        return out

    @staticmethod
    def _image_task(conn: Connection, target: str, registry: str, region: str, repository: str,
                    wanted: dict[str, str]) -> Callable[[], dict[Key, Resolution]]:
        def run() -> dict[Key, Resolution]:
            ids = [{"imageDigest": k[len("digest:"):]} if k.startswith("digest:") else {"imageTag": k[len("tag:"):]}
                   for k in wanted]
            try:
                answers = ecr.batch_get(conn, registry, region, repository, ids)
            except AwsError as exc:
                failure = _failure(exc, "ecr:BatchGetImage")
                return {(target, "image", value): failure for value in wanted.values()}
            out = {}
            for ident, value in wanted.items():
                if ident in answers.digests:
                    digest = answers.digests[ident]
                    out[(target, "image", value)] = Resolution("ok", digest,
                                                               platforms=answers.platforms.get(digest, frozenset()))
                elif ident in answers.missing:
                    out[(target, "image", value)] = Resolution("missing", reason="not found")
                else:
                    out[(target, "image", value)] = Resolution("failed", reason=answers.failed.get(ident))
            return out
        return run

    @staticmethod
    def _artifact_task(conn: Connection, key: Key, ref: Ref) -> Callable[[], dict[Key, Resolution]]:
        def run() -> dict[Key, Resolution]:
            where = s3.S3Location.parse(ref.value)
            if where is None:
                return {key: Resolution("unsupported", reason="not an S3 URI: not verified")}
            try:
                if ref.type == "object":
                    return {key: Resolution("ok", s3.head(conn, where))}
                listing = s3.list_prefix(conn, where)
            except AwsError as exc:
                return {key: _failure(exc, "s3:HeadObject" if ref.type == "object" else "s3:ListObjectsV2")}
            if not listing:
                return {key: Resolution("missing", reason="no object under this prefix")}
            kept = {k: list(v) for k, v in listing.items()} if len(listing) <= MAX_KEPT_KEYS else None
            return {key: Resolution("ok", s3.prefix_identity(listing), keys=kept)}
        return run
