"""What the read stage hands to the rest of the pass: plain frozen values, no AWS objects."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drift.aws.sagemaker import Listed
from drift.plan import Unit
from drift.report import Kind
from drift.store.rows import ListingHint

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Live:
    """One live resource as this pass knows it."""

    kind: Kind
    listed: Listed
    #: The canonical live form (no tags), when this pass needed it.
    form: dict[str, Any] | None = None
    #: Canonical tags, when the declaration compares them.
    tags: dict[str, str] | None = None
    #: What is judged but not compared (an endpoint's deployed images and status).
    facts: dict[str, Any] | None = None
    #: Why this resource could not be read (its verdict is ERROR).
    error: str | None = None
    #: Listed, but gone when described.
    gone: bool = False
    described: bool = False


@dataclass(frozen=True, slots=True)
class UnitRead:
    """Everything read from one (target, region)."""

    unit: Unit
    account: str | None
    error: str | None = None
    live: dict[Kind, dict[str, Live]] = field(default_factory=dict)
    listings: dict[Kind, ListingHint] = field(default_factory=dict)
    #: ModelPackageName#InferenceSpecificationName -> the package's canonical inference containers (None: unreadable)
    packages: dict[str, tuple[dict[str, Any], ...] | None] = field(default_factory=dict)
    calls: int = 0
    throttled: int = 0
    described: int = 0
    calls_by_service: dict[str, int] = field(default_factory=dict)

    def of(self, kind: Kind) -> dict[str, Live]:
        return self.live.get(kind, {})


class Counter:
    """A thread-safe progress count, reported as (done, total)."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress
        self.lock = threading.Lock()

    def tick(self, n: int = 1) -> None:
        with self.lock:
            self.done += n
            done = self.done
        if self.progress:
            self.progress(done, self.total)
