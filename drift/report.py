"""The frozen Report: one value is the whole result of a pass, sorted for stable output.

It holds every resource of every kind (models, endpoint configs, endpoints); it
is serialised to the SPEC §4 JSON shape in exactly one place (``serialise.py``),
and every writer, the notifier and the state store consume the same value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Kind(enum.Enum):
    """A kind of SageMaker resource; the value is the report's ``kind``."""

    MODEL = "Model"
    ENDPOINT_CONFIG = "EndpointConfig"
    ENDPOINT = "Endpoint"

    @property
    def section(self) -> str:
        """The report list (and desired-state key) that holds this kind."""
        return {"Model": "models", "EndpointConfig": "endpoint_configs", "Endpoint": "endpoints"}[self.value]

    @property
    def order(self) -> int:
        return {"Model": 0, "EndpointConfig": 1, "Endpoint": 2}[self.value]


class Status(enum.Enum):
    IN_SYNC = "IN_SYNC"
    MODIFIED = "MODIFIED"
    MISSING = "MISSING"
    UNMANAGED = "UNMANAGED"
    ERROR = "ERROR"


class DiffType(enum.Enum):
    NOT_EQUAL = "NOT_EQUAL"
    ADD = "ADD"
    REMOVE = "REMOVE"
    #: What a field points at (SPEC §8, §9): judged against a baseline.
    REPOINTED = "REPOINTED"
    OVERWRITTEN = "OVERWRITTEN"
    GONE = "GONE"
    STALE = "STALE"

    @property
    def against_baseline(self) -> bool:
        return self in (DiffType.REPOINTED, DiffType.OVERWRITTEN, DiffType.GONE, DiffType.STALE)


class Severity(enum.Enum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 3, "warning": 2, "info": 1}[self.value]


DRIFTED = frozenset({Status.MODIFIED, Status.MISSING, Status.UNMANAGED})


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Baseline:
    """Where the expected value of a REPOINTED/OVERWRITTEN/GONE/STALE finding comes from."""

    origin: str  # "lock" | "first-seen" | "endpoint"
    file: str | None = None
    line: int | None = None
    at: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Difference:
    """One field that differs; values are already redacted."""

    path: str
    type: DiffType
    expected: Any
    actual: Any
    severity: Severity
    source: Source | None = None
    baseline: Baseline | None = None
    #: For a changed S3 prefix: counts of added/removed/changed keys and up to ten keys.
    detail: Any = None
    #: One sentence for people ("tag fraud:3.1 now points to sha256:9c1…").
    message: str | None = None


@dataclass(frozen=True, slots=True)
class ServedBy:
    endpoint: str
    variant: str
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one resource."""

    name: str
    account: str
    region: str
    status: Status
    severity: Severity | None = None
    recreated: bool = False
    differences: tuple[Difference, ...] = ()
    error: str | None = None
    target: str = "default"
    kind: Kind = Kind.MODEL
    resolved: tuple[tuple[str, Any], ...] = ()
    unverified: tuple[str, ...] = ()
    served_by: tuple[ServedBy, ...] = ()
    #: Identity of the live resource this verdict is about (not part of the JSON).
    arn: str | None = None
    creation_time: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind.value, self.account, self.region, self.name)

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.kind.order, self.account, self.region, self.name)

    @property
    def drifted(self) -> bool:
        return self.status in DRIFTED


#: The name the first release used; a model is one kind of resource.
ModelResult = Result


@dataclass(frozen=True, slots=True)
class Summary:
    checked: int = 0
    in_sync: int = 0
    modified: int = 0
    missing: int = 0
    unmanaged: int = 0
    error: int = 0
    unverified: int = 0

    @classmethod
    def of(cls, resources: tuple[Result, ...]) -> Summary:
        def count(status: Status) -> int:
            return sum(1 for m in resources if m.status is status)

        return cls(checked=len(resources), in_sync=count(Status.IN_SYNC), modified=count(Status.MODIFIED),
                   missing=count(Status.MISSING), unmanaged=count(Status.UNMANAGED), error=count(Status.ERROR),
                   unverified=sum(1 for m in resources if m.unverified))


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """What one shard of a sharded pass covered (SPEC §10)."""

    index: int
    count: int
    units: tuple[str, ...]
    inputs: str
    #: Units read completely: (unit, account); lets `merge` resolve alerts of resources that left scope.
    read: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    run_id: str
    started_at: str
    finished_at: str
    resources: tuple[Result, ...]
    #: Problems that concern a whole target (a listing that failed), not one resource.
    errors: tuple[str, ...] = ()
    shard: ShardInfo | None = None
    #: For a merged report: the shards it was made of.
    shards: tuple[ShardInfo, ...] = ()
    summary: Summary = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "resources", tuple(sorted(self.resources, key=lambda m: m.sort_key)))
        object.__setattr__(self, "summary", Summary.of(self.resources))

    def of_kind(self, kind: Kind) -> tuple[Result, ...]:
        return tuple(r for r in self.resources if r.kind is kind)

    @property
    def models(self) -> tuple[Result, ...]:
        return self.of_kind(Kind.MODEL)

    @property
    def has_error(self) -> bool:
        return bool(self.errors) or self.summary.error > 0

    @property
    def has_drift(self) -> bool:
        return any(m.drifted for m in self.resources)

    def exit_code(self) -> int:
        """0 in sync, 2 drift, 1 error; an error wins: a pass that could not look never says 0 or 2."""
        if self.has_error:
            return 1
        return 2 if self.has_drift else 0
