"""The serving chain (SPEC §9) end to end: `drift check` as a subprocess, state kept, the fault proxy counting
DescribeEndpoint, DescribeEndpointConfig and ListEndpoints in front of the embedded SageMaker.

An endpoint runs what its config named when it was last deployed; the tests build that world (models,
configs, declared and undeclared endpoints), change it the ways production changes, and read the report.
The big scenario (issue 13's acceptance check) is built once per module and asserted finding by finding.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import yaml

from drift.embedded import LocalSageMaker
from tests.aws_world import Aws
from tests.chain_support import (
    INSTANCE,
    ROLE,
    ChainWorld,
    Pass,
    check,
    clock,
    difference,
    findings,
    statuses,
    variant,
)
from tests.helpers import REPO, clean_env, run_drift
from tests.proxy import Fault, FaultProxy

CHAIN_CALLS = ("DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel", "ListEndpoints")


def calls(proxy: FaultProxy) -> dict[str, int]:
    """The chain's SageMaker calls since the last ``proxy.clear()``; then clear."""
    counted = {op: proxy.counts[op] for op in CHAIN_CALLS}
    proxy.clear()
    return counted


# -- issue 13's acceptance world, built once ------------------------------------------------------------
@dataclass(frozen=True)
class Story:
    first: Pass
    steady: Pass
    drifted: Pass
    repeat: Pass
    text: Pass
    counts: dict[str, dict[str, int]]
    facts: dict[str, Any]
    desired: Path


def _build_story(server: LocalSageMaker, directory: Path) -> Story:
    server.reset()
    with FaultProxy(server.url) as proxy:
        w = ChainWorld(server.url, directory)
        a1, _ = w.push("svc-a", "1.0", "a-1")
        a2, _ = w.push("svc-a", "2.0", "a-2")
        images = {name: w.push(f"svc-{name}", "1.0", f"{name}-1")[0] for name in ("b", "g", "z", "s")}
        d1, d_old = w.push("svc-d", "1.0", "d-1")
        for name, image in (("alpha", a1), ("beta", images["b"]), ("gamma", images["g"]), ("delta", d1),
                            ("zeta", images["z"]), ("sized", images["s"])):
            w.model(name, image)
        w.config("cfg-alpha", variant("v0", "alpha"))
        w.config("cfg-beta", variant("v0", "beta"))
        w.config("cfg-moved", variant("v0", "gamma"))
        w.config("cfg-orphan", variant("v0", "zeta"))
        w.config("cfg-sized", variant("v0", "sized"))
        w.config("cfg-wild", variant("v0", "delta"), variant("v1", "alpha"))
        w.config("cfg-other", variant("blue", "gamma"))
        for endpoint, used in (("ep-alpha", "cfg-alpha"), ("ep-beta", "cfg-beta"), ("ep-moved", "cfg-moved"),
                               ("ep-orphan", "cfg-orphan"), ("ep-wild", "cfg-wild")):
            w.endpoint(endpoint, used)
        desired = w.declare(configs=["cfg-alpha", "cfg-beta", "cfg-moved", "cfg-orphan", "cfg-sized"],
                            endpoints=["ep-alpha", "ep-beta", "ep-moved", "ep-orphan"])
        config = w.write_config(proxy.url)
        proxy.clear()
        counts = {}
        first = check(config)
        counts["first"] = calls(proxy)
        steady = check(config)
        counts["steady"] = calls(proxy)

        w.recreate_model("alpha", a2)  # served by ep-alpha and ep-wild: re-created with another image
        w.sm.delete_model(ModelName="beta")  # served by ep-beta
        w.sm.update_endpoint(EndpointName="ep-moved", EndpointConfigName="cfg-other")  # undeclared config
        _, d_new = w.push("svc-d", "1.0", "d-rebuilt")  # the tag behind undeclared ep-wild's image
        w.sm.delete_endpoint_config(EndpointConfigName="cfg-orphan")  # while ep-orphan uses it
        w.sm.delete_endpoint_config(EndpointConfigName="cfg-sized")  # configs are immutable: re-created
        w.sm.create_endpoint_config(EndpointConfigName="cfg-sized",
                                    ProductionVariants=[variant("v0", "sized", InstanceType="ml.m5.xlarge")])
        proxy.clear()
        drifted = check(config)
        counts["drifted"] = calls(proxy)
        repeat = check(config)
        counts["repeat"] = calls(proxy)
        text = check(config, fmt="text")
        facts = {"a1": a1, "a2": a2, "d1": d1, "d_old": d_old, "d_new": d_new,
                 "alpha_created": w.created("alpha").astimezone(UTC)}
    return Story(first, steady, drifted, repeat, text, counts, facts, desired)


@pytest.fixture(scope="module")
def story(local_sagemaker: LocalSageMaker, tmp_path_factory: pytest.TempPathFactory) -> Story:
    return _build_story(local_sagemaker, tmp_path_factory.mktemp("chain-story"))


def test_first_pass_is_in_sync_with_every_kind_listed(story: Story) -> None:
    """A world that matches its declarations is all IN_SYNC, exit 0, with `endpoint_configs` and `endpoints`
    lists; the undeclared endpoint is in the list (IN_SYNC), undeclared configs are never reported."""
    assert 0 == story.first.code, story.first.stderr
    report = story.first.report
    assert dict.fromkeys(("alpha", "beta", "gamma", "delta", "zeta", "sized"), "IN_SYNC") == statuses(report, "models")
    assert dict.fromkeys(("cfg-alpha", "cfg-beta", "cfg-moved", "cfg-orphan", "cfg-sized"), "IN_SYNC") == statuses(
        report, "endpoint_configs")
    assert dict.fromkeys(("ep-alpha", "ep-beta", "ep-moved", "ep-orphan", "ep-wild"), "IN_SYNC") == statuses(
        report, "endpoints")
    assert {"EndpointConfig"} == {e["kind"] for e in report["endpoint_configs"]}
    assert {"Endpoint"} == {e["kind"] for e in report["endpoints"]}
    assert 16 == report["summary"]["checked"]


