"""The filter stage: the user's ``ignore`` and ``severity`` rules, applied to finished verdicts.

Patterns are fnmatch globs where only ``*`` and ``?`` are wildcards, so that a
path such as ``Containers[1].Image`` can be written literally. A rule naming a
path also covers everything below it (``VpcConfig`` covers ``VpcConfig.Subnets``),
and a rule about ``PrimaryContainer.X`` also matches ``Containers[0].X`` (the
alias table in ``paths.py``). ``models:`` globs match the name of a resource of
any kind. A resource whose every difference is ignored is in sync.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
from collections.abc import Iterable

from drift.config.settings import PathRule
from drift.paths import equivalents
from drift.report import Difference, Result, Severity, Status


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.replace("[", "[[]")))


def glob_match(value: str, pattern: str) -> bool:
    return _compiled(pattern).match(value) is not None


def rule_matches(rule: PathRule, name: str, path: str) -> bool:
    if not any(glob_match(name, m) for m in rule.models):
        return False
    return any(glob_match(c, p) for c in equivalents(path) for p in rule.paths)


def is_ignored(rules: Iterable[PathRule], name: str, path: str) -> bool:
    return any(rule_matches(rule, name, path) for rule in rules)


def severity_of(rules: Iterable[PathRule], name: str, diff: Difference) -> Severity:
    """The first matching rule wins; then the kind's default that the comparator gave."""
    for rule in rules:
        if rule.level and rule_matches(rule, name, diff.path):
            return Severity(rule.level)
    return diff.severity


def worst(differences: Iterable[Difference]) -> Severity | None:
    return max((d.severity for d in differences), key=lambda s: s.rank, default=None)


def status_severity(status: Status, differences: tuple[Difference, ...]) -> Severity | None:
    """A resource's severity: its worst difference's; MISSING is critical and UNMANAGED a warning (SPEC §4)."""
    if status is Status.MISSING:
        return Severity.CRITICAL
    if status is Status.UNMANAGED:
        return Severity.WARNING
    return worst(differences)


def apply_rules(result: Result, ignore: tuple[PathRule, ...], severity: tuple[PathRule, ...]) -> Result:
    if not result.differences:
        return result
    kept = tuple(dataclasses.replace(d, severity=severity_of(severity, result.name, d)) for d in result.differences
                 if not is_ignored(ignore, result.name, d.path))
    status = Status.IN_SYNC if result.status is Status.MODIFIED and not kept else result.status
    return dataclasses.replace(result, differences=kept, status=status, severity=status_severity(status, kept))


def apply_filters(results: Iterable[Result], ignore: tuple[PathRule, ...], severity: tuple[PathRule, ...]) -> tuple[
        Result, ...]:
    return tuple(apply_rules(r, ignore, severity) for r in results)
