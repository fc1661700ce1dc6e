"""Report <-> the SPEC §4 JSON shape: the one place a Report becomes plain data, and back.

``to_dict`` is what every JSON output, webhook body and state row is made of;
it redacts on the way out. ``from_dict`` reads a report back (``drift merge``,
and the last verdict of a resource that left scope), refusing what is not ours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from drift.errors import ReportError
from drift.redact import scrub_value
from drift.report import (
    Baseline,
    Difference,
    DiffType,
    Kind,
    Report,
    Result,
    ServedBy,
    Severity,
    ShardInfo,
    Source,
    Status,
)

SCHEMA = "drift.report/v1"


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
    if diff.baseline is not None:
        out["baseline"] = _baseline_to_dict(diff.baseline)
    if diff.detail is not None:
        out["detail"] = diff.detail
    if diff.message is not None:
        out["message"] = diff.message
    return out


def _baseline_to_dict(baseline: Baseline) -> dict[str, Any]:
    out: dict[str, Any] = {"from": baseline.origin}
    if baseline.origin == "lock":
        out.update(file=baseline.file, line=baseline.line)
    elif baseline.origin == "first-seen":
        out["at"] = baseline.at
    else:
        out["name"] = baseline.name
    return out


def result_to_dict(result: Result, change: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": result.kind.value,
        "name": result.name,
        "account": result.account,
        "region": result.region,
        "status": result.status.value,
        "severity": result.severity.value if result.severity else None,
        "recreated": result.recreated,
        "differences": [difference_to_dict(d) for d in result.differences],
    }
    if change is not None:
        out["change"] = change
    if result.error is not None:
        out["error"] = result.error
    if result.resolved:
        out["resolved"] = dict(result.resolved)
    if result.unverified:
        out["unverified"] = list(result.unverified)
    if result.served_by:
        out["served_by"] = [{"endpoint": s.endpoint, "variant": s.variant, "stale": s.stale} for s in result.served_by]
    return out


def _shard_to_dict(shard: ShardInfo) -> dict[str, Any]:
    return {"index": shard.index, "count": shard.count, "units": list(shard.units), "inputs": shard.inputs,
            "read": [{"unit": unit, "account": account} for unit, account in shard.read]}


def to_dict(report: Report, changes: Mapping[tuple[str, str, str, str], str] | None = None) -> dict[str, Any]:
    """The SPEC §4 shape; with ``changes`` (a notification body) each entry says why it is there."""
    s = report.summary
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "run_id": report.run_id,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "summary": {"checked": s.checked, "in_sync": s.in_sync, "modified": s.modified, "missing": s.missing,
                    "unmanaged": s.unmanaged, "error": s.error, "unverified": s.unverified},
    }
    for kind in Kind:
        entries = [result_to_dict(r, changes.get(r.key) if changes else None) for r in report.of_kind(kind)]
        if kind is Kind.MODEL or entries:
            out[kind.section] = entries
    if report.errors:
        out["errors"] = list(report.errors)
    if report.shard is not None:
        out["shard"] = _shard_to_dict(report.shard)
    if report.shards:
        out["shards"] = [_shard_to_dict(s) for s in report.shards]
    return dict(scrub_value(out))


def fingerprint(result: Result) -> str:
    """Identity of a resource's drift: its status and redacted differences, nothing that changes per pass."""
    body = {"status": result.status.value,
            "differences": scrub_value([difference_to_dict(d) | {"source": None} for d in result.differences])}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]


# -- reading back ----------------------------------------------------------------------------------------------
def _enum(cls: Any, value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError as exc:
        raise ReportError(f"{what}: unknown value {str(value)[:40]!r}") from exc


def _text(entry: Mapping[str, Any], key: str, what: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        raise ReportError(f"{what}: {key} is missing or not a string")
    return value


def difference_from_dict(entry: Mapping[str, Any], what: str) -> Difference:
    source = entry.get("source")
    baseline = entry.get("baseline")
    return Difference(
        path=_text(entry, "path", what),
        type=_enum(DiffType, entry.get("type"), what),
        expected=entry.get("expected"),
        actual=entry.get("actual"),
        severity=_enum(Severity, entry.get("severity"), what),
        source=Source(str(source.get("file")), int(source.get("line") or 0)) if isinstance(source, Mapping) else None,
        baseline=Baseline(origin=str(baseline.get("from")), file=baseline.get("file"), line=baseline.get("line"),
                          at=baseline.get("at"), name=baseline.get("name")) if isinstance(baseline, Mapping) else None,
        detail=entry.get("detail"),
        message=entry.get("message"),
    )


def result_from_dict(entry: Any, default_kind: Kind = Kind.MODEL, target: str = "default") -> Result:
    if not isinstance(entry, Mapping):
        raise ReportError("a resource entry is not a mapping")
    what = f"resource {str(entry.get('name'))[:80]!r}"
    severity = entry.get("severity")
    differences = entry.get("differences") or []
    if not isinstance(differences, list):
        raise ReportError(f"{what}: differences is not a list")
    served = entry.get("served_by") or []
    return Result(
        name=_text(entry, "name", what),
        account=_text(entry, "account", what),
        region=_text(entry, "region", what),
        status=_enum(Status, entry.get("status"), what),
        severity=_enum(Severity, severity, what) if severity is not None else None,
        recreated=bool(entry.get("recreated")),
        differences=tuple(difference_from_dict(d, what) for d in differences if isinstance(d, Mapping)),
        error=entry.get("error"),
        target=target,
        kind=_enum(Kind, entry.get("kind", default_kind.value), what),
        resolved=tuple(sorted((entry.get("resolved") or {}).items())),
        unverified=tuple(str(u) for u in entry.get("unverified") or ()),
        served_by=tuple(ServedBy(str(s.get("endpoint")), str(s.get("variant")), bool(s.get("stale")))
                        for s in served if isinstance(s, Mapping)),
    )


def _shard_from_dict(entry: Any) -> ShardInfo:
    if not isinstance(entry, Mapping):
        raise ReportError("shard is not a mapping")
    try:
        read = tuple((str(r["unit"]), str(r["account"])) for r in entry.get("read") or ())
        return ShardInfo(index=int(entry["index"]), count=int(entry["count"]),
                         units=tuple(str(u) for u in entry.get("units") or ()), inputs=str(entry["inputs"]),
                         read=read)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"shard is incomplete: {exc}") from exc


def from_dict(data: Any) -> Report:
    """A report read back from its JSON form; ReportError when it is not a drift.report/v1 document."""
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
        raise ReportError(f"not a {SCHEMA} document")
    resources: list[Result] = []
    for kind in Kind:
        entries = data.get(kind.section) or []
        if not isinstance(entries, list):
            raise ReportError(f"{kind.section} is not a list")
        resources.extend(result_from_dict(e, kind) for e in entries)
    shard = data.get("shard")
    return Report(
        run_id=str(data.get("run_id") or ""), started_at=str(data.get("started_at") or ""),
        finished_at=str(data.get("finished_at") or ""), resources=tuple(resources),
        errors=tuple(str(e) for e in data.get("errors") or ()),
        shard=_shard_from_dict(shard) if shard is not None else None,
        shards=tuple(_shard_from_dict(s) for s in data.get("shards") or ()),
    )
