"""`drift lock`: resolve every declared image tag and artifact and write the lock file (SPEC §8);
``--check`` says, without any AWS call, whether the lock file still matches the desired state."""

from __future__ import annotations

import os

from drift.aws.session import Connection
from drift.commands.check import discover_targets
from drift.commands.inputs import load_state, require_region
from drift.config.settings import Config, Target
from drift.console import say
from drift.errors import DriftError
from drift.files import display_path
from drift.integrity.lockfile import DeclaredRef, LockEntry, declared_refs, read_lock, render_lock, staleness
from drift.integrity.resolve import Resolver


def lock(config: Config, *, check_only: bool) -> int:
    desired = load_state(config)
    path = config.lock_path
    if path is None:
        raise DriftError("no lock file path: set lock: in the config")
    refs = declared_refs(desired.models, images=config.integrity.images, artifacts=config.integrity.artifacts)
    current = read_lock(path)
    shown = display_path(path)
    if check_only:
        problems = staleness(current, refs) if current is not None else ["no lock file: run drift lock"]
        for problem in problems:
            say(f"{shown}: {problem}" + ("" if problem.endswith("run drift lock") else " (run drift lock)"),
                event="drift.lock.stale")
        if not problems:
            print(f"{shown}: up to date ({len(refs)} reference{'s' if len(refs) != 1 else ''})")
        return 1 if problems else 0
    require_region(config)
    entries, problems, skipped = _resolve(config, refs)
    if problems:
        for problem in problems:
            say(f"drift lock: {problem}", event="drift.lock.unresolved")
        say(f"drift lock: {len(problems)} reference{'s' if len(problems) != 1 else ''} could not be resolved; "
            f"{shown} was not written", event="drift.lock.failed")
        return 1
    text = render_lock(entries)
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            old = handle.read()
    if old != text:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    for note in skipped:
        say(f"drift lock: not locked: {note}", event="drift.lock.skipped", level="warning")
    print(f"{shown}: {'unchanged' if old == text else 'written'}; {len(entries)} reference"
          f"{'s' if len(entries) != 1 else ''} locked")
    return 0


def _target_for(config: Config, declared: DeclaredRef, targets: tuple[Target, ...]) -> Target:
    name = declared.resource.target
    for target in targets:
        if name is None or name in (target.name, target.account_id, target.account_name):
            return target
    raise DriftError(f"{declared.resource.file}: target {name!r} is not configured (or not in the organization)")


def _resolve(config: Config, refs: list[DeclaredRef]) -> tuple[list[LockEntry], list[str], list[str]]:
    targets = discover_targets(config) or config.aws.targets
    conns: dict[tuple[str, str], Connection] = {}
    jobs = []
    for declared in refs:
        target = _target_for(config, declared, targets)
        region = declared.resource.region or target.regions[0]
        conn = conns.setdefault((target.name, region), Connection(target, region, config.aws))
        jobs.append((conn, declared))
    resolutions = Resolver(concurrency=16).resolve((conn, d.ref) for conn, d in jobs)
    entries, problems, skipped = [], [], []
    for conn, declared in jobs:
        resolution = resolutions[(conn.target.name, declared.ref.type, declared.ref.value)]
        where = f"{declared.resource.name}: {declared.shown}: {declared.ref.value}"
        if resolution.state == "ok":
            entries.append(LockEntry(declared.resource.target, declared.resource.name, declared.shown,
                                     declared.ref.value, resolution.value, keys=resolution.keys))
        elif resolution.state == "unsupported":
            skipped.append(f"{where}: {resolution.reason}")
        else:
            problems.append(f"{where}: {resolution.reason}")
    return entries, problems, skipped
