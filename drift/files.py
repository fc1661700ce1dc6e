"""Finding and reading desired-state files on a file system we do not trust.

``glob.glob`` and ``open`` are not enough here: ``glob`` follows symlink loops
and enters the ``..data`` copy of a Kubernetes ConfigMap volume, ``open`` on a
FIFO blocks forever, ``os.path.getsize`` says 0 for ``/dev/zero``, and a file
reached through two links would be read (and its models declared) twice. So:

* A pattern is a file, a directory (every ``*.yaml``/``*.yml`` below it) or a
  glob (``*``, ``?``, ``[...]``, ``**``), expanded by our own walker. Walking
  and wildcards never read or enter a name that starts with ``.``; a name the
  user wrote literally is used as written.
* Each directory is entered once per pattern (keyed by device and inode), so a
  symlink loop ends and a self-link adds nothing. Each file is returned once
  (keyed by device and inode of its target, whichever path reached it): when
  several paths lead to one file, the smallest of those seen is kept.
* Only regular files are returned; a FIFO, socket or device is a ``Finding``
  (found with ``stat``, which never blocks), and ``read_bytes`` checks again
  on the open descriptor, so a file swapped after the walk cannot slip by.
* Finding N files costs one ``scandir`` per directory, one ``stat`` per entry
  and one sort: O(N log N).
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable

from drift.errors import Finding, printable

NO_MATCH = "no desired-state file matches this path or glob"
_MAGIC = re.compile(r"[*?[]")
_CHUNK = 1 << 16
_Key = tuple[int, int]

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


class UnreadableFile(Exception):  # noqa: N818 (it names the file's state, like FileNotFoundError's siblings)
    """A file that cannot be read as desired state; ``message`` says why in a few words."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{printable(display_path(path))}: {message}")


def display_path(path: str) -> str:
    """The path relative to the working directory when it lies below it, else absolute (as reports want)."""
    return _display(path, os.getcwd())


def _display(path: str, cwd: str) -> str:
    absolute = os.path.abspath(path)
    if absolute == cwd:
        return "."
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    return absolute[len(prefix):] if absolute.startswith(prefix) else absolute


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory"
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def read_bytes(path: str, *, limit: int) -> bytes:
    """The file's content, refusing anything but a regular file of at most ``limit`` bytes.

    ``stat`` first, so that a device is never even opened (opening some has side
    effects); then ``O_NONBLOCK`` so that a FIFO swapped in meanwhile cannot block
    the open, and ``fstat`` on the descriptor, which is what we actually read.
    The limit is counted while reading: a size in ``stat`` may be 0 or a lie.
    """
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise UnreadableFile(path, _not_regular(before.st_mode))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise UnreadableFile(path, "broken symbolic link" if os.path.islink(path) else "no such file") from exc
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read: {exc.strerror}") from exc
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise UnreadableFile(path, _not_regular(opened.st_mode))
        if opened.st_size > limit:
            raise UnreadableFile(path, f"file is larger than {limit} bytes")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(_CHUNK, limit + 1 - total)):
            total += len(chunk)
            if total > limit:
                raise UnreadableFile(path, f"file is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read: {exc.strerror}") from exc
    finally:
        os.close(fd)


def find_files(patterns: Iterable[str], *, suffixes: tuple[str, ...] = (".yaml", ".yml")
               ) -> tuple[list[str], list[Finding]]:
    """Every regular file the patterns name, once each and sorted by display path; and what was wrong.

    Paths are returned as the patterns reached them (``display_path`` gives the
    form for messages). Patterns are relative to the working directory.
    """
    search = _Search(suffixes)
    for pattern in patterns:
        before = search.matches
        if _MAGIC.search(pattern):
            search.glob(pattern)
        else:
            search.path(pattern)
        if search.matches == before:
            search.finding(pattern, NO_MATCH, as_given=True)
    cwd = os.getcwd()
    files = sorted(search.files.values(), key=lambda p: _display(p, cwd))
    findings = sorted(search.findings.values(), key=lambda f: (f.file, f.message))
    return files, findings


