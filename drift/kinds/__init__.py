"""The resource kinds the tool knows; each is one module. The registry maps report kinds to their rules."""

from __future__ import annotations

from drift.kinds.base import Context, KindSpec, Reconciled
from drift.kinds.endpoint import ENDPOINT
from drift.kinds.endpoint_config import ENDPOINT_CONFIG
from drift.kinds.model import MODEL
from drift.report import Kind

KINDS: dict[Kind, KindSpec] = {Kind.MODEL: MODEL, Kind.ENDPOINT_CONFIG: ENDPOINT_CONFIG, Kind.ENDPOINT: ENDPOINT}
BY_SECTION: dict[str, KindSpec] = {spec.kind.section: spec for spec in KINDS.values()}

__all__ = ["BY_SECTION", "KINDS", "Context", "KindSpec", "Reconciled"]
