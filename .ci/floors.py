"""Pin every runtime dependency of pyproject.toml at its declared floor, for .ci/run's "lowest" stage.

`python .ci/floors.py constraints` prints a pip constraints file (`name==floor`, one a line) built
from [project] dependencies; every dependency must declare a `>=` floor, so none escapes the check.
`python .ci/floors.py check` (in the venv installed with those constraints) prints what was resolved
and fails unless each dependency is installed at exactly its floor.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def floors() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    result = {}
    for dep in deps:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^]]*\])?\s*(.*)", dep)
        assert m, dep
        floor = re.search(r">=\s*([0-9][^,;\s]*)", m.group(3))
        if not floor:
            sys.exit(f"floors.py: {dep!r} declares no >= floor")
        result[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = floor.group(1)
    return result


def main() -> None:
    wanted = floors()
    if sys.argv[1:] == ["constraints"]:
        print("\n".join(f"{name}=={version}" for name, version in wanted.items()))
        return
    if sys.argv[1:] != ["check"]:
        sys.exit("usage: floors.py constraints|check")
    wrong = []
    for name, version in wanted.items():
        have = metadata.version(name)
        print(f"  {name:<20} {have:<12} (floor {version})")
        if have != version:
            wrong.append(f"{name} {have} is not its floor {version}")
    if wrong:
        sys.exit("floors.py: " + "; ".join(wrong))


if __name__ == "__main__":
    main()
