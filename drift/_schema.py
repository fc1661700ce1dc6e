"""A tiny declarative checker for our own YAML files (drift.yaml, desired-state wrappers).

SageMaker fields are validated against botocore's service model (validate.py);
this is only for the keys we invent ourselves, so the table lives beside them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from drift._yaml import key_line
from drift.errors import Finding


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


def check_keys(
    mapping: dict[Any, Any],
    allowed: Iterable[str],
    file: str,
    prefix: str,
    findings: list[Finding],
) -> None:
    """Report every unknown key of ``mapping`` with a suggestion."""
    allowed = list(allowed)
    for key in mapping:
        if not isinstance(key, str) or key not in allowed:
            where = f"{prefix}.{key}" if prefix else str(key)
            findings.append(
                Finding(file, key_line(mapping, key), f"unknown key{suggest(str(key), allowed)}", path=where)
            )
