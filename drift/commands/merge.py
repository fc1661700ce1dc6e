"""`drift merge`: the reports of a sharded pass as one report, with one exit code (SPEC §10).

It refuses, naming what is wrong, shards that are missing, repeated, of different
counts or made from different inputs (and, with ``--max-age``, shards older than
that), so a merged report never silently covers less than the organization.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift.commands.check import deliver_all
from drift.commands.inputs import choose_format, open_store, require_notify_settings, write_output
from drift.config.settings import Config
from drift.console import say
from drift.errors import ReportError
from drift.notify.queue import queue_notifications
from drift.pipeline import utc_now
from drift.report import Report
from drift.serialise import from_dict


def _read(config: Config, source: str) -> list[tuple[str, bytes]]:
    if source.startswith("s3://"):
        from drift.commands import remote

        return [(uri, remote.get(config, uri)) for uri in remote.expand(config, source)]
    try:
        with open(source, "rb") as handle:
            return [(source, handle.read(256 << 20))]
    except OSError as exc:
        raise ReportError(f"{source}: cannot read: {exc.strerror or exc}") from exc


def load_reports(config: Config, sources: list[str]) -> list[tuple[str, Report]]:
    out = []
    for source in sources:
        documents = _read(config, source)
        if not documents:
            raise ReportError(f"{source}: no report found there")
        for name, data in documents:
            try:
                out.append((name, from_dict(json.loads(data))))
            except (ValueError, ReportError) as exc:
                raise ReportError(f"{name}: not a drift report: {exc}") from exc
    return out


def check_shards(reports: list[tuple[str, Report]], max_age: float | None) -> None:
    """Every shard exactly once, all of one count and one input digest (and recent enough)."""
    seen: dict[int, str] = {}
    counts, inputs = set(), set()
    for name, report in reports:
        shard = report.shard
        if shard is None:
            raise ReportError(f"{name}: not a shard report (made without --shard)")
        if shard.index in seen:
            raise ReportError(f"{name}: shard {shard.index} is repeated (also in {seen[shard.index]})")
        seen[shard.index] = name
        counts.add(shard.count)
        inputs.add(shard.inputs)
        if max_age is not None and _age(report.finished_at) > max_age:
            raise ReportError(f"{name}: shard {shard.index} finished at {report.finished_at}, older than --max-age")
    if len(counts) > 1:
        raise ReportError(f"shards of different counts: {', '.join(str(c) for c in sorted(counts))}")
    if len(inputs) > 1:
        raise ReportError("shards made from different config or desired state (their inputs digests differ)")
    count = counts.pop()
    missing = sorted(set(range(count)) - set(seen))
    if missing:
        raise ReportError(f"missing shard{'s' if len(missing) != 1 else ''} {', '.join(map(str, missing))} of {count}")


def _age(stamp: str) -> float:
    try:
        return time.time() - datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("inf")


@dataclass(frozen=True, slots=True)
class MergeArgs:
    fmt: str | None = None
    output: str | None = None
    notify: bool = False
    #: Refuse shards that finished longer ago than this many seconds.
    max_age: float | None = None


def merge(config: Config, sources: list[str], args: MergeArgs, *, run_id: str, log: Any) -> int:
    """One report from the shards; with ``notify``, alert state and deliveries as ``check --notify`` has them:
    the merged report is printed first, then delivered."""
    fmt, output, notify, max_age = args.fmt, args.output, args.notify, args.max_age
    if notify:
        require_notify_settings(config, channels=False)
    reports = load_reports(config, sources)
    check_shards(reports, max_age)
    shards = tuple(sorted((r.shard for _, r in reports if r.shard), key=lambda s: s.index))
    merged = Report(run_id=run_id, started_at=min(r.started_at for _, r in reports), finished_at=utc_now(),
                    resources=tuple(res for _, r in reports for res in r.resources),
                    errors=tuple(e for _, r in reports for e in r.errors), shards=shards)
    from drift.render import render

    store = open_store(config) if notify else None
    delivered = True
    try:
        if store is not None:
            scopes = {(account, unit.rpartition("/")[2]) for s in shards for unit, account in s.read}
            with store.transaction() as tx:
                queue_notifications(store, tx, config.notify, merged, scopes)
        write_output(config, output, render(merged, choose_format(fmt, output), color=False))
        if store is not None:
            delivered = deliver_all(store, config.notify, log)
    finally:
        if store is not None:
            store.close()
    code = merged.exit_code() if delivered else 1
    log.info("drift.merge.finished", shards=len(shards), exit_code=code, checked=merged.summary.checked)
    if merged.errors:
        say(f"drift merge: {len(merged.errors)} target error{'s' if len(merged.errors) != 1 else ''} in the shards",
            event="drift.merge.errors", count=len(merged.errors))
    return code
