"""What a resource kind is: its botocore shape, its quirks, how its paths are spelled and weighed.

A kind is data plus a few pure functions, so adding one (SPEC §9 added endpoint
configs and endpoints) is adding a module here, not threading branches through
the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.paths import Path
from drift.report import Kind, Severity


@dataclass(frozen=True, slots=True)
class Context:
    """What a cross-side rule may know besides the two forms."""

    account: str
    region: str
    #: ModelPackageName as written -> the package's inference containers (canonical), or None when unreadable.
    packages: Mapping[str, tuple[dict[str, Any], ...] | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """Both forms after the cross-side (echo) rules, and notes for what could not be verified."""

    expected: dict[str, Any]
    actual: dict[str, Any]
    notes: tuple[str, ...] = ()


def no_reconcile(declared: dict[str, Any], expected: dict[str, Any], actual: dict[str, Any],
                 ctx: Context) -> Reconciled:
    return Reconciled(expected, actual)


def no_alias(spec: Mapping[str, Any] | None, path: Path) -> Path:
    return path


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: Kind
    name_field: str
    create_operation: str
    #: Describe fields that never count (beyond what the Create shape lacks).
    read_only: frozenset[str]
    #: raw request or response -> canonical form (no tags); ``defaults`` fills SageMaker's documented defaults.
    canonical: Callable[..., dict[str, Any]]
    fill_defaults: Callable[[dict[str, Any]], dict[str, Any]]
    severity: Callable[[str], Severity]
    reconcile: Callable[[dict[str, Any], dict[str, Any], dict[str, Any], Context], Reconciled] = no_reconcile
    spell: Callable[[Mapping[str, Any] | None, Path], Path] = no_alias
