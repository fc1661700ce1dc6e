"""Issue 14, bulk reads (SPEC §10), through the real CLI against the embedded AWS behind a counting proxy.

A full pass over a few hundred models reads them with Search(Resource=Model), 100 full descriptions a call,
and reports exactly what the same pass reports with ``bulk_read: off`` (one DescribeModel per declared model).
A Search record counts only when its ARN and creation time equal what ListModels says: with the index lagging
behind re-created and new models, exactly those are described. A denied Search falls back to DescribeModel
after a few calls; ``bulk_read: off`` never calls Search.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drift.embedded import LocalSageMaker
from drift.embedded.world import AwsWorld
from tests.helpers import report_of, run_drift, write_config, write_models
from tests.proxy import Fault
from tests.scale_support import RecordingProxy, create_all, essence, fault, spec

ROLE_B = "arn:aws:iam::123456789012:role/someone-else"
#: Live models in the target, and how the desired state sees them.
LIVE = 300
DECLARED_LIVE = 270  # the first 270 are declared; the last 30 are UNMANAGED
MISSING = 12  # declared, never created
TAGGED = 130  # declared models that declare Tags (T)
MODIFIED_ENV = range(0, 270, 27)  # declared, live Environment differs
MODIFIED_TAGS = range(5, 130, 25)  # declare Tags, live tags differ


def arn(model: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:123456789012:model/{model}"


def name(i: int) -> str:
    return f"bulk-{i:04d}"


def desired(i: int) -> dict[str, Any]:
    """The desired entry of model i (the first TAGGED declare Tags)."""
    return spec(name(i), env={"INDEX": str(i)}, tags={"team": "ml"} if i < TAGGED else None)


def live(i: int) -> dict[str, Any]:
    """What is actually created for model i: its desired entry, with drift for some."""
    entry = desired(i) if i < DECLARED_LIVE else spec(name(i))
    if i in MODIFIED_ENV:
        entry["PrimaryContainer"]["Environment"]["INDEX"] = f"{i}-hotfix"
    if i in MODIFIED_TAGS:
        entry["Tags"] = {"team": "someone-else"}
    return entry


@dataclass
class Pass:
    code: int
    report: dict[str, Any]
    counts: dict[str, int]
    stderr: str


@dataclass
class Scene:
    """The module's world (300 models), the proxy drift reads through, and the unbulked pass over it."""

    server: LocalSageMaker
    sm: Any
    proxy: RecordingProxy
    tmp: Path
    models: Path
    labels: Counter[str] = field(default_factory=Counter)
    plain_pass: Pass | None = None

    def config(self, label: str, **aws_settings: Any) -> Path:
        """A config of its own (its own, empty, state database) reading through the proxy."""
        self.labels[label] += 1
        directory = self.tmp / f"{label}-{self.labels[label]}"
        directory.mkdir()
        return write_config(directory, self.proxy.url, str(self.models), aws={"max_attempts": 3, **aws_settings})

    def check(self, config: Path, *extra: str) -> Pass:
        """One pass through the real CLI; the proxy's counts are of this pass only (its faults stay)."""
        self.proxy.recount()
        result = run_drift("check", "--config", str(config), "--format", "json", *extra)
        assert result.returncode in (0, 1, 2), result.stderr
        return Pass(result.returncode, report_of(result), dict(self.proxy.counts), result.stderr)

    def plain(self) -> Pass:
        """The --full pass with bulk_read: off over the world as built (run once per module)."""
        if self.plain_pass is None:
            self.plain_pass = self.check(self.config("plain", bulk_read="off"), "--full")
        return self.plain_pass


