"""Classification, purely: declared + live + what was judged + the last pass -> one verdict per resource.

No AWS, no threads, no state writes: everything here is a function of its
arguments, so it is table-tested without moto (tests/test_classify.py).

    declared, not listed (or gone)          -> MISSING
    declared, could not be read             -> ERROR
    declared, read                          -> IN_SYNC or MODIFIED (comparison + integrity + chain)
    listed model, not declared, in scope    -> UNMANAGED
    endpoint in scope, not declared         -> IN_SYNC or MODIFIED on its chain findings only
    a unit that could not be listed         -> every declared resource ERROR
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift import redact
from drift.chain import ChainOutcome
from drift.compare import differences
from drift.desired import DesiredResource, DesiredState
from drift.filters import status_severity
from drift.integrity.judge import Judged
from drift.kinds import KINDS, Context
from drift.read.tags import canonical_tags
from drift.read.types import Live, UnitRead
from drift.report import Difference, Kind, Result, ServedBy, Status
from drift.store.rows import ResourceRow

Forms = tuple[dict[str, Any], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Scope:
    unmanaged: bool = True
    name_prefix: str = ""
    endpoints: str = "all"


@dataclass(frozen=True, slots=True)
class Judgements:
    """What the integrity and chain stages found in one unit."""

    integrity: Mapping[str, Judged] = field(default_factory=dict)
    chains: Mapping[str, ChainOutcome] = field(default_factory=dict)


def desired_forms(state: DesiredState | None, resource: DesiredResource) -> Forms:
    """(declared, expected): the canonical desired form without and with defaults, tags included when declared.

    Computed once per resource and digest key: a daemon's steady passes never recompute them.
    """
    cache_key = (id(resource), redact.key_id())
    if state is not None and cache_key in state.forms_cache:
        return state.forms_cache[cache_key]  # type: ignore[no-any-return]
    spec = KINDS[resource.kind]
    declared = spec.canonical(resource.spec, defaults=False)
    if resource.declares_tags:
        declared["Tags"] = canonical_tags(_tag_list(resource.spec["Tags"]))
    expected = spec.fill_defaults(dict(declared))
    if state is not None:
        state.forms_cache[cache_key] = (declared, expected)
    return declared, expected


def _tag_list(tags: Any) -> list[dict[str, str]]:
    if isinstance(tags, dict):
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return list(tags or [])


def compare_live(resource: DesiredResource, forms: Forms, live: Live, ctx: Context) -> tuple[
        tuple[Difference, ...], tuple[str, ...]]:
    """The comparison of one declared resource with its live form, after the kind's cross-side rules."""
    spec = KINDS[resource.kind]
    declared, expected = forms
    actual = dict(live.form or {})
    if resource.declares_tags:
        actual["Tags"] = dict(live.tags or {})
    reconciled = spec.reconcile(declared, dict(expected), actual, ctx)
    return differences(resource, spec, declared, reconciled.expected, reconciled.actual), reconciled.notes


def recreated(prior: ResourceRow | None, live: Live) -> bool:
    """The same name now stands for another resource: its ARN or creation time changed since we last saw it."""
    if prior is None or prior.arn is None:
        return False
    return (prior.arn, prior.created) != (live.listed.arn, live.listed.created)


class _Unit:
    def __init__(self, read: UnitRead, prior: Mapping[tuple[str, str, str, str], ResourceRow], scope: Scope,
                 state: DesiredState | None, judgements: Judgements) -> None:
        self.read, self.prior, self.scope, self.state, self.judgements = read, prior, scope, state, judgements
        self.account = read.account or "unknown"
        self.region = read.unit.region
        self.target = read.unit.target.name
        self.ctx = Context(account=self.account, region=self.region, packages=read.packages)
        self.served: dict[str, list[ServedBy]] = {}
        for outcome in judgements.chains.values():
            for model, who in outcome.served:
                self.served.setdefault(model, []).append(who)

    def result(self, kind: Kind, name: str, status: Status, live: Live | None = None, **extra: Any) -> Result:
        differences = extra.pop("differences", ())
        row = self.prior.get((kind.value, self.account, self.region, name))
        return Result(name=name, account=self.account, region=self.region, status=status, kind=kind,
                      target=self.target, differences=differences, severity=status_severity(status, differences),
                      recreated=recreated(row, live) if live else False,
                      arn=live.listed.arn if live else (row.arn if row else None),
                      creation_time=live.listed.created if live else (row.created if row else None), **extra)

    def declared(self, resource: DesiredResource) -> Result:
        kind, name = resource.kind, resource.name
        live = self.read.of(kind).get(name)
        if live is None or live.gone:
            return self.result(kind, name, Status.MISSING)
        if live.error is not None or live.form is None:
            return self.result(kind, name, Status.ERROR, live, error=live.error or "could not be read")
        found, notes = compare_live(resource, desired_forms(self.state, resource), live, self.ctx)
        extra: dict[str, Any] = {}
        if kind is Kind.MODEL:
            judged = self.judgements.integrity.get(name, Judged())
            if judged.error is not None:
                return self.result(kind, name, Status.ERROR, live, error=f"integrity: {judged.error}",
                                   resolved=judged.resolved, unverified=tuple(notes) + judged.notes)
            found += judged.differences
            notes += judged.notes
            extra = {"resolved": judged.resolved, "served_by": tuple(self.served.get(name, ()))}
        elif kind is Kind.ENDPOINT:
            chain = self.judgements.chains.get(name, ChainOutcome())
            found += chain.differences
            notes += chain.notes
        return self.result(kind, name, Status.MODIFIED if found else Status.IN_SYNC, live, differences=found,
                           unverified=tuple(notes), **extra)

    def undeclared_endpoint(self, live: Live) -> Result:
        if live.error is not None:
            return self.result(Kind.ENDPOINT, live.listed.name, Status.ERROR, live, error=live.error)
        chain = self.judgements.chains.get(live.listed.name, ChainOutcome())
        status = Status.MODIFIED if chain.differences else Status.IN_SYNC
        return self.result(Kind.ENDPOINT, live.listed.name, status, live, differences=chain.differences,
                           unverified=chain.notes)


def classify_unit(read: UnitRead, prior: Mapping[tuple[str, str, str, str], ResourceRow], scope: Scope,
                  state: DesiredState | None = None, judgements: Judgements | None = None) -> tuple[Result, ...]:
    """Every verdict of one unit."""
    unit = _Unit(read, prior, scope, state, judgements or Judgements())
    declared = [d for d in read.unit.declared if d.kind is not Kind.ENDPOINT or scope.endpoints != "none"]
    if read.error is not None:
        return tuple(unit.result(d.kind, d.name, Status.ERROR, error=f"listing failed: {read.error}")
                     for d in declared)
    results = [unit.declared(d) for d in declared]
    names = {(d.kind, d.name) for d in declared}
    if scope.unmanaged:
        results += [unit.result(Kind.MODEL, name, Status.UNMANAGED, live)
                    for name, live in read.of(Kind.MODEL).items()
                    if (Kind.MODEL, name) not in names and name.startswith(scope.name_prefix)]
    if scope.endpoints == "all":
        results += [unit.undeclared_endpoint(live) for name, live in read.of(Kind.ENDPOINT).items()
                    if (Kind.ENDPOINT, name) not in names and (live.facts is not None or live.error is not None)]
    return tuple(results)


def with_account(result: Result, account: str) -> Result:
    return dataclasses.replace(result, account=account)
