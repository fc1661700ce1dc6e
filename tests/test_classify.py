"""Classification, table-driven and without AWS: declared + live + judged + prior -> one verdict per resource."""

from __future__ import annotations

from typing import Any

import pytest

from drift.aws.sagemaker import Listed
from drift.chain import ChainOutcome
from drift.classify import Judgements, Scope, classify_unit
from drift.config.settings import Target
from drift.desired import DesiredResource
from drift.integrity.judge import Judged
from drift.kinds import KINDS
from drift.plan import Unit
from drift.read.types import Live, UnitRead
from drift.report import Difference, DiffType, Kind, ServedBy, Severity, Status
from drift.store.rows import ResourceRow

ACCOUNT, REGION = "123456789012", "us-east-1"
SPEC = {"ModelName": "m", "PrimaryContainer": {"Image": "img:1"}}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


def declared(name: str = "m", kind: Kind = Kind.MODEL, **spec: Any) -> DesiredResource:
    body = {"ModelName": name, "PrimaryContainer": {"Image": "img:1"}} if kind is Kind.MODEL else {
        KINDS[kind].name_field: name, **spec}
    if kind is Kind.MODEL:
        body.update(spec)
    return DesiredResource(name, None, body, "m.yaml", 3, kind=kind)


def live(name: str = "m", kind: Kind = Kind.MODEL, created: str = "t1", **change: Any) -> Live:
    raw = {"ModelName": name, "PrimaryContainer": {"Image": change.pop("image", "img:1")}}
    form = KINDS[kind].canonical(raw) if kind is Kind.MODEL else change.pop("form", {})
    return Live(kind, Listed(name, arn(kind.value.lower(), name), created), form=form, **change)


def read(*items: Live, declare: tuple[DesiredResource, ...] = (), error: str | None = None) -> UnitRead:
    by_kind: dict[Kind, dict[str, Live]] = {kind: {} for kind in Kind}
    for item in items:
        by_kind[item.kind][item.listed.name] = item
    unit = Unit(Target("default", (REGION,)), REGION, declare)
    return UnitRead(unit=unit, account=ACCOUNT, error=error, live=by_kind)


DEFAULT_SCOPE = Scope()


def verdicts(unit: UnitRead, scope: Scope = DEFAULT_SCOPE, prior: Any = None,
             judgements: Judgements | None = None) -> list[tuple[str, str, Status]]:
    return [(r.kind.value, r.name, r.status) for r in classify_unit(unit, prior or {}, scope, None, judgements)]


CASES = {
    "declared and identical": (read(live(), declare=(declared(),)), [("Model", "m", Status.IN_SYNC)]),
    "declared, not listed": (read(declare=(declared(),)), [("Model", "m", Status.MISSING)]),
    "declared, gone when described": (read(live(gone=True), declare=(declared(),)), [("Model", "m", Status.MISSING)]),
    "declared, unreadable": (read(live(error="AccessDenied: no"), declare=(declared(),)),
                             [("Model", "m", Status.ERROR)]),
    "declared, another image": (read(live(image="img:2"), declare=(declared(),)), [("Model", "m", Status.MODIFIED)]),
    "listed, not declared": (read(live("stray")), [("Model", "stray", Status.UNMANAGED)]),
    "unit not listed": (read(declare=(declared(), declared("c", Kind.ENDPOINT_CONFIG)), error="ListModels denied"),
                        [("Model", "m", Status.ERROR), ("EndpointConfig", "c", Status.ERROR)]),
    "undeclared endpoint without findings": (
        read(live("e", Kind.ENDPOINT, facts={"EndpointStatus": "InService"})), [("Endpoint", "e", Status.IN_SYNC)]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_verdicts(case: str) -> None:
    """Each situation gets its status (SPEC §4)."""
    unit, expected = CASES[case]
    assert expected == verdicts(unit)


def test_scope_limits_what_is_reported() -> None:
    """unmanaged: false hides strays; a name prefix limits them; endpoints: none hides declared endpoints."""
    unit = read(live("stray"), live("fraud-x"), declare=(declared("e", Kind.ENDPOINT, EndpointConfigName="c"),))
    assert [] == verdicts(unit, Scope(unmanaged=False, endpoints="none"))
    assert [("Model", "fraud-x", Status.UNMANAGED)] == verdicts(unit, Scope(name_prefix="fraud-", endpoints="none"))


def test_a_listing_failure_reads_as_error_never_missing() -> None:
    """A unit that could not be listed: its declared resources are ERROR with the reason."""
    [result] = classify_unit(read(declare=(declared(),), error="boom"), {}, Scope())
    assert (Status.ERROR, "listing failed: boom") == (result.status, result.error)


def test_recreated_from_the_last_pass() -> None:
    """Another ARN or creation time than last time: the same name stands for another model."""
    prior = {("Model", ACCOUNT, REGION, "m"): ResourceRow("Model", ACCOUNT, REGION, "m", arn("model", "m"), "t0")}
    [result] = classify_unit(read(live(created="t1"), declare=(declared(),)), prior, Scope())
    assert (Status.IN_SYNC, True) == (result.status, result.recreated)


FINDING = Difference("PrimaryContainer.Image", DiffType.REPOINTED, "sha256:a", "sha256:b", Severity.CRITICAL)


def test_integrity_findings_make_a_model_modified_and_denials_an_error() -> None:
    """A judged REPOINTED is drift; with integrity.denied: error a denial is the model's ERROR."""
    unit = read(live(), declare=(declared(),))
    judged = Judgements(integrity={"m": Judged(differences=(FINDING,), resolved=(("PrimaryContainer.Image", "x"),))})
    [drifted] = classify_unit(unit, {}, Scope(), None, judged)
    assert (Status.MODIFIED, (FINDING,), (("PrimaryContainer.Image", "x"),)) == (
        drifted.status, drifted.differences, drifted.resolved)
    [denied] = classify_unit(unit, {}, Scope(), None, Judgements(integrity={"m": Judged(error="ecr denied")}))
    assert (Status.ERROR, "integrity: ecr denied") == (denied.status, denied.error)


def test_chain_findings_and_served_by() -> None:
    """An endpoint's chain findings make it MODIFIED; the models it serves say so in served_by."""
    endpoint = live("e", Kind.ENDPOINT, facts={"EndpointStatus": "InService"})
    chain = ChainOutcome(differences=(FINDING,), served=(("m", ServedBy("e", "v0", stale=True)),))
    results = classify_unit(read(live(), endpoint, declare=(declared(),)), {}, Scope(), None,
                            Judgements(chains={"e": chain}))
    model, ep = sorted(results, key=lambda r: r.kind.order)
    assert ((ServedBy("e", "v0", True),), Status.MODIFIED) == (model.served_by, ep.status)


def test_notes_never_change_a_status() -> None:
    """An unverified note (a denied registry, with denied: warn) leaves the model in sync."""
    judged = Judgements(integrity={"m": Judged(notes=("PrimaryContainer.Image: img:1: not found",))})
    [result] = classify_unit(read(live(), declare=(declared(),)), {}, Scope(), None, judged)
    assert (Status.IN_SYNC, ("PrimaryContainer.Image: img:1: not found",)) == (result.status, result.unverified)
