"""The read stage for one (target, region): listings, then live forms along the serving chain, then tags.

    identity, ListModels, ListEndpointConfigs, ListEndpoints, bulk tags, Search   (overlapped)
    endpoints in scope        -> cached or DescribeEndpoint
    configs they use + declared -> cached or DescribeEndpointConfig
    models those use + declared -> cached, a Search record, or DescribeModel
    tags of declared resources, model packages of declared containers

Threads and caching live here, not in classification: the result is a plain
``UnitRead``. A listing that fails (or answers garbage) fails the unit: its
declared resources become ERROR upstream, never MISSING.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from drift.aws import sagemaker as sm
from drift.aws.errors import DENIED_CODES, THROTTLE_CODES
from drift.aws.session import Connection
from drift.errors import AwsError, ResourceReadError
from drift.kinds.model import canonical_container
from drift.plan import Unit
from drift.read import forms
from drift.read.tags import bulk_for, bulk_pays_off, read_tags
from drift.read.types import Counter, Live, UnitRead
from drift.report import Kind
from drift.store.rows import ListingHint, Prior

_LISTINGS = {Kind.MODEL: sm.MODELS, Kind.ENDPOINT_CONFIG: sm.ENDPOINT_CONFIGS, Kind.ENDPOINT: sm.ENDPOINTS}
#: Search answers that will not change within this process: denied, not supported here, throttled to the end.
SEARCH_OFF_CODES = DENIED_CODES | THROTTLE_CODES | {"ValidationException", "UnknownOperationException",
                                                     "InvalidAction", "UnsupportedOperation", "MalformedAnswer",
                                                     "EndlessListing"}


@dataclass(frozen=True, slots=True)
class ReadOptions:
    full: bool = False
    name_prefix: str = ""
    endpoints: str = "all"
    bulk_read: bool = True
    max_models: int = 200_000
    concurrency: int = 32


class SearchSwitch:
    """Search that is denied or unsupported is off for the rest of the process, and said once (SPEC §10)."""

    def __init__(self) -> None:
        self.disabled = False
        self.lock = threading.Lock()

    def disable(self, reason: str, log: Any) -> None:
        with self.lock:
            if self.disabled:
                return
            self.disabled = True
        if log is not None:
            log.warning("drift.search.disabled", reason=reason,
                        message="bulk reads are off for this process; models are described one by one")


SEARCH = SearchSwitch()


def read_unit(conn: Connection, unit: Unit, options: ReadOptions, prior: Prior, counter: Counter,
              log: Any = None) -> UnitRead:
    conn.counter.reset()
    with ThreadPoolExecutor(max_workers=max(4, options.concurrency), thread_name_prefix="drift-read") as pool:
        reader = _UnitReader(conn, unit, options, prior, pool, log)
        try:
            return reader.read(counter)
        except AwsError as exc:
            counter.tick(len(unit.declared))
            return UnitRead(unit=unit, account=conn.account_id, error=str(exc), calls=conn.counter.calls,
                            throttled=conn.counter.throttled, calls_by_service=dict(conn.counter.by_service))


class _UnitReader:
    def __init__(self, conn: Connection, unit: Unit, options: ReadOptions, prior: Prior, pool: ThreadPoolExecutor,
                 log: Any) -> None:
        self.conn, self.unit, self.options, self.prior, self.pool, self.log = conn, unit, options, prior, pool, log
        self.account = ""
        self.declared = {kind: {d.name: d for d in unit.declared_of(kind)} for kind in Kind}

    def hint(self, kind: Kind) -> ListingHint | None:
        return self.prior.listings.get((self.unit.target.name, self.unit.region, kind.value))

    def read(self, counter: Counter) -> UnitRead:
        listed, hints, search = self._list()
        live: dict[Kind, dict[str, Live]] = {kind: {} for kind in Kind}
        endpoints = self._endpoints(listed[Kind.ENDPOINT])
        live[Kind.ENDPOINT] = endpoints
        used_configs = {str((e.facts or {}).get("EndpointConfigName")) for e in endpoints.values() if e.facts}
        live[Kind.ENDPOINT_CONFIG] = self._forms(Kind.ENDPOINT_CONFIG, listed[Kind.ENDPOINT_CONFIG],
                                                 set(self.declared[Kind.ENDPOINT_CONFIG]) | used_configs)
        used_models = {str(v.get("ModelName")) for c in live[Kind.ENDPOINT_CONFIG].values() if c.form
                       for key in ("ProductionVariants", "ShadowProductionVariants")
                       for v in c.form.get(key) or [] if isinstance(v, dict) and v.get("ModelName")}
        live[Kind.MODEL] = self._forms(Kind.MODEL, listed[Kind.MODEL], set(self.declared[Kind.MODEL]) | used_models,
                                       search=search)
        self._add_tags(live)
        counter.tick(len(self.unit.declared))
        packages = self._packages()
        c = self.conn.counter
        return UnitRead(unit=self.unit, account=self.account, live=live, listings=hints, packages=packages,
                        calls=c.calls, throttled=c.throttled, calls_by_service=dict(c.by_service),
                        described=sum(1 for kind in live.values() for item in kind.values() if item.described))

    # -- listings ---------------------------------------------------------------------------------------
    def _wanted_kinds(self) -> set[Kind]:
        kinds = {Kind.MODEL}
        if self.options.endpoints != "none":
            kinds |= {Kind.ENDPOINT, Kind.ENDPOINT_CONFIG}
        if self.declared[Kind.ENDPOINT_CONFIG]:
            kinds.add(Kind.ENDPOINT_CONFIG)
        return kinds

    def _list(self) -> tuple[dict[Kind, dict[str, sm.Listed]], dict[Kind, ListingHint], Future[Any] | None]:
        """Identity and listings, overlapped. A steady pass does not ask STS who it is: the account it found
        last time is checked against the ARNs ListModels returns (any other account, or none, asks again)."""
        self.conn.open()
        kinds = self._wanted_kinds()
        prefix = self.options.name_prefix
        # The server-side name filter is an optimisation only when nothing outside the prefix must be found.
        model_filter = prefix if prefix and Kind.ENDPOINT not in kinds and all(
            n.startswith(prefix) for n in self.declared[Kind.MODEL]) else ""
        known = (self.hint(Kind.MODEL) or ListingHint(True, 0)).account or self.unit.target.account_id
        identity = None if known else self.pool.submit(self.conn.identify)
        # Endpoint configs are listed at once only when something will need them; else after ListEndpoints.
        eager = Kind.ENDPOINT_CONFIG in kinds and (bool(self.declared[Kind.ENDPOINT_CONFIG]) or bool(
            (self.hint(Kind.ENDPOINT) or ListingHint(True, 0)).items))
        search = None
        if self._search_allowed() and (self.options.full or self.hint(Kind.MODEL) is None):
            search = self.pool.submit(self._search, self._planned())
        # With no plan for the listing, a Search beside it sets the pace: read ListModels in one chain (exactly
        # its pages), instead of two chains that overshoot while they look for each other.
        sequential = search is not None and self.hint(Kind.MODEL) is None
        futures = {kind: self._listing(kind, model_filter, sequential=sequential and kind is Kind.MODEL)
                   for kind in kinds if kind is not Kind.ENDPOINT_CONFIG or eager}
        results: dict[Kind, dict[str, sm.Listed]] = {kind: {} for kind in Kind}
        hints: dict[Kind, ListingHint] = {}
        self._settle(futures, results, hints, identity)
        if sequential and Kind.MODEL in hints:  # read in one chain by choice: the server was not found wanting
            hints[Kind.MODEL] = ListingHint(True, hints[Kind.MODEL].items)
        if Kind.ENDPOINT_CONFIG in kinds and not eager and results[Kind.ENDPOINT]:
            self._settle({Kind.ENDPOINT_CONFIG: self._listing(Kind.ENDPOINT_CONFIG, "")}, results, hints, None)
        if identity is None:
            self.account = self._verified(str(known), results[Kind.MODEL])
        hints = {kind: ListingHint(h.two_way, h.items, self.account) for kind, h in hints.items()}
        return results, hints, search

    def _listing(self, kind: Kind, name_contains: str, *, sequential: bool = False) -> Future[Any]:
        hint = ListingHint(two_way=False, items=0) if sequential else self.hint(kind)
        return self.pool.submit(sm.list_all, self.conn, _LISTINGS[kind],
                                name_contains=name_contains if kind is Kind.MODEL else "", hint=hint,
                                max_items=self.options.max_models)

    def _planned(self) -> int | None:
        """Search pages to expect: the last listing's size when known (else Search's own TotalHits)."""
        hint = self.hint(Kind.MODEL)
        return -(-hint.items // 100) if hint is not None and hint.items else None

    def _settle(self, futures: dict[Kind, Future[Any]], results: dict[Kind, dict[str, sm.Listed]],
                hints: dict[Kind, ListingHint], identity: Future[Any] | None) -> None:
        errors = []
        if identity is not None:
            try:
                self.account = identity.result()
            except AwsError as exc:
                errors.append(exc)
        for kind, future in futures.items():
            try:
                items, hints[kind] = future.result()
                results[kind] = {item.name: item for item in items}
            except AwsError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def _verified(self, known: str, models: dict[str, sm.Listed]) -> str:
        """The remembered account, when the listed ARNs say so; else (another account, or no evidence) STS."""
        accounts = {item.arn.split(":")[4] for item in models.values() if item.arn.count(":") >= 5}
        return known if accounts == {known} else self.conn.identify()

    # -- bulk reads ------------------------------------------------------------------------------------
    def _search_allowed(self) -> bool:
        return self.options.bulk_read and not SEARCH.disabled

    def _search(self, planned_pages: int | None) -> sm.SearchRecords | None:
        """Search records by ARN, or None (models are then described). Denied, unsupported or throttled past
        its retries turns Search off for the process; anything else (an outage) only skips it this time."""
        try:
            return sm.search_models(self.conn, planned_pages)
        except AwsError as exc:
            if (exc.code or "") in SEARCH_OFF_CODES:
                SEARCH.disable(str(exc), self.log)
            return None

    # -- live forms -------------------------------------------------------------------------------------
    def _endpoints(self, listed: dict[str, sm.Listed]) -> dict[str, Live]:
        scope = self.options.endpoints
        if scope == "none":
            return {}
        names = {n for n in listed if n in self.declared[Kind.ENDPOINT] or (
            scope == "all" and n.startswith(self.options.name_prefix))}
        return self._forms(Kind.ENDPOINT, listed, names)

    def _forms(self, kind: Kind, listed: dict[str, sm.Listed], needed: Iterable[str],
               search: Future[Any] | None = None) -> dict[str, Live]:
        """A Live for every listed resource; a form for the needed ones (cache, Search record or describe)."""
        out = {name: Live(kind=kind, listed=item) for name, item in listed.items()}
        todo: list[sm.Listed] = []
        for name in needed:
            item = listed.get(name)
            if item is None:
                continue
            row = self.prior.resources.get((kind.value, self.account, self.unit.region, name))
            if row is not None and forms.cache_hit(kind, row, item, self.options.full):
                out[name] = forms.from_cache(kind, row, item)
            else:
                todo.append(item)
        if kind is Kind.MODEL and todo:
            todo = self._from_search(todo, out, search)
        for live in self.pool.map(lambda item: forms.describe(self.conn, kind, item), todo):
            out[live.listed.name] = live
        return out

    def _from_search(self, todo: list[sm.Listed], out: dict[str, Live], search: Future[Any] | None) -> list[
            sm.Listed]:
        """Take verified Search records for the models to read; return those still to describe."""
        if search is None and len(todo) > 100 and self._search_allowed():
            records = self._search(-(-len(out) // 100))
        else:
            records = search.result() if search is not None else None
        if not records:
            return todo
        rest = []
        for item in todo:
            record = records.get(item.arn)
            live = forms.from_record(record, item) if record is not None else None
            if live is None:
                rest.append(item)
            else:
                out[item.name] = live
        return rest

    # -- tags and packages -----------------------------------------------------------------------------
    def _add_tags(self, live: dict[Kind, dict[str, Live]]) -> None:
        for kind, declared in self.declared.items():
            wanted = [live[kind][n] for n, d in declared.items() if d.declares_tags and n in live[kind]
                      and live[kind][n].error is None and not live[kind][n].gone]
            if not wanted:
                continue
            bulk = bulk_for(self.conn, kind) if bulk_pays_off(len(wanted), len(declared)) else None

            def one(item: Live, bulk: Any = bulk) -> Live:
                try:
                    return _replace(item, tags=read_tags(self.conn, item.listed.arn, bulk))
                except ResourceReadError as exc:
                    return _replace(item, error=str(exc))

            for item in self.pool.map(one, wanted):
                live[kind][item.listed.name] = item

    def _packages(self) -> dict[str, tuple[dict[str, Any], ...] | None]:
        """The inference containers of every model package a declared container names, read once."""
        wanted: dict[str, tuple[str, str]] = {}
        for model in self.declared[Kind.MODEL].values():
            spec = model.spec
            for container in ([spec["PrimaryContainer"]] if spec.get("PrimaryContainer") else spec.get("Containers")
                              or []):
                name = container.get("ModelPackageName") if isinstance(container, dict) else None
                if isinstance(name, str):
                    spec_name = str(container.get("InferenceSpecificationName") or "")
                    wanted[package_key(name, spec_name)] = (name, spec_name)
        read: dict[str, dict[str, tuple[dict[str, Any], ...]] | None] = {}
        out: dict[str, tuple[dict[str, Any], ...] | None] = {}
        for key, (name, spec_name) in wanted.items():
            if name not in read:
                read[name] = sm.describe_model_package(self.conn, name)
            specs = read[name]
            containers = specs.get(spec_name) if specs is not None else None
            out[key] = tuple(canonical_container(dict(c)) for c in containers) if containers is not None else None
        return out


def package_key(name: str, spec_name: str) -> str:
    return f"{name}#{spec_name}"


def _replace(live: Live, **changes: Any) -> Live:
    import dataclasses

    return dataclasses.replace(live, **changes)


__all__ = ["SEARCH", "ReadOptions", "SearchSwitch", "package_key", "read_unit"]