def test_first_pass_lists_served_by_on_declared_models(story: Story) -> None:
    """Each declared model lists every endpoint read that serves it, declared or not, with its variant."""
    expected = {
        "alpha": [{"endpoint": "ep-alpha", "variant": "v0", "stale": False},
                  {"endpoint": "ep-wild", "variant": "v1", "stale": False}],
        "beta": [{"endpoint": "ep-beta", "variant": "v0", "stale": False}],
        "gamma": [{"endpoint": "ep-moved", "variant": "v0", "stale": False}],
        "delta": [{"endpoint": "ep-wild", "variant": "v0", "stale": False}],
        "zeta": [{"endpoint": "ep-orphan", "variant": "v0", "stale": False}],
        "sized": None,
    }
    actual = {name: sorted(e["served_by"], key=lambda s: s["endpoint"]) if "served_by" in e else None
              for name, e in story.first.section("models").items()}
    assert expected == actual


def test_first_pass_describes_only_configs_in_use_or_declared(story: Story) -> None:
    """Five endpoints are described; six configs (five declared, plus cfg-wild that ep-wild uses), never
    cfg-other, which nothing uses or declares."""
    assert 5 == story.counts["first"]["DescribeEndpoint"]
    assert 6 == story.counts["first"]["DescribeEndpointConfig"]


def test_steady_pass_describes_no_endpoint_or_config(story: Story) -> None:
    """With nothing changed, the second pass lists but describes no endpoint, config or model; same report."""
    counted = story.counts["steady"]
    assert {"DescribeEndpoint": 0, "DescribeEndpointConfig": 0, "DescribeModel": 0} == {
        k: counted[k] for k in ("DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel")}
    assert counted["ListEndpoints"] >= 1
    assert 0 == story.steady.code
    for section in ("models", "endpoint_configs", "endpoints"):
        assert statuses(story.first.report, section) == statuses(story.steady.report, section)


ACCEPTANCE = [
    ("models", "alpha", {("PrimaryContainer.Image", "NOT_EQUAL")}),
    ("models", "delta", {("PrimaryContainer.Image", "REPOINTED")}),
    ("endpoint_configs", "cfg-sized", {("ProductionVariants[0].InstanceType", "NOT_EQUAL")}),
    ("endpoints", "ep-alpha", {("ProductionVariants[0].ModelName", "STALE"),
                               ("ProductionVariants[0].DeployedImages[0]", "STALE")}),
    ("endpoints", "ep-beta", {("ProductionVariants[0].ModelName", "GONE")}),
    ("endpoints", "ep-moved", {("EndpointConfigName", "NOT_EQUAL")}),
    ("endpoints", "ep-orphan", {("EndpointConfigName", "GONE")}),
    ("endpoints", "ep-wild", {("ProductionVariants[0].DeployedImages[0]", "REPOINTED"),
                              ("ProductionVariants[1].ModelName", "STALE"),
                              ("ProductionVariants[1].DeployedImages[0]", "STALE")}),
]


@pytest.mark.parametrize(("section", "name", "expected"), ACCEPTANCE, ids=[a[1] for a in ACCEPTANCE])
def test_each_change_is_reported_with_its_type_and_path(story: Story, section: str, name: str,
                                                        expected: set[tuple[str, str]]) -> None:
    """After the changes, each resource reports exactly the SPEC's findings, MODIFIED and critical."""
    entry = story.drifted.entry(section, name)
    assert expected == findings(entry)
    assert ("MODIFIED", "critical") == (entry["status"], entry["severity"])


def test_changes_give_exit_2_and_these_statuses(story: Story) -> None:
    """Exit 2; deleted declared resources are MISSING; the rest are as the table says."""
    assert 2 == story.drifted.code, story.drifted.stderr
    report = story.drifted.report
    assert {"alpha": "MODIFIED", "beta": "MISSING", "gamma": "IN_SYNC", "delta": "MODIFIED", "zeta": "IN_SYNC",
            "sized": "IN_SYNC"} == statuses(report, "models")
    assert {"cfg-alpha": "IN_SYNC", "cfg-beta": "IN_SYNC", "cfg-moved": "IN_SYNC", "cfg-orphan": "MISSING",
            "cfg-sized": "MODIFIED"} == statuses(report, "endpoint_configs")
    assert dict.fromkeys(("ep-alpha", "ep-beta", "ep-moved", "ep-orphan", "ep-wild"), "MODIFIED") == statuses(
        report, "endpoints")
    assert 0 == report["summary"]["unmanaged"]


def test_undeclared_endpoint_is_reported_though_nothing_declares_it(story: Story) -> None:
    """ep-wild (declared nowhere) is MODIFIED on its chain findings only, never UNMANAGED, with no source."""
    entry = story.drifted.entry("endpoints", "ep-wild")
    assert "MODIFIED" == entry["status"]
    assert [] == [d for d in entry["differences"] if "source" in d]


