"""deepdiff over canonical forms -> Difference values with SPEC §4 paths.

Most models are in sync, so ``==`` on the canonical forms decides first (about
a microsecond); deepdiff only runs when they differ. Its findings are then
expanded to leaves, because a map is reported entry by entry and a whole added
container is reported field by field.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from drift import redact
from drift._yaml import key_line
from drift.config import PathRule
from drift.desired import DesiredModel
from drift.normalise import PACKAGE_FILLED, canonical, fill_defaults
from drift.report import Difference, DiffType, Source
from drift.rules import is_ignored, severity_of

_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


def canonical_desired(model: DesiredModel) -> tuple[dict[str, Any], dict[str, Any]]:
    """(declared, with defaults): the first tells ADD from NOT_EQUAL for defaulted fields."""
    tags = model.spec.get("Tags") if model.declares_tags else None
    declared = canonical(model.spec, defaults=False, tags=tags)
    return declared, fill_defaults(declared)


def canonical_live(live: dict[str, Any], tags: Any) -> dict[str, Any]:
    return canonical(live, defaults=True, tags=tags)


def mask_package_fields(expected: dict[str, Any], declared: dict[str, Any], actual: dict[str, Any]) -> dict[
        str, Any]:
    """What SageMaker fills in from a model package is not drift unless the desired container declares it."""
    containers = actual.get("Containers")
    if not containers:
        return actual
    masked = []
    declared_containers = declared.get("Containers", [])
    for i, container in enumerate(containers):
        mine = expected["Containers"][i] if i < len(expected.get("Containers", [])) else None
        if mine and mine.get("ModelPackageName"):
            said = declared_containers[i] if i < len(declared_containers) else {}
            container = {k: v for k, v in container.items() if k not in PACKAGE_FILLED or k in said}
        masked.append(container)
    return {**actual, "Containers": masked}


def compare(
    desired: DesiredModel,
    live: dict[str, Any],
    live_tags: Any,
    *,
    ignore: tuple[PathRule, ...] = (),
    severity: tuple[PathRule, ...] = (),
) -> tuple[Difference, ...]:
    """Every difference between a declared model and its live form, after ignore rules."""
    declared, expected = canonical_desired(desired)
    actual = canonical_live(live, live_tags if desired.declares_tags else None)
    return compare_canonical(desired, declared, expected, actual, ignore=ignore, severity=severity)


def compare_canonical(
    desired: DesiredModel,
    declared: dict[str, Any],
    expected: dict[str, Any],
    actual: dict[str, Any],
    *,
    ignore: tuple[PathRule, ...] = (),
    severity: tuple[PathRule, ...] = (),
) -> tuple[Difference, ...]:
    actual = mask_package_fields(expected, declared, actual)
    if expected == actual:
        return ()
    leaves: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    diff = DeepDiff(expected, actual, view="tree", verbose_level=2)
    for items in diff.values():
        for item in items:
            path = _collapse_scalar_lists(tuple(item.path(output_format="list")), expected, actual)
            _leaves(path, _get(expected, path), _get(actual, path), leaves)
    result = []
    for path, (want, have) in sorted(leaves.items(), key=lambda kv: _sort_key(kv[0])):
        shown = display_path(desired.spec, path)
        if is_ignored(ignore, desired.name, shown):
            continue
        if have is _MISSING:
            kind = DiffType.REMOVE
        elif want is _MISSING or _get(declared, path) is _MISSING:
            kind = DiffType.ADD
        else:
            kind = DiffType.NOT_EQUAL
        secret = _is_secret_path(path)
        result.append(Difference(
            path=shown,
            type=kind,
            expected=_shown(want, secret),
            actual=_shown(have, secret),
            severity=severity_of(severity, desired.name, shown),
            source=Source(desired.file, source_line(desired, path)),
        ))
    return tuple(result)


def _collapse_scalar_lists(path: tuple[Any, ...], *docs: dict[str, Any]) -> tuple[Any, ...]:
    """A list of plain values (subnets, security groups) is reported whole, never item by item."""
    for i, part in enumerate(path):
        if isinstance(part, int):
            parent = path[:i]
            for doc in docs:
                value = _get(doc, parent)
                if isinstance(value, list) and not any(isinstance(v, dict) for v in value):
                    return parent
    return path


def _leaves(path: tuple[Any, ...], want: Any, have: Any, out: dict[tuple[Any, ...], tuple[Any, Any]]) -> None:
    if isinstance(want, dict) or isinstance(have, dict):
        w = want if isinstance(want, dict) else {}
        h = have if isinstance(have, dict) else {}
        if (not isinstance(want, dict) and want is not _MISSING) or (not isinstance(have, dict) and (
                have is not _MISSING)):
            out[path] = (want, have)
            return
        for key in list(w) + [k for k in h if k not in w]:
            _leaves((*path, key), w.get(key, _MISSING), h.get(key, _MISSING), out)
        return
    if _is_dict_list(want) or _is_dict_list(have):
        wants = want if isinstance(want, list) else []
        haves = have if isinstance(have, list) else []
        for i in range(max(len(wants), len(haves))):
            _leaves((*path, i), wants[i] if i < len(wants) else _MISSING, haves[i] if i < len(haves) else _MISSING,
                    out)
        return
    if want != have:
        out[path] = (want, have)


def _is_dict_list(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _has(node: Any, part: Any) -> bool:
    """Whether ``node[part]`` exists, for a mapping key or a list index."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if not _has(doc, part):
            return _MISSING
        doc = doc[part]
    return doc


