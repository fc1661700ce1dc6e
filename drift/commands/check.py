"""`drift check`: one pass, the report printed (before any delivery), an exit code like terraform's."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from drift.commands.inputs import (
    choose_format,
    inputs_digest,
    load_lock,
    load_state,
    open_store,
    require_notify_settings,
    require_region,
    write_output,
)
from drift.config.settings import Channel, Config
from drift.console import note, quiet_in_json, say
from drift.errors import DiskFullError, StateError
from drift.pipeline import PassContext, PassOptions, run_pass
from drift.plan import Shard
from drift.store import Store

#: How long `check --notify` may spend delivering, per channel (channels are delivered side by side).
DELIVERY_BUDGET = 60.0


@dataclass(frozen=True, slots=True)
class CheckArgs:
    fmt: str | None = None
    output: str | None = None
    full: bool = False
    notify: bool = False
    shard: Shard | None = None


def discover_targets(config: Config) -> Any:
    """The organization's accounts as targets (SPEC §10), or None when the config names its targets."""
    if config.aws.organization is None:
        return None
    from drift.aws.organizations import discover

    return discover(config.aws)


def check(config: Config, args: CheckArgs, *, run_id: str, log: Any) -> int:
    from drift._progress import TerminalProgress
    from drift.render import render

    require_region(config)
    desired = load_state(config)
    if args.notify:
        require_notify_settings(config)
    lock = load_lock(config)
    targets = discover_targets(config)
    store, store_error = _store(config)
    options = PassOptions(full=args.full, shard=args.shard, targets=targets, lock=lock, notify=args.notify,
                          run_id=run_id, inputs=inputs_digest(config, desired) if args.shard else "")
    log.info("drift.run.started", resources=len(desired.resources), full=args.full,
             shard=f"{args.shard.index}/{args.shard.count}" if args.shard else None)
    progress = TerminalProgress("checking")
    record_error: StateError | None = None
    try:
        try:
            result = run_pass(config, desired, store=store, options=options,
                              context=PassContext(progress=progress, log=log))
        finally:
            progress.close()
        record_error = result.record_error or store_error
        report = result.report
        for error in report.errors:  # what a person must see even when stdout is a JSON pipe
            quiet_in_json(f"drift: error: {error}")  # (JSON logs have it as drift.target.failed)
        chosen = choose_format(args.fmt, args.output)
        color = chosen == "text" and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        write_output(config, args.output, render(report, chosen, color=color))
        delivered = deliver_all(store, config.notify, log) if args.notify and store and not record_error else True
    finally:
        if store:
            store.close()
    s = report.summary
    code = report.exit_code() if delivered and record_error is None else 1
    log.info("drift.run.finished", exit_code=code, checked=s.checked, in_sync=s.in_sync, modified=s.modified,
             missing=s.missing, unmanaged=s.unmanaged, error=s.error, unverified=s.unverified, calls=result.calls,
             throttled=result.throttled, described=result.described, calls_by_service=result.calls_by_service)
    if record_error is not None:
        say(f"drift: error: {record_error} (the report above is complete; this pass was not recorded)",
            event="drift.state.failed", error=str(record_error))
    return code


def _store(config: Config) -> tuple[Store | None, StateError | None]:
    """The state store; on a full disk, none (the pass still runs and its report is printed, then the error)."""
    try:
        return open_store(config), None
    except DiskFullError as exc:
        return None, exc


def deliver_all(store: Store, channels: tuple[Channel, ...], log: Any) -> bool:
    """Every channel's outbox, side by side, each within its budget; False when a message is still undelivered."""
    from drift.notify.delivery import deliver_channel

    if not channels:
        return True
    with ThreadPoolExecutor(max_workers=len(channels), thread_name_prefix="drift-deliver") as pool:
        outcomes = list(pool.map(lambda c: deliver_channel(store, c, log, budget=DELIVERY_BUDGET), channels))
    undelivered = sum(o.pending + o.rejected for o in outcomes)
    if undelivered:
        note(f"drift: error: {undelivered} notification{'s' if undelivered != 1 else ''} could not be delivered "
            "(kept in the outbox; the next run retries)", event="drift.notify.undelivered", count=undelivered)
    return undelivered == 0