def test_chain_findings_carry_baseline_and_values(story: Story) -> None:
    """Each chain finding says which endpoint it is about (baseline from: endpoint), what runs and what is there
    now: images for STALE images, digests for REPOINTED, names for GONE, deployment and creation times for a
    STALE model."""
    f = story.facts
    endpoints = story.drifted.section("endpoints")
    got = {
        (name, path): (d["expected"], d["actual"], d["severity"], d["baseline"])
        for name, path in (("ep-alpha", "ProductionVariants[0].DeployedImages[0]"),
                           ("ep-wild", "ProductionVariants[0].DeployedImages[0]"),
                           ("ep-beta", "ProductionVariants[0].ModelName"),
                           ("ep-orphan", "EndpointConfigName"))
        for d in [difference(endpoints[name], path)]
    }
    assert {
        ("ep-alpha", "ProductionVariants[0].DeployedImages[0]"):
            (f["a1"], f["a2"], "critical", {"from": "endpoint", "name": "ep-alpha"}),
        ("ep-wild", "ProductionVariants[0].DeployedImages[0]"):
            (f["d_old"], f["d_new"], "critical", {"from": "endpoint", "name": "ep-wild"}),
        ("ep-beta", "ProductionVariants[0].ModelName"):
            ("beta", None, "critical", {"from": "endpoint", "name": "ep-beta"}),
        ("ep-orphan", "EndpointConfigName"):
            ("cfg-orphan", None, "critical", {"from": "endpoint", "name": "ep-orphan"}),
    } == got


def test_stale_model_finding_says_when_deployed_and_when_recreated(story: Story) -> None:
    """STALE at ProductionVariants[i].ModelName: expected is the deployment time, actual the model's new
    creation time, which is later."""
    d = difference(story.drifted.entry("endpoints", "ep-alpha"), "ProductionVariants[0].ModelName")
    from datetime import datetime

    deployed, created = datetime.fromisoformat(d["expected"]), datetime.fromisoformat(d["actual"])
    assert story.facts["alpha_created"] == created
    assert deployed < created


def test_endpoint_on_another_config_is_not_equal_at_its_declaration(story: Story) -> None:
    """A declared endpoint updated to another config: NOT_EQUAL at EndpointConfigName, declared name vs the live
    one, critical, with the file and line of the declaration."""
    d = difference(story.drifted.entry("endpoints", "ep-moved"), "EndpointConfigName")
    lines = story.desired.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "EndpointConfigName: cfg-moved")
    assert ("NOT_EQUAL", "cfg-moved", "cfg-other", "critical") == (d["type"], d["expected"], d["actual"],
                                                                    d["severity"])
    assert (story.desired, line) == ((REPO / d["source"]["file"]).resolve(), d["source"]["line"])


def test_served_by_marks_stale_variants(story: Story) -> None:
    """served_by after the changes: alpha is stale on both endpoints; gamma is served by ep-moved's new variant;
    zeta's endpoint lost its config (no variant known)."""
    expected = {
        "alpha": [{"endpoint": "ep-alpha", "variant": "v0", "stale": True},
                  {"endpoint": "ep-wild", "variant": "v1", "stale": True}],
        "gamma": [{"endpoint": "ep-moved", "variant": "blue", "stale": False}],
        "delta": [{"endpoint": "ep-wild", "variant": "v0", "stale": False}],
        "zeta": None,
        "sized": None,
    }
    models = story.drifted.section("models")
    actual = {name: sorted(models[name]["served_by"], key=lambda s: s["endpoint"])
              if "served_by" in models[name] else None for name in expected}
    assert expected == actual


def test_drift_pass_describes_only_what_changed(story: Story) -> None:
    """Only the updated endpoint is described again; only the configs with a new ARN or creation time
    (cfg-other, now in use, and the re-created cfg-sized)."""
    assert (1, 2) == (story.counts["drifted"]["DescribeEndpoint"], story.counts["drifted"]["DescribeEndpointConfig"])


def test_repeat_pass_finds_the_same_without_describing(story: Story) -> None:
    """Nothing changed since the drift pass: the same findings, exit 2, and nothing described."""
    assert {"DescribeEndpoint": 0, "DescribeEndpointConfig": 0, "DescribeModel": 0} == {
        k: story.counts["repeat"][k] for k in ("DescribeEndpoint", "DescribeEndpointConfig", "DescribeModel")}
    assert 2 == story.repeat.code
    for section in ("models", "endpoint_configs", "endpoints"):
        assert {n: findings(e) for n, e in story.drifted.section(section).items()} == {
            n: findings(e) for n, e in story.repeat.section(section).items()}


def test_text_report_says_what_runs_and_why(story: Story) -> None:
    """The text report gives an on-call engineer one sentence per finding: which endpoint, which model or image
    or tag, what changed and when, and what the next deployment would do."""
    f = story.facts
    when = clock(f["alpha_created"])
    expected = [
        "MODIFIED  endpoint ep-alpha  (123456789012/us-east-1)  [critical]",
        f"    ! ProductionVariants[0].ModelName: endpoint ep-alpha runs alpha as it was before it was re-created at "
        f"{when}; the next deployment will change what it serves  [critical]",
        f"    ! ProductionVariants[0].DeployedImages[0]: endpoint ep-alpha runs image {f['a1']}, but model alpha now "
        f"names {f['a2']}; the next deployment will change what it serves  [critical]",
        "    ! ProductionVariants[0].ModelName: endpoint ep-beta runs model beta, which no longer exists: its next "
        "scale-out or update cannot start it  [critical]",
        "    ! EndpointConfigName: endpoint ep-orphan uses endpoint config cfg-orphan, which no longer exists: its "
        "next scale-out or update cannot reuse it  [critical]",
        f"    ! ProductionVariants[0].DeployedImages[0]: tag svc-d:1.0 now points to {f['d_new'][:19]}…; endpoint "
        f"ep-wild runs {f['d_old'][:19]}…, and its next scale-out or deployment would run the new image  [critical]",
        "MODIFIED  endpoint ep-wild  (123456789012/us-east-1)  [critical]",
    ]
    lines = story.text.text.splitlines()
    assert [] == [line for line in expected if line not in lines]
    assert 2 == story.text.code


# -- the second world: timelines, shadows, images, statuses, declared endpoints ---------------------------
# Each case has its own model, config and endpoint (named after the case), so one world and three passes
# hold them all: a first pass (all in sync), the changes, a second pass, then one status change and a third.
def _recreate_same(w: ChainWorld, case: str) -> None:
    time.sleep(0.002)  # the server's clock has millisecond steps
    w.recreate_model(f"m-{case}", w.models[f"m-{case}"]["PrimaryContainer"]["Image"])


