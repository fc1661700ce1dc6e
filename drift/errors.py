"""The exception tree of sagemaker-drift.

Every error the tool raises on purpose derives from ``DriftError`` and carries
where it happened, so that the CLI can print it like a compiler would and never
needs a traceback::

    DriftError
    ├── UsageError                 a command line that cannot run: bad option value (exit 1, never 2)
    ├── YamlSyntaxError            text that is not YAML we accept; carries the 1-based line
    ├── InputError                 a file we were given is wrong (exit 1); carries every Finding
    │   ├── ConfigError            drift.yaml: syntax, unknown keys, ${VAR}, settings
    │   ├── DesiredStateError      desired-state YAML: syntax, shape, duplicates, botocore validation
    │   └── LockFileError          the lock file: syntax, shape
    ├── AwsError                   AWS could not be read; carries target and AWS error code
    │   ├── CredentialsError       no, expired or refused credentials; a profile that does not exist
    │   ├── EndpointError          endpoint unreachable or too slow to answer
    │   ├── AnswerError            an answer that is not evidence: wrong shape, another resource,
    │   │                          a page token that repeats, a listing longer than aws.max_models
    │   └── ResourceReadError      one resource could not be read: becomes that resource's ERROR
    │       └── ResourceGoneError  the resource vanished between listing and describing
    ├── StateError                 the state database cannot be opened, migrated or written
    │   └── DiskFullError          ... because the disk is full (never called corruption)
    └── ReportError                a report given to `drift merge` is unreadable, foreign or inconsistent

A failure that concerns one resource (AccessDenied on its DescribeModel, say)
never stops a pass: the reader turns ``ResourceReadError`` into an ``ERROR``
result, and a target that cannot be listed into ERROR results plus a report-level
error. Only the CLI maps errors to exit codes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
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

    def without(self, secrets: Iterable[str], mask: str = "***") -> Finding:
        """This finding with every known secret value masked: a message never repeats a secret (SPEC §4)."""
        message = self.message
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= 4:
                message = message.replace(secret, mask)
        return self if message == self.message else Finding(self.file, self.line, message, self.model, self.path)

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


class UsageError(DriftError):
    """The command line names something impossible (an option value out of range, say)."""


class YamlSyntaxError(DriftError):
    """The text is not YAML we accept; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class InputError(DriftError):
    """One or more input files are invalid; ``findings`` lists all of them."""

    def __init__(self, findings: tuple[Finding, ...] | list[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


class ConfigError(InputError):
    """drift.yaml is invalid."""


class DesiredStateError(InputError):
    """A desired-state file is invalid."""


class LockFileError(InputError):
    """The lock file is invalid."""


class AwsError(DriftError):
    """AWS could not be read, so no verdict can be given for what it concerns."""

    def __init__(self, message: str, *, target: str | None = None, code: str | None = None) -> None:
        self.target = target
        self.code = code
        super().__init__(message)


class CredentialsError(AwsError):
    """No usable AWS credentials (or a profile that does not exist)."""


class EndpointError(AwsError):
    """The AWS endpoint could not be reached, or did not answer in time."""


class AnswerError(AwsError):
    """AWS answered, but the answer is not evidence of anything (wrong shape, another resource, endless)."""


class ResourceReadError(AwsError):
    """One resource could not be read; it becomes an ERROR result, the pass goes on."""


class ResourceGoneError(ResourceReadError):
    """The resource was listed but is gone when described (deleted in between)."""


class StateError(DriftError):
    """The state database cannot be used; it is never silently replaced."""


class DiskFullError(StateError):
    """The disk holding the state database is full."""


class ReportError(DriftError):
    """A report given to `drift merge` is unreadable, repeated, missing, or from other inputs."""
