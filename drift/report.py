"""The frozen Report: one value is the whole result of a pass, sorted for stable output.

It is serialised to the SPEC §4 JSON shape in exactly one place (``to_dict``);
every writer, the notifier and the state store consume the same value.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "drift.report/v1"


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
class Difference:
    """One field that differs; values are already redacted."""

    path: str
    type: DiffType
    expected: Any
    actual: Any
    severity: Severity
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class ModelResult:
    name: str
    account: str
    region: str
    status: Status
    severity: Severity | None = None
    recreated: bool = False
    differences: tuple[Difference, ...] = ()
    error: str | None = None
    target: str = "default"
    # Identity of the live model this verdict is about (not part of the JSON).
    arn: str | None = None
    creation_time: str | None = None

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.name)

    @property
    def drifted(self) -> bool:
        return self.status in DRIFTED


@dataclass(frozen=True, slots=True)
class Summary:
    checked: int = 0
    in_sync: int = 0
    modified: int = 0
    missing: int = 0
    unmanaged: int = 0
    error: int = 0

    @classmethod
    def of(cls, models: tuple[ModelResult, ...]) -> Summary:
        def count(status: Status) -> int:
            return sum(1 for m in models if m.status is status)

        return cls(checked=len(models), in_sync=count(Status.IN_SYNC), modified=count(Status.MODIFIED),
                   missing=count(Status.MISSING), unmanaged=count(Status.UNMANAGED), error=count(Status.ERROR))


@dataclass(frozen=True, slots=True)
class Report:
    run_id: str
    started_at: str
    finished_at: str
    models: tuple[ModelResult, ...]
    #: Problems that concern a whole target (a listing that failed), not one model.
    errors: tuple[str, ...] = ()
    summary: Summary = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(sorted(self.models, key=lambda m: m.sort_key)))
        object.__setattr__(self, "summary", Summary.of(self.models))

    @property
    def has_error(self) -> bool:
        return bool(self.errors) or self.summary.error > 0

    @property
    def has_drift(self) -> bool:
        return any(m.drifted for m in self.models)

    def exit_code(self) -> int:
        """0 in sync, 2 drift, 1 error; an error wins: a pass that could not look never says 0 or 2."""
        if self.has_error:
            return 1
        return 2 if self.has_drift else 0


def difference_to_dict(diff: Difference) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": diff.path,
        "type": diff.type.value,
        "expected": diff.expected,
        "actual": diff.actual,
        "severity": diff.severity.value,
    }
    if diff.source is not None:
        out["source"] = {"file": diff.source.file, "line": diff.source.line}
    return out


def model_to_dict(model: ModelResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": model.name,
        "account": model.account,
        "region": model.region,
        "status": model.status.value,
        "severity": model.severity.value if model.severity else None,
        "recreated": model.recreated,
        "differences": [difference_to_dict(d) for d in model.differences],
    }
    if model.error is not None:
        out["error"] = model.error
    return out


def to_dict(report: Report) -> dict[str, Any]:
    """The SPEC §4 shape; the one place a Report becomes plain data."""
    from drift.redact import scrub_value

    s = report.summary
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "run_id": report.run_id,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "summary": {"checked": s.checked, "in_sync": s.in_sync, "modified": s.modified,
                    "missing": s.missing, "unmanaged": s.unmanaged, "error": s.error},
        "models": [model_to_dict(m) for m in report.models],
    }
    if report.errors:
        out["errors"] = list(report.errors)
    return dict(scrub_value(out))


def fingerprint(model: ModelResult) -> str:
    """Identity of a model's drift: its status and (redacted) differences, nothing that changes per pass."""
    from drift.redact import scrub_value

    body = {"status": model.status.value,
            "differences": scrub_value([difference_to_dict(d) | {"source": None} for d in model.differences])}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]
