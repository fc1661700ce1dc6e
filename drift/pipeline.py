"""The one place that knows the order of the stages of a pass.

    targets x regions --(live.py)--> ListModels summaries
        declared & listed --(live.py, or the state cache)--> raw DescribeModel
        raw --(normalise.py)--> canonical --(compare.py)--> differences
        differences --(rules)--> ModelResult --> Report --(state.py)--> saved

Each (target, region) is read independently and concurrently, and a target
that cannot be read turns into ERROR results and a report-level error: it never
hides the other targets, and it never looks in sync.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drift.compare import canonical_desired, canonical_live, compare_canonical
from drift.config import Config, Target
from drift.desired import DesiredModel
from drift.errors import AwsError
from drift.live import LiveSummary, ModelNotFoundError, ModelReadError, TargetReader
from drift.normalise import tags_as_mapping
from drift.report import ModelResult, Report, Severity, Status, fingerprint, model_to_dict
from drift.state import NORMALISER_VERSION, ListingHint, ModelRow, Store

Progress = Callable[[int, int], None]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(started_at: str) -> str:
    return f"{started_at}-{secrets.token_hex(2)}"


@dataclass
class UnitOutcome:
    """What one (target, region) produced: results, state rows, and any target-level error."""

    results: list[ModelResult] = field(default_factory=list)
    rows: list[ModelRow] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    error: str | None = None
    account: str | None = None
    region: str = ""
    target: str | None = None
    calls: int = 0
    throttled: int = 0
    described: int = 0
    listing: ListingHint | None = None


@dataclass(frozen=True, slots=True)
class PassResult:
    report: Report
    outcomes: tuple[UnitOutcome, ...]

    @property
    def calls(self) -> int:
        return sum(o.calls for o in self.outcomes)

    @property
    def throttled(self) -> int:
        return sum(o.throttled for o in self.outcomes)

    @property
    def described(self) -> int:
        return sum(o.described for o in self.outcomes)


class _Counter:
    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            done = self.done
        if self.progress:
            self.progress(done, self.total)


def run_pass(
    config: Config,
    desired: list[DesiredModel],
    *,
    store: Store | None = None,
    full: bool = False,
    progress: Progress | None = None,
    log: Any = None,
    run_id: str | None = None,
    channels: tuple[Any, ...] = (),
    readers: dict[tuple[str, str], TargetReader] | None = None,
) -> PassResult:
    """One pass over every target and region; saves state (when kept) and returns the Report.

    ``readers`` lets a long-running caller keep AWS sessions and connection pools between passes.

    With ``channels``, notifications for changes of drift are queued in the outbox in the same
    transaction that records the pass, so a crash can lose neither the verdict nor the alert.
    """
    started = utc_now()
    run_id = run_id or new_run_id(started)
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift-state")
    # The state is read while the first AWS calls are in flight; units wait for it only when they need it.
    previous_future: Future[dict[tuple[str, str, str], ModelRow]] = loader.submit(
        store.model_rows if store else dict)
    loader.shutdown(wait=False)
    units = [(t, r) for t in config.aws.targets for r in t.regions]
    hints = store.listing_hints() if store else {}
    counter = _Counter(total=len(desired) * len(units), progress=progress)

    def one(unit: tuple[Target, str]) -> UnitOutcome:
        target, region = unit
        mine = [d for d in desired if d.target in (None, target.name)]
        reader = readers.get((target.name, region)) if readers is not None else None
        if reader is None:
            reader = TargetReader(target, region, config.aws)
            if readers is not None:
                readers[(target.name, region)] = reader
        return _check_unit(config, reader, mine, previous_future, full=full, counter=counter, log=log,
                           hint=hints.get((target.name, region)))

    if len(units) == 1:
        outcomes = [one(units[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(8, len(units)), thread_name_prefix="drift-target") as pool:
            outcomes = list(pool.map(one, units))

    previous = previous_future.result()
    results = tuple(r for o in outcomes for r in o.results)
    for outcome in outcomes:
        if outcome.error is not None:
            if log is not None:  # said once for the target, not once per model it hides
                log.error("drift.model.checked", status=Status.ERROR.value, region=outcome.region,
                          models=len(outcome.results), error=outcome.error)
            continue
        for result in outcome.results:
            _log_model(log, result)
    errors = tuple(o.error for o in outcomes if o.error)
    report = Report(run_id=run_id, started_at=started, finished_at=utc_now(), models=results, errors=errors)
    if store:
        extra = None
        if channels:
            from drift.notify.dispatch import queue_notifications

            scopes = {(o.account, o.region) for o in outcomes if o.error is None and o.account}

            def extra(conn: Any) -> None:
                queue_notifications(conn, channels, report, scopes)

        save_pass(store, report, outcomes, previous, extra)
    return PassResult(report=report, outcomes=tuple(outcomes))


def save_pass(store: Store, report: Report, outcomes: list[UnitOutcome],
              previous: dict[tuple[str, str, str], ModelRow], extra: Callable[[Any], None] | None = None) -> None:
    """Record the pass atomically; ``extra`` adds more writes (the outbox) to the same transaction."""
    with store.transaction() as conn:
        for outcome in outcomes:
            for row in outcome.rows:
                Store.save_model(conn, row, report.finished_at)
            if outcome.listing is not None and outcome.target is not None:
                Store.save_listing(conn, outcome.target, outcome.region, outcome.listing, report.finished_at)
            if outcome.error is None and outcome.account is not None:
                stale = [k for k in previous if k[0] == outcome.account and k[1] == outcome.region
                         and k not in outcome.seen]
                Store.forget_models(conn, stale)
        Store.save_run(conn, report.run_id, report.started_at, report.finished_at,
                       {"checked": report.summary.checked}, report.exit_code())
        if extra:
            extra(conn)


def _check_unit(
    config: Config,
    reader: TargetReader,
    declared: list[DesiredModel],
    previous_future: Future[dict[tuple[str, str, str], ModelRow]],
    *,
    full: bool,
    counter: _Counter,
    log: Any,
    hint: ListingHint | None = None,
) -> UnitOutcome:
    target, region = reader.target, reader.region
    outcome = UnitOutcome(region=region, target=target.name)
    reader.counter.reset()
    prefix = config.name_prefix
    server_filter = prefix if prefix and all(d.name.startswith(prefix) for d in declared) else ""
    bulk: Future[dict[str, list[dict[str, str]]] | None] | None = None
    try:
        reader.open()
        # Identity, listing and bulk tags are independent: overlap their round trips.
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="drift-list") as pool:
            identity = pool.submit(reader.identify)
            listing = pool.submit(reader.list_models, server_filter, hint)
            if _bulk_tags_pay_off(declared):
                bulk = pool.submit(reader.bulk_tags)
            try:
                account = identity.result()
            finally:
                listed_or_error = _settle(listing)
            outcome.account = account
            if isinstance(listed_or_error, AwsError):
                raise listed_or_error
            listed, outcome.listing = listed_or_error
    except AwsError as exc:
        outcome.error = str(exc)
        account = outcome.account or _known_account(previous_future.result(), region) or "unknown"
        outcome.results = [
            ModelResult(name=d.name, account=account, region=region, status=Status.ERROR,
                        error=f"listing failed: {exc}", target=target.name)
            for d in declared
        ]
        for _ in declared:
            counter.tick()
        _count_calls(outcome, reader)
        return outcome

    previous = previous_future.result()
    live = {s.name: s for s in listed}
    names = {d.name for d in declared}
    jobs: list[tuple[DesiredModel, LiveSummary]] = []
    for d in declared:
        key = (account, region, d.name)
        outcome.seen.add(key)
        summary = live.get(d.name)
        if summary is None:
            prior = previous.get(key)
            result = _missing(d, account, region, target, prior)
            outcome.results.append(result)
            _keep(outcome, _row(result, prior, live_form=prior.live if prior else None, tags=None))
            counter.tick()
        else:
            jobs.append((d, summary))
    if config.unmanaged:
        for summary in listed:
            if summary.name in names or not summary.name.startswith(config.name_prefix):
                continue
            key = (account, region, summary.name)
            outcome.seen.add(key)
            prior = previous.get(key)
            result = ModelResult(name=summary.name, account=account, region=region, status=Status.UNMANAGED,
                                 severity=Severity.WARNING, recreated=_recreated(prior, summary),
                                 target=target.name, arn=summary.arn, creation_time=summary.creation_time)
            outcome.results.append(result)
            _keep(outcome, _row(result, prior, live_form=None, tags=None))

    bulk_tags = bulk.result() if bulk else None
    tags_for = _tag_source(reader, bulk_tags)

    def check(job: tuple[DesiredModel, LiveSummary]) -> tuple[ModelResult, ModelRow | None, bool]:
        d, summary = job
        prior = previous.get((account, region, d.name))
        try:
            return _check_model(config, reader, d, summary, account, region, target, prior, full=full,
                                tags_for=tags_for)
        finally:
            counter.tick()

    # Models whose cached live form stands and whose tags are already known need no AWS call: decide them
    # here; the thread pool is for the ones that call AWS.
    local: list[tuple[DesiredModel, LiveSummary]] = []
    remote: list[tuple[DesiredModel, LiveSummary]] = []
    for job in jobs:
        tags_known = bulk_tags is not None or not job[0].declares_tags
        settled = _cache_hit(previous.get((account, region, job[0].name)), job[1], full) and tags_known
        (local if settled else remote).append(job)
    finished = [check(job) for job in local]
    if remote:
        workers = max(1, min(config.aws.concurrency, len(remote)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift-describe") as pool:
            finished.extend(pool.map(check, remote))
    for result, row, described in finished:
        outcome.results.append(result)
        outcome.described += described
        if row is not None:
            outcome.rows.append(row)
    _count_calls(outcome, reader)
    return outcome


def _check_model(
    config: Config,
    reader: TargetReader,
    desired: DesiredModel,
    summary: LiveSummary,
    account: str,
    region: str,
    target: Target,
    prior: ModelRow | None,
    *,
    full: bool,
    tags_for: Callable[[str], list[dict[str, str]]],
) -> tuple[ModelResult, ModelRow | None, bool]:
    cached = _cache_hit(prior, summary, full)
    described = False
    try:
        if cached:
            assert prior is not None
            assert prior.live is not None
            live_form = prior.live
        else:
            live_form = canonical_live(reader.describe(desired.name), None)
            described = True
        tags = tags_as_mapping(tags_for(summary.arn)) if desired.declares_tags else None
    except ModelNotFoundError:
        result = _missing(desired, account, region, target, prior)
        return result, _row(result, prior, live_form=prior.live if prior else None, tags=None), described
    except ModelReadError as exc:
        result = ModelResult(name=desired.name, account=account, region=region, status=Status.ERROR,
                             error=str(exc), target=target.name, arn=summary.arn,
                             creation_time=summary.creation_time)
        return result, None, described
    declared, expected = canonical_desired(desired)
    actual = {**live_form, "Tags": tags} if tags is not None else live_form
    diffs = compare_canonical(desired, declared, expected, actual, ignore=config.ignore, severity=config.severity)
    worst = max((d.severity for d in diffs), key=lambda s: s.rank, default=None)
    result = ModelResult(
        name=desired.name, account=account, region=region,
        status=Status.MODIFIED if diffs else Status.IN_SYNC, severity=worst,
        recreated=_recreated(prior, summary), differences=diffs, target=target.name,
        arn=summary.arn, creation_time=summary.creation_time,
    )
    return result, _row(result, prior, live_form=live_form, tags=tags), described


def _bulk_tags_pay_off(declared: list[DesiredModel]) -> bool:
    """Tags change in place, so they are read every pass: in bulk (GetResources, 100 models a page) when
    that costs fewer calls than one ListTags per model that declares Tags."""
    wanted = sum(1 for d in declared if d.declares_tags)
    return wanted > max(1, -(-len(declared) // 100))


def _tag_source(reader: TargetReader, bulk: dict[str, list[dict[str, str]]] | None) -> Callable[
        [str], list[dict[str, str]]]:
    """Bulk tags when they were read (GetResources lists only tagged resources), else one ListTags each."""
    if bulk is not None:
        return lambda arn: bulk.get(arn, [])
    return reader.list_tags


def _settle(future: Future[tuple[list[LiveSummary], ListingHint]]) -> tuple[list[LiveSummary], ListingHint] | AwsError:
    try:
        return future.result()
    except AwsError as exc:
        return exc


def _keep(outcome: UnitOutcome, row: ModelRow | None) -> None:
    if row is not None:
        outcome.rows.append(row)


def _cache_hit(prior: ModelRow | None, summary: LiveSummary, full: bool) -> bool:
    """A model is immutable: same ARN and CreationTime as when we described it means the same content."""
    return (
        not full and prior is not None and prior.live is not None and prior.arn == summary.arn
        and prior.creation_time == summary.creation_time and prior.normaliser == NORMALISER_VERSION
    )


def _missing(d: DesiredModel, account: str, region: str, target: Target, prior: ModelRow | None) -> ModelResult:
    return ModelResult(name=d.name, account=account, region=region, status=Status.MISSING,
                       severity=Severity.CRITICAL, target=target.name,
                       arn=prior.arn if prior else None, creation_time=prior.creation_time if prior else None)


def _recreated(prior: ModelRow | None, summary: LiveSummary) -> bool:
    """The same name now stands for another model: its ARN or CreationTime changed since we last saw it."""
    if prior is None or prior.arn is None:
        return False
    return (prior.arn, prior.creation_time) != (summary.arn, summary.creation_time)


def _row(result: ModelResult, prior: ModelRow | None, *, live_form: dict[str, Any] | None,
         tags: dict[str, str] | None) -> ModelRow | None:
    """The state row for a result, or None when the stored row already says exactly this."""
    row = ModelRow(
        account=result.account, region=result.region, name=result.name,
        arn=result.arn, creation_time=result.creation_time,
        live=live_form, tags=tags, normaliser=NORMALISER_VERSION if live_form is not None else None,
        result=model_to_dict(result), fingerprint=fingerprint(result),
    )
    return None if row == prior else row


def _known_account(previous: dict[tuple[str, str, str], ModelRow], region: str) -> str | None:
    accounts = {k[0] for k in previous if k[1] == region}
    return accounts.pop() if len(accounts) == 1 else None


def _count_calls(outcome: UnitOutcome, reader: TargetReader) -> None:
    outcome.calls = reader.counter.calls
    outcome.throttled = reader.counter.throttled


def _log_model(log: Any, result: ModelResult) -> None:
    if log is None:
        return
    model_log = log.bind(model=result.name, account=result.account, region=result.region)
    model_log.debug("drift.model.checked", status=result.status.value)
    if result.drifted:
        model_log.info("drift.model.drifted", status=result.status.value,
                       severity=result.severity.value if result.severity else None,
                       paths=[d.path for d in result.differences])
    elif result.status is Status.ERROR:
        model_log.warning("drift.model.checked", status=result.status.value, error=result.error)