def _sort_key(path: tuple[Any, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{p:08d}") if isinstance(p, int) else (1, str(p)) for p in path)


def _is_secret_path(path: tuple[Any, ...]) -> bool:
    return "Environment" in path[:-1] and isinstance(path[-1], str) and redact.is_secret_key(path[-1])


def _shown(value: Any, secret: bool) -> Any:
    if value is _MISSING:
        return None
    if secret or redact.is_digest(value):
        return redact.MASK
    return value


def _spelling(spec: dict[str, Any], path: tuple[Any, ...]) -> list[Any]:
    """Canonical path -> the keys the desired entry itself uses."""
    parts: list[Any] = list(path)
    if len(parts) >= 2 and parts[0] == "Containers" and parts[1] == 0 and "PrimaryContainer" in spec:
        parts = ["PrimaryContainer", *parts[2:]]
        raw_container = spec.get("PrimaryContainer") or {}
        rest = 1
    elif len(parts) >= 2 and parts[0] == "Containers" and isinstance(parts[1], int):
        containers = spec.get("Containers") or []
        raw_container = containers[parts[1]] if parts[1] < len(containers) else {}
        rest = 2
    else:
        return parts
    if (
        len(parts) > rest and parts[rest] == "ModelDataUrl" and isinstance(raw_container, dict)
        and "ModelDataUrl" not in raw_container and "ModelDataSource" in raw_container
    ):
        parts[rest:rest + 1] = ["ModelDataSource", "S3DataSource", "S3Uri"]
    return parts


def display_path(spec: dict[str, Any], path: tuple[Any, ...]) -> str:
    """``Containers[1].Environment.MAX_BATCH``, spelled as the desired entry spells it."""
    text = ""
    for part in _spelling(spec, path):
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def source_line(model: DesiredModel, path: tuple[Any, ...]) -> int:
    """The line declaring this exact field, or the model entry's line for a field the entry omits."""
    node: Any = model.spec
    line = model.line
    parts = _spelling(model.spec, path)
    for part in parts:
        if isinstance(node, list) and isinstance(part, str) and all(isinstance(t, dict) for t in node):
            index = next((i for i, t in enumerate(node) if t.get("Key") == part), None)  # Tags as a list
            if index is None:
                return model.line
            line = key_line(node, index) or line
            node = node[index].get("Value")
            continue
        if _has(node, part):
            line = key_line(node, part) or line
            node = node[part]
        else:
            return model.line
    return line
