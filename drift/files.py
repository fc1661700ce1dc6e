"""Finding and reading input files safely (interim version; the hardened walker replaces it)."""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable

from drift.errors import Finding


class UnreadableFile(Exception):  # noqa: N818 - it is a condition of a file, named as one
    """A file that cannot be read as input; ``message`` says why, in words for a person."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def display_path(path: str) -> str:
    """A path relative to the working directory when it lies below it, as reports want."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") else relative


def read_bytes(path: str, *, limit: int) -> bytes:
    """The bytes of a regular file, refusing FIFOs and devices without blocking and counting the size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(path, "is a directory" if stat.S_ISDIR(mode) else "not a regular file")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise UnreadableFile(path, f"file is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def find_files(patterns: Iterable[str], *, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> tuple[
        list[str], list[Finding]]:
    """Files named by paths, directories (their YAML files, recursively) or globs; dot-names skipped."""
    found: dict[str, None] = {}
    findings: list[Finding] = []
    for pattern in patterns:
        if os.path.isdir(pattern):
            matches = []
            for root, dirs, names in os.walk(pattern):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                matches += [os.path.join(root, n) for n in names if n.endswith(suffixes) and not n.startswith(".")]
        elif os.path.lexists(pattern) and not glob.has_magic(pattern):
            matches = [pattern]
        else:
            matches = [m for m in glob.glob(pattern, recursive=True)
                       if not any(p.startswith(".") for p in os.path.relpath(m).split(os.sep) if p not in (".", ".."))]
        if not matches:
            findings.append(Finding(pattern, None, "no desired-state file matches this path or glob"))
        for match in sorted(matches):
            found.setdefault(display_path(match))
    return sorted(found), findings
