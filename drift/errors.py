"""The exception tree of sagemaker-drift.

Every error the tool raises on purpose derives from ``DriftError`` and carries
where it happened, so that the CLI can print it like a compiler would and never
needs a traceback::

    DriftError
    ├── InputError                 a file we were given is wrong (exit 1)
    │   ├── ConfigError            drift.yaml: syntax, unknown keys, ${VAR}
    │   └── DesiredStateError      desired-state YAML: syntax, shape, duplicates
    │       (both carry a tuple of Finding values: every error of the run, not the first)
    ├── AwsError                   AWS could not be read at all (exit 1)
    │   ├── CredentialsError       no or expired credentials
    │   └── EndpointError          endpoint unreachable, hanging, or listing denied
    └── StateError                 the SQLite state cannot be opened, migrated or written

A failure that concerns one model (AccessDenied on its DescribeModel, say) is
not an exception at all: it becomes an ``ERROR`` result in the report.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def printable(text: str) -> str:
    """Escape control, format (bidi) and line-separator characters so one finding stays one honest line."""
    if text.isprintable() and not any(unicodedata.category(c) == "Cf" for c in text):
        return text
    return "".join(
        c if c.isprintable() and unicodedata.category(c) != "Cf" else f"\\u{ord(c):04x}" for c in text
    )


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in an input file, located as precisely as we can."""

    file: str
    line: int | None
    message: str
    model: str | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.model:
            parts.append(self.model)
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(printable(p) for p in parts)


class DriftError(Exception):
    """Base of every error raised on purpose by sagemaker-drift."""


class InputError(DriftError):
    """One or more input files are invalid; ``findings`` lists all of them."""

    def __init__(self, findings: tuple[Finding, ...] | list[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


class ConfigError(InputError):
    """drift.yaml is invalid."""


class DesiredStateError(InputError):
    """A desired-state file is invalid."""


class AwsError(DriftError):
    """AWS could not be read at all, so no verdict can be given."""

    def __init__(self, message: str, *, target: str | None = None, code: str | None = None) -> None:
        self.target = target
        self.code = code
        super().__init__(message)


class CredentialsError(AwsError):
    """No usable AWS credentials."""


class EndpointError(AwsError):
    """The AWS endpoint could not be reached or refused the listing."""


class StateError(DriftError):
    """The state database cannot be used; it is never silently replaced."""
