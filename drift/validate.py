"""Desired-state entries vs botocore's own SageMaker input shapes (CreateModel, CreateEndpointConfig, ...).

cfn-lint validates against AWS's published schemas, never hand-made lists; so do
we. botocore's ParamValidator checks only types, required members and minimums,
and its patterns are unanchored (some use \\p{L}), so the walk is ours: every
member, enum, length, count and pattern the service model documents, each
pattern matched whole with the ``regex`` module.
"""

from __future__ import annotations

import functools
from typing import Any

import regex

from drift._botocore import input_shape
from drift._words import suggest, type_name
from drift._yaml import MarkedDict, key_line
from drift.errors import Finding


@functools.cache
def _pattern(text: str) -> Any:
    """A documented pattern, or None for the rare one ``regex`` cannot compile (no check beats a crash)."""
    try:
        return regex.compile(text)
    except regex.error:
        return None


class _Walk:
    def __init__(self, file: str, name: str | None, findings: list[Finding]) -> None:
        self.file = file
        self.name = name
        self.findings = findings

    def error(self, line: int | None, path: str, message: str) -> None:
        self.findings.append(Finding(self.file, line, message, model=self.name, path=path))

    def value(self, shape: Any, value: Any, path: str, line: int | None, *, env_value: bool = False) -> None:
        kind = shape.type_name
        if kind == "structure":
            self.structure(shape, value, path, line)
        elif kind == "list":
            self.list(shape, value, path, line)
        elif kind == "map":
            self.map(shape, value, path, line)
        elif kind == "string":
            self.string(shape, value, path, line, env_value=env_value)
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.error(line, path, f"expected true or false, got {type_name(value)}")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.error(line, path, f"expected an integer, got {type_name(value)}")
            else:
                self.bounds(shape, value, path, line, ("is", ""))
        elif kind in ("float", "double") and (isinstance(value, bool) or not isinstance(value, int | float)):
            self.error(line, path, f"expected a number, got {type_name(value)}")

    def structure(self, shape: Any, value: Any, path: str, line: int | None) -> None:
        if not isinstance(value, dict):
            self.error(line, path, f"expected a mapping, got {type_name(value)}")
            return
        members = shape.members
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if key not in members:
                self.error(key_line(value, key), child, f"unknown field{suggest(str(key), members)}")
                continue
            if item is None:
                continue
            self.value(members[key], item, child, key_line(value, key))
        for required in shape.required_members:
            if value.get(required) is None:
                child = f"{path}.{required}" if path else required
                self.error(getattr(value, "line", line), child, "missing required field")

    def list(self, shape: Any, value: Any, path: str, line: int | None) -> None:
        if not isinstance(value, list):
            self.error(line, path, f"expected a list, got {type_name(value)}")
            return
        self.bounds(shape, len(value), path, line, ("has", " items"))
        for i, item in enumerate(value):
            if item is None:
                self.error(key_line(value, i), f"{path}[{i}]", "list items cannot be null")
                continue
            self.value(shape.member, item, f"{path}[{i}]", key_line(value, i))

    def map(self, shape: Any, value: Any, path: str, line: int | None) -> None:
        if not isinstance(value, dict):
            self.error(line, path, f"expected a mapping, got {type_name(value)}")
            return
        self.bounds(shape, len(value), path, line, ("has", " entries"))
        env = path.endswith("Environment")
        for key, item in value.items():
            child = f"{path}.{key}"
            item_line = key_line(value, key)
            if not isinstance(key, str):
                self.error(item_line, child, f"keys must be strings, got {type_name(key)}")
                continue
            self.string(shape.key, key, child, item_line, what="key")
            if item is None:
                continue
            self.value(shape.value, item, child, item_line, env_value=env)

    def string(self, shape: Any, value: Any, path: str, line: int | None, *, env_value: bool = False,
               what: str = "value") -> None:
        if isinstance(value, bool):
            if env_value:
                word = "true" if value else "false"
                self.error(line, path, f"boolean value; environment values are strings: quote it (\"{word}\")")
            else:
                self.error(line, path, "expected a string, got boolean")
            return
        if env_value and isinstance(value, int | float):
            value = str(value)  # numbers are accepted and compared as their string form
        if not isinstance(value, str):
            self.error(line, path, f"expected a string, got {type_name(value)}")
            return
        if shape.enum and value not in shape.enum:
            self.error(line, path, f"invalid value {_shown(value, path)} (allowed: {', '.join(shape.enum)})")
            return
        if not self.bounds(shape, len(value), path, line, ("is", " characters long"), what=what):
            return
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            self.error(line, path, f"{what} {_shown(value, path)} does not match the pattern {pattern}")

    def bounds(self, shape: Any, size: int, path: str, line: int | None, measure: tuple[str, str],
               what: str = "value") -> bool:
        """Length, count or value within the documented min/max; ``measure`` is (verb, unit) for the message."""
        verb, unit = measure
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        subject = "" if what == "value" else f"{what} "
        if low is not None and size < low:
            self.error(line, path, f"{subject}{verb} {size}{unit}; the minimum is {low}")
            return False
        if high is not None and size > high:
            self.error(line, path, f"{subject}{verb} {size}{unit}; the maximum is {high}")
            return False
        return True


