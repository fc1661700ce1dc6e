"""The values the state store reads and writes: plain frozen rows, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Bump when canonical forms change shape, so cached live forms are described again.
NORMALISER_VERSION = 2

ResourceKey = tuple[str, str, str, str]  # (kind, account, region, name)


@dataclass(frozen=True, slots=True)
class ResourceRow:
    """What the last pass knew of one resource: its identity, canonical live form and verdict."""

    kind: str
    account: str
    region: str
    name: str
    arn: str | None
    created: str | None
    modified: str | None = None
    live: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    #: Live facts that are not compared but judged (an endpoint's deployed images and status).
    facts: dict[str, Any] | None = None
    normaliser: int | None = None
    result: dict[str, Any] | None = None
    fingerprint: str | None = None

    @property
    def key(self) -> ResourceKey:
        return (self.kind, self.account, self.region, self.name)


@dataclass(frozen=True, slots=True)
class ListingHint:
    """What the last listing of one kind in a (target, region) taught: whether two-way works, and its size."""

    two_way: bool
    items: int
    #: The account the unit's credentials reached; steady passes verify it against listed ARNs instead of
    #: asking STS again.
    account: str | None = None

    @property
    def models(self) -> int:
        return self.items


@dataclass(frozen=True, slots=True)
class BaselineRow:
    """The first resolution of a reference of one model incarnation (SPEC §8 'first-seen')."""

    account: str
    region: str
    name: str
    arn: str
    created: str
    path: str
    reference: str
    resolved: Any
    seen_at: str


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    delivery_id: str
    channel: str
    kind: str
    body: bytes
    attempts: int
    rejections: int = 0


@dataclass(frozen=True, slots=True)
class NotifiedRow:
    """What a channel was last told about one resource."""

    fingerprint: str
    drifted: bool
    notified_at: str
    last: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Prior:
    """Everything a pass needs from the last ones, read once."""

    resources: dict[ResourceKey, ResourceRow]
    listings: dict[tuple[str, str, str], ListingHint]
    baselines: dict[tuple[str, str, str], list[BaselineRow]]

    @classmethod
    def empty(cls) -> Prior:
        return cls({}, {}, {})

    def baselines_of(self, account: str, region: str, name: str) -> list[BaselineRow]:
        return self.baselines.get((account, region, name), [])