def _reweight(w: ChainWorld, case: str) -> None:
    time.sleep(0.002)
    w.sm.update_endpoint_weights_and_capacities(
        EndpointName=f"e-{case}", DesiredWeightsAndCapacities=[{"VariantName": "v0", "DesiredWeight": 0.5}])


def _redeploy(w: ChainWorld, case: str) -> None:
    """UpdateEndpoint to another config and back: a real deployment, images resolved again now."""
    time.sleep(0.002)
    w.sm.create_endpoint_config(EndpointConfigName=f"c-{case}-2", ProductionVariants=[variant("v0", f"m-{case}")])
    w.sm.update_endpoint(EndpointName=f"e-{case}", EndpointConfigName=f"c-{case}-2")
    w.sm.update_endpoint(EndpointName=f"e-{case}", EndpointConfigName=f"c-{case}")


STALE_MODEL = {("ProductionVariants[0].ModelName", "STALE")}
TIMELINES = [
    ("recreated", (_recreate_same,), STALE_MODEL),
    ("recreated-then-reweighted", (_recreate_same, _reweight), STALE_MODEL),
    ("reweighted", (_reweight,), set()),
    ("recreated-then-redeployed", (_recreate_same, _redeploy), set()),
    ("reweighted-then-recreated", (_reweight, _recreate_same), STALE_MODEL),
]
NOT_IN_SERVICE = ["Creating", "Updating", "SystemUpdating", "RollingBack", "Failed", "OutOfService"]


@dataclass(frozen=True)
class Second:
    first: Pass
    changed: Pass
    back: Pass


def _one(w: ChainWorld, case: str, image: str) -> None:
    w.model(f"m-{case}", image)
    w.config(f"c-{case}", variant("v0", f"m-{case}"))
    w.endpoint(f"e-{case}", f"c-{case}")


def _build_second(server: LocalSageMaker, directory: Path) -> Second:
    server.reset()
    w = ChainWorld(server.url, directory)
    image, _ = w.push("svc", "1.0", "1")
    other, _ = w.push("svc", "2.0", "2")
    for case in [t[0] for t in TIMELINES] + NOT_IN_SERVICE + ["back", "tags", "reconfigured"]:
        _one(w, case, image)
    w.sm.add_tags(ResourceArn=w.sm.describe_endpoint(EndpointName="e-tags")["EndpointArn"],
                  Tags=[{"Key": "team", "Value": "search"}])
    shadow, _ = w.push("shadow", "1.0", "s1")
    shadow2, _ = w.push("shadow", "2.0", "s2")
    for name, model_image in (("prod", image), ("shadow", shadow), ("shadow-b", shadow)):
        w.model(name, model_image)
    w.config("c-shadow", variant("live", "prod"),
             ShadowProductionVariants=[variant("canary", "shadow"), variant("canary-b", "shadow-b")])
    w.endpoint("e-shadow", "c-shadow")
    doomed, _ = w.push("doomed", "1.0", "d1")
    w.sm.create_model(ModelName="m-doomed", PrimaryContainer={"Image": doomed}, ExecutionRoleArn=ROLE)
    w.sm.create_endpoint_config(EndpointConfigName="c-doomed", ProductionVariants=[variant("v0", "m-doomed")])
    w.sm.create_endpoint(EndpointName="e-doomed", EndpointConfigName="c-doomed")  # nothing declares these
    packaged, _ = w.push("pkg", "1.0", "p1")
    w.sm.create_model_package(ModelPackageName="pkg", InferenceSpecification={
        "Containers": [{"Image": packaged}], "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"]})
    w.sm.create_model(ModelName="m-pkg", PrimaryContainer={"ModelPackageName": "pkg"}, ExecutionRoleArn=ROLE)
    w.sm.create_endpoint_config(EndpointConfigName="c-pkg", ProductionVariants=[variant("v0", "m-pkg")])
    w.sm.create_endpoint(EndpointName="e-pkg", EndpointConfigName="c-pkg")
    pin_uri, pin_digest = w.push("pinned", "1.0", "n1")
    _one(w, "pinned", f"{pin_uri.rsplit(':', 1)[0]}@{pin_digest}")
    w.declare()
    config = w.write_config(scope={"unmanaged": False})
    first = check(config)

    for case, steps, _ in TIMELINES:
        for step in steps:
            step(w, case)
    for status in NOT_IN_SERVICE:
        w.recreate_model(f"m-{status}", other)
        server.set_endpoint_status(f"e-{status}", status)
    _recreate_same(w, "back")
    server.set_endpoint_status("e-back", "Updating")
    time.sleep(0.002)
    w.recreate_model("shadow", shadow2)
    w.sm.delete_model(ModelName="shadow-b")
    w.world.client("ecr").batch_delete_image(repositoryName="doomed", imageIds=[{"imageTag": "1.0"}])
    w.push("pinned", "1.0", "n2")  # the tag moves; the digest the endpoint and model pin stays
    w.sm.delete_endpoint_config(EndpointConfigName="c-reconfigured")  # and a new config under the same name
    w.model("n-reconfigured", other)
    w.sm.create_endpoint_config(EndpointConfigName="c-reconfigured",
                                ProductionVariants=[variant("v0", "n-reconfigured")])
    w.endpoints["e-nowhere"] = {"EndpointName": "e-nowhere", "EndpointConfigName": "c-recreated"}
    w.declare(overrides={"e-tags": {**w.endpoints["e-tags"], "Tags": {"team": "ads"}}})
    changed = check(config)

    server.set_endpoint_status("e-back", "InService")
    back = check(config)
    return Second(first, changed, back)


