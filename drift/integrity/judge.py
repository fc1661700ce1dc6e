"""Judge what a model's references resolved to against their baseline (SPEC §8), purely.

The baseline of a reference is the lock file's entry for that model and path, while
the desired state declares that same reference (a reviewed baseline); otherwise the
first resolution the state database recorded for this model *incarnation* (same ARN
and creation time: a re-created model starts anew). Without either, a reference is
resolved and shown, never judged. A reference that never resolved and is not found
is a note ("not found"), not drift: nothing says it ever existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift import paths
from drift.desired import DesiredResource
from drift.integrity.lockfile import LockEntry, LockFile
from drift.integrity.refs import Ref, parse_image
from drift.integrity.resolve import Key, Resolution
from drift.report import Baseline, Difference, DiffType, Severity, Source
from drift.store.rows import BaselineRow


@dataclass(frozen=True, slots=True)
class Judged:
    differences: tuple[Difference, ...] = ()
    resolved: tuple[tuple[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    #: Set when integrity.denied is "error" and a reference was denied or unreachable.
    error: str | None = None
    #: First resolutions to record (state kept, no baseline yet).
    baselines: tuple[BaselineRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Judging:
    """What every model of a pass is judged with."""

    resolutions: Mapping[Key, Resolution]
    lock: LockFile | None = None
    denied_is_error: bool = False
    #: Record first resolutions as baselines (only when state is kept).
    keep_state: bool = False
    now: str = ""


@dataclass(frozen=True, slots=True)
class _Base:
    """A reference's baseline: its value (and prefix keys), and where it comes from."""

    value: Any
    keys: Any
    baseline: Baseline


@dataclass(frozen=True, slots=True)
class Incarnation:
    target: str
    account: str
    region: str
    arn: str
    created: str


def short_digest(digest: Any) -> str:
    text = str(digest)
    return text[:19] + "…" if text.startswith("sha256:") and len(text) > 19 else text


def _when(baseline: Baseline) -> str:
    """How a sentence says where the baseline comes from: "when first seen 2026-11-30", "in the lock file (...)"."""
    if baseline.origin == "lock":
        return f"in the lock file ({baseline.file}:{baseline.line})"
    return f"when first seen {str(baseline.at)[:10]}"


def _since(baseline: Baseline) -> str:
    """"since first seen 2026-11-30", "since the lock file (...)"."""
    if baseline.origin == "lock":
        return f"since the lock file ({baseline.file}:{baseline.line})"
    return f"since first seen {str(baseline.at)[:10]}"


def _identity(value: Any) -> str:
    """What a reference resolved to, in words: a short digest, an object's ETag and size, a prefix's count."""
    if isinstance(value, dict) and "count" in value:
        return f"{value.get('count')} objects"
    if isinstance(value, dict):
        version = f", version {value['version_id']}" if value.get("version_id") else ""
        return f"ETag {value.get('etag')}, {value.get('size')} bytes{version}"
    return short_digest(value)


def _prefix_detail(before: Any, after: Any) -> dict[str, Any] | None:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if list(before[k]) != list(after[k]))
    return {"added": len(added), "removed": len(removed), "changed": len(changed),
            "keys": (added + removed + changed)[:10]}


