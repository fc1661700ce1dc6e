"""Tags of declared resources: read every pass, since tags change in place (AddTags/DeleteTags).

In bulk with the Resource Groups Tagging API (GetResources, 100 resources a page)
when that costs fewer calls than one ListTags per resource; a resource the bulk
answer does not list is read with ListTags (the tagging API lists only tagged
resources and is eventually consistent), so absence there never means "no tags".
"""

from __future__ import annotations

from collections.abc import Iterable

from drift.aws import sagemaker as sm
from drift.aws.session import Connection
from drift.errors import ResourceReadError
from drift.normalise import secrets_as_digest, tags_as_mapping
from drift.report import Kind

RESOURCE_TYPES = {Kind.MODEL: "sagemaker:model", Kind.ENDPOINT_CONFIG: "sagemaker:endpoint-config",
                  Kind.ENDPOINT: "sagemaker:endpoint"}


def bulk_pays_off(wanted: int, declared: int) -> bool:
    """Bulk when the resources that declare Tags outnumber the pages a bulk read would need."""
    return wanted > max(1, -(-declared // 100))


def canonical_tags(tags: Iterable[dict[str, str]]) -> dict[str, str]:
    """Tags as a mapping without ``aws:`` keys; a credential-shaped value becomes a digest (SPEC §4)."""
    return {k: str(secrets_as_digest(v)) for k, v in tags_as_mapping(list(tags)).items()}


def read_tags(conn: Connection, arn: str, bulk: dict[str, list[dict[str, str]]] | None) -> dict[str, str]:
    """One resource's tags: from the bulk answer when it lists it, else ListTags."""
    if bulk is not None and arn in bulk:
        return canonical_tags(bulk[arn])
    return canonical_tags(sm.list_tags(conn, arn))


def bulk_for(conn: Connection, kind: Kind) -> dict[str, list[dict[str, str]]] | None:
    return sm.bulk_tags(conn, RESOURCE_TYPES[kind])


__all__ = ["ResourceReadError", "bulk_for", "bulk_pays_off", "canonical_tags", "read_tags"]
