"""drift.chain.judge_chain: what an endpoint really runs, judged from synthetic Live values (SPEC §9).

Live values are built the way the read stage builds them: DescribeEndpoint, DescribeEndpointConfig and
DescribeModel answers through each kind's own ``facts``/``canonical``, listings as ``Listed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift.aws.sagemaker import Listed
from drift.chain import ChainOutcome, deployed_refs, judge_chain
from drift.integrity.resolve import Key, Resolution
from drift.kinds import KINDS
from drift.kinds.endpoint import facts
from drift.read.types import Live
from drift.report import Baseline, DiffType, Kind, ServedBy, Severity

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
IMG1, IMG2, SIDE = f"{REGISTRY}/svc:1.0", f"{REGISTRY}/svc:2.0", f"{REGISTRY}/side:1.0"
D1, D2, D3 = "sha256:" + "1" * 64, "sha256:" + "2" * 64, "sha256:" + "3" * 64
DEPLOYED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BEFORE, AFTER, LATER = DEPLOYED - timedelta(days=1), DEPLOYED + timedelta(hours=1), DEPLOYED + timedelta(days=2)
TARGET = "default"


def resolved(image: str, digest: str) -> str:
    return f"{image.rsplit(':', 1)[0]}@{digest}"


def deployed_image(image: str = IMG1, digest: str | None = D1, at: datetime | None = DEPLOYED) -> dict[str, Any]:
    out: dict[str, Any] = {"SpecifiedImage": image}
    if digest is not None:
        out["ResolvedImage"] = resolved(image, digest)
    if at is not None:
        out["ResolutionTime"] = at
    return out


@dataclass
class World:
    """One endpoint ``e`` on config ``c``, and the configs, models and resolutions around it."""

    status: str = "InService"
    modified: datetime = DEPLOYED
    config: str = "c"
    #: VariantName -> DeployedImages, as DescribeEndpoint reports them
    running: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"v0": [deployed_image()]})
    shadow_running: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: config name -> (production variants, shadow variants) as (VariantName, ModelName); None: the config is gone
    configs: dict[str, Any] = field(default_factory=lambda: {"c": ([("v0", "m")], [])})
    #: model name -> (CreationTime, container images); a model not here is gone
    models: dict[str, tuple[datetime, list[Any]]] = field(default_factory=lambda: {"m": (BEFORE, [IMG1])})
    resolutions: dict[Key, Resolution] = field(default_factory=lambda: {(TARGET, "image", IMG1): Resolution("ok", D1)})
    unreadable: dict[str, str] = field(default_factory=dict)
    config_created: datetime = BEFORE - timedelta(days=1)

    def endpoint(self) -> Live:
        answer: dict[str, Any] = {
            "EndpointName": "e", "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e",
            "EndpointConfigName": self.config, "EndpointStatus": self.status,
            "CreationTime": DEPLOYED - timedelta(days=30), "LastModifiedTime": self.modified,
            "ProductionVariants": [{"VariantName": n, "DeployedImages": i} for n, i in self.running.items()],
        }
        if self.shadow_running:
            answer["ShadowProductionVariants"] = [{"VariantName": n, "DeployedImages": i}
                                                  for n, i in self.shadow_running.items()]
        listed = Listed("e", answer["EndpointArn"], answer["CreationTime"].isoformat(), self.modified.isoformat(),
                        self.status)
        return Live(Kind.ENDPOINT, listed, form=KINDS[Kind.ENDPOINT].canonical(answer), facts=facts(answer),
                    described=True)

    def live_configs(self) -> dict[str, Live]:
        out = {}
        for name, variants in self.configs.items():
            listed = Listed(name, f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{name}",
                            self.config_created.isoformat())
            if name in self.unreadable:
                out[name] = Live(Kind.ENDPOINT_CONFIG, listed, error=self.unreadable[name])
                continue
            if variants is None:
                out[name] = Live(Kind.ENDPOINT_CONFIG, listed, gone=True, described=True)
                continue
            prod, shadow = variants
            answer: dict[str, Any] = {"EndpointConfigName": name, "EndpointConfigArn": listed.arn,
                                      "ProductionVariants": [_variant(v, m) for v, m in prod]}
            if shadow:
                answer["ShadowProductionVariants"] = [_variant(v, m) for v, m in shadow]
            out[name] = Live(Kind.ENDPOINT_CONFIG, listed, form=KINDS[Kind.ENDPOINT_CONFIG].canonical(answer))
        return out

    def live_models(self) -> dict[str, Live]:
        out = {}
        for name, (created, images) in self.models.items():
            listed = Listed(name, f"arn:aws:sagemaker:us-east-1:123456789012:model/{name}", created.isoformat())
            if name in self.unreadable:
                out[name] = Live(Kind.MODEL, listed, error=self.unreadable[name])
                continue
            containers = [{"Image": i} if isinstance(i, str) else i for i in images]
            answer = {"ModelName": name, "ModelArn": listed.arn, "CreationTime": created,
                      "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
                      **({"PrimaryContainer": containers[0]} if len(containers) == 1 else {"Containers": containers})}
            out[name] = Live(Kind.MODEL, listed, form=KINDS[Kind.MODEL].canonical(answer))
        return out

    def judge(self) -> ChainOutcome:
        return judge_chain(self.endpoint(), self.live_configs(), self.live_models(), self.resolutions, TARGET)


def _variant(name: str, model: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"VariantName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    if model is not None:
        out["ModelName"] = model
    return out


def found(outcome: ChainOutcome) -> set[tuple[str, str]]:
    return {(d.path, d.type.value) for d in outcome.differences}


def served(outcome: ChainOutcome) -> list[tuple[str, str, bool]]:
    return [(model, who.variant, who.stale) for model, who in outcome.served]


STALE_M = ("ProductionVariants[0].ModelName", "STALE")
GONE_M = ("ProductionVariants[0].ModelName", "GONE")
IMAGE0 = "ProductionVariants[0].DeployedImages[0]"

CASES: list[tuple[str, World, set[tuple[str, str]], list[tuple[str, str, bool]]]] = [
    ("in sync", World(), set(), [("m", "v0", False)]),
    ("config gone (not listed)", World(configs={}), {("EndpointConfigName", "GONE")}, []),
    ("config gone (vanished when described)", World(configs={"c": None}), {("EndpointConfigName", "GONE")}, []),
    ("model gone (not listed)", World(models={}), {GONE_M}, [("m", "v0", False)]),
    ("model re-created after deployment", World(models={"m": (AFTER, [IMG1])}), {STALE_M}, [("m", "v0", True)]),
    ("model created the same instant", World(models={"m": (DEPLOYED, [IMG1])}), set(), [("m", "v0", False)]),
    ("re-created, then weights updated: ResolutionTime wins",
     World(models={"m": (AFTER, [IMG1])}, modified=LATER), {STALE_M}, [("m", "v0", True)]),
    ("weights updated, model not re-created", World(modified=LATER), set(), [("m", "v0", False)]),
    ("no ResolutionTime: LastModifiedTime before creation",
     World(models={"m": (AFTER, [IMG1])}, running={"v0": [deployed_image(at=None)]}), {STALE_M},
     [("m", "v0", True)]),
    ("no ResolutionTime: LastModifiedTime after creation",
     World(models={"m": (AFTER, [IMG1])}, running={"v0": [deployed_image(at=None)]}, modified=LATER), set(),
     [("m", "v0", False)]),
    ("variant not running: LastModifiedTime", World(models={"m": (AFTER, [IMG1])}, running={"other": []}),
     {STALE_M}, [("m", "v0", True)]),
    ("model now names another image", World(models={"m": (BEFORE, [IMG2])}), {(IMAGE0, "STALE")},
     [("m", "v0", True)]),
    ("re-created with another image",
     World(models={"m": (AFTER, [IMG2])}), {STALE_M, (IMAGE0, "STALE")}, [("m", "v0", True)]),
    ("tag pushed again", World(resolutions={(TARGET, "image", IMG1): Resolution("ok", D2)}),
     {(IMAGE0, "REPOINTED")}, [("m", "v0", False)]),
    ("tag deleted", World(resolutions={(TARGET, "image", IMG1): Resolution("missing", reason="not found")}),
     {(IMAGE0, "GONE")}, [("m", "v0", False)]),
    ("registry denied: no finding", World(resolutions={(TARGET, "image", IMG1): Resolution("denied", reason="x")}),
     set(), [("m", "v0", False)]),
    ("not resolved this pass", World(resolutions={}), set(), [("m", "v0", False)]),
    ("resolved for another target only", World(resolutions={("other", "image", IMG1): Resolution("ok", D2)}),
     set(), [("m", "v0", False)]),
    ("deployment never resolved the image",
     World(running={"v0": [deployed_image(digest=None)]}, resolutions={(TARGET, "image", IMG1): Resolution("ok", D2)}),
     set(), [("m", "v0", False)]),
    ("second variant stale",
     World(configs={"c": ([("v0", "m"), ("v1", "n")], [])},
           running={"v0": [deployed_image()], "v1": [deployed_image()]},
           models={"m": (BEFORE, [IMG1]), "n": (AFTER, [IMG1])}),
     {("ProductionVariants[1].ModelName", "STALE")}, [("m", "v0", False), ("n", "v1", True)]),
    ("variants matched by name, not position",
     World(configs={"c": ([("v0", "m"), ("v1", "n")], [])},
           running={"v1": [deployed_image(IMG2, D2)], "v0": [deployed_image()]},
           models={"m": (BEFORE, [IMG1]), "n": (BEFORE, [IMG2])},
           resolutions={(TARGET, "image", IMG1): Resolution("ok", D1), (TARGET, "image", IMG2): Resolution("ok", D2)}),
     set(), [("m", "v0", False), ("n", "v1", False)]),
    ("shadow variant re-created with another image",
     World(configs={"c": ([("v0", "m")], [("s0", "s")])}, shadow_running={"s0": [deployed_image(SIDE, D3)]},
           models={"m": (BEFORE, [IMG1]), "s": (AFTER, [IMG2])},
           resolutions={(TARGET, "image", IMG1): Resolution("ok", D1), (TARGET, "image", SIDE): Resolution("ok", D3)}),
     {("ShadowProductionVariants[0].ModelName", "STALE"), ("ShadowProductionVariants[0].DeployedImages[0]", "STALE")},
     [("m", "v0", False), ("s", "s0", True)]),
    ("shadow model gone", World(configs={"c": ([("v0", "m")], [("s0", "s")])}, shadow_running={"s0": []}),
     {("ShadowProductionVariants[0].ModelName", "GONE")}, [("m", "v0", False), ("s", "s0", False)]),
    ("shadow tag pushed again",
     World(configs={"c": ([("v0", "m")], [("s0", "s")])}, shadow_running={"s0": [deployed_image(SIDE, D3)]},
           models={"m": (BEFORE, [IMG1]), "s": (BEFORE, [SIDE])},
           resolutions={(TARGET, "image", IMG1): Resolution("ok", D1), (TARGET, "image", SIDE): Resolution("ok", D1)}),
     {("ShadowProductionVariants[0].DeployedImages[0]", "REPOINTED")}, [("m", "v0", False), ("s", "s0", False)]),
    ("second container of a pipeline changed",
     World(running={"v0": [deployed_image(), deployed_image(SIDE, D3)]}, models={"m": (BEFORE, [IMG1, IMG2])},
           resolutions={(TARGET, "image", IMG1): Resolution("ok", D1), (TARGET, "image", SIDE): Resolution("ok", D3)}),
     {("ProductionVariants[0].DeployedImages[1]", "STALE")}, [("m", "v0", True)]),
    ("inference-component variant names no model", World(configs={"c": ([("v0", None)], [])}), set(), []),
]


@pytest.mark.parametrize(("world", "expected", "expected_served"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_findings(world: World, expected: set[tuple[str, str]], expected_served: list[tuple[str, str, bool]]) -> None:
    """Each world gives exactly these chain findings (path, type) and these served-by entries."""
    outcome = world.judge()
    assert (expected, expected_served, ()) == (found(outcome), served(outcome), outcome.notes)


def test_model_package_container_is_not_stale() -> None:
    """A container that names a model package has no Image of its own (the package's image is deployed): no
    STALE is invented from a missing image."""
    world = World(models={"m": (BEFORE, [{"ModelPackageName": "pkg/1"}])})
    assert (set(), [("m", "v0", False)]) == (found(world.judge()), served(world.judge()))


def test_config_newer_than_the_deployment_is_not_what_runs() -> None:
    """The endpoint's config was re-created after the deployment, naming model n: the endpoint never ran n, so no
    finding may name n and n is not served by it."""
    world = World(config_created=AFTER, configs={"c": ([("v0", "n")], [])}, models={"n": (AFTER, [IMG2])})
    outcome = world.judge()
    assert ([], []) == ([d.message for d in outcome.differences if " n " in (d.message or "")], served(outcome))


NOT_IN_SERVICE = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting", "Failed", "OutOfService",
                  "UpdateRollbackFailed")
NOTES: list[tuple[str, World, str]] = [
    ("config unreadable", World(unreadable={"c": "AccessDeniedException: no"}),
     "EndpointConfigName: c could not be read: AccessDeniedException: no"),
    ("model unreadable", World(unreadable={"m": "AccessDeniedException: no"}),
     "ProductionVariants[0].ModelName: m could not be read: AccessDeniedException: no"),
    *[(f"status {status}", World(status=status, models={"m": (AFTER, [IMG2])}, configs={}),
       f"EndpointStatus is {status}: the serving chain is checked for InService endpoints only")
      for status in NOT_IN_SERVICE],
]


@pytest.mark.parametrize(("world", "note"), [n[1:] for n in NOTES], ids=[n[0] for n in NOTES])
def test_notes(world: World, note: str) -> None:
    """What could not be judged is a note, never a finding: unreadable configs or models, and endpoints that are
    not InService (even with a gone config and a re-created model)."""
    outcome = world.judge()
    assert (set(), (note,)) == (found(outcome), outcome.notes)


def test_not_in_service_still_serves_but_resolves_nothing() -> None:
    """An endpoint that is not InService is judged by nobody, but it still serves its config's models (SPEC §9:
    served_by lists every endpoint read), and it asks the resolver for no image."""
    world = World(status="Updating")
    assert ([("m", "v0", False)], []) == (served(world.judge()), deployed_refs(world.endpoint()))


def test_deployed_refs_are_every_deployed_image_at_its_path() -> None:
    """The images an InService endpoint deployed, production and shadow, each at its variant and position."""
    world = World(running={"v0": [deployed_image(), deployed_image(SIDE, D3)]},
                  shadow_running={"s0": [deployed_image(IMG2, D2)]})
    assert [("image", IMG1, ("ProductionVariants", 0, "DeployedImages", 0)),
            ("image", SIDE, ("ProductionVariants", 0, "DeployedImages", 1)),
            ("image", IMG2, ("ShadowProductionVariants", 0, "DeployedImages", 0))] == [
        (r.type, r.value, r.path) for r in deployed_refs(world.endpoint())]


MESSAGES = [
    (World(configs={}), "EndpointConfigName",
     "endpoint e uses endpoint config c, which no longer exists: its next scale-out or update cannot reuse it"),
    (World(models={}), "ProductionVariants[0].ModelName",
     "endpoint e runs model m, which no longer exists: its next scale-out or update cannot start it"),
    (World(models={"m": (AFTER, [IMG1])}), "ProductionVariants[0].ModelName",
     "endpoint e runs m as it was before it was re-created at 2026-03-01 13:00 UTC; the next deployment will "
     "change what it serves"),
    (World(models={"m": (BEFORE, [IMG2])}), IMAGE0,
     f"endpoint e runs image {IMG1}, but model m now names {IMG2}; the next deployment will change what it serves"),
    (World(resolutions={(TARGET, "image", IMG1): Resolution("ok", D2)}), IMAGE0,
     f"tag svc:1.0 now points to {D2[:19]}…; endpoint e runs {D1[:19]}…, and its next scale-out or deployment "
     "would run the new image"),
    (World(resolutions={(TARGET, "image", IMG1): Resolution("missing")}), IMAGE0,
     "svc:1.0, which endpoint e runs, no longer exists in ECR: a scale-out cannot pull it"),
]


@pytest.mark.parametrize(("world", "path", "message"), MESSAGES, ids=[m[2][:40] for m in MESSAGES])
def test_messages_say_what_runs_and_what_happens_next(world: World, path: str, message: str) -> None:
    """Each finding carries one sentence for the on-call engineer: endpoint, model or image, when, and what the
    next deployment or scale-out would do."""
    assert [message] == [d.message for d in world.judge().differences if d.path == path]


VALUES = [
    (World(configs={}), "EndpointConfigName", ("c", None)),
    (World(models={}), "ProductionVariants[0].ModelName", ("m", None)),
    (World(models={"m": (AFTER, [IMG1])}), "ProductionVariants[0].ModelName", (DEPLOYED.isoformat(),
                                                                               AFTER.isoformat())),
    (World(models={"m": (BEFORE, [IMG2])}), IMAGE0, (IMG1, IMG2)),
    (World(resolutions={(TARGET, "image", IMG1): Resolution("ok", D2)}), IMAGE0, (D1, D2)),
    (World(resolutions={(TARGET, "image", IMG1): Resolution("missing")}), IMAGE0, (D1, None)),
]


@pytest.mark.parametrize(("world", "path", "values"), VALUES, ids=[f"{v[1]}-{i}" for i, v in enumerate(VALUES)])
def test_expected_is_what_runs_and_actual_what_is_there_now(world: World, path: str, values: tuple[Any, Any]) -> None:
    """`expected` is the baseline the endpoint deployed (config, model, time, image, digest) and `actual` what is
    live now (None when gone); each finding is critical with baseline `{"from": "endpoint", "name": "e"}`."""
    (diff,) = [d for d in world.judge().differences if d.path == path]
    assert (values, Severity.CRITICAL, Baseline("endpoint", name="e")) == (
        (diff.expected, diff.actual), diff.severity, diff.baseline)


offsets = st.integers(min_value=-600, max_value=600)


@given(created=offsets, bump=st.integers(min_value=0, max_value=10_000))
def test_weights_update_never_changes_the_verdict(created: int, bump: int) -> None:
    """Whatever the model's creation time, bumping LastModifiedTime (a weights-and-capacity update) after the
    deployment neither hides nor invents a STALE: STALE exactly when the model is newer than ResolutionTime."""
    model_time = DEPLOYED + timedelta(seconds=created)
    base = World(models={"m": (model_time, [IMG1])})
    bumped = World(models={"m": (model_time, [IMG1])}, modified=DEPLOYED + timedelta(seconds=bump))
    expected = {STALE_M} if created > 0 else set()
    assert (expected, expected) == (found(base.judge()), found(bumped.judge()))


@given(status=st.text(max_size=12).filter(lambda s: s != "InService"), created=offsets, gone=st.booleans())
def test_only_in_service_endpoints_are_judged(status: str, created: int, gone: bool) -> None:
    """An endpoint in any other status never has a chain finding (it serves its config's models, never stale),
    only its note."""
    world = World(status=status, models={} if gone else {"m": (DEPLOYED + timedelta(seconds=created), [IMG2])})
    outcome = world.judge()
    assert ((), [("m", "v0", False)]) == (outcome.differences, served(outcome))
    assert 1 == len(outcome.notes)


def test_every_finding_is_critical_and_names_its_endpoint() -> None:
    """Across every table case, chain findings are critical, typed GONE/STALE/REPOINTED, from the endpoint."""
    kinds = {DiffType.GONE, DiffType.STALE, DiffType.REPOINTED}
    bad = [(name, d.path) for name, world, _e, _s in CASES for d in world.judge().differences
           if (d.severity, d.baseline, d.type in kinds, bool(d.message)) != (
               Severity.CRITICAL, Baseline("endpoint", name="e"), True, True)]
    assert [] == bad


def test_served_by_is_a_served_by_value() -> None:
    """served pairs a model name with ServedBy(endpoint, variant, stale)."""
    assert (("m", ServedBy("e", "v0", stale=True)),) == World(models={"m": (AFTER, [IMG1])}).judge().served
