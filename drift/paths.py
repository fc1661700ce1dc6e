"""Field paths: the one place that knows how a path is spelled, shown and located.

Comparison works on canonical forms, where a model always has a ``Containers``
list and a container always names its artifact ``ModelDataUrl`` when a plain URL
says it all. People write either spelling, and a report must answer in theirs
(SPEC §4): ``PrimaryContainer.Image`` for an entry that wrote ``PrimaryContainer``,
``Containers[0].Image`` for one that wrote a one-entry list. The alias table
below is the only place those equivalences are written down; spelling, locating
a line (for ``source``) and matching ignore/severity rules all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

Part = str | int
Path = tuple[Part, ...]

#: (canonical prefix, spelled prefix): a model entry that writes ``PrimaryContainer`` means ``Containers[0]``.
CONTAINER_ALIAS: tuple[Path, Path] = (("Containers", 0), ("PrimaryContainer",))
#: Inside a container: the artifact URL, when the entry wrote it as a ModelDataSource.
ARTIFACT_ALIAS: tuple[Path, Path] = (("ModelDataUrl",), ("ModelDataSource", "S3DataSource", "S3Uri"))

_SPLIT = re.compile(r"\.|(?=\[)")


def render(path: Sequence[Part]) -> str:
    """``("Containers", 1, "Environment", "MAX")`` -> ``Containers[1].Environment.MAX``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse(text: str) -> Path:
    """The inverse of ``render`` for paths whose keys contain no dots or brackets."""
    parts: list[Part] = []
    for piece in _SPLIT.split(text):
        if not piece:
            continue
        if piece.startswith("[") and piece.endswith("]") and piece[1:-1].isdigit():
            parts.append(int(piece[1:-1]))
        else:
            parts.append(piece)
    return tuple(parts)


def spell(spec: Mapping[str, Any] | None, path: Path) -> Path:
    """A canonical path as the desired entry ``spec`` spells it (canonical when there is no entry)."""
    if spec is None or len(path) < 2 or path[0] != "Containers" or not isinstance(path[1], int):
        return path
    if path[:2] == CONTAINER_ALIAS[0] and "PrimaryContainer" in spec and "Containers" not in spec:
        head: Path = CONTAINER_ALIAS[1]
        container = spec.get("PrimaryContainer")
    else:
        head = path[:2]
        containers = spec.get("Containers") or []
        container = containers[path[1]] if path[1] < len(containers) else None
    rest = path[2:]
    if (rest[:1] == ARTIFACT_ALIAS[0] and isinstance(container, Mapping) and "ModelDataUrl" not in container
            and "ModelDataSource" in container):
        rest = ARTIFACT_ALIAS[1] + rest[1:]
    return head + rest


def show(spec: Mapping[str, Any] | None, path: Path) -> str:
    """The report's ``path`` for a canonical path."""
    return render(spell(spec, path))


def locate(spec: Mapping[str, Any], spelled: Path, default: int) -> int:
    """The line declaring ``spelled`` in the entry, or ``default`` (the entry's line) for an omitted field.

    Tags may be written as a list of ``{Key, Value}``: ``Tags.team`` is then the item whose Key is team.
    """
    node: Any = spec
    line = default
    for part in spelled:
        if isinstance(node, list) and isinstance(part, str):
            index = next((i for i, t in enumerate(node) if isinstance(t, Mapping) and t.get("Key") == part), None)
            if index is None:
                return default
            line = _line(node, index) or line
            node = node[index].get("Value")
            continue
        if not _has(node, part):
            return default
        line = _line(node, part) or line
        node = node[part]
    return line


def equivalents(shown: str) -> tuple[str, ...]:
    """Every spelling a rule may use for a shown path: itself, the other container spelling, and ancestors."""
    spellings = {shown}
    canonical, spelled = render(CONTAINER_ALIAS[0]), render(CONTAINER_ALIAS[1])
    if shown.startswith(spelled):
        spellings.add(canonical + shown[len(spelled):])
    elif shown.startswith(canonical):
        spellings.add(spelled + shown[len(canonical):])
    out = set(spellings)
    for spelling in spellings:
        pieces = re.split(r"(?=[.\[])", spelling)
        for i in range(1, len(pieces)):
            out.add("".join(pieces[:i]))
    return tuple(sorted(out))


def get(doc: Any, path: Path, missing: Any = None) -> Any:
    """``doc`` followed along ``path``; ``missing`` when a step does not exist."""
    for part in path:
        if not _has(doc, part):
            return missing
        doc = doc[part]
    return doc


def _has(node: Any, part: Part) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _line(container: Any, key: Part) -> int | None:
    lines = getattr(container, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key)
    if isinstance(lines, list) and isinstance(key, int) and 0 <= key < len(lines):
        return int(lines[key])
    return None
