"""A safe YAML loader that remembers the line of every mapping key and list item.

cfn-lint taught us that an error without a line number is half an error, so the
loader returns ordinary dicts and lists whose subclasses carry ``lines``: the
1-based line of each key (for a mapping) or item (for a list). Those lines travel
all the way to the report's ``source``.

It also guards against hostile documents: a size cap before parsing, alias
expansion is never performed (PyYAML shares the aliased object), and the walkers
downstream use ``count_nodes`` to refuse alias bombs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import yaml

from drift.errors import YamlSyntaxError
from drift.files import UnreadableFile, read_bytes

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_DEPTH = 64


class MarkedDict(dict[Any, Any]):
    """A dict that knows the line of each of its keys and of itself."""

    __slots__ = ("line", "lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.lines: dict[Any, int] = {}


class MarkedList(list[Any]):
    """A list that knows the line of each of its items and of itself."""

    __slots__ = ("line", "lines")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line: int | None = None
        self.lines: list[int] = []


class EnvRef(str):
    """A value written ``!env NAME``; resolved by the caller so it can report errors."""

    __slots__ = ("line",)
    line: int


# libyaml's parser is several times faster and keeps the same marks; the pure-Python one is the fallback.
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """A safe loader that builds Marked containers and rejects duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    # Keys written in this mapping (not brought in by a << merge) must be unique; an explicit key
    # may override a merged one, which is the point of merge keys.
    explicit = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    written: set[Any] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise YamlSyntaxError("a mapping key must be a plain value", key_node.start_mark.line + 1) from exc
        is_explicit = id(key_node) in explicit
        if is_explicit and key in written:
            first = result.lines.get(key)
            raise YamlSyntaxError(
                f"duplicate key {key!r} (first at line {first})", key_node.start_mark.line + 1
            )
        if is_explicit:
            written.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.lines.append(item.start_mark.line + 1)
    return result


def _construct_env(loader: _Loader, node: yaml.Node) -> EnvRef:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlSyntaxError("!env takes a variable name", node.start_mark.line + 1)
    ref = EnvRef(str(loader.construct_scalar(node)).strip())
    ref.line = node.start_mark.line + 1
    return ref


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if math.isnan(value) or math.isinf(value):
        raise YamlSyntaxError(f"{node.value!r} is not a usable number", node.start_mark.line + 1)
    return value


#: CloudFormation's short-form intrinsic functions: desired state holds values, not templates.
CFN_INTRINSICS = ("Ref", "Sub", "GetAtt", "Join", "Select", "Split", "FindInMap", "ImportValue", "If", "Equals",
                  "Not", "And", "Or", "Base64", "Cidr", "GetAZs", "Condition", "Transform", "Length", "ToJsonString")


def _construct_intrinsic(loader: _Loader, node: yaml.Node) -> Any:
    raise YamlSyntaxError(
        f"{node.tag} is a CloudFormation intrinsic function: resolve it to its value (drift compares the values "
        "SageMaker holds, e.g. the role ARN itself)", node.start_mark.line + 1)


for _name in CFN_INTRINSICS:
    _Loader.add_constructor(f"!{_name}", _construct_intrinsic)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("!env", _construct_env)


def load_text(text: str) -> Any:
    """Parse one YAML document with line marks; raise YamlSyntaxError on anything odd."""
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except YamlSyntaxError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(_explain(exc.problem or exc.context or "invalid YAML"), line) from exc
    except yaml.reader.ReaderError as exc:  # a NUL or other control character: say where, as a line
        line = text[: max(0, exc.position)].count("\n") + 1
        char = exc.character if isinstance(exc.character, str) else chr(int(exc.character))
        raise YamlSyntaxError(f"character {char!r} is not allowed in YAML (control characters and NUL bytes are not "
                              "text)", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {str(exc)[:200]}", None) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("YAML nesting is too deep", None) from exc
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an integer of more than 4300 digits
        raise YamlSyntaxError(f"unreadable value: {str(exc)[:200]}", None) from exc
    if len(documents) > 1:
        raise YamlSyntaxError("expected one YAML document, found several", None)
    data = documents[0] if documents else None
    check_shape(data)
    return data


def _explain(problem: str) -> str:
    """PyYAML's words, turned into what to do where we know better."""
    if "\\t" in problem or "\t" in problem or "tab character" in problem:
        return "a tab character cannot indent YAML: indent with spaces"
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit("tag", 1)[-1].strip(" '")
        return f"unknown tag {tag}: only !env NAME is understood here"
    return f"YAML syntax error: {problem}"


def load_file(path: str) -> Any:
    """Read and parse a YAML file: a regular file only, its size counted while reading, UTF-8 only."""

    try:
        raw = read_bytes(path, limit=MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise YamlSyntaxError(exc.message, None) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlSyntaxError("file is not valid UTF-8", line) from exc
    return load_text(text)


def check_shape(data: Any) -> None:
    """Refuse recursive aliases, alias bombs and absurd nesting before anyone walks the tree.

    An alias shares one object, so each shared subtree's expanded size is computed once (memoised by
    identity): a billion-laughs document is refused after a few dozen steps, however large the budget.
    """
    on_path: set[int] = set()
    seen: dict[int, tuple[int, int]] = {}  # id -> (expanded size, height)

    def expanded(value: Any, depth: int) -> tuple[int, int]:
        if not isinstance(value, dict | list):
            return 0, 0
        ident = id(value)
        if ident in on_path:
            raise YamlSyntaxError("recursive alias: a value contains itself", _line_of(value))
        if ident not in seen:
            if depth > MAX_DEPTH:
                raise YamlSyntaxError(f"nesting deeper than {MAX_DEPTH} levels", _line_of(value))
            on_path.add(ident)
            total, height = 1, 0
            for child in _children(value):
                size, child_height = expanded(child, depth + 1)
                total += size
                height = max(height, child_height + 1)
                if total > MAX_NODES:
                    raise YamlSyntaxError(
                        f"document expands to more than {MAX_NODES} mappings and lists (too large, or an alias "
                        "bomb)", _line_of(value))
            on_path.discard(ident)
            seen[ident] = (total, height)
        total, height = seen[ident]
        if depth + height > MAX_DEPTH:  # a shared subtree met again, deeper than before
            raise YamlSyntaxError(f"nesting deeper than {MAX_DEPTH} levels", _line_of(value))
        return total, height

    expanded(data, 0)


def _children(value: dict[Any, Any] | list[Any]) -> Iterator[Any]:
    return iter(value.values() if isinstance(value, dict) else value)


def _line_of(value: Any) -> int | None:
    return getattr(value, "line", None)


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists, without line marks (for JSON, boto3 and mutation)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def key_line(container: Any, key: Any) -> int | None:
    """The line of ``container[key]``, or of the container itself when unknown."""
    if isinstance(container, MarkedDict):
        return container.lines.get(key, container.line)
    if isinstance(container, MarkedList) and isinstance(key, int) and 0 <= key < len(container.lines):
        return container.lines[key]
    return _line_of(container)

