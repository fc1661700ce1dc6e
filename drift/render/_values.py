"""How a value and a change look to a person: short, quoted like YAML would, never a secret."""

from __future__ import annotations

import json
from typing import Any

from drift.report import Difference, DiffType

MAX_VALUE = 120


def show(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 3] + "..."


def change(diff: Difference) -> str:
    """``expected → actual``, or the finding's own sentence for what a field points at (SPEC §8, §9)."""
    if diff.message:
        return diff.message
    if diff.type is DiffType.REMOVE:
        return f"{show(diff.expected)} → (absent)"
    if diff.type is DiffType.ADD and diff.expected is None:
        return f"(not declared) → {show(diff.actual)}"
    return f"{show(diff.expected)} → {show(diff.actual)}"