class _Search:
    """The state of one ``find_files`` call: files by inode, findings, and how many things matched."""

    def __init__(self, suffixes: tuple[str, ...]) -> None:
        self.suffixes = suffixes
        self.files: dict[_Key, str] = {}
        self.findings: dict[tuple[str, str], Finding] = {}
        self.matches = 0
        self.cwd = os.getcwd()

    def finding(self, path: str, message: str, *, as_given: bool = False) -> None:
        self.matches += not as_given
        name = path if as_given else _display(path, self.cwd)
        self.findings.setdefault((name, message), Finding(name, None, message))

    def file(self, path: str, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            self.finding(path, _not_regular(st.st_mode))
            return
        self.matches += 1
        key = (st.st_dev, st.st_ino)
        known = self.files.get(key)
        if known is None or path < known:
            self.files[key] = path

    def path(self, pattern: str) -> None:
        """A literal path: a file (read whatever its name), or a directory to walk."""
        st = self._stat(pattern, report=True)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(pattern, (st.st_dev, st.st_ino))
        else:
            self.file(pattern, st)

    def _stat(self, path: str, *, report: bool) -> os.stat_result | None:
        """``stat`` following links; a broken or unreadable path is a finding when ``report``."""
        try:
            return os.stat(path)
        except FileNotFoundError:
            if report and os.path.islink(path):
                self.finding(path, "broken symbolic link")
        except OSError as exc:
            if report:
                self.finding(path, f"cannot read: {exc.strerror}")
        return None

    def _entries(self, directory: str, keep: Callable[[str], bool]) -> list[tuple[str, os.DirEntry[str]]]:
        """Visible entries whose names ``keep`` accepts, sorted; an unreadable directory is a finding."""
        try:
            with os.scandir(directory or ".") as listing:
                entries = [e for e in listing if not e.name.startswith(".") and keep(e.name)]
        except OSError as exc:
            self.finding(directory or ".", f"cannot read directory: {exc.strerror}")
            return []
        return sorted(((os.path.join(directory, e.name), e) for e in entries), key=lambda pe: pe[0])

    def _entry_stat(self, path: str, entry: os.DirEntry[str], *, wanted: bool) -> os.stat_result | None:
        try:
            return entry.stat()
        except FileNotFoundError:
            if wanted and entry.is_symlink():
                self.finding(path, "broken symbolic link")
        except OSError as exc:
            if wanted:
                text = "broken symbolic link (a loop)" if exc.errno == errno.ELOOP else f"cannot read: {exc.strerror}"
                self.finding(path, text)
        return None

    def walk(self, root: str, key: _Key) -> None:
        """Every visible ``suffixes`` file below ``root``; each directory entered once."""
        visited = {key}
        stack = [root]
        while stack:
            directory = stack.pop()
            for path, entry in self._entries(directory, lambda _name: True):
                wanted = entry.name.endswith(self.suffixes)
                st = self._entry_stat(path, entry, wanted=wanted)
                if st is None:
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if (st.st_dev, st.st_ino) not in visited:
                        visited.add((st.st_dev, st.st_ino))
                        stack.append(path)
                elif wanted:
                    self.file(path, st)

    def glob(self, pattern: str) -> None:
        """Expand ``pattern`` one component at a time; ``**`` is zero or more visible directories."""
        parts = [p for p in pattern.split(os.sep) if p not in ("", ".")]
        if parts and parts[-1] == "**":
            parts.append("*")
        start = os.sep if pattern.startswith(os.sep) else ""
        matchers = [_matcher(p) if _MAGIC.search(p) else None for p in parts]
        visited: set[tuple[int, int, int]] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            directory, index = stack.pop()
            part, last = parts[index], index == len(parts) - 1
            match = matchers[index]
            if match is None:  # a literal component: no listing, used as written (even when hidden)
                path = os.path.join(directory, part)
                st = self._stat(path, report=last)
                if st is not None and (last or stat.S_ISDIR(st.st_mode)):
                    self._glob_hit(path, st, index, last, stack, visited)
                continue
            for path, entry in self._entries(directory, match):
                st = self._entry_stat(path, entry, wanted=last)
                if st is None:
                    continue
                if part == "**":
                    if stat.S_ISDIR(st.st_mode):
                        self._push(stack, visited, path, index, st)
                else:
                    self._glob_hit(path, st, index, last, stack, visited)
            if part == "**":
                stack.append((directory, index + 1))

    def _glob_hit(self, path: str, st: os.stat_result, index: int, last: bool,
                  stack: list[tuple[str, int]], visited: set[tuple[int, int, int]]) -> None:
        if not last:
            if stat.S_ISDIR(st.st_mode):
                self._push(stack, visited, path, index + 1, st)
        elif not stat.S_ISDIR(st.st_mode):  # a glob names files; a directory it matches is not read
            self.file(path, st)

    @staticmethod
    def _push(stack: list[tuple[str, int]], visited: set[tuple[int, int, int]], path: str, index: int,
              st: os.stat_result) -> None:
        """Enter ``path`` at pattern component ``index`` unless this directory was entered there already."""
        key = (st.st_dev, st.st_ino, index)
        if key not in visited:
            visited.add(key)
            stack.append((path, index))



def _matcher(part: str) -> Callable[[str], bool]:
    """One glob component as a name test (``**`` takes every name; the walk skips hidden ones)."""
    if part == "**":
        return lambda _name: True
    fullmatch = re.compile(fnmatch.translate(part)).fullmatch
    return lambda name: fullmatch(name) is not None
