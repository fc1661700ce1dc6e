"""The shape of drift/ itself: small modules, SQL only in the store, no import cycles (lazy imports included).

These are the redesign's measurable promises (the complexity, argument, branch and statement limits are
checked by ruff: see [tool.ruff.lint] in pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "drift"
MAX_LINES = 400


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "examples" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every drift module ``name`` imports, at module level or inside functions."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def test_no_module_is_longer_than_400_lines() -> None:
    """Modules stay short; one that grows is split by concern."""
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert {} == long


def test_only_the_store_runs_sql() -> None:
    """SQL lives in drift/store/ and nowhere else (no sqlite3, no execute)."""
    offenders = []
    for name, path in modules().items():
        if name.startswith("drift.store"):
            continue
        text = path.read_text()
        if "sqlite3" in text or ".execute(" in text or "executemany(" in text:
            offenders.append(name)
    assert [] == offenders


def test_the_import_graph_has_no_cycle() -> None:
    """No module imports itself through others, even through imports made inside functions."""
    mods = modules()
    graph = {name: imports(name, path, set(mods)) for name, path in mods.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert [] == cycles


def test_drift_never_imports_tests_bench_or_deploy() -> None:
    """The shipped package stands alone."""
    def names(node: ast.Import | ast.ImportFrom) -> list[str]:
        return [str(node.module)] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]

    offenders = [name for name, path in modules().items() for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.ImportFrom | ast.Import)
                 and any(n.split(".")[0] in ("tests", "bench", "deploy") for n in names(node))]
    assert [] == offenders
