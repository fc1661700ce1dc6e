"""deepdiff over two canonical forms -> Difference values with SPEC §4 paths.

Most resources are in sync, so ``==`` on the canonical forms decides first (about
a microsecond); deepdiff only runs when they differ. Its findings are expanded to
leaves, because a map is reported entry by entry and a whole added container is
reported field by field. Severities here are the kind's defaults; the filter stage
(``filters.py``) applies the user's ignore and severity rules.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from drift import paths, redact
from drift.desired import DesiredResource
from drift.kinds import KindSpec
from drift.report import Difference, DiffType, Source

_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


def differences(resource: DesiredResource, kind: KindSpec, declared: dict[str, Any], expected: dict[str, Any],
                actual: dict[str, Any]) -> tuple[Difference, ...]:
    """Every difference between the expected form (declared plus defaults) and the live one.

    ``declared`` (without defaults) tells ``ADD`` from ``NOT_EQUAL`` for a field the entry omits.
    """
    if expected == actual:
        return ()
    leaves: dict[paths.Path, tuple[Any, Any]] = {}
    diff = DeepDiff(expected, actual, view="tree", verbose_level=2)
    for items in diff.values():
        for item in items:
            path = _collapse_scalar_lists(tuple(item.path(output_format="list")), expected, actual)
            _leaves(path, paths.get(expected, path, _MISSING), paths.get(actual, path, _MISSING), leaves)
    result = []
    for path, (want, have) in sorted(leaves.items(), key=lambda kv: _sort_key(kv[0])):
        spelled = kind.spell(resource.spec, path)
        shown = paths.render(spelled)
        if have is _MISSING:
            change = DiffType.REMOVE
        elif want is _MISSING or paths.get(declared, path, _MISSING) is _MISSING:
            change = DiffType.ADD
        else:
            change = DiffType.NOT_EQUAL
        secret = _is_secret_path(path)
        result.append(Difference(
            path=shown, type=change, expected=_shown(want, secret), actual=_shown(have, secret),
            severity=kind.severity(shown),
            source=Source(resource.file, paths.locate(resource.spec, spelled, resource.line)),
        ))
    return tuple(result)


def _collapse_scalar_lists(path: paths.Path, *docs: dict[str, Any]) -> paths.Path:
    """A list of plain values (subnets, security groups) is reported whole, never item by item."""
    for i, part in enumerate(path):
        if isinstance(part, int):
            parent = path[:i]
            for doc in docs:
                value = paths.get(doc, parent, _MISSING)
                if isinstance(value, list) and not any(isinstance(v, dict) for v in value):
                    return parent
    return path


def _leaves(path: paths.Path, want: Any, have: Any, out: dict[paths.Path, tuple[Any, Any]]) -> None:
    if isinstance(want, dict) or isinstance(have, dict):
        if (not isinstance(want, dict) and want is not _MISSING) or (not isinstance(have, dict)
                                                                      and have is not _MISSING):
            out[path] = (want, have)
            return
        w = want if isinstance(want, dict) else {}
        h = have if isinstance(have, dict) else {}
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


def _sort_key(path: paths.Path) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{p:08d}") if isinstance(p, int) else (1, str(p)) for p in path)


def _is_secret_path(path: paths.Path) -> bool:
    return "Environment" in path[:-1] and isinstance(path[-1], str) and redact.is_secret_key(path[-1])


def _shown(value: Any, secret: bool) -> Any:
    if value is _MISSING:
        return None
    if secret or redact.is_digest(value):
        return redact.MASK
    return value
