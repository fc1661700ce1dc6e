"""Live forms, one resource at a time: from the cache of an earlier pass, a bulk Search record, or a describe.

Models and endpoint configs are immutable: same ARN and creation time as when we
described them means the same content, so their cached canonical form stands.
Endpoints change in place: theirs stands while ``LastModifiedTime`` and status
are the same as when described. A bulk Search record is a model's content when
its ARN and creation time equal what ListModels says (SPEC §10), however stale
the index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drift.aws import sagemaker as sm
from drift.aws.session import Connection
from drift.errors import ResourceGoneError, ResourceReadError
from drift.kinds import KINDS
from drift.kinds.endpoint import facts as endpoint_facts
from drift.read.types import Live
from drift.report import Kind
from drift.store.rows import NORMALISER_VERSION, ResourceRow

_DESCRIBE: dict[Kind, Callable[[Connection, sm.Listed], dict[str, Any]]] = {
    Kind.MODEL: sm.describe_model,
    Kind.ENDPOINT_CONFIG: sm.describe_endpoint_config,
    Kind.ENDPOINT: sm.describe_endpoint,
}


def cache_hit(kind: Kind, prior: ResourceRow | None, listed: sm.Listed, full: bool) -> bool:
    """Whether the form kept from an earlier pass still describes this live resource."""
    if full or prior is None or prior.live is None or prior.normaliser != NORMALISER_VERSION:
        return False
    if prior.arn != listed.arn or prior.created != listed.created:
        return False
    if kind is Kind.ENDPOINT:
        facts = prior.facts or {}
        return prior.modified == listed.modified and facts.get("EndpointStatus") == listed.status
    return True


def from_cache(kind: Kind, prior: ResourceRow, listed: sm.Listed) -> Live:
    return Live(kind=kind, listed=listed, form=prior.live, facts=prior.facts)


def from_record(record: dict[str, Any], listed: sm.Listed) -> Live | None:
    """A Search record, used only when it is exactly the listed incarnation."""
    if record.get("ModelArn") != listed.arn or sm.iso(record.get("CreationTime")) != listed.created:
        return None
    return Live(kind=Kind.MODEL, listed=listed, form=KINDS[Kind.MODEL].canonical(record))


def describe(conn: Connection, kind: Kind, listed: sm.Listed) -> Live:
    """Describe one resource; its failure is its own ERROR (or MISSING when it vanished meanwhile)."""
    try:
        answer = _DESCRIBE[kind](conn, listed)
    except ResourceGoneError:
        return Live(kind=kind, listed=listed, gone=True, described=True)
    except ResourceReadError as exc:
        return Live(kind=kind, listed=listed, error=str(exc), described=True)
    form = KINDS[kind].canonical(answer)
    facts = endpoint_facts(answer) if kind is Kind.ENDPOINT else None
    return Live(kind=kind, listed=listed, form=form, facts=facts, described=True)