def _shown(value: str, path: str) -> str:
    """A value quoted in a message, unless it could be a secret (SPEC §4: error messages included)."""
    from drift.redact import is_secret

    if is_secret(path.rsplit(".", 1)[-1], value):
        return "'***'"
    return repr(value if len(value) <= 80 else value[:77] + "...")


def validate_entry(entry: dict[str, Any], operation: str, file: str, name: str | None,
                   findings: list[Finding]) -> None:
    """Append a Finding for everything in one Create-request entry that SageMaker would reject."""
    shape = input_shape(operation)
    walk = _Walk(file, name, findings)
    body = MarkedDict({k: v for k, v in entry.items() if k != "Tags"})
    body.line = getattr(entry, "line", None)
    body.lines = dict(getattr(entry, "lines", {}))
    walk.structure(shape, body, "", body.line)
    tags = entry.get("Tags")
    if tags is not None and "Tags" in shape.members:
        _validate_tags(walk, shape.members["Tags"], tags, key_line(entry, "Tags"))
    if operation == "CreateModel":
        _one_container_form(walk, entry)


def _one_container_form(walk: _Walk, entry: dict[str, Any]) -> None:
    """A model needs PrimaryContainer or Containers, as SageMaker does (and not both)."""
    has_primary = entry.get("PrimaryContainer") is not None
    has_list = bool(entry.get("Containers"))
    if not has_primary and not has_list:
        walk.error(getattr(entry, "line", None), "PrimaryContainer", "a model needs PrimaryContainer or Containers")
    elif has_primary and has_list:
        walk.error(key_line(entry, "Containers"), "Containers", "declare PrimaryContainer or Containers, not both")


def _validate_tags(walk: _Walk, shape: Any, tags: Any, line: int | None) -> None:
    """Tags may be a list of {Key, Value} (as SageMaker takes them) or a plain mapping."""
    if not isinstance(tags, dict):
        walk.value(shape, tags, "Tags", line)
        return
    walk.bounds(shape, len(tags), "Tags", line, ("has", " entries"))
    tag = shape.member
    for key, value in tags.items():
        item_line = key_line(tags, key)
        if not isinstance(key, str):
            walk.error(item_line, f"Tags.{key}", f"tag keys must be strings, got {type_name(key)}")
            continue
        walk.string(tag.members["Key"], key, f"Tags.{key}", item_line, what="key")
        if value is None:
            walk.error(item_line, f"Tags.{key}", "tag value cannot be null; use \"\" for an empty value")
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        walk.string(tag.members["Value"], str(value) if number else value, f"Tags.{key}", item_line)
