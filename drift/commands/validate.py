"""`drift validate`: config and desired state checked without any AWS call; warnings for what is stale."""

from __future__ import annotations

import os

from drift.commands.inputs import load_lock, load_state
from drift.config.settings import Config
from drift.console import say
from drift.integrity.lockfile import declared_refs, staleness
from drift.report import Kind


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def validate(config: Config) -> int:
    desired = load_state(config)
    for warning in desired.warnings:
        say(f"{warning.file}: warning: {warning.message}", event="drift.desired.warning", level="warning",
            file=warning.file)
    lock = load_lock(config)
    if lock is not None:
        refs = declared_refs(desired.models, images=config.integrity.images, artifacts=config.integrity.artifacts)
        stale = [p for p in staleness(lock, refs) if "not in the lock file" not in p]
        for problem in stale:
            say(f"{lock.display}: warning: stale entry: {problem} (run drift lock)", event="drift.lock.stale",
                level="warning")
    where = config.path if os.path.exists(config.path) else "(no config file)"
    counts = [_count(len(desired.of_kind(Kind.MODEL)), "model")]
    if desired.of_kind(Kind.ENDPOINT_CONFIG):
        counts.append(_count(len(desired.of_kind(Kind.ENDPOINT_CONFIG)), "endpoint config"))
    if desired.of_kind(Kind.ENDPOINT):
        counts.append(_count(len(desired.of_kind(Kind.ENDPOINT)), "endpoint"))
    print(f"{where}: valid; {', '.join(counts)} in {_count(len(desired.files), 'desired-state file')}")
    return 0
