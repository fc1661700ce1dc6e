"""SPEC §8 end to end: what models point at (ECR image tags, S3 objects and prefixes) and the lock file.

Every test runs the real CLI as a subprocess (`drift check --format json`, `drift lock`) against the
embedded AWS, through the fault proxy, which counts the ECR and S3 calls and injects AccessDenied and
timeouts. The world changes behind the models' backs, as it does in production: a tag pushed again,
an object overwritten in place, a prefix that gains a file, an image or artifact deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.aws_world import OTHER_ACCOUNT, Aws
from tests.helpers import by_name
from tests.integrity_support import (
    Scene,
    declared_line,
    findings,
    identity,
    model,
    object_source,
    pinned,
    prefix_source,
)
from tests.proxy import Fault, FaultProxy


@pytest.fixture
def scene(aws: Aws, proxy: FaultProxy, tmp_path: Path) -> Scene:
    return Scene(aws, proxy, tmp_path)


def first_seen(report: dict[str, Any]) -> dict[str, Any]:
    """The baseline a finding carries when the pass of ``report`` recorded it."""
    return {"from": "first-seen", "at": report["started_at"]}


# -- the acceptance world ------------------------------------------------------------------------------------

def test_acceptance_world_first_pass_in_sync_then_every_change_found(scene: Scene) -> None:
    """A world declared exactly is all IN_SYNC with `resolved` filled; then a tag pushed again, an artifact
    overwritten, a prefix that gains a file, an artifact and a pinned image deleted are each reported with
    the right type, path, baseline, expected and actual, exit 2; models sharing the repository are untouched,
    and each pass makes one BatchGetImage per repository and one HeadObject per distinct object."""
    fraud31, d31 = scene.push("fraud", "3.1", "fraud-3.1")
    fraud32, d32 = scene.push("fraud", "3.2", "fraud-3.2")
    _, d_rank = scene.push("ranker", "build-7", "ranker-7")
    steady_uri, weights_uri = "s3://ml-artifacts/shared/model.tar.gz", "s3://ml-artifacts/fraud/model.tar.gz"
    plain_uri, shards_uri = "s3://ml-plain/ranker/model.tar.gz", "s3://ml-artifacts/llm/"
    steady = identity(*scene.put(steady_uri, b"shared weights", versioned=True), 14)
    weights = identity(*scene.put(weights_uri, b"fraud weights v1", versioned=True), 16)
    plain = identity(*scene.put(plain_uri, b"ranker weights"), 14)
    scene.put(shards_uri + "a.safetensors", b"shard a", versioned=True)
    scene.put(shards_uri + "b.safetensors", b"shard b", versioned=True)
    scene.create(
        model("repointed", fraud31, ModelDataUrl=steady_uri),
        model("same-repo", fraud32, ModelDataUrl=steady_uri),
        model("overwritten", fraud32, ModelDataUrl=weights_uri),
        model("gone-artifact", fraud32, ModelDataUrl=plain_uri),
        model("gone-image", pinned("ranker", d_rank), ModelDataUrl=steady_uri),
        model("prefix", fraud32, ModelDataSource=prefix_source(shards_uri)),
    )

    first, report1, calls1 = scene.counted()

    assert 0 == first.returncode, first.stderr
    models = by_name(report1)
    assert dict.fromkeys(models, "IN_SYNC") == {name: m["status"] for name, m in models.items()}
    assert {
        "repointed": {"PrimaryContainer.Image": d31, "PrimaryContainer.ModelDataUrl": steady},
        "same-repo": {"PrimaryContainer.Image": d32, "PrimaryContainer.ModelDataUrl": steady},
        "overwritten": {"PrimaryContainer.Image": d32, "PrimaryContainer.ModelDataUrl": weights},
        "gone-artifact": {"PrimaryContainer.Image": d32, "PrimaryContainer.ModelDataUrl": plain},
        "gone-image": {"PrimaryContainer.Image": d_rank, "PrimaryContainer.ModelDataUrl": steady},
    } == {name: m["resolved"] for name, m in models.items() if name != "prefix"}
    shards_before = models["prefix"]["resolved"]["PrimaryContainer.ModelDataSource.S3DataSource.S3Uri"]
    assert (d32, 2) == (models["prefix"]["resolved"]["PrimaryContainer.Image"], shards_before["count"])
    assert {"ecr.BatchGetImage": 2, "s3.HeadObject": 3, "s3.ListObjectsV2": 1} == {
        op: n for op, n in calls1.items() if op.startswith(("ecr.", "s3."))}

    _, d31_new = scene.push("fraud", "3.1", "fraud-3.1-hotfix")
    weights_new = identity(*scene.put(weights_uri, b"fraud weights v2!", versioned=True), 17)
    scene.put(shards_uri + "c.safetensors", b"shard c", versioned=True)
    scene.delete_object(plain_uri)
    scene.delete_image("ranker", digest=d_rank)

    second, report2, calls2 = scene.counted()

    assert 2 == second.returncode, second.stderr
    models = by_name(report2)
    shards_after = models["prefix"]["resolved"]["PrimaryContainer.ModelDataSource.S3DataSource.S3Uri"]
    baseline = first_seen(report1)

    def found(name: str, key: str, kind: str, expected: Any, actual: Any, **extra: Any) -> dict[str, Any]:
        path = {"Image": "PrimaryContainer.Image", "ModelDataUrl": "PrimaryContainer.ModelDataUrl",
                "S3Uri": "PrimaryContainer.ModelDataSource.S3DataSource.S3Uri"}[key]
        return {"path": path, "type": kind, "expected": expected, "actual": actual, "severity": "critical",
                "source": {"file": "models.yaml", "line": declared_line(scene.dir, name, key)},
                "baseline": baseline, **extra}

    expected = {
        "repointed": [found("repointed", "Image", "REPOINTED", d31, d31_new)],
        "overwritten": [found("overwritten", "ModelDataUrl", "OVERWRITTEN", weights, weights_new)],
        "gone-artifact": [found("gone-artifact", "ModelDataUrl", "GONE", plain, None)],
        "gone-image": [found("gone-image", "Image", "GONE", d_rank, None)],
        "prefix": [found("prefix", "S3Uri", "OVERWRITTEN", shards_before, shards_after,
                         detail={"added": 1, "removed": 0, "changed": 0, "keys": ["c.safetensors"]})],
        "same-repo": [],
    }
    assert expected == {name: [{k: v for k, v in d.items() if k != "message"} for d in m["differences"]]
                        for name, m in models.items()}
    assert {name: ("IN_SYNC" if name == "same-repo" else "MODIFIED") for name in models} == {
        name: m["status"] for name, m in models.items()}
    assert {"modified": 5, "in_sync": 1} == {k: report2["summary"][k] for k in ("modified", "in_sync")}
    assert {"ecr.BatchGetImage": 2, "s3.HeadObject": 3, "s3.ListObjectsV2": 1} == {
        op: n for op, n in calls2.items() if op.startswith(("ecr.", "s3."))}


# -- one change at a time ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """A model whose references resolve, something done to the world behind it, and what must be found."""

    spec: dict[str, Any]
    change: Callable[[], Any]
    expected: list[tuple[str, str]]
    #: For a prefix: the counts of added, removed and changed keys, and every key concerned.
    counts: tuple[int, int, int] | None = None
    keys: frozenset[str] = frozenset()


def _repushed_tag(s: Scene) -> Change:
    image, _ = s.push("svc", "1.0", "svc-a")
    return Change(model("m", image), lambda: s.push("svc", "1.0", "svc-b"),
                  [("PrimaryContainer.Image", "REPOINTED")])


def _pipeline_latest_pushed_again(s: Scene) -> Change:
    first, _ = s.push("pre", "2.0", "pre-a")
    second, _ = s.push("svc", "latest", "svc-a")
    spec = {"ModelName": "m", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/inference",
            "Containers": [{"Image": first}, {"Image": second.removesuffix(":latest")}]}
    return Change(spec, lambda: s.push("svc", "latest", "svc-b"), [("Containers[1].Image", "REPOINTED")])


def _other_account_registry(s: Scene) -> Change:
    image, _ = s.push("shared", "gpu", "shared-a", account=OTHER_ACCOUNT)
    return Change(model("m", image), lambda: s.push("shared", "gpu", "shared-b", account=OTHER_ACCOUNT),
                  [("PrimaryContainer.Image", "REPOINTED")])


def _other_region_registry(s: Scene) -> Change:
    image, _ = s.push("svc", "1.0", "svc-eu-a", region="eu-west-1")
    s.push("svc", "1.0", "svc-us")  # the same repository and tag in the model's own region: never consulted
    return Change(model("m", image), lambda: s.push("svc", "1.0", "svc-eu-b", region="eu-west-1"),
                  [("PrimaryContainer.Image", "REPOINTED")])


def _same_manifest_pushed_again(s: Scene) -> Change:
    image, _ = s.push("svc", "1.0", "svc-a")
    return Change(model("m", image), lambda: s.push("svc", "1.0", "svc-a"), [])


def _deleted_tag(s: Scene) -> Change:
    image, _ = s.push("svc", "1.0", "svc-a")
    return Change(model("m", image), lambda: s.delete_image("svc", tag="1.0"), [("PrimaryContainer.Image", "GONE")])


def _deleted_repository(s: Scene) -> Change:
    image, _ = s.push("svc", "1.0", "svc-a")
    return Change(model("m", image), lambda: s.delete_repository("svc"), [("PrimaryContainer.Image", "GONE")])


def _pinned_deleted(s: Scene) -> Change:
    _, digest = s.push("svc", "1.0", "svc-a")
    return Change(model("m", pinned("svc", digest)), lambda: s.delete_image("svc", digest=digest),
                  [("PrimaryContainer.Image", "GONE")])


def _pinned_while_its_tag_moves(s: Scene) -> Change:
    _, digest = s.push("svc", "1.0", "svc-a")
    return Change(model("m", pinned("svc", digest)), lambda: s.push("svc", "1.0", "svc-b"), [])


def _artifact(s: Scene, body: bytes, *, versioned: bool, how: str = "ModelDataUrl") -> tuple[dict[str, Any], str]:
    image, _ = s.push("base", "1", "base")
    uri = "s3://ml-artifacts/m/model.tar.gz"
    s.put(uri, body, versioned=versioned)
    container = {"ModelDataUrl": uri} if how == "ModelDataUrl" else {"ModelDataSource": object_source(uri)}
    return model("m", image, **container), uri


def _versioned_overwritten(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=True)
    return Change(spec, lambda: s.put(uri, b"v2", versioned=True), [("PrimaryContainer.ModelDataUrl", "OVERWRITTEN")])


def _versioned_same_bytes_new_version(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=True)
    return Change(spec, lambda: s.put(uri, b"v1", versioned=True), [("PrimaryContainer.ModelDataUrl", "OVERWRITTEN")])


def _unversioned_overwritten(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=False)
    return Change(spec, lambda: s.put(uri, b"v2-longer"), [("PrimaryContainer.ModelDataUrl", "OVERWRITTEN")])


def _unversioned_same_bytes(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=False)
    return Change(spec, lambda: s.put(uri, b"v1"), [])


def _versioned_deleted(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=True)
    return Change(spec, lambda: s.delete_object(uri), [("PrimaryContainer.ModelDataUrl", "GONE")])


def _unversioned_deleted(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=False)
    return Change(spec, lambda: s.delete_object(uri), [("PrimaryContainer.ModelDataUrl", "GONE")])


def _object_source_overwritten(s: Scene) -> Change:
    spec, uri = _artifact(s, b"v1", versioned=True, how="ModelDataSource")
    return Change(spec, lambda: s.put(uri, b"v2", versioned=True),
                  [("PrimaryContainer.ModelDataSource.S3DataSource.S3Uri", "OVERWRITTEN")])


def _additional_source_overwritten(s: Scene) -> Change:
    image, _ = s.push("base", "1", "base")
    uri = "s3://ml-artifacts/m/adapter.tar.gz"
    s.put(uri, b"adapter v1")
    extra = [{"ChannelName": "adapter", "S3DataSource": {"S3Uri": uri, "S3DataType": "S3Object",
                                                         "CompressionType": "Gzip"}}]
    return Change(model("m", image, AdditionalModelDataSources=extra), lambda: s.put(uri, b"adapter v2"),
                  [("PrimaryContainer.AdditionalModelDataSources[0].S3DataSource.S3Uri", "OVERWRITTEN")])


PREFIX = "s3://ml-artifacts/llm/"
PREFIX_PATH = "PrimaryContainer.ModelDataSource.S3DataSource.S3Uri"


def _prefix(s: Scene) -> dict[str, Any]:
    image, _ = s.push("base", "1", "base")
    for name in ("a.bin", "b.bin", "c.bin"):
        s.put(PREFIX + name, name.encode())
    return model("m", image, ModelDataSource=prefix_source(PREFIX))


def _prefix_gains(s: Scene) -> Change:
    return Change(_prefix(s), lambda: s.put(PREFIX + "d.bin", b"d"), [(PREFIX_PATH, "OVERWRITTEN")],
                  (1, 0, 0), frozenset({"d.bin"}))


def _prefix_loses(s: Scene) -> Change:
    return Change(_prefix(s), lambda: s.delete_object(PREFIX + "b.bin"), [(PREFIX_PATH, "OVERWRITTEN")],
                  (0, 1, 0), frozenset({"b.bin"}))


def _prefix_changes(s: Scene) -> Change:
    def change() -> None:
        s.put(PREFIX + "a.bin", b"a, retrained")
        s.put(PREFIX + "c.bin", b"c, retrained")
        s.put(PREFIX + "z.bin", b"z")
        s.delete_object(PREFIX + "b.bin")
    return Change(_prefix(s), change, [(PREFIX_PATH, "OVERWRITTEN")],
                  (1, 1, 2), frozenset({"z.bin", "b.bin", "a.bin", "c.bin"}))


def _prefix_gains_many(s: Scene) -> Change:
    names = frozenset(f"extra-{i:02}.bin" for i in range(12))

    def change() -> None:
        for name in names:
            s.put(PREFIX + name, name.encode())
    return Change(_prefix(s), change, [(PREFIX_PATH, "OVERWRITTEN")], (12, 0, 0), names)


def _prefix_emptied(s: Scene) -> Change:
    def change() -> None:
        for name in ("a.bin", "b.bin", "c.bin"):
            s.delete_object(PREFIX + name)
    return Change(_prefix(s), change, [(PREFIX_PATH, "GONE")])


def _multi_model_prefix_gains(s: Scene) -> Change:
    image, _ = s.push("base", "1", "base")
    s.put("s3://ml-artifacts/mme/a.tar.gz", b"a")
    spec = model("m", image, Mode="MultiModel", ModelDataUrl="s3://ml-artifacts/mme/")
    return Change(spec, lambda: s.put("s3://ml-artifacts/mme/b.tar.gz", b"b"),
                  [("PrimaryContainer.ModelDataUrl", "OVERWRITTEN")], (1, 0, 0), frozenset({"b.tar.gz"}))


CHANGES: list[tuple[str, Callable[[Scene], Change]]] = [
    ("tag pushed again", _repushed_tag),
    ("second container's tag (no tag = latest) pushed again", _pipeline_latest_pushed_again),
    ("tag in another account's registry pushed again", _other_account_registry),
    ("tag in another region's registry pushed again", _other_region_registry),
    ("same manifest pushed again", _same_manifest_pushed_again),
    ("tag deleted", _deleted_tag),
    ("repository deleted", _deleted_repository),
    ("pinned image deleted", _pinned_deleted),
    ("pinned image present while its tag moves", _pinned_while_its_tag_moves),
    ("versioned object overwritten", _versioned_overwritten),
    ("versioned object rewritten with the same bytes", _versioned_same_bytes_new_version),
    ("unversioned object overwritten", _unversioned_overwritten),
    ("unversioned object rewritten with the same bytes", _unversioned_same_bytes),
    ("versioned object deleted (delete marker)", _versioned_deleted),
    ("unversioned object deleted", _unversioned_deleted),
    ("ModelDataSource S3Object overwritten", _object_source_overwritten),
    ("AdditionalModelDataSources object overwritten", _additional_source_overwritten),
    ("prefix gains a key", _prefix_gains),
    ("prefix loses a key", _prefix_loses),
    ("prefix keys added, removed and changed", _prefix_changes),
    ("prefix gains twelve keys (ten named)", _prefix_gains_many),
    ("prefix emptied", _prefix_emptied),
    ("multi-model prefix gains a model", _multi_model_prefix_gains),
]


@pytest.mark.parametrize("build", [b for _, b in CHANGES], ids=[i for i, _ in CHANGES])
def test_each_change_behind_a_reference(scene: Scene, build: Callable[[Scene], Change]) -> None:
    """One change behind one model's reference: the first pass is IN_SYNC; the second reports exactly the
    expected (path, type), with `expected` the first pass's resolution and `actual` the second's (null when
    GONE), a first-seen baseline, for a prefix the `detail` counts and up to ten of the keys, and exit 2
    (exit 0 when nothing really changed)."""
    case = build(scene)
    scene.create(case.spec)
    first, report1 = scene.check()
    assert (0, "IN_SYNC") == (first.returncode, report1["models"][0]["status"]), first.stdout
    resolved1 = report1["models"][0]["resolved"]

    case.change()
    second, report2 = scene.check()

    entry = report2["models"][0]
    assert case.expected == findings(entry)
    assert (2 if case.expected else 0) == second.returncode, second.stderr
    for difference in entry["differences"]:
        path = difference["path"]
        actual = None if difference["type"] == "GONE" else entry["resolved"][path]
        assert (resolved1[path], actual, first_seen(report1), "critical") == (
            difference["expected"], difference["actual"], difference["baseline"], difference["severity"])
        detail = difference.get("detail")
        if case.counts is None:
            assert detail is None
            continue
        assert case.counts == (detail["added"], detail["removed"], detail["changed"])
        assert (min(10, len(case.keys)), True) == (len(detail["keys"]), set(detail["keys"]) <= case.keys)


# -- baselines: re-created models, nothing to judge against -------------------------------------------------

def test_recreated_model_starts_a_new_baseline(scene: Scene) -> None:
    """A tag moved and the model re-created with the same content before the next pass: the new incarnation
    starts a new first-seen baseline (IN_SYNC, `recreated`), never a false REPOINTED; a later move of the
    tag is judged against the new baseline."""
    image, d1 = scene.push("svc", "1.0", "svc-a")
    spec = model("svc", image)
    scene.create(spec)
    _, report1 = scene.check()
    assert d1 == report1["models"][0]["resolved"]["PrimaryContainer.Image"]

    _, d2 = scene.push("svc", "1.0", "svc-b")
    scene.recreate(spec)
    second, report2 = scene.check()

    entry = report2["models"][0]
    assert (0, "IN_SYNC", True, [], d2) == (second.returncode, entry["status"], entry["recreated"],
                                            entry["differences"], entry["resolved"]["PrimaryContainer.Image"])
    third, _ = scene.check()
    assert 0 == third.returncode

    _, d3 = scene.push("svc", "1.0", "svc-c")
    fourth, report4 = scene.check()
    difference = report4["models"][0]["differences"][0]
    assert (2, "REPOINTED", d2, d3, first_seen(report2)) == (
        fourth.returncode, difference["type"], difference["expected"], difference["actual"], difference["baseline"])


def test_without_lock_or_state_references_are_shown_never_judged(scene: Scene) -> None:
    """Without a lock entry and without state.path, references are resolved and shown in `resolved` but
    never judged: a tag pushed again is no finding, the new digest is shown, exit 0."""
    image, d1 = scene.push("svc", "1.0", "svc-a")
    scene.put("s3://ml-artifacts/m.tar.gz", b"v1")
    scene.create(model("svc", image, ModelDataUrl="s3://ml-artifacts/m.tar.gz"))
    scene.configure(state={"path": None})
    _, report1 = scene.check()
    assert d1 == report1["models"][0]["resolved"]["PrimaryContainer.Image"]

    _, d2 = scene.push("svc", "1.0", "svc-b")
    etag, _ = scene.put("s3://ml-artifacts/m.tar.gz", b"v2, retrained")
    second, report2 = scene.check()

    entry = report2["models"][0]
    assert (0, "IN_SYNC", [], {"PrimaryContainer.Image": d2, "PrimaryContainer.ModelDataUrl": identity(etag, None, 13)},
            False) == (second.returncode, entry["status"], entry["differences"], entry["resolved"],
                       (scene.dir / "state.db").exists())


@dataclass(frozen=True)
class Absent:
    """A model naming something that does not exist (yet), and how to make it exist."""

    spec: dict[str, Any]
    path: str
    reference: str
    reason: str
    create: Callable[[], Any] | None


def _absent_tag(s: Scene) -> Absent:
    image = s.push("svc", "1.0", "a")[0].replace(":1.0", ":2.0")
    return Absent(model("m", image), "PrimaryContainer.Image", image, "not found", lambda: s.push("svc", "2.0", "b"))


def _absent_repository(s: Scene) -> Absent:
    image = s.push("svc", "1.0", "a")[0].replace("/svc:", "/nothing:")
    return Absent(model("m", image), "PrimaryContainer.Image", image, "not found",
                  lambda: s.push("nothing", "1.0", "b"))


def _absent_digest(s: Scene) -> Absent:
    s.push("svc", "1.0", "a")
    image = pinned("svc", "sha256:" + "0" * 64)
    return Absent(model("m", image), "PrimaryContainer.Image", image, "not found", None)


def _absent_object(s: Scene) -> Absent:
    s.put("s3://ml-artifacts/other.tar.gz", b"other")
    uri = "s3://ml-artifacts/m.tar.gz"
    return Absent(model("m", s.push("base", "1", "a")[0], ModelDataUrl=uri), "PrimaryContainer.ModelDataUrl", uri,
                  "not found", lambda: s.put(uri, b"v1"))


def _absent_bucket(s: Scene) -> Absent:
    uri = "s3://no-such-bucket/m.tar.gz"
    return Absent(model("m", s.push("base", "1", "a")[0], ModelDataUrl=uri), "PrimaryContainer.ModelDataUrl", uri,
                  "not found", lambda: s.put(uri, b"v1"))


def _empty_prefix(s: Scene) -> Absent:
    s.put("s3://ml-artifacts/other/a.bin", b"other")
    uri = "s3://ml-artifacts/llm/"
    return Absent(model("m", s.push("base", "1", "a")[0], ModelDataSource=prefix_source(uri)), PREFIX_PATH, uri,
                  "no object under this prefix", lambda: s.put(uri + "a.bin", b"a"))


NOT_FOUND: list[tuple[str, Callable[[Scene], Absent]]] = [
    ("tag not in the repository", _absent_tag),
    ("repository does not exist", _absent_repository),
    ("pinned digest does not exist", _absent_digest),
    ("object not in the bucket", _absent_object),
    ("bucket does not exist", _absent_bucket),
    ("prefix holds nothing", _empty_prefix),
]


@pytest.mark.parametrize("build", [b for _, b in NOT_FOUND], ids=[i for i, _ in NOT_FOUND])
def test_not_found_without_baseline_is_a_note_never_drift(scene: Scene, build: Callable[[Scene], Absent]) -> None:
    """A reference that has no baseline and cannot be found is an `unverified` note naming it, never drift
    (exit 0, IN_SYNC); once it exists it is resolved and shown, and its appearing is no finding either."""
    case = build(scene)
    scene.create(case.spec)

    result, report = scene.check()

    entry = report["models"][0]
    assert (0, "IN_SYNC", [], [f"{case.path}: {case.reference}: {case.reason}"]) == (
        result.returncode, entry["status"], entry["differences"], entry["unverified"])
    assert 1 == report["summary"]["unverified"]
    assert case.path not in entry.get("resolved", {})
    if case.create is None:
        return
    case.create()
    result, report = scene.check()
    entry = report["models"][0]
    assert (0, "IN_SYNC", None, True) == (result.returncode, entry["status"], entry.get("unverified"),
                                          case.path in entry["resolved"])


@pytest.mark.parametrize("image", [
    "nginx:1.25",
    "docker.io/library/python:3.11-slim",
    "public.ecr.aws/lambda/python:3.11",
    "registry.example.com:5000/team/svc@sha256:" + "a" * 64,
])
def test_image_outside_ecr_is_a_note_even_when_denied_is_error(scene: Scene, image: str) -> None:
    """An image outside a private ECR registry is not verified: an `unverified` note, no ECR call, IN_SYNC and
    exit 0, also with integrity.denied: error (only denied or unreachable references become ERROR)."""
    scene.create(model("m", image))
    scene.configure(integrity={"denied": "error"})

    result, report, calls = scene.counted()

    entry = report["models"][0]
    assert (0, "IN_SYNC", [f"PrimaryContainer.Image: {image}: not an ECR image: not verified"]) == (
        result.returncode, entry["status"], entry["unverified"])
    assert 0 == calls["ecr.BatchGetImage"]


# -- denied and unreachable --------------------------------------------------------------------------------------

FAILURES = [
    ("ecr denied", Fault("access_denied", operation="ecr.BatchGetImage", resource="svc"),
     "PrimaryContainer.Image", "{image}: ecr:BatchGetImage denied (AccessDeniedException)"),
    ("s3 object denied", Fault("access_denied", operation="s3.HeadObject"),
     "PrimaryContainer.ModelDataUrl", "s3://ml-artifacts/m/model.tar.gz: s3:HeadObject denied (403)"),
    ("s3 prefix denied", Fault("access_denied", operation="s3.ListObjectsV2"),
     "PrimaryContainer.AdditionalModelDataSources[0].S3DataSource.S3Uri",
     "s3://ml-artifacts/m/adapters/: s3:ListObjectsV2 denied (AccessDenied)"),
    ("ecr too slow", Fault("slow", operation="ecr.BatchGetImage", delay=5),
     "PrimaryContainer.Image", "{image}: ecr:BatchGetImage unreachable (ReadTimeout)"),
    ("s3 object too slow", Fault("slow", operation="s3.HeadObject", delay=5),
     "PrimaryContainer.ModelDataUrl", "s3://ml-artifacts/m/model.tar.gz: s3:HeadObject unreachable (ReadTimeout)"),
    ("s3 prefix too slow", Fault("slow", operation="s3.ListObjectsV2", delay=5),
     "PrimaryContainer.AdditionalModelDataSources[0].S3DataSource.S3Uri",
     "s3://ml-artifacts/m/adapters/: s3:ListObjectsV2 unreachable (ReadTimeout)"),
]


def _three_references(scene: Scene) -> tuple[dict[str, Any], str]:
    """A model with an ECR image, a model artifact and an additional prefix source, all resolvable."""
    image, _ = scene.push("svc", "1.0", "svc-a")
    scene.put("s3://ml-artifacts/m/model.tar.gz", b"weights", versioned=True)
    scene.put("s3://ml-artifacts/m/adapters/a.bin", b"adapter")
    extra = [{"ChannelName": "adapters", "S3DataSource": {"S3Uri": "s3://ml-artifacts/m/adapters/",
                                                          "S3DataType": "S3Prefix", "CompressionType": "None"}}]
    spec = model("m", image, ModelDataUrl="s3://ml-artifacts/m/model.tar.gz", AdditionalModelDataSources=extra)
    return spec, image


PATHS = {"PrimaryContainer.Image", "PrimaryContainer.ModelDataUrl",
         "PrimaryContainer.AdditionalModelDataSources[0].S3DataSource.S3Uri"}


@pytest.mark.parametrize(("fault", "path", "note"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_denied_or_unreachable_is_a_note_by_default(scene: Scene, fault: Fault, path: str, note: str) -> None:
    """With integrity.denied: warn (default), a registry or bucket that denies or does not answer leaves the
    model's status as it is, with an `unverified` note naming the reference and the error; that reference is
    not in `resolved` (never reported as verified), the others are; the pass ends within bounds, exit 0."""
    spec, image = _three_references(scene)
    scene.create(spec)
    scene.configure(aws={"read_timeout": 2, "max_attempts": 2})
    scene.proxy.add(fault)

    started = time.monotonic()
    result, report = scene.check()

    entry = report["models"][0]
    assert (0, "IN_SYNC", [f"{path}: {note.format(image=image)}"]) == (
        result.returncode, entry["status"], entry["unverified"])
    assert PATHS - {path} == set(entry["resolved"])
    assert 1 == report["summary"]["unverified"]
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(("fault", "path", "note"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_denied_or_unreachable_is_an_error_when_asked(scene: Scene, fault: Fault, path: str, note: str) -> None:
    """With integrity.denied: error, the same denied or unreachable reference makes the model ERROR, its
    error naming the path, reference and AWS error, and the pass exits 1."""
    spec, image = _three_references(scene)
    scene.create(spec)
    scene.configure(aws={"read_timeout": 2, "max_attempts": 2}, integrity={"denied": "error"})
    scene.proxy.add(fault)

    result, report = scene.check()

    entry = report["models"][0]
    assert (1, "ERROR", f"integrity: {path}: {note.format(image=image)}") == (
        result.returncode, entry["status"], entry["error"])


def test_denied_after_a_baseline_is_neither_gone_nor_verified(scene: Scene) -> None:
    """A reference that resolved on an earlier pass and is denied now is not GONE and not in sync by proof:
    the model keeps its status with a note, and `resolved` leaves the reference out."""
    spec, image = _three_references(scene)
    scene.create(spec)
    first, _ = scene.check()
    assert 0 == first.returncode
    scene.proxy.add(Fault("access_denied", operation="ecr.BatchGetImage"))
    scene.proxy.add(Fault("access_denied", operation="s3.HeadObject"))

    result, report = scene.check()

    entry = report["models"][0]
    assert (0, "IN_SYNC", [], {"PrimaryContainer.AdditionalModelDataSources[0].S3DataSource.S3Uri"}) == (
        result.returncode, entry["status"], entry["differences"], set(entry["resolved"]))
    assert [f"PrimaryContainer.Image: {image}: ecr:BatchGetImage denied (AccessDeniedException)",
            "PrimaryContainer.ModelDataUrl: s3://ml-artifacts/m/model.tar.gz: s3:HeadObject denied (403)"] == entry[
        "unverified"]


# -- cost ----------------------------------------------------------------------------------------------------

def test_one_call_per_repository_and_per_distinct_object(scene: Scene) -> None:
    """Per pass: one BatchGetImage per repository whatever the number of tags, models and pinned digests in it,
    one HeadObject per distinct object however many models share it, one listing per distinct prefix."""
    images = [scene.push("svc", tag, f"svc-{tag}")[0] for tag in ("1.0", "1.1", "2.0")]
    _, digest = scene.push("svc", "old", "svc-old")
    other, _ = scene.push("ranker", "7", "ranker-7")
    objects = [f"s3://ml-artifacts/m{i}.tar.gz" for i in range(3)]
    for uri in objects:
        scene.put(uri, uri.encode())
    scene.put("s3://ml-artifacts/llm/a.bin", b"a")
    specs = [model(f"m{i}", images[i % 3], ModelDataUrl=objects[i % 3]) for i in range(7)]
    specs += [model("pin", pinned("svc", digest), ModelDataSource=prefix_source("s3://ml-artifacts/llm/")),
              model("pin-2", pinned("svc", digest), ModelDataSource=prefix_source("s3://ml-artifacts/llm/")),
              model("rank", other, ModelDataSource=object_source(objects[0]))]
    scene.create(*specs)

    for _ in range(2):
        result, _, calls = scene.counted()
        assert 0 == result.returncode, result.stderr
        assert {"ecr.BatchGetImage": 2, "s3.HeadObject": 3, "s3.ListObjectsV2": 1} == {
            op: n for op, n in calls.items() if op.startswith(("ecr.", "s3."))}


def test_at_most_one_hundred_tags_a_call(scene: Scene) -> None:
    """105 distinct tags of one repository (7 pipelines of 15 containers) take two BatchGetImage calls."""
    specs = []
    for m in range(7):
        containers = [{"Image": scene.push("svc", f"t{m}-{c}", f"svc-{m}-{c}")[0]} for c in range(15)]
        specs.append({"ModelName": f"p{m}", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/inference",
                      "Containers": containers})
    scene.create(*specs)

    result, report, calls = scene.counted()

    assert (0, 2) == (result.returncode, calls["ecr.BatchGetImage"]), result.stderr
    assert {15} == {len(m["resolved"]) for m in report["models"]}


INTEGRITY_SWITCHES = [
    ({"images": False}, {"s3.HeadObject"}, [("PrimaryContainer.ModelDataUrl", "OVERWRITTEN")]),
    ({"artifacts": False}, {"ecr.BatchGetImage"}, [("PrimaryContainer.Image", "REPOINTED")]),
    ({"images": False, "artifacts": False}, set(), []),
]


@pytest.mark.parametrize(("integrity", "services", "expected"), INTEGRITY_SWITCHES,
                         ids=["images off", "artifacts off", "both off"])
def test_integrity_switched_off_makes_no_call(scene: Scene, integrity: dict[str, bool], services: set[str],
                                             expected: list[tuple[str, str]]) -> None:
    """integrity.images: false makes no ECR call and judges no image; artifacts: false no S3 call and no
    artifact; both off neither (and nothing in `resolved`)."""
    image, _ = scene.push("svc", "1.0", "svc-a")
    scene.put("s3://ml-artifacts/m.tar.gz", b"v1", versioned=True)
    scene.create(model("m", image, ModelDataUrl="s3://ml-artifacts/m.tar.gz"))
    scene.configure(integrity=integrity)
    _, report1, calls1 = scene.counted()
    scene.push("svc", "1.0", "svc-b")
    scene.put("s3://ml-artifacts/m.tar.gz", b"v2", versioned=True)

    result, report2, calls2 = scene.counted()

    assert services == {op for op in calls1 + calls2 if op.startswith(("ecr.", "s3."))}
    assert expected == findings(report2["models"][0])
    assert (2 if expected else 0) == result.returncode
    shown = {"ecr.BatchGetImage": "PrimaryContainer.Image", "s3.HeadObject": "PrimaryContainer.ModelDataUrl"}
    assert {shown[s] for s in services} == set(report1["models"][0].get("resolved", {}))


# -- what people read ------------------------------------------------------------------------------------------

def test_text_output_says_what_the_tag_points_to(scene: Scene) -> None:
    """The text report says, in one line per finding, that the tag now points to another digest and what it
    was when first seen (digests shortened), with the declaring file and line."""
    image, d1 = scene.push("fraud", "3.1", "fraud-a")
    scene.create(model("fraud-v3", image))
    _, report1 = scene.check()
    _, d2 = scene.push("fraud", "3.1", "fraud-b")

    result = scene.run("check", "--format", "text")

    line = (f"    ! PrimaryContainer.Image: tag fraud:3.1 now points to {d2[:19]}…, was {d1[:19]}… when first seen "
            f"{report1['started_at'][:10]}  [critical]  (models.yaml:{declared_line(scene.dir, 'fraud-v3', 'Image')})")
    assert 2 == result.returncode
    assert line in result.stdout.splitlines(), result.stdout


def test_text_output_for_a_gone_artifact_reads_as_a_sentence(scene: Scene) -> None:
    """A deleted artifact's line names its URI and what it was (its ETag), not a Python dict's repr."""
    image, _ = scene.push("base", "1", "base")
    etag, _ = scene.put("s3://ml-artifacts/m.tar.gz", b"v1")
    scene.create(model("m", image, ModelDataUrl="s3://ml-artifacts/m.tar.gz"))
    scene.check()
    scene.delete_object("s3://ml-artifacts/m.tar.gz")

    result = scene.run("check", "--format", "text")

    line = next(x for x in result.stdout.splitlines() if "PrimaryContainer.ModelDataUrl" in x)
    assert (True, True, False) == ("s3://ml-artifacts/m.tar.gz no longer exists" in line,
                                   etag.strip('"')[:8] in line, "{'" in line), line


def test_text_output_for_an_artifact_overwritten_since_locked(scene: Scene) -> None:
    """An artifact overwritten after it was locked says so in a sentence naming the lock file and line."""
    _locked_world(scene)
    assert 0 == scene.run("lock").returncode
    scene.put("s3://ml-artifacts/svc.tar.gz", b"svc v2", versioned=True)

    result = scene.run("check", "--format", "text")

    line = next(x for x in result.stdout.splitlines() if "PrimaryContainer.ModelDataUrl" in x)
    where = f"drift.lock.yaml:{scene.lock_line('svc', 'PrimaryContainer.ModelDataUrl')}"
    assert (True, False) == (where in line, "since in the lock file" in line), line


# -- the lock file ----------------------------------------------------------------------------------------------

def _locked_world(scene: Scene) -> dict[str, str]:
    """Two models: an image tag, a versioned object and a prefix; returns the first digests by tag."""
    a, d_a = scene.push("svc", "1.0", "svc-a")
    b, d_b = scene.push("ranker", "7", "ranker-a")
    scene.put("s3://ml-artifacts/svc.tar.gz", b"svc v1", versioned=True)
    scene.put("s3://ml-artifacts/llm/a.bin", b"a")
    scene.create(model("svc", a, ModelDataUrl="s3://ml-artifacts/svc.tar.gz"),
                 model("ranker", b, ModelDataSource=prefix_source("s3://ml-artifacts/llm/")))
    return {"svc": d_a, "ranker": d_b}


def test_lock_is_byte_stable_and_matches_what_check_resolves(scene: Scene) -> None:
    """`drift lock` writes, per model and path, the declared reference and what it resolved to (as `check`
    shows it in `resolved`); run again it leaves the file untouched, and declaring the models in another order
    gives the same bytes."""
    _locked_world(scene)
    _, report = scene.check()

    written = scene.run("lock")
    text = scene.lock_text()
    mtime = (scene.dir / "drift.lock.yaml").stat().st_mtime_ns
    again = scene.run("lock")
    scene.declare(*reversed(scene.specs))
    reordered = scene.run("lock")

    assert (0, "drift.lock.yaml: written; 4 references locked\n") == (written.returncode, written.stdout)
    assert (0, "drift.lock.yaml: unchanged; 4 references locked\n") == (again.returncode, again.stdout)
    assert (0, text, mtime) == (reordered.returncode, scene.lock_text(),
                                (scene.dir / "drift.lock.yaml").stat().st_mtime_ns)
    declared = {s["ModelName"]: s["PrimaryContainer"] for s in scene.specs}
    resolved = by_name(report)
    locked = yaml.safe_load(text)
    # A prefix also keeps its objects (key, ETag, size), so a later change names the keys (SPEC §8).
    objects = {k: {"etag": v["etag"], "size": v["size"]} for k, v in locked["models"][0]["references"][
        "PrimaryContainer.ModelDataSource.S3DataSource.S3Uri"].pop("objects").items()}
    assert ["a.bin"] == sorted(objects)
    assert {"version": 1, "models": [
        {"name": name, "references": {
            path: {"reference": (declared[name]["Image"] if path.endswith("Image") else
                                 declared[name].get("ModelDataUrl") or "s3://ml-artifacts/llm/"),
                   **({"digest": value} if isinstance(value, str) else
                      {k: v for k, v in value.items() if v is not None})}
            for path, value in sorted(resolved[name]["resolved"].items())}}
        for name in ("ranker", "svc")]} == locked
    assert text.startswith("# Written by `drift lock`")


def test_lock_entries_are_the_baseline(scene: Scene) -> None:
    """Once locked, the lock file's entries are the baseline (`from: lock` with the file and the entry's
    line), winning over first-seen: a tag locked after it moved is in sync, and moving it again is REPOINTED
    against the locked digest; an overwritten artifact is OVERWRITTEN against the locked identity."""
    first = _locked_world(scene)
    scene.check()
    _, d_locked = scene.push("svc", "1.0", "svc-b")
    assert 0 == scene.run("lock").returncode
    in_sync, report = scene.check()
    assert (0, []) == (in_sync.returncode, by_name(report)["svc"]["differences"]), first

    _, d_new = scene.push("svc", "1.0", "svc-c")
    scene.put("s3://ml-artifacts/svc.tar.gz", b"svc v2", versioned=True)
    result, report = scene.check()

    svc = by_name(report)["svc"]
    lock_of = {p: {"from": "lock", "file": "drift.lock.yaml", "line": scene.lock_line("svc", p)}
               for p in ("PrimaryContainer.Image", "PrimaryContainer.ModelDataUrl")}
    assert 2 == result.returncode
    assert [("PrimaryContainer.Image", "REPOINTED", d_locked, d_new, lock_of["PrimaryContainer.Image"]),
            ("PrimaryContainer.ModelDataUrl", "OVERWRITTEN", lock_of["PrimaryContainer.ModelDataUrl"])] == [
        (d["path"], d["type"], d["expected"], d["actual"], d["baseline"]) if d["type"] == "REPOINTED"
        else (d["path"], d["type"], d["baseline"]) for d in svc["differences"]]
    assert [] == by_name(report)["ranker"]["differences"]
    text = scene.run("check", "--format", "text").stdout
    assert (f"    ! PrimaryContainer.Image: tag svc:1.0 now points to {d_new[:19]}…, was {d_locked[:19]}… in the lock "
            f"file (drift.lock.yaml:{scene.lock_line('svc', 'PrimaryContainer.Image')})") in text


def test_lock_is_the_baseline_without_state(scene: Scene) -> None:
    """Without state.path the lock file alone is the baseline: a locked tag pushed again is REPOINTED, a
    locked prefix that gains a file OVERWRITTEN, a locked object deleted GONE, each against the locked value."""
    digests = _locked_world(scene)
    scene.configure(state={"path": None})
    _, report1 = scene.check()
    assert 0 == scene.run("lock").returncode
    _, d_new = scene.push("ranker", "7", "ranker-b")
    scene.put("s3://ml-artifacts/llm/b.bin", b"b")
    scene.delete_object("s3://ml-artifacts/svc.tar.gz")

    result, report = scene.check()

    before, after = by_name(report1), by_name(report)
    shards = "PrimaryContainer.ModelDataSource.S3DataSource.S3Uri"
    assert 2 == result.returncode
    assert {
        "ranker": [("PrimaryContainer.Image", "REPOINTED", digests["ranker"], d_new),
                   (shards, "OVERWRITTEN", before["ranker"]["resolved"][shards], after["ranker"]["resolved"][shards])],
        "svc": [("PrimaryContainer.ModelDataUrl", "GONE", before["svc"]["resolved"]["PrimaryContainer.ModelDataUrl"],
                 None)],
    } == {name: [(d["path"], d["type"], d["expected"], d["actual"]) for d in m["differences"]]
          for name, m in after.items()}
    assert {"lock"} == {d["baseline"]["from"] for m in after.values() for d in m["differences"]}


def test_prefix_overwritten_since_locked_has_its_detail(scene: Scene) -> None:
    """SPEC §8: an OVERWRITTEN prefix carries the counts of added, removed and changed keys, also when its
    baseline is the lock file."""
    _locked_world(scene)
    assert 0 == scene.run("lock").returncode
    scene.put("s3://ml-artifacts/llm/b.bin", b"b")

    _, report = scene.check()

    difference = by_name(report)["ranker"]["differences"][0]
    assert ("OVERWRITTEN", "lock", {"added": 1, "removed": 0, "changed": 0, "keys": ["b.bin"]}) == (
        difference["type"], difference["baseline"]["from"], difference.get("detail"))


def test_lock_check_catches_a_changed_desired_image(scene: Scene) -> None:
    """`drift lock --check` exits 0 while the lock file matches the desired state and 1, naming the entry and
    its line, once a desired image changes; `drift validate` warns of the stale entry and exits 0; neither
    calls AWS; `drift lock` brings the file up to date again."""
    _locked_world(scene)
    assert 0 == scene.run("lock").returncode
    up_to_date = scene.run("lock", "--check")
    new_image, _ = scene.push("svc", "2.0", "svc-2")
    old_image = scene.specs[0]["PrimaryContainer"]["Image"]
    line = scene.lock_line("svc", "PrimaryContainer.Image")
    scene.specs[0]["PrimaryContainer"]["Image"] = new_image
    scene.declare(*scene.specs)
    calls = scene.proxy.total()

    stale = scene.run("lock", "--check")
    validated = scene.run("validate")

    assert (0, "drift.lock.yaml: up to date (4 references)\n") == (up_to_date.returncode, up_to_date.stdout)
    assert (1, f"drift.lock.yaml: svc: PrimaryContainer.Image: the lock file has {old_image} (line {line}), the "
               f"desired state declares {new_image} (run drift lock)\n") == (stale.returncode, stale.stderr)
    assert (0, f"drift.lock.yaml: warning: stale entry: svc: PrimaryContainer.Image: the lock file has {old_image} "
               f"(line {line}), the desired state declares {new_image} (run drift lock)\n") == (
        validated.returncode, validated.stderr)
    assert calls == scene.proxy.total()
    assert 0 == scene.run("lock").returncode
    assert 0 == scene.run("lock", "--check").returncode


def test_lock_check_catches_added_and_removed_declarations(scene: Scene) -> None:
    """A model declared after locking is not in the lock file, and a locked model no longer declared is an
    entry too many: `drift lock --check` exits 1 for each."""
    _locked_world(scene)
    assert 0 == scene.run("lock").returncode
    image, _ = scene.push("new", "1", "new")
    svc = scene.specs[0]
    scene.declare(svc, model("new", image))

    result = scene.run("lock", "--check")

    assert 1 == result.returncode
    assert sorted(f"{line} (run drift lock)" for line in [
                   f"drift.lock.yaml: new: PrimaryContainer.Image: {image} is not in the lock file",
                   f"drift.lock.yaml: ranker: PrimaryContainer.Image: locked (line "
                   f"{scene.lock_line('ranker', 'PrimaryContainer.Image')}) but no longer declared",
                   "drift.lock.yaml: ranker: PrimaryContainer.ModelDataSource.S3DataSource.S3Uri: locked (line "
                   f"{scene.lock_line('ranker', 'PrimaryContainer.ModelDataSource.S3DataSource.S3Uri')}) but no "
                   "longer declared"]) == sorted(result.stderr.splitlines())


def test_stale_lock_entry_is_not_a_baseline(scene: Scene) -> None:
    """A lock entry applies only while the desired state declares that same reference: once the desired image
    changes (and the live model still runs the locked tag, which then moves), the difference is the declared
    image, NOT_EQUAL, and the stale entry judges nothing; while it still applies, the same move is REPOINTED."""
    _locked_world(scene)
    scene.configure(state={"path": None})
    assert 0 == scene.run("lock").returncode
    scene.push("svc", "1.0", "svc-moved")
    _, applies = scene.check()
    new_image, _ = scene.push("svc", "2.0", "svc-2")
    scene.specs[0]["PrimaryContainer"]["Image"] = new_image
    scene.declare(*scene.specs)

    result, report = scene.check()

    assert [("PrimaryContainer.Image", "REPOINTED")] == findings(by_name(applies)["svc"])
    assert (2, [("PrimaryContainer.Image", "NOT_EQUAL")]) == (result.returncode, findings(by_name(report)["svc"]))


def test_lock_refuses_to_write_what_it_cannot_resolve(scene: Scene) -> None:
    """`drift lock` with a denied registry writes nothing and exits 1 naming the reference and the error;
    an image outside ECR is skipped with a note, not an error."""
    image, _ = scene.push("svc", "1.0", "svc-a")
    scene.create(model("svc", image), model("hub", "nginx:1.25"))
    skipped = scene.run("lock")
    (scene.dir / "drift.lock.yaml").unlink()
    scene.proxy.add(Fault("access_denied", operation="ecr.BatchGetImage"))

    denied = scene.run("lock")

    assert (0, "drift lock: not locked: hub: PrimaryContainer.Image: nginx:1.25: not an ECR image: not verified\n") == (
        skipped.returncode, skipped.stderr)
    assert (1, False) == (denied.returncode, (scene.dir / "drift.lock.yaml").exists())
    assert [f"drift lock: svc: PrimaryContainer.Image: {image}: ecr:BatchGetImage denied (AccessDeniedException)",
            "drift lock: 1 reference could not be resolved; drift.lock.yaml was not written"] == [
        x for x in denied.stderr.splitlines() if x.startswith("drift lock:") and "not locked" not in x]