@pytest.fixture(scope="module")
def scene(local_sagemaker: LocalSageMaker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """300 models created once for the module; the last test changes them (and says so)."""
    local_sagemaker.reset()
    tmp = tmp_path_factory.mktemp("bulk")
    sm = AwsWorld(local_sagemaker.url).client("sagemaker")
    create_all(sm, [live(i) for i in range(LIVE)])
    models = write_models(tmp / "models.yaml",
                          [desired(i) for i in range(DECLARED_LIVE)] + [desired(LIVE + i) for i in range(MISSING)])
    proxy = RecordingProxy(local_sagemaker.url, seed=5)
    with proxy:
        yield Scene(local_sagemaker, sm, proxy, tmp, models)
    local_sagemaker.reset()


def call_budget(n: int, tagged: int) -> int:
    """SPEC §10 / issue 14: at most 2·ceil(N/100) + ceil(T/100) + 5 AWS calls."""
    return 2 * math.ceil(n / 100) + math.ceil(tagged / 100) + 5


def test_a_bulk_full_pass_reports_what_an_unbulked_one_does(scene: Scene) -> None:
    """--full with bulk reads: the same report and exit code as with bulk_read: off (a world with IN_SYNC,
    MODIFIED, MISSING and UNMANAGED models), with next to no DescribeModel (the index follows the models); the
    unbulked pass describes every declared live model and never calls Search."""
    plain = scene.plain()
    drifted = len(set(MODIFIED_ENV) | set(MODIFIED_TAGS))
    expected = {"checked": LIVE + MISSING, "in_sync": DECLARED_LIVE - drifted, "modified": drifted,
                "missing": MISSING, "unmanaged": LIVE - DECLARED_LIVE, "error": 0}
    assert (2, expected) == (plain.code, {k: plain.report["summary"][k] for k in expected})
    bulk = scene.check(scene.config("bulk"), "--full")
    assert (plain.code, essence(plain.report)) == (bulk.code, essence(bulk.report))
    assert (DECLARED_LIVE, 0) == (plain.counts.get("DescribeModel", 0), plain.counts.get("Search", 0))
    assert bulk.counts.get("DescribeModel", 0) <= 2, bulk.counts
    assert math.ceil(LIVE / 100) <= bulk.counts.get("Search", 0), bulk.counts


def test_bulk_read_false_is_off(scene: Scene) -> None:
    """bulk_read: false is bulk_read: off: no Search call, even on a full pass over hundreds of models."""
    run = scene.check(scene.config("false", bulk_read=False), "--full")
    assert (0, DECLARED_LIVE) == (run.counts.get("Search", 0), run.counts.get("DescribeModel", 0))


@pytest.mark.parametrize("extra", [("--full",), ()], ids=["full", "first-pass"])
def test_a_bulk_pass_stays_within_its_call_budget(scene: Scene, extra: tuple[str, ...]) -> None:
    """A full pass (--full, or the first pass with no state) makes at most 2·ceil(N/100) + ceil(T/100) + 5 AWS
    calls in all (listings, Search, bulk tags, identity), N live models, T declaring Tags."""
    counts = scene.check(scene.config("bulk"), *extra).counts
    assert sum(counts.values()) <= call_budget(LIVE, TAGGED), counts


@pytest.mark.parametrize("deny", ["server", "proxy"])
def test_a_denied_search_falls_back_with_the_same_report(scene: Scene, deny: str) -> None:
    """Search answering AccessDeniedException (from the server, or injected by the proxy): the same report and
    exit code as bulk_read: off, after at most a few Search calls, and one warning that bulk reads are off."""
    plain = scene.plain()
    denial = fault(scene.proxy, Fault("access_denied", operation="Search")) if deny == "proxy" else nullcontext()
    if deny == "server":
        scene.server.fail_search("AccessDeniedException")
    try:
        with denial:
            bulk = scene.check(scene.config("denied"), "--full")
    finally:
        scene.server.fail_search(None)
    assert (plain.code, essence(plain.report)) == (bulk.code, essence(bulk.report))
    assert bulk.counts["Search"] <= 3, bulk.counts
    assert 1 == bulk.stderr.count('"drift.search.disabled"'), bulk.stderr


# -- last: this test changes the module's models -------------------------------------------------------
def test_a_lagging_index_describes_only_recreated_and_new_models(scene: Scene) -> None:
    """The index frozen, then 1% of the models re-created (one as it was, two with other content), 1% new
    (three declared, one not), and tags changed in place on one: the bulk report equals the unbulked one, and
    only the re-created and the new declared models are described, once each."""
    scene.server.freeze_search_index()
    sm = scene.sm
    recreated = {name(40): live(40), name(41): desired(41) | {"ExecutionRoleArn": ROLE_B},
                 name(42): spec(name(42), image="registry.example.com/other:2", env={"INDEX": "42"},
                                tags={"team": "ml"})}
    for model, entry in recreated.items():
        sm.delete_model(ModelName=model)
        create_all(sm, [entry])
    new_declared = [desired(LIVE + i) for i in range(3)]
    create_all(sm, [*new_declared, spec("bulk-zz-undeclared")])
    sm.add_tags(ResourceArn=arn(name(7)), Tags=[{"Key": "team", "Value": "retagged"}])

    bulk = scene.check(scene.config("lagging"), "--full")
    described = scene.proxy.resources("DescribeModel")
    plain = scene.check(scene.config("lagging-plain", bulk_read="off"), "--full")
    assert (plain.code, essence(plain.report)) == (bulk.code, essence(bulk.report))
    assert dict.fromkeys([*recreated, *(e["ModelName"] for e in new_declared)], 1) == dict(described)
    statuses = {m["name"]: m["status"] for m in bulk.report["models"]}
    assert {name(40): "IN_SYNC", name(41): "MODIFIED", name(42): "MODIFIED", name(7): "MODIFIED",
            name(LIVE): "IN_SYNC", "bulk-zz-undeclared": "UNMANAGED"} == {
        n: statuses[n] for n in (name(40), name(41), name(42), name(7), name(LIVE), "bulk-zz-undeclared")}


