"""The record stage: what a finished pass leaves in the state database, decided purely, written once.

Rows are written only when they changed (a steady pass of 10,000 models writes
almost nothing); resources that left a completely-read unit are forgotten; the
first resolution of each reference of a model incarnation becomes its baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drift.integrity.judge import Judged
from drift.read.types import Live, UnitRead
from drift.report import Report, Result
from drift.serialise import fingerprint, result_to_dict
from drift.store.rows import NORMALISER_VERSION, BaselineRow, ListingHint, Prior, ResourceKey, ResourceRow


@dataclass(frozen=True, slots=True)
class Changes:
    rows: tuple[ResourceRow, ...]
    forget: tuple[ResourceKey, ...]
    listings: tuple[tuple[str, str, str, ListingHint], ...]
    baselines: tuple[BaselineRow, ...]
    #: (account, region, name, arn, created): keep only this incarnation's baselines.
    incarnations: tuple[tuple[str, str, str, str, str], ...]


def _row(live: Live | None, result: Result | None, prior: ResourceRow | None, key: ResourceKey) -> ResourceRow:
    kind, account, region, name = key
    if live is not None and live.form is not None:
        return ResourceRow(kind, account, region, name, live.listed.arn, live.listed.created, live.listed.modified,
                           live.form, live.tags, live.facts, NORMALISER_VERSION,
                           result_to_dict(result) if result else None, fingerprint(result) if result else None)
    base = prior or ResourceRow(kind, account, region, name, None, None)
    arn = live.listed.arn if live is not None else base.arn
    created = live.listed.created if live is not None else base.created
    keep = live is None or (base.arn, base.created) == (arn, created)
    return ResourceRow(kind, account, region, name, arn, created, base.modified if keep else None,
                       base.live if keep else None, base.tags if keep else None, base.facts if keep else None,
                       base.normaliser if keep else None, result_to_dict(result) if result else base.result,
                       fingerprint(result) if result else base.fingerprint)


def changes(report: Report, reads: Iterable[UnitRead], prior: Prior,
            judged: Mapping[tuple[str, str, str], Judged]) -> Changes:
    """Everything the pass should write, and nothing that is already there."""
    results = {r.key: r for r in report.resources}
    rows: list[ResourceRow] = []
    forget: list[ResourceKey] = []
    listings = []
    seen: set[ResourceKey] = set()
    incarnations = []
    for read in reads:
        unit = read.unit
        listings += [(unit.target.name, unit.region, kind.value, hint) for kind, hint in read.listings.items()]
        if read.error is not None or read.account is None:
            continue
        for kind, items in read.live.items():
            for name, live in items.items():
                key = (kind.value, read.account, read.unit.region, name)
                seen.add(key)
                if live.form is not None or key in results:
                    rows.append(_row(live, results.get(key), prior.resources.get(key), key))
                if kind.value == "Model" and live.form is not None:
                    incarnations.append((read.account, read.unit.region, name, live.listed.arn, live.listed.created))
        listed_kinds = {kind.value for kind in read.listings}
        forget += [k for k in prior.resources if k[1] == read.account and k[2] == read.unit.region
                   and k[0] in listed_kinds and k not in seen]
    for key, result in results.items():
        if key not in seen and result.account != "unknown":
            rows.append(_row(None, result, prior.resources.get(key), key))
    changed = tuple(r for r in rows if prior.resources.get(r.key) != r)
    baselines = tuple(b for j in judged.values() for b in j.baselines)
    return Changes(changed, tuple(forget), tuple(listings), baselines, tuple(incarnations))
