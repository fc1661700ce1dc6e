"""The one place that knows the order of the stages of a pass; it reads as its diagram.

    plan        which (target, region) units, and which declared resources each must find   plan.py
    read        listings, live forms (cache, Search or describe), tags, packages            read/
    resolve     what image tags and artifacts point at now                                 integrity/resolve.py
    judge       integrity against baselines; the serving chain of each endpoint            integrity/judge.py, chain.py
    classify    declared + live + judged -> one verdict per resource (pure)                classify.py
    filter      the user's ignore and severity rules                                       filters.py
    report      one frozen Report                                                          report.py
    record      state rows, baselines, pass history, and the outbox, in one transaction   record.py, notify/queue.py

Each (target, region) is read independently and concurrently; one that cannot be
read turns into ERROR results and a report-level error, never hides the others,
and never looks in sync.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drift import redact
from drift.aws.session import Connection
from drift.chain import ChainOutcome, deployed_refs, judge_chain
from drift.classify import Judgements, Scope, classify_unit, desired_forms
from drift.config.settings import Config, Target
from drift.desired import DesiredState
from drift.errors import StateError
from drift.filters import apply_filters
from drift.integrity.judge import Incarnation, Judged, Judging, judge
from drift.integrity.lockfile import LockFile
from drift.integrity.refs import Ref, model_refs
from drift.integrity.resolve import Key, Resolution, Resolver
from drift.notify.queue import queue_notifications
from drift.plan import Shard, Unit, plan_units
from drift.read.types import Counter, Progress, UnitRead
from drift.read.unit import ReadOptions, read_unit
from drift.record import changes
from drift.report import Kind, Report, ShardInfo
from drift.serialise import fingerprint
from drift.store import Prior, Store

Connections = dict[tuple[str, str], Connection]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(started_at: str) -> str:
    return f"{started_at}-{secrets.token_hex(2)}"


@dataclass(frozen=True, slots=True)
class PassOptions:
    """What this pass is asked to do."""

    full: bool = False
    shard: Shard | None = None
    inputs: str = ""
    #: Accounts found through AWS Organizations (replace the config's targets), and why some could not be.
    targets: tuple[Target, ...] | None = None
    target_errors: tuple[str, ...] = ()
    lock: LockFile | None = None
    #: Queue notifications for the config's channels (with the pass's verdicts, in one transaction).
    notify: bool = False
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class PassContext:
    """Where a pass reports to, and what a long-running caller keeps between passes."""

    progress: Progress | None = None
    log: Any = None
    #: Sessions and connection pools per (target, region), kept by the daemon between passes.
    connections: Connections | None = None


@dataclass(frozen=True, slots=True)
class PassResult:
    report: Report
    reads: tuple[UnitRead, ...]
    calls_by_service: dict[str, int] = field(default_factory=dict)
    #: The pass could not be recorded (a full disk, say): the report stands, the state did not move.
    record_error: StateError | None = None

    @property
    def calls(self) -> int:
        return sum(self.calls_by_service.values())

    @property
    def throttled(self) -> int:
        return sum(r.throttled for r in self.reads)

    @property
    def described(self) -> int:
        return sum(r.described for r in self.reads)

    @property
    def complete(self) -> bool:
        """Every unit was read (some resources may still be ERROR): what /healthz calls a successful pass."""
        return not self.report.errors


def run_pass(config: Config, desired: DesiredState, *, store: Store | None = None, options: PassOptions | None = None,
             context: PassContext | None = None) -> PassResult:
    """One pass over every unit; records state and queues notifications (with ``notify``) when state is kept."""
    options, context = options or PassOptions(), context or PassContext()
    started, log = utc_now(), context.log
    run_id = options.run_id or new_run_id(started)
    if store is not None:
        redact.use_key(store.digest_key())
    prior = store.prior() if store is not None else Prior.empty()
    units = plan_units(config, desired, options.targets, options.shard)
    conns = _connections(config, units, context.connections)
    reads = _read(config, units, conns, prior, options.full, context)
    how = Judging(_resolve(config, reads, conns), options.lock, config.integrity.denied == "error",
                  keep_state=store is not None, now=started)
    judged = {(r.unit.target.name, r.unit.region): _judge(config, desired, r, prior, how) for r in reads}
    scope = Scope(unmanaged=config.unmanaged, name_prefix=config.name_prefix, endpoints=config.endpoints)
    results = [res for r in reads
               for res in classify_unit(r, prior.resources, scope, desired, judged[(r.unit.target.name,
                                                                                     r.unit.region)])]
    results = list(apply_filters(results, config.ignore, config.severity))
    errors = tuple(options.target_errors) + tuple(r.error for r in reads if r.error)
    report = Report(run_id=run_id, started_at=started, finished_at=utc_now(), resources=tuple(results),
                    errors=errors, shard=_shard_info(options, units, reads))
    _log(log, report, reads, prior)
    record_error = None
    if store is not None:
        integrity = {(r.account or "", r.unit.region, name): j for r in reads
                     for name, j in judged[(r.unit.target.name, r.unit.region)].integrity.items()}
        try:
            record_pass(store, report, reads, prior, integrity, config.notify if options.notify else ())
        except StateError as exc:
            record_error = exc
    calls: dict[str, int] = {}
    for conn in conns.values():
        for service, count in conn.counter.by_service.items():
            calls[service] = calls.get(service, 0) + count
    return PassResult(report=report, reads=tuple(reads), calls_by_service=calls, record_error=record_error)


def _connections(config: Config, units: list[Unit], cache: Connections | None) -> Connections:
    """One connection per unit, kept between passes by a long-running caller (sessions and pools)."""
    out: Connections = {}
    for unit in units:
        key = (unit.target.name, unit.region)
        conn = cache.get(key) if cache is not None else None
        if conn is None or conn.target != unit.target:
            conn = Connection(unit.target, unit.region, config.aws)
            if cache is not None:
                cache[key] = conn
        out[key] = conn
    return out


def _read(config: Config, units: list[Unit], conns: Connections, prior: Prior, full: bool,
          context: PassContext) -> list[UnitRead]:
    options = ReadOptions(full=full, name_prefix=config.name_prefix, endpoints=config.endpoints,
                          bulk_read=config.aws.bulk_read, max_models=config.aws.max_models,
                          concurrency=config.aws.concurrency)
    counter = Counter(sum(len(u.declared) for u in units), context.progress)

    def one(unit: Unit) -> UnitRead:
        read = read_unit(conns[(unit.target.name, unit.region)], unit, options, prior, counter, context.log)
        if read.account is None:  # a unit that failed before saying who it is: the account it had last time
            known = {k[1] for k in prior.resources if k[2] == unit.region} if unit.target.account_id is None else {
                unit.target.account_id}
            if len(known) == 1:
                from dataclasses import replace

                read = replace(read, account=known.pop())
        return read

    if len(units) <= 1:
        return [one(u) for u in units]
    workers = min(config.aws.max_parallel_targets, len(units))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift-unit") as pool:
        return list(pool.map(one, units))


def _refs(config: Config, read: UnitRead) -> Iterable[Ref]:
    integrity = config.integrity
    for name in (d.name for d in read.unit.declared_of(Kind.MODEL)):
        live = read.of(Kind.MODEL).get(name)
        if live is not None and live.form is not None and integrity.enabled:
            yield from model_refs(live.form, images=integrity.images, artifacts=integrity.artifacts)
    for endpoint in read.of(Kind.ENDPOINT).values():
        yield from deployed_refs(endpoint)


def _resolve(config: Config, reads: list[UnitRead], conns: Connections) -> dict[Key, Resolution]:
    jobs = [(conns[(r.unit.target.name, r.unit.region)], ref) for r in reads if r.error is None
            for ref in _refs(config, r)]
    return Resolver(concurrency=min(32, config.aws.concurrency)).resolve(jobs)


def _judge(config: Config, desired: DesiredState, read: UnitRead, prior: Prior, how: Judging) -> Judgements:
    if read.error is not None:
        return Judgements()
    target = read.unit.target.name
    integrity: dict[str, Judged] = {}
    if config.integrity.enabled:
        for model in read.unit.declared_of(Kind.MODEL):
            live = read.of(Kind.MODEL).get(model.name)
            if live is None or live.form is None:
                continue
            refs = model_refs(live.form, images=config.integrity.images, artifacts=config.integrity.artifacts)
            where = Incarnation(target, read.account or "", read.unit.region, live.listed.arn, live.listed.created)
            integrity[model.name] = judge(model, desired_forms(desired, model)[0], refs, where,
                                          prior.baselines_of(where.account, where.region, model.name), how)
    chains: dict[str, ChainOutcome] = {
        name: judge_chain(live, read.of(Kind.ENDPOINT_CONFIG), read.of(Kind.MODEL), how.resolutions, target)
        for name, live in read.of(Kind.ENDPOINT).items() if live.facts is not None}
    return Judgements(integrity=integrity, chains=chains)


def _shard_info(options: PassOptions, units: list[Unit], reads: list[UnitRead]) -> ShardInfo | None:
    if options.shard is None:
        return None
    return ShardInfo(index=options.shard.index, count=options.shard.count, units=tuple(u.key for u in units),
                     inputs=options.inputs,
                     read=tuple((r.unit.key, r.account) for r in reads if r.error is None and r.account))


def read_scopes(reads: Iterable[UnitRead]) -> set[tuple[str, str]]:
    """(account, region) of every unit read completely: only there may a vanished resource resolve."""
    return {(r.account, r.unit.region) for r in reads if r.error is None and r.account}


def record_pass(store: Store, report: Report, reads: Iterable[UnitRead], prior: Prior,
                integrity: dict[tuple[str, str, str], Judged], channels: tuple[Any, ...] = ()) -> None:
    """Record the pass atomically; notifications it causes are queued in the same transaction."""
    reads = list(reads)
    todo = changes(report, reads, prior, integrity)
    now = report.finished_at
    with store.transaction() as tx:
        for row in todo.rows:
            tx.save_resource(row, now)
        tx.forget_resources(todo.forget)
        for target, region, kind, hint in todo.listings:
            tx.save_listing(target, region, kind, hint, now)
        for account, region, name, arn, created in todo.incarnations:
            tx.forget_baselines(account, region, name, keep=(arn, created))
        for key in todo.forget:
            if key[0] == Kind.MODEL.value:
                tx.forget_baselines(key[1], key[2], key[3])
        for baseline in todo.baselines:
            tx.save_baseline(baseline)
        s = report.summary
        tx.save_run(report.run_id, report.started_at, report.finished_at, {"checked": s.checked},
                    report.exit_code())
        if channels:
            queue_notifications(store, tx, tuple(channels), report, read_scopes(reads))


def _log(log: Any, report: Report, reads: list[UnitRead], prior: Prior) -> None:
    """A unit that failed is said once; a drifted resource only when its drift is new or changed."""
    if log is None:
        return
    for read in reads:
        if read.error is not None:
            log.error("drift.target.failed", target=read.unit.target.name, region=read.unit.region,
                      resources=len(read.unit.declared), error=read.error)
    failed = {(r.unit.target.name, r.unit.region) for r in reads if r.error}
    for result in report.resources:
        resource_log = log.bind(model=result.name, kind=result.kind.value, account=result.account,
                                region=result.region)
        resource_log.debug("drift.model.checked", status=result.status.value)
        row = prior.resources.get(result.key)
        if result.drifted and (row is None or row.fingerprint != fingerprint(result)):
            resource_log.info("drift.model.drifted", status=result.status.value,
                              severity=result.severity.value if result.severity else None,
                              paths=[d.path for d in result.differences])
        elif result.error and (result.target, result.region) not in failed:
            resource_log.warning("drift.model.checked", status=result.status.value, error=result.error)
