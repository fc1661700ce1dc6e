"""Which resources' drift appeared, changed, resolved or deserves a reminder, for one channel: purely.

A resource's drift identity is ``serialise.fingerprint``: its status and redacted
differences. Nothing is sent while it stays the same; a resource in ERROR keeps
its previous fingerprint, so an outage neither raises nor resolves an alert. A
resource that left scope (an unmanaged model deleted, a declaration removed)
resolves with its *last* status, only when its account and region were read
completely in this pass.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from drift.config.settings import Channel
from drift.errors import ReportError
from drift.report import Result, Status
from drift.serialise import fingerprint, result_from_dict
from drift.store.rows import NotifiedRow, ResourceKey


class ChangeKind(enum.Enum):
    APPEARED = "appeared"
    CHANGED = "changed"
    RESOLVED = "resolved"
    REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class Change:
    key: ResourceKey
    kind: ChangeKind
    result: Result
    fingerprint: str | None


def _seconds_since(stamp: str, now: datetime) -> float:
    then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (now - then).total_seconds()


def detect(told: Mapping[ResourceKey, NotifiedRow], channel: Channel, resources: tuple[Result, ...],
           read_scopes: set[tuple[str, str]], now: datetime) -> list[Change]:
    """Changes for one channel, from what it was last told and this pass's verdicts."""
    changes = [c for c in (_change(told.get(r.key), channel, r, now) for r in resources) if c is not None]
    seen = {r.key for r in resources}
    for key, previous in told.items():
        if key in seen or not previous.drifted or (key[1], key[2]) not in read_scopes:
            continue
        last = _last(previous, key)
        if last is not None:
            changes.append(Change(key, ChangeKind.RESOLVED, last, None))
    return changes


def _change(previous: NotifiedRow | None, channel: Channel, result: Result, now: datetime) -> Change | None:
    """What one verdict means to a channel that was last told ``previous``; an ERROR means nothing."""
    if result.status is Status.ERROR:
        return None
    if not result.drifted:
        resolved = previous is not None and previous.drifted
        return Change(result.key, ChangeKind.RESOLVED, result, None) if resolved else None
    current = fingerprint(result)
    if previous is None or not previous.drifted:
        return Change(result.key, ChangeKind.APPEARED, result, current)
    if previous.fingerprint != current:
        return Change(result.key, ChangeKind.CHANGED, result, current)
    if channel.remind_after and _seconds_since(previous.notified_at, now) >= channel.remind_after:
        return Change(result.key, ChangeKind.REMINDER, result, current)
    return None


def _last(previous: NotifiedRow, key: ResourceKey) -> Result | None:
    """The verdict the channel was last told, for a resource that left scope; never a made-up IN_SYNC."""
    try:
        return result_from_dict(previous.last) if previous.last else None
    except ReportError:
        return None