@pytest.fixture(scope="module")
def second(local_sagemaker: LocalSageMaker, tmp_path_factory: pytest.TempPathFactory) -> Second:
    return _build_second(local_sagemaker, tmp_path_factory.mktemp("chain-second"))


def test_second_world_starts_in_sync(second: Second) -> None:
    """Before any change every endpoint of the second world is IN_SYNC with no note (the model-package endpoint
    aside: see test_model_from_a_package_is_not_stale)."""
    entries = {n: (e["status"], e.get("unverified")) for n, e in second.first.section("endpoints").items()
               if n != "e-pkg"}
    assert dict.fromkeys(entries, ("IN_SYNC", None)) == entries
    assert 17 == len(entries)


@pytest.mark.parametrize(("case", "expected"), [(t[0], t[2]) for t in TIMELINES], ids=[t[0] for t in TIMELINES])
def test_deployment_time_is_resolution_time(second: Second, case: str, expected: set[tuple[str, str]]) -> None:
    """A variant was deployed at its DeployedImages' ResolutionTime: a weights-and-capacity update bumps the
    endpoint's LastModifiedTime without redeploying, so it neither hides nor invents a STALE model; a real
    redeployment (UpdateEndpoint) clears it. A model re-created with the same image is STALE only at ModelName,
    never at DeployedImages, and the model itself is IN_SYNC (marked recreated)."""
    endpoint = second.changed.entry("endpoints", f"e-{case}")
    model = second.changed.entry("models", f"m-{case}")
    recreated = any(step is _recreate_same for t in TIMELINES if t[0] == case for step in t[1])
    assert (expected, "MODIFIED" if expected else "IN_SYNC") == (findings(endpoint), endpoint["status"])
    assert ("IN_SYNC", recreated) == (model["status"], model["recreated"])
    assert [{"endpoint": f"e-{case}", "variant": "v0", "stale": bool(expected)}] == model["served_by"]


def test_shadow_variants_are_judged_like_production_ones(second: Second) -> None:
    """A shadow variant's model re-created with another image is STALE at ShadowProductionVariants[0].ModelName
    and .DeployedImages[0]; a second shadow's model deleted is GONE at ShadowProductionVariants[1].ModelName;
    served_by names the shadow variant."""
    assert [{"endpoint": "e-shadow", "variant": "canary", "stale": False}] == second.first.entry(
        "models", "shadow")["served_by"]
    assert {("ShadowProductionVariants[0].ModelName", "STALE"),
            ("ShadowProductionVariants[0].DeployedImages[0]", "STALE"),
            ("ShadowProductionVariants[1].ModelName", "GONE")} == findings(second.changed.entry("endpoints",
                                                                                           "e-shadow"))
    assert ([{"endpoint": "e-shadow", "variant": "canary", "stale": True}],
            [{"endpoint": "e-shadow", "variant": "live", "stale": False}]) == (
        second.changed.entry("models", "shadow")["served_by"], second.changed.entry("models", "prod")["served_by"])


def test_deployed_tag_deleted_from_ecr_is_gone(second: Second) -> None:
    """The tag an undeclared endpoint deployed is deleted from ECR: GONE at ProductionVariants[0].DeployedImages[0]
    (a scale-out cannot pull it), on an endpoint nothing declares."""
    entry = second.changed.entry("endpoints", "e-doomed")
    assert ({("ProductionVariants[0].DeployedImages[0]", "GONE")}, "MODIFIED") == (findings(entry), entry["status"])


def test_pinned_image_is_not_repointed_when_its_tag_moves(second: Second) -> None:
    """An endpoint serving a model whose image is written with a digest is not REPOINTED when the tag that once
    named that digest is pushed again: the digest is what runs and what the next deployment pulls."""
    entry = second.changed.entry("endpoints", "e-pinned")
    assert (set(), "IN_SYNC") == (findings(entry), entry["status"])
    assert "IN_SYNC" == second.changed.entry("models", "m-pinned")["status"]


def test_config_recreated_after_deployment_is_not_read_as_what_runs(second: Second) -> None:
    """The config an endpoint deployed is deleted and created again naming another model: the endpoint still runs
    the old model (drift: MODIFIED), but no finding may say it runs the new one, and the new model is not served
    by it (DescribeEndpoint has no model names; a config newer than the deployment is not what was deployed)."""
    entry = second.changed.entry("endpoints", "e-reconfigured")
    assert "MODIFIED" == entry["status"]
    assert [] == [d["message"] for d in entry["differences"] if "n-reconfigured" in (d.get("message") or "")]
    assert "served_by" not in second.changed.entry("models", "n-reconfigured")


def test_model_from_a_package_is_not_stale(second: Second) -> None:
    """A model whose container names a model package runs the package's image: the endpoint that deployed it is
    IN_SYNC (the model names no Image of its own, so there is nothing to call stale)."""
    entry = second.first.entry("endpoints", "e-pkg")
    assert (set(), "IN_SYNC") == (findings(entry), entry["status"])


@pytest.mark.parametrize("status", NOT_IN_SERVICE)
def test_endpoint_not_in_service_is_unverified_not_judged(second: Second, status: str) -> None:
    """An endpoint that is not InService gets an `unverified` note with its EndpointStatus and no chain finding,
    although its model was re-created with another image."""
    entry = second.changed.entry("endpoints", f"e-{status}")
    assert ("IN_SYNC", [], [f"EndpointStatus is {status}: the serving chain is checked for InService endpoints "
                            "only"]) == (entry["status"], entry["differences"], entry.get("unverified"))


def test_endpoint_back_in_service_is_judged_again(second: Second) -> None:
    """A status change alone (same LastModifiedTime) is noticed: Updating is unverified, InService again is
    judged, and the STALE model is reported."""
    updating, back = second.changed.entry("endpoints", "e-back"), second.back.entry("endpoints", "e-back")
    assert ([], ["EndpointStatus is Updating: the serving chain is checked for InService endpoints only"]) == (
        updating["differences"], updating["unverified"])
    assert (STALE_MODEL, None) == (findings(back), back.get("unverified"))


