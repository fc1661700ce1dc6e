"""How findings talk about values: "did you mean", and the YAML name of a Python type."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def suggest(word: str, choices: Iterable[str]) -> str:
    """A " (did you mean X?)" suffix, or "" when nothing is close."""
    choices = list(choices)
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            matches = [lowered[word.lower()]]
    return f" (did you mean {matches[0]}?)" if matches else ""


def type_name(value: Any) -> str:
    """YAML's word for a value's type, as users wrote it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__
