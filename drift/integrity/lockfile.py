"""The lock file: a reviewed baseline of what each declared image tag and artifact resolved to (SPEC §8).

YAML, sorted and stable (no timestamps), so that it diffs well in a pull request,
as package lock files do. Per declared model and path: the reference as declared
and what it resolved to. An entry applies only while the desired state declares
that same reference; otherwise it is stale, and ``drift lock --check`` fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from drift import paths
from drift._yaml import key_line, load_file
from drift.desired import DesiredResource
from drift.errors import Finding, LockFileError, YamlSyntaxError
from drift.files import display_path
from drift.integrity.refs import Ref, model_refs
from drift.kinds import KINDS
from drift.report import Kind

VERSION = 1
#: A prefix's objects (key, ETag, size) are kept in the lock up to this many, so that a change later says which
#: keys were added, removed or changed; a larger prefix keeps its digest and count only.
MAX_LOCKED_OBJECTS = 1000
HEADER = ("# Written by `drift lock`: what each declared image tag and model artifact resolved to.\n"
          "# Review changes like any lock file; `drift lock --check` fails while it no longer matches the desired "
          "state.\n")

LockKey = tuple[str | None, str, str]  # (target, model, shown path)


@dataclass(frozen=True, slots=True)
class LockEntry:
    target: str | None
    model: str
    path: str
    reference: str
    resolved: Any
    line: int = 0
    #: For a prefix: {key: [etag, size]} when kept (see MAX_LOCKED_OBJECTS).
    keys: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LockFile:
    display: str
    entries: dict[LockKey, LockEntry]

    def entry(self, target: str | None, model: str, path: str) -> LockEntry | None:
        return self.entries.get((target, model, path))


@dataclass(frozen=True, slots=True)
class DeclaredRef:
    resource: DesiredResource
    ref: Ref
    shown: str

    @property
    def key(self) -> LockKey:
        return (self.resource.target, self.resource.name, self.shown)


def declared_refs(models: Iterable[DesiredResource], *, images: bool = True, artifacts: bool = True) -> list[
        DeclaredRef]:
    """Every reference the desired state declares, with its path spelled as the entry spells it."""
    out = []
    for model in models:
        form = KINDS[Kind.MODEL].canonical(model.spec, defaults=False)
        for ref in model_refs(form, images=images, artifacts=artifacts):
            out.append(DeclaredRef(model, ref, paths.show(model.spec, ref.path)))
    return out


def _resolved_in(item: Mapping[str, Any]) -> Any:
    if "count" in item:
        return {"digest": item.get("digest"), "count": item.get("count")}
    if "etag" in item:
        return {"etag": item.get("etag"), "version_id": item.get("version_id"), "size": item.get("size")}
    return item.get("digest")


def _resolved_out(value: Any, keys: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {"digest": value}
    out = {k: v for k, v in sorted(value.items()) if v is not None}
    if keys is not None and len(keys) <= MAX_LOCKED_OBJECTS:
        out["objects"] = {k: {"etag": keys[k][0], "size": keys[k][1]} for k in sorted(keys)}
    return out


def _keys_in(item: Mapping[str, Any]) -> dict[str, Any] | None:
    objects = item.get("objects")
    if not isinstance(objects, dict):
        return None
    return {str(k): [v.get("etag"), v.get("size")] for k, v in objects.items() if isinstance(v, dict)}


def read_lock(path: str) -> LockFile | None:
    """The lock file at ``path``, or None when there is none; LockFileError when it is not one."""
    if not os.path.exists(path):
        return None
    shown = display_path(path)
    try:
        doc = load_file(path)
    except YamlSyntaxError as exc:
        raise LockFileError([Finding(shown, exc.line, str(exc))]) from exc
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("models") or [], list):
        raise LockFileError([Finding(shown, 1, f"not a drift lock file (version {VERSION}); run drift lock")])
    entries: dict[LockKey, LockEntry] = {}
    findings = []
    for i, model in enumerate(doc.get("models") or []):
        refs = model.get("references") if isinstance(model, dict) else None
        if not isinstance(model, dict) or not isinstance(model.get("name"), str) or not isinstance(refs, dict):
            findings.append(Finding(shown, key_line(doc["models"], i), "expected name and references"))
            continue
        target = str(model["target"]) if model.get("target") is not None else None
        for key, item in refs.items():
            if not isinstance(item, dict) or not isinstance(item.get("reference"), str):
                findings.append(Finding(shown, key_line(refs, key), "expected a reference and what it resolved to",
                                        model=model["name"], path=str(key)))
                continue
            entries[(target, model["name"], str(key))] = LockEntry(target, model["name"], str(key), item["reference"],
                                                                   _resolved_in(item), key_line(refs, key) or 0,
                                                                   _keys_in(item))
    if findings:
        raise LockFileError(findings)
    return LockFile(shown, entries)


def render_lock(entries: Iterable[LockEntry]) -> str:
    """The lock file's text: models sorted by target and name, references by path; byte-stable."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: (e.target or "", e.model, e.path)):
        model = grouped.setdefault((e.target or "", e.model), {"name": e.model, **(
            {"target": e.target} if e.target else {}), "references": {}})
        model["references"][e.path] = {"reference": e.reference, **_resolved_out(e.resolved, e.keys)}
    doc = {"version": VERSION, "models": list(grouped.values())}
    return HEADER + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True, width=200)


def staleness(lock: LockFile | None, refs: list[DeclaredRef]) -> list[str]:
    """Why the lock file no longer matches the desired state (empty when it does)."""
    problems = []
    entries = dict(lock.entries) if lock else {}
    for declared in refs:
        entry = entries.pop(declared.key, None)
        where = f"{declared.resource.name}: {declared.shown}"
        if entry is None:
            problems.append(f"{where}: {declared.ref.value} is not in the lock file")
        elif entry.reference != declared.ref.value:
            problems.append(f"{where}: the lock file has {entry.reference} (line {entry.line}), the desired state "
                            f"declares {declared.ref.value}")
    for entry in entries.values():
        problems.append(f"{entry.model}: {entry.path}: locked (line {entry.line}) but no longer declared")
    return problems