def test_declared_endpoint_that_does_not_exist_is_missing(second: Second) -> None:
    """A declared endpoint that is not live is MISSING (critical)."""
    entry = second.changed.entry("endpoints", "e-nowhere")
    assert ("MISSING", "critical", []) == (entry["status"], entry["severity"], entry["differences"])
    assert 2 == second.changed.code


def test_declared_endpoint_tags_are_compared(second: Second) -> None:
    """An endpoint that declares Tags is compared on them (info); before it declared them, the live tag was no
    drift."""
    d = difference(second.changed.entry("endpoints", "e-tags"), "Tags.team")
    assert "IN_SYNC" == second.first.entry("endpoints", "e-tags")["status"]
    assert ("NOT_EQUAL", "ads", "search", "info") == (d["type"], d["expected"], d["actual"], d["severity"])


# -- declared endpoint configs: strict, with defaults on both sides ---------------------------------------
Extras = dict[str, Any]
CONFIG_CASES: list[tuple[str, Extras, Extras, Extras, Extras, set[tuple[str, str]]]] = [
    # (name, live extras of the variant, declared extras of the variant, live config extras, declared config
    #  extras, expected findings)
    ("weight-omitted-both", {}, {}, {}, {}, set()),
    ("weight-declared-default", {}, {"InitialVariantWeight": 1.0}, {}, {}, set()),
    ("weight-live-default", {"InitialVariantWeight": 1.0}, {}, {}, {}, set()),
    ("weight-differs", {"InitialVariantWeight": 0.5}, {}, {}, {},
     {("ProductionVariants[0].InitialVariantWeight", "ADD")}),
    ("weight-declared-differs", {"InitialVariantWeight": 0.5}, {"InitialVariantWeight": 1.0}, {}, {},
     {("ProductionVariants[0].InitialVariantWeight", "NOT_EQUAL")}),
    ("weight-fraction", {"InitialVariantWeight": 0.8}, {"InitialVariantWeight": 0.8}, {}, {}, set()),
    ("volume-filled-by-sagemaker", {"VolumeSizeInGB": 4}, {}, {}, {}, set()),
    ("volume-declared-differs", {"VolumeSizeInGB": 4}, {"VolumeSizeInGB": 8}, {}, {},
     {("ProductionVariants[0].VolumeSizeInGB", "NOT_EQUAL")}),
    ("instance-type", {}, {"InstanceType": "ml.m5.xlarge"}, {}, {},
     {("ProductionVariants[0].InstanceType", "NOT_EQUAL")}),
    ("isolation-default", {}, {}, {"EnableNetworkIsolation": False}, {}, set()),
    ("kms-added", {}, {}, {"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}, {}, {("KmsKeyId", "ADD")}),
    ("kms-removed", {}, {}, {}, {"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}, {("KmsKeyId", "REMOVE")}),
    ("tags-not-declared", {}, {}, {"Tags": [{"Key": "team", "Value": "a"}]}, {}, set()),
    ("tags-declared", {}, {}, {"Tags": [{"Key": "team", "Value": "a"}]}, {"Tags": {"team": "b"}},
     {("Tags.team", "NOT_EQUAL")}),
    ("tags-declared-empty", {}, {}, {"Tags": [{"Key": "team", "Value": "a"}]}, {"Tags": {}}, {("Tags.team", "ADD")}),
]


@dataclass(frozen=True)
class ConfigPass:
    result: Pass
    counts: dict[str, int]


@pytest.fixture(scope="module")
def config_pass(local_sagemaker: LocalSageMaker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConfigPass]:
    """One world holding a live config per case and desired state declaring each its own way; one check."""
    local_sagemaker.reset()
    w = ChainWorld(local_sagemaker.url, tmp_path_factory.mktemp("chain-configs"))
    image, _ = w.push("svc", "1.0", "1")
    w.model("m", image)
    declared = []
    for name, live_v, said_v, live_c, said_c, _expected in CONFIG_CASES:
        w.sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant("v0", "m", **live_v)],
                                    **live_c)
        declared.append({"EndpointConfigName": name, "ProductionVariants": [variant("v0", "m", **said_v)],
                         **said_c})
    path = w.directory / "models" / "desired.yaml"
    path.write_text(yaml.safe_dump({"models": [w.models["m"]], "endpoint_configs": declared}, sort_keys=False))
    with FaultProxy(local_sagemaker.url) as proxy:
        result = check(w.write_config(proxy.url))
        yield ConfigPass(result, calls(proxy))


@pytest.mark.parametrize(("name", "expected"), [(c[0], c[5]) for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_declared_config_compared_strictly_with_defaults(config_pass: ConfigPass, name: str,
                                                         expected: set[tuple[str, str]]) -> None:
    """A declared endpoint config is compared like a model: SageMaker's defaults count on both sides
    (InitialVariantWeight 1.0), VolumeSizeInGB that SageMaker fills in is not drift unless declared, anything
    else that differs is drift, and tags only when declared."""
    entry = config_pass.result.entry("endpoint_configs", name)
    assert (expected, "MODIFIED" if expected else "IN_SYNC") == (findings(entry), entry["status"])


def test_config_pass_reads_no_endpoint_but_every_declared_config(config_pass: ConfigPass) -> None:
    """With no endpoint live, no endpoint is described and each declared config is described once; the report
    has no `endpoints` list."""
    assert (0, len(CONFIG_CASES)) == (config_pass.counts["DescribeEndpoint"],
                                      config_pass.counts["DescribeEndpointConfig"])
    assert "endpoints" not in config_pass.result.report
    assert 2 == config_pass.result.code


def test_config_values_are_the_defaults_and_the_live_ones(config_pass: ConfigPass) -> None:
    """An omitted weight is expected as its default 1.0 (a live value that differs is ADD, as for models); an
    instance type as declared vs live, critical."""
    weight = difference(config_pass.result.entry("endpoint_configs", "weight-differs"),
                        "ProductionVariants[0].InitialVariantWeight")
    instance = difference(config_pass.result.entry("endpoint_configs", "instance-type"),
                          "ProductionVariants[0].InstanceType")
    assert ((1.0, 0.5), ("ml.m5.xlarge", INSTANCE, "critical")) == (
        (weight["expected"], weight["actual"]),
        (instance["expected"], instance["actual"], instance["severity"]))


# -- scope.endpoints, listings, import ------------------------------------------------------------------
@pytest.fixture
def chain(aws: Aws, tmp_path: Path) -> ChainWorld:
    return ChainWorld(aws.url, tmp_path)


def _scoped_world(w: ChainWorld) -> None:
    a, _ = w.push("svc", "1.0", "1")
    w.model("m", a)
    w.config("c-declared", variant("v0", "m"))
    w.config("c-wild", variant("v0", "m"))
    w.endpoint("e-declared", "c-declared")
    w.endpoint("e-wild", "c-wild")
    w.declare(configs=["c-declared"], endpoints=["e-declared"])


SCOPES = [
    # scope, endpoints reported, DescribeEndpoint calls, DescribeEndpointConfig calls, served_by of m
    ("all", {"e-declared", "e-wild"}, 2, 2, ["e-declared", "e-wild"]),
    ("declared", {"e-declared"}, 1, 1, ["e-declared"]),
    ("none", set(), 0, 1, []),
]


@pytest.mark.parametrize(("scope", "reported", "endpoints", "configs", "served"), SCOPES, ids=[s[0] for s in SCOPES])
def test_scope_endpoints(chain: ChainWorld, proxy: FaultProxy, scope: str, reported: set[str], endpoints: int,
                         configs: int, served: list[str]) -> None:
    """`all` reads every endpoint; `declared` only the declared ones (and the configs they use); `none` reads
    no endpoint (not even ListEndpoints) and reports no declared endpoint, while declared configs are still
    compared."""
    _scoped_world(chain)
    config = chain.write_config(proxy.url, scope={"endpoints": scope})
    proxy.clear()
    result = check(config)
    counted = calls(proxy)
    assert reported == set(result.section("endpoints"))
    assert (endpoints, configs) == (counted["DescribeEndpoint"], counted["DescribeEndpointConfig"])
    if scope == "none":
        assert 0 == counted["ListEndpoints"]
    assert {"c-declared": "IN_SYNC"} == statuses(result.report, "endpoint_configs")
    assert served == sorted(s["endpoint"] for s in result.entry("models", "m").get("served_by", []))
    assert 0 == result.code


def test_endpoints_are_listed_in_pages_of_100(chain: ChainWorld, proxy: FaultProxy) -> None:
    """21 undeclared endpoints take one ListEndpoints page from each end (SageMaker's default page is 10, which
    would take at least three calls), and each is described once."""
    a, _ = chain.push("svc", "1.0", "1")
    chain.model("m", a)
    chain.config("c", variant("v0", "m"))
    for i in range(21):
        chain.sm.create_endpoint(EndpointName=f"e{i:02}", EndpointConfigName="c")
    chain.declare()
    config = chain.write_config(proxy.url)
    proxy.clear()
    result = check(config)
    counted = calls(proxy)
    assert 21 == len(result.section("endpoints"))
    assert counted["ListEndpoints"] <= 2
    assert 21 == counted["DescribeEndpoint"]
    assert 1 == counted["DescribeEndpointConfig"]


# -- drift import --endpoints ----------------------------------------------------------------------------
def test_import_endpoints_then_check_is_in_sync(chain: ChainWorld) -> None:
    """`drift import --endpoints --out DIR` adopts models, configs (VolumeSizeInGB, weights, shadows, KMS) and
    endpoints, one file each; `drift check` on the result is all IN_SYNC, exit 0."""
    a, _ = chain.push("svc", "1.0", "1")
    chain.model("m", a)
    chain.model("shadow", a)
    chain.config("c", variant("v0", "m", VolumeSizeInGB=4, InitialVariantWeight=0.8),
                 ShadowProductionVariants=[variant("s0", "shadow")],
                 KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/k")
    chain.config("unused", variant("v0", "m"))
    chain.endpoint("e", "c")
    chain.sm.add_tags(ResourceArn=chain.sm.describe_endpoint(EndpointName="e")["EndpointArn"],
                      Tags=[{"Key": "team", "Value": "search"}])
    out = chain.directory / "models"
    config = chain.write_config()
    imported = run_drift("import", "--config", str(config), "--endpoints", "--out", str(out), env=clean_env())
    assert 0 == imported.returncode, imported.stderr
    assert {"m.yaml", "shadow.yaml", "c.endpoint-config.yaml", "unused.endpoint-config.yaml",
            "e.endpoint.yaml"} == {p.name for p in out.iterdir()}
    assert {"EndpointName": "e", "EndpointConfigName": "c", "Tags": {"team": "search"}} == yaml.safe_load(
        (out / "e.endpoint.yaml").read_text())["endpoints"][0]
    # Defaults SageMaker fills in are left out (a weight of 1.0, network isolation off); others are kept.
    unused = yaml.safe_load((out / "unused.endpoint-config.yaml").read_text())["endpoint_configs"][0]
    assert "EnableNetworkIsolation" not in unused
    assert "InitialVariantWeight" not in unused["ProductionVariants"][0]
    declared = yaml.safe_load((out / "c.endpoint-config.yaml").read_text())["endpoint_configs"][0]
    assert 0.8 == declared["ProductionVariants"][0]["InitialVariantWeight"]
    result = check(config)
    assert 0 == result.code, result.text + result.stderr
    assert ({"c": "IN_SYNC", "unused": "IN_SYNC"}, {"e": "IN_SYNC"}) == (
        statuses(result.report, "endpoint_configs"), statuses(result.report, "endpoints"))


# -- validation -------------------------------------------------------------------------------------------
def test_misspelt_field_in_declared_config_names_file_line_config_and_field(tmp_path: Path) -> None:
    """A misspelt field in a declared endpoint config is a validation error naming file, line, config and field
    path, with a "did you mean"; check exits 1 without calling AWS (the endpoint URL answers nothing)."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "serving.yaml").write_text(
        "models: []\n"
        "endpoint_configs:\n"
        "  - EndpointConfigName: cfg-typo\n"
        "    ProductionVariants:\n"
        "      - VariantName: v0\n"
        "        ModelName: m\n"
        "        InstanceTyp: ml.m5.large\n"
        "        InitialInstanceCount: 1\n")
    (tmp_path / "drift.yaml").write_text(
        "aws: {region: us-east-1, endpoint_url: 'http://127.0.0.1:9'}\ndesired: [models/*.yaml]\n")
    expected = ("models/serving.yaml:7: cfg-typo: ProductionVariants[0].InstanceTyp: unknown field "
                "(did you mean InstanceType?)")
    for command in ("validate", "check"):
        result = run_drift(command, "--config", "drift.yaml", env=clean_env(), cwd=tmp_path)
        assert (1, expected) == (result.returncode, result.stderr.splitlines()[0]), result.stderr
        assert "" == result.stdout


def test_name_prefix_limits_undeclared_endpoints(chain: ChainWorld, proxy: FaultProxy) -> None:
    """`scope.name_prefix` applies to endpoints: an undeclared endpoint outside it is neither described nor
    reported."""
    a, _ = chain.push("svc", "1.0", "1")
    chain.model("prod-m", a)
    chain.config("prod-c", variant("v0", "prod-m"))
    chain.endpoint("prod-e", "prod-c")
    chain.endpoint("dev-e", "prod-c")
    chain.declare(endpoints=[])
    config = chain.write_config(proxy.url, scope={"name_prefix": "prod-"})
    proxy.clear()
    result = check(config)
    assert ({"prod-e": "IN_SYNC"}, 1) == (statuses(result.report, "endpoints"), calls(proxy)["DescribeEndpoint"])
    assert [{"endpoint": "prod-e", "variant": "v0", "stale": False}] == result.entry("models", "prod-m")["served_by"]


# -- reads that fail: never a made-up GONE, never a silent IN_SYNC ---------------------------------------
FAULTS = [
    # case, fault on its resources, endpoint status, findings, note (prefix) or None
    ("endpoint-denied", Fault("access_denied", operation="DescribeEndpoint", resource="e-endpoint-denied"),
     "ERROR", set(), None),
    ("endpoint-empty", Fault("empty", operation="DescribeEndpoint", resource="e-endpoint-empty"),
     "ERROR", set(), None),
    ("config-denied", Fault("access_denied", operation="DescribeEndpointConfig", resource="c-config-denied"),
     "IN_SYNC", set(), "EndpointConfigName: c-config-denied could not be read: "),
    ("config-empty", Fault("empty", operation="DescribeEndpointConfig", resource="c-config-empty"),
     "IN_SYNC", set(), "EndpointConfigName: c-config-empty could not be read: "),
    ("config-vanished", Fault("error", operation="DescribeEndpointConfig", resource="c-config-vanished",
                              code="ValidationException", message="Could not find endpoint configuration"),
     "MODIFIED", {("EndpointConfigName", "GONE")}, None),
    ("model-denied", Fault("access_denied", operation="DescribeModel", resource="m-model-denied"),
     "IN_SYNC", set(), "ProductionVariants[0].ModelName: m-model-denied could not be read: "),
]


@dataclass(frozen=True)
class Faulted:
    result: Pass


@pytest.fixture(scope="module")
def faulted(local_sagemaker: LocalSageMaker, tmp_path_factory: pytest.TempPathFactory) -> Faulted:
    """One world, one endpoint (own config, own declared model) per case, each case's fault on its own
    resources; one full pass."""
    local_sagemaker.reset()
    w = ChainWorld(local_sagemaker.url, tmp_path_factory.mktemp("chain-faults"))
    image, _ = w.push("svc", "1.0", "1")
    for case, *_ in FAULTS:
        w.model(f"m-{case}", image)
        w.sm.create_endpoint_config(EndpointConfigName=f"c-{case}", ProductionVariants=[variant("v0", f"m-{case}")])
        w.sm.create_endpoint(EndpointName=f"e-{case}", EndpointConfigName=f"c-{case}")
    w.declare()
    with FaultProxy(local_sagemaker.url) as proxy:
        for _case, fault, *_ in FAULTS:
            proxy.add(fault)
        return Faulted(check(w.write_config(proxy.url, aws={"bulk_read": "off"})))


@pytest.mark.parametrize(("case", "status", "expected", "note"), [(f[0], *f[2:]) for f in FAULTS],
                         ids=[f[0] for f in FAULTS])
def test_failed_reads_along_the_chain(faulted: Faulted, case: str, status: str, expected: set[tuple[str, str]],
                                      note: str | None) -> None:
    """An endpoint that cannot be described (denied, or an empty 200) is ERROR; a config or model behind it that
    cannot be read is an `unverified` note on the endpoint, never GONE; only a config that vanished (SageMaker's
    "Could not find") is GONE."""
    entry = faulted.result.entry("endpoints", f"e-{case}")
    notes = entry.get("unverified") or []
    assert (status, expected) == (entry["status"], findings(entry))
    assert (note is not None) == any(n.startswith(note or "") for n in notes), notes
    assert 1 == faulted.result.code
