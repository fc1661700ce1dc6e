"""Desired-state YAML -> DesiredModel values, each remembering its file and lines.

A desired file is ``models:`` (a list of CreateModel requests) plus an optional
``target:``; top-level ``x-`` keys hold shared anchors and are ignored. Files,
directories and globs are all accepted, and every error of every file is
collected before we give up.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drift import redact
from drift._schema import check_keys, type_name
from drift._yaml import EnvRef, MarkedDict, MarkedList, YamlSyntaxError, key_line, load_file, plain
from drift.errors import DesiredStateError, Finding
from drift.validate import validate_entry

_FILE_KEYS = ("models", "target")
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class DesiredModel:
    """One declared model: a CreateModel request plus where it was written."""

    name: str
    target: str | None
    spec: dict[str, Any]
    file: str
    line: int

    @property
    def digest(self) -> str:
        """Identity of the declaration, used to know when a cached verdict is stale."""
        blob = json.dumps(plain(self.spec), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def declares_tags(self) -> bool:
        return "Tags" in self.spec and self.spec["Tags"] is not None




def display_path(path: str) -> str:
    """A path relative to the working directory when it lies below it, as the report wants."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") else relative


def expand_patterns(patterns: Iterable[str], base_dir: str | None = None) -> tuple[list[str], list[Finding]]:
    """Files named by file paths, directories (their *.yaml/*.yml) or globs, in a stable order."""
    files: list[str] = []
    findings: list[Finding] = []
    for pattern in patterns:
        matches = _expand_one(pattern)
        if not matches and base_dir and not os.path.isabs(pattern):
            matches = _expand_one(os.path.join(base_dir, pattern))
        if not matches:
            findings.append(Finding(pattern, None, "no desired-state file matches this path or glob"))
        for match in matches:
            if match not in files:
                files.append(match)
    return files, findings


def _expand_one(pattern: str) -> list[str]:
    if os.path.isdir(pattern):
        found: list[str] = []
        for root, _dirs, names in os.walk(pattern):
            found.extend(os.path.join(root, n) for n in names if n.endswith(_SUFFIXES))
        return sorted(display_path(f) for f in found)
    if os.path.isfile(pattern):
        return [display_path(pattern)]
    return sorted(display_path(f) for f in glob.glob(pattern, recursive=True) if os.path.isfile(f))


def load_desired(
    patterns: Iterable[str],
    *,
    base_dir: str | None = None,
    targets: tuple[str, ...] = ("default",),
    environ: Mapping[str, str] | None = None,
) -> list[DesiredModel]:
    """Load and validate every desired model; raise DesiredStateError listing every problem.

    ``environ`` is where ``!env NAME`` values come from (default: the process environment).
    """
    env = os.environ if environ is None else environ
    files, findings = expand_patterns(patterns, base_dir)
    models: list[DesiredModel] = []
    seen: dict[tuple[str | None, str], DesiredModel] = {}
    for file in files:
        for model in _load_file(file, targets, findings, env):
            key = (model.target, model.name)
            if key in seen:
                first = seen[key]
                findings.append(Finding(model.file, model.line,
                                        f"declared twice (first at {first.file}:{first.line})",
                                        model=model.name))
                continue
            seen[key] = model
            models.append(model)
    if findings:
        raise DesiredStateError(findings)
    return models


def _load_file(file: str, targets: tuple[str, ...], findings: list[Finding], env: Mapping[str, str]) -> list[
        DesiredModel]:
    try:
        doc = load_file(file)
    except YamlSyntaxError as exc:
        findings.append(Finding(file, exc.line, str(exc)))
        return []
    except OSError as exc:
        findings.append(Finding(file, None, f"cannot read: {exc.strerror or exc}"))
        return []
    if doc is None:
        return []
    if not isinstance(doc, dict):
        findings.append(Finding(file, getattr(doc, "line", 1),
                                f"expected a mapping with a models: list, got {type_name(doc)}"))
        return []
    visible = MarkedDict({k: v for k, v in doc.items() if not (isinstance(k, str) and k.startswith("x-"))})
    visible.lines, visible.line = getattr(doc, "lines", {}), getattr(doc, "line", 1)
    check_keys(visible, _FILE_KEYS, file, "", findings)
    target = doc.get("target")
    if target is not None and (not isinstance(target, str) or target not in targets):
        allowed = ", ".join(targets)
        findings.append(Finding(file, key_line(doc, "target"),
                                f"unknown target {target!r} (configured targets: {allowed})", path="target"))
        return []
    if target is None and len(targets) > 1:
        findings.append(Finding(file, visible.line, "several aws.targets are configured: name one with target:"))
        return []
    entries = doc.get("models")
    if entries is None:
        findings.append(Finding(file, visible.line, "missing models: list"))
        return []
    if not isinstance(entries, list):
        findings.append(Finding(file, key_line(doc, "models"),
                                f"models must be a list, got {type_name(entries)}", path="models"))
        return []
    result = []
    for i, entry in enumerate(entries):
        line = key_line(entries, i) or 1
        if not isinstance(entry, dict):
            findings.append(Finding(file, line, f"a model entry must be a mapping, got {type_name(entry)}",
                                    path=f"models[{i}]"))
            continue
        name = entry.get("ModelName")
        label = name if isinstance(name, str) else f"models[{i}]"
        before = len(findings)
        spec = _resolve(entry, file, label, "", findings, env)
        if len(findings) == before:
            validate_entry(spec, file, label, findings)
        if len(findings) == before and isinstance(name, str):
            result.append(DesiredModel(name=name, target=target if isinstance(target, str) else None,
                                       spec=spec, file=file, line=line))
    return result


def _resolve(value: Any, file: str, model: str, path: str, findings: list[Finding], env: Mapping[str, str]) -> Any:
    """Drop nulls and empties (absent everywhere) and read ``!env NAME`` values from the environment."""
    if isinstance(value, EnvRef):
        name = str(value)
        if name not in env:
            findings.append(Finding(file, value.line, f"environment variable {name} is not set (used as !env)",
                                    model=model, path=path))
            return ""
        resolved = env[name]
        if redact.is_secret_key(name) or redact.is_secret_key(path):
            redact.register(resolved)
        return resolved
    if isinstance(value, dict):
        out = MarkedDict()
        out.line = getattr(value, "line", None)
        for key, item in value.items():
            child = _resolve(item, file, model, f"{path}.{key}" if path else str(key), findings, env)
            # Empty and absent are the same, validation included; only an empty Tags means something
            # ("this model carries no tags").
            if child is None or (child in ({}, []) and not (path == "" and key == "Tags")):
                continue
            out[key] = child
            out.lines[key] = key_line(value, key) or out.line or 0
        return out
    if isinstance(value, list):
        items = MarkedList()
        items.line = getattr(value, "line", None)
        for i, item in enumerate(value):
            items.append(_resolve(item, file, model, f"{path}[{i}]", findings, env))
            items.lines.append(key_line(value, i) or items.line or 0)
        return items
    return value
