"""Incremental passes (cached DescribeModel) always agree with full passes, whatever happens in between."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift.config import AwsSettings, Config, Target
from drift.desired import DesiredModel, DesiredState
from drift.pipeline import PassContext, PassOptions, run_pass
from drift.serialise import to_dict
from drift.store import Store
from tests.conftest import World

NAMES = ["alpha", "beta", "gamma", "delta"]


def spec(name: str, image: str = "img:1", tags: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ModelName": name, "PrimaryContainer": {"Image": image}}
    if tags is not None:
        out["Tags"] = tags
    return out


DECLARED = DesiredState(tuple(
    DesiredModel(n, None, spec(n, tags={"team": "ml"} if n in ("alpha", "gamma") else None), "m.yaml", i + 2)
    for i, n in enumerate(NAMES[:3])))
FULL = PassOptions(full=True)

operations = st.lists(st.tuples(
    st.sampled_from(["create", "delete", "recreate", "recreate_changed", "tag", "untag"]),
    st.sampled_from(NAMES),
), min_size=1, max_size=6)


def apply(world: World, op: str, name: str) -> None:
    client = world.client
    live = {m["ModelName"]: m for m in client.list_models(MaxResults=100)["Models"]}
    if op == "create" and name not in live:
        world.create(spec(name, tags={"team": "ml"}))
    elif op == "delete" and name in live:
        world.delete(name)
    elif op in ("recreate", "recreate_changed") and name in live:
        world.recreate(spec(name, "img:2" if op == "recreate_changed" else "img:1", tags={"team": "ml"}))
    elif op == "tag" and name in live:
        client.add_tags(ResourceArn=live[name]["ModelArn"], Tags=[{"Key": "extra", "Value": "x"}])
    elif op == "untag" and name in live:
        client.delete_tags(ResourceArn=live[name]["ModelArn"], TagKeys=["team", "extra"])


def essence(report: Any) -> list[Any]:
    doc = to_dict(report)
    return [(m["name"], m["status"], m["recreated"], m["differences"]) for m in doc["models"]]


@pytest.fixture
def config(world: World) -> Config:
    return Config(path="inline", aws=AwsSettings(targets=(Target("default", ("us-east-1",), endpoint_url=world.url),),
                                                 max_attempts=3, concurrency=4), desired=("m.yaml",))


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(operations)
def test_incremental_equals_full(world: World, config: Config, tmp_path_factory: pytest.TempPathFactory,
                                 ops: list[tuple[str, str]]) -> None:
    """After any sequence of create/delete/re-create/tag changes, an incremental pass equals a full one."""
    world.client.meta.events  # noqa: B018 - the session-wide server is reset per example below
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{world.url}/moto-api/reset", method="POST"), timeout=10).close()
    for name in NAMES[:3]:
        world.create(spec(name, tags={"team": "ml"}))
    directory: Path = tmp_path_factory.mktemp("inc")
    incremental, full = Store(str(directory / "inc.db")), Store(str(directory / "full.db"))
    connections: dict[Any, Any] = {}
    try:
        context = PassContext(connections=connections)
        assert 0 == run_pass(config, DECLARED, store=incremental, context=context).report.exit_code()
        run_pass(config, DECLARED, store=full, options=FULL, context=PassContext(connections=connections))
        for op, name in ops:
            apply(world, op, name)
            fast = run_pass(config, DECLARED, store=incremental, context=PassContext(connections=connections))
            slow = run_pass(config, DECLARED, store=full, options=FULL, context=PassContext(connections=connections))
            assert not slow.report.has_error, slow.report
            assert essence(slow.report) == essence(fast.report), (op, name)
            assert fast.described <= len(DECLARED.resources)  # (a full pass may read in bulk instead)
    finally:
        incremental.close()
        full.close()


def test_steady_state_describes_nothing(world: World, config: Config, tmp_path: Path) -> None:
    """With nothing changed, a pass costs the ListModels pages, STS and the tag reads; no DescribeModel."""
    for declared in DECLARED.resources:
        world.create(declared.spec)
    store = Store(str(tmp_path / "s.db"))
    try:
        first = run_pass(config, DECLARED, store=store)
        second = run_pass(config, DECLARED, store=store)
    finally:
        store.close()
    # The first pass reads the three models in bulk (Search, verified against ListModels); the second reads none.
    assert (0, 0) == (first.described, second.described)
    assert essence(first.report) == essence(second.report)
    # One ListModels page + one ListEndpoints page + one GetResources page (two models declare Tags: bulk is
    # cheaper); the account is known from the last pass and checked against the listed ARNs, so no STS call.
    assert {"sagemaker": 2, "resource-groups-tagging-api": 1} == second.calls_by_service


def test_two_way_listing_finds_every_model(world: World, config: Config, tmp_path: Path) -> None:
    """250 live models: the first pass and the planned second pass both see all of them, within budget."""
    from concurrent.futures import ThreadPoolExecutor

    from drift.embedded import create_model_request

    names = [f"m-{i:03d}" for i in range(250)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: world.client.create_model(**create_model_request(spec(n))), names))
    store = Store(str(tmp_path / "s.db"))
    try:
        first = run_pass(config, DesiredState(()), store=store)
        second = run_pass(config, DesiredState(()), store=store)
        hints = store.listing_hints()
    finally:
        store.close()
    for result in (first, second):
        assert names == [m.name for m in result.report.models]
        assert {"UNMANAGED"} == {m.status.value for m in result.report.models}
    # at most 4 ListModels pages (planned two-way: asc 2 and desc 2, fewer when the chains meet early) and one
    # ListEndpoints page; the budget is ceil(250/100)+3 = 6
    assert 4 <= second.calls <= 5
    assert (True, 250) == (hints[("default", "us-east-1", "Model")].two_way, hints[("default", "us-east-1",
                                                                                    "Model")].items)