def _finding(ref: Ref, shown: str, now: Resolution, base: _Base, source: Source) -> Difference | None:
    """REPOINTED, OVERWRITTEN or GONE, or None when the reference still resolves to its baseline."""
    value, keys, baseline = base.value, base.keys, base.baseline
    when = _when(baseline)
    if now.state == "missing":
        message = f"{ref.value} no longer exists; it resolved to {_identity(value)} {when}"
        return Difference(shown, DiffType.GONE, value, None, Severity.CRITICAL, source, baseline, message=message)
    if now.state != "ok" or now.value == value:
        return None
    if ref.type == "image":
        image = parse_image(ref.value)
        name = image.short if image else ref.value
        message = f"tag {name} now points to {short_digest(now.value)}, was {short_digest(value)} {when}"
        return Difference(shown, DiffType.REPOINTED, value, now.value, Severity.CRITICAL, source, baseline,
                          message=message)
    detail = _prefix_detail(keys, now.keys) if ref.type == "prefix" else None
    if detail is not None:
        message = (f"{ref.value}: {detail['added']} added, {detail['removed']} removed, {detail['changed']} changed "
                   f"objects {_since(baseline)}")
    elif ref.type == "prefix":  # the lock keeps a prefix's digest and count, not its keys
        message = (f"{ref.value}: its objects changed {_since(baseline)} ({_identity(now.value)} now, "
                   f"{_identity(value)} then)")
    else:
        message = f"{ref.value} was overwritten in place {_since(baseline)} ({_identity(now.value)} now, " \
                  f"{_identity(value)} then)"
    return Difference(shown, DiffType.OVERWRITTEN, value, now.value, Severity.CRITICAL, source, baseline,
                      detail=detail, message=message)


def judge(resource: DesiredResource, declared: Mapping[str, Any], refs: list[Ref], where: Incarnation,
          prior: list[BaselineRow], how: Judging) -> Judged:
    """Findings, ``resolved`` values and notes for one declared model's live references."""
    differences: list[Difference] = []
    resolved: list[tuple[str, Any]] = []
    notes: list[str] = []
    errors: list[str] = []
    new: list[BaselineRow] = []
    first_seen = {b.path: b for b in prior if b.arn == where.arn and b.created == where.created}
    for ref in refs:
        spelled = paths.spell(resource.spec, ref.path)
        shown = paths.render(spelled)
        resolution = how.resolutions.get((where.target, ref.type, ref.value))
        if resolution is None:
            continue
        if resolution.state in ("denied", "failed", "unsupported"):
            note = f"{shown}: {ref.value}: {resolution.reason}"
            (errors if how.denied_is_error and resolution.state != "unsupported" else notes).append(note)
            continue
        if resolution.state == "ok":
            resolved.append((shown, resolution.value))
        base = _baseline(how.lock, resource, shown, ref, declared, first_seen.get(shown))
        if base is None:
            if resolution.state == "missing":
                notes.append(f"{shown}: {ref.value}: {resolution.reason or 'not found'}")
            elif how.keep_state:
                new.append(BaselineRow(where.account, where.region, resource.name, where.arn, where.created, shown,
                                       ref.value, {"value": resolution.value, "keys": resolution.keys}, how.now))
            continue
        source = Source(resource.file, paths.locate(resource.spec, spelled, resource.line))
        finding = _finding(ref, shown, resolution, base, source)
        if finding is not None:
            differences.append(finding)
    return Judged(tuple(differences), tuple(resolved), tuple(notes), "; ".join(errors) or None, tuple(new))


def _baseline(lock: LockFile | None, resource: DesiredResource, shown: str, ref: Ref, declared: Mapping[str, Any],
              seen: BaselineRow | None) -> _Base | None:
    """The lock file's entry when it applies, else the first resolution of this incarnation, else None."""
    entry = _lock_entry(lock, resource, shown, ref, declared)
    if entry is not None:
        return _Base(entry.resolved, entry.keys, Baseline("lock", file=lock.display if lock else None,
                                                          line=entry.line))
    if seen is not None and seen.reference == ref.value:
        resolved = seen.resolved or {}
        return _Base(resolved.get("value"), resolved.get("keys"), Baseline("first-seen", at=seen.seen_at))
    return None


def _lock_entry(lock: LockFile | None, resource: DesiredResource, shown: str, ref: Ref,
                declared: Mapping[str, Any]) -> LockEntry | None:
    """The lock entry for this model and path, while the desired state declares that same reference."""
    if lock is None:
        return None
    entry = lock.entry(resource.target, resource.name, shown)
    if entry is None or entry.reference != ref.value:
        return None
    return entry if paths.get(declared, ref.path) == ref.value else None
