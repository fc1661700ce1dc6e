"""The ``ignore`` and ``severity`` rules of drift.yaml, and the default severities.

Patterns are fnmatch globs where only ``*`` and ``?`` are wildcards, so that a
path such as ``Containers[1].Image`` can be written literally. A rule naming a
path also covers everything below it (``VpcConfig`` covers ``VpcConfig.Subnets``),
and a rule about ``PrimaryContainer.X`` also matches ``Containers[0].X``.
"""

from __future__ import annotations

import fnmatch
import functools
import re

from drift.config import PathRule
from drift.report import Severity

_CRITICAL_LEAVES = frozenset({"Image", "ModelDataUrl", "ModelPackageName"})


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.replace("[", "[[]")))


def glob_match(value: str, pattern: str) -> bool:
    return _compiled(pattern).match(value) is not None


def path_candidates(path: str) -> tuple[str, ...]:
    """The spellings a rule may use for ``path``: itself, the other container spelling, and ancestors."""
    spellings = {path}
    if path.startswith("PrimaryContainer"):
        spellings.add("Containers[0]" + path[len("PrimaryContainer"):])
    elif path.startswith("Containers[0]"):
        spellings.add("PrimaryContainer" + path[len("Containers[0]"):])
    out = set(spellings)
    for spelling in spellings:
        parts = re.split(r"(?=[.\[])", spelling)
        for i in range(1, len(parts)):
            out.add("".join(parts[:i]))
    return tuple(sorted(out))


def rule_matches(rule: PathRule, model: str, path: str) -> bool:
    if not any(glob_match(model, m) for m in rule.models):
        return False
    return any(glob_match(c, p) for c in path_candidates(path) for p in rule.paths)


def is_ignored(rules: tuple[PathRule, ...], model: str, path: str) -> bool:
    return any(rule_matches(rule, model, path) for rule in rules)


def severity_of(rules: tuple[PathRule, ...], model: str, path: str) -> Severity:
    """First matching rule wins; then the defaults of SPEC §4."""
    for rule in rules:
        if rule.level and rule_matches(rule, model, path):
            return Severity(rule.level)
    return default_severity(path)


def default_severity(path: str) -> Severity:
    """Image, model data, execution role, VPC and network isolation are critical; tags info."""
    if path.startswith("Tags"):
        return Severity.INFO
    leaf = re.split(r"[.\[]", path)
    if ".Environment" in path or path.startswith("Environment"):
        return Severity.WARNING
    if (
        _CRITICAL_LEAVES & set(leaf)
        or "ModelDataSource" in leaf
        or "AdditionalModelDataSources" in leaf
        or path.startswith(("VpcConfig", "ExecutionRoleArn", "EnableNetworkIsolation"))
    ):
        return Severity.CRITICAL
    return Severity.WARNING
