"""The lock file (SPEC §8) and the judging of references against their baseline, in process.

Rendering and reading the lock file round trip byte for byte; staleness says why a lock file no longer
matches the desired state; a lock entry is a baseline only while the desired state declares that same
reference; and a world in which nothing behind any reference changed never yields a finding.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drift.desired import DesiredResource
from drift.errors import LockFileError
from drift.integrity.judge import Incarnation, Judging, judge
from drift.integrity.lockfile import LockEntry, LockFile, declared_refs, read_lock, render_lock, staleness
from drift.integrity.refs import model_refs
from drift.integrity.resolve import Resolution
from drift.kinds import KINDS
from drift.report import Kind
from drift.store.rows import BaselineRow

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
ROLE = "arn:aws:iam::123456789012:role/inference"
D1, D2, D3 = ("sha256:" + c * 64 for c in "123")
TARGET = "default"
HERE = Incarnation(TARGET, "123456789012", "us-east-1", "arn:aws:sagemaker:us-east-1:123456789012:model/m",
                   "2026-11-01T00:00:00Z")


def resource(spec: dict[str, Any]) -> DesiredResource:
    return DesiredResource(spec["ModelName"], None, spec, "models.yaml", 1)


def declared_form(spec: dict[str, Any]) -> dict[str, Any]:
    """The canonical desired form (no defaults), as the pipeline hands it to ``judge``."""
    return dict(KINDS[Kind.MODEL].canonical(spec, defaults=False))


def read_text(text: str) -> LockFile:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "drift.lock.yaml"
        path.write_text(text, encoding="utf-8")
        lock = read_lock(str(path))
    assert lock is not None
    return lock


# -- rendering and reading ----------------------------------------------------------------------------------

digests = st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True)
object_ids = st.fixed_dictionaries({"etag": st.from_regex(r"[0-9a-f]{32}(-[0-9]{1,3})?", fullmatch=True),
                                    "version_id": st.none() | st.from_regex(r"[A-Za-z0-9._-]{1,32}", fullmatch=True),
                                    "size": st.integers(0, 10**12)})
prefix_ids = st.fixed_dictionaries({"digest": digests, "count": st.integers(1, 10**6)})
model_names = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,20}", fullmatch=True)
lock_paths = st.sampled_from([
    "PrimaryContainer.Image", "PrimaryContainer.ModelDataUrl", "Containers[0].Image", "Containers[2].ModelDataUrl",
    "PrimaryContainer.ModelDataSource.S3DataSource.S3Uri",
    "Containers[1].AdditionalModelDataSources[0].S3DataSource.S3Uri",
])
references = st.one_of(
    st.builds(lambda r, t: f"{REGISTRY}/{r}:{t}", model_names, st.from_regex(r"[\w][\w.-]{0,20}", fullmatch=True)),
    st.builds(lambda b, k: f"s3://{b}/{k}", st.from_regex(r"[a-z0-9][a-z0-9.-]{2,20}", fullmatch=True),
              st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)),
)


@st.composite
def lock_entries(draw: Any) -> list[LockEntry]:
    keys = draw(st.lists(st.tuples(st.none() | st.sampled_from(["prod", "staging", "111122223333"]), model_names,
                                   lock_paths), unique=True, max_size=8))
    return [LockEntry(target, name, path, draw(references), draw(st.one_of(digests, object_ids, prefix_ids)))
            for target, name, path in keys]


def comparable(entries: Any) -> set[tuple[Any, ...]]:
    """An entry without its line, with an object identity's absent version as None (as the lock reads it)."""
    out = set()
    for e in entries:
        resolved = e.resolved
        if isinstance(resolved, dict):
            resolved = tuple(sorted({**({"version_id": None} if "etag" in resolved else {}), **resolved}.items()))
        out.add((e.target, e.model, e.path, e.reference, resolved))
    return out


@given(lock_entries(), st.randoms(use_true_random=False))
def test_render_then_read_round_trips_byte_for_byte(entries: list[LockEntry], rnd: random.Random) -> None:
    """A rendered lock file reads back as the same entries, renders again to the same bytes, and does not
    depend on the order the entries came in."""
    text = render_lock(entries)
    shuffled = list(entries)
    rnd.shuffle(shuffled)

    lock = read_text(text)

    assert comparable(entries) == comparable(lock.entries.values())
    assert text == render_lock(lock.entries.values())
    assert text == render_lock(shuffled)


@given(lock_entries())
def test_each_entry_knows_its_line(entries: list[LockEntry]) -> None:
    """Each entry read from a lock file carries the 1-based line of its path, under its model."""
    text = render_lock(entries)
    lines = text.splitlines()

    lock = read_text(text)

    for entry in lock.entries.values():
        assert f"{entry.path}:" == lines[entry.line - 1].strip().replace("'", ""), (entry, text)


def test_rendered_lock_file_as_documented() -> None:
    """The lock file is YAML with a header, `version: 1`, models sorted by target and name, references by
    path, each with the declared reference and what it resolved to (absent versions left out)."""
    entries = [
        LockEntry(None, "svc", "PrimaryContainer.ModelDataUrl", "s3://ml/svc.tar.gz",
                  {"etag": "e1", "version_id": None, "size": 10}),
        LockEntry(None, "svc", "PrimaryContainer.Image", f"{REGISTRY}/svc:1.0", D1),
        LockEntry("prod", "a", "Containers[0].ModelDataSource.S3DataSource.S3Uri", "s3://ml/llm/",
                  {"digest": D2, "count": 3}),
    ]

    text = render_lock(entries)

    assert ("# Written by `drift lock`: what each declared image tag and model artifact resolved to.\n"
            "# Review changes like any lock file; `drift lock --check` fails while it no longer matches the desired "
            "state.\n"
            "version: 1\n"
            "models:\n"
            "- name: svc\n"
            "  references:\n"
            "    PrimaryContainer.Image:\n"
            f"      reference: {REGISTRY}/svc:1.0\n"
            f"      digest: {D1}\n"
            "    PrimaryContainer.ModelDataUrl:\n"
            "      reference: s3://ml/svc.tar.gz\n"
            "      etag: e1\n"
            "      size: 10\n"
            "- name: a\n"
            "  target: prod\n"
            "  references:\n"
            "    Containers[0].ModelDataSource.S3DataSource.S3Uri:\n"
            "      reference: s3://ml/llm/\n"
            "      count: 3\n"
            f"      digest: {D2}\n") == text


def test_no_lock_file_reads_as_none(tmp_path: Path) -> None:
    """A lock path where there is no file means no lock file (every baseline is first-seen)."""
    assert None is read_lock(str(tmp_path / "drift.lock.yaml"))


@pytest.mark.parametrize(("text", "message"), [
    ("version: 2\nmodels: []\n", "drift.lock.yaml:1: not a drift lock file (version 1); run drift lock"),
    ("- just\n- a list\n", "drift.lock.yaml:1: not a drift lock file (version 1); run drift lock"),
    ("version: 1\nmodels: {a: 1}\n", "drift.lock.yaml:1: not a drift lock file (version 1); run drift lock"),
    ("version: 1\nmodels:\n- name: m\n", "drift.lock.yaml:3: expected name and references"),
    ("version: 1\nmodels:\n- name: m\n  references:\n    PrimaryContainer.Image: {digest: x}\n",
     "drift.lock.yaml:5: m: PrimaryContainer.Image: expected a reference and what it resolved to"),
])
def test_a_file_that_is_not_a_lock_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                                     message: str) -> None:
    """A lock file of another version or shape is an error naming the file, the line and what is wrong."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drift.lock.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(LockFileError) as caught:
        read_lock(str(tmp_path / "drift.lock.yaml"))

    assert message == str(caught.value)


# -- staleness ------------------------------------------------------------------------------------------------

SVC = {"ModelName": "svc", "ExecutionRoleArn": ROLE,
       "PrimaryContainer": {"Image": f"{REGISTRY}/svc:1.0", "ModelDataUrl": "s3://ml/svc.tar.gz"}}
PIPE = {"ModelName": "pipe", "ExecutionRoleArn": ROLE,
        "Containers": [{"Image": f"{REGISTRY}/pre:2"},
                       {"Image": f"{REGISTRY}/svc@{D3}",
                        "ModelDataSource": {"S3DataSource": {"S3Uri": "s3://ml/llm/", "S3DataType": "S3Prefix",
                                                             "CompressionType": "None"}}}]}
LOCKED = render_lock([
    LockEntry(None, "svc", "PrimaryContainer.Image", f"{REGISTRY}/svc:1.0", D1),
    LockEntry(None, "svc", "PrimaryContainer.ModelDataUrl", "s3://ml/svc.tar.gz", {"etag": "e", "size": 1}),
    LockEntry(None, "pipe", "Containers[0].Image", f"{REGISTRY}/pre:2", D2),
    LockEntry(None, "pipe", "Containers[1].Image", f"{REGISTRY}/svc@{D3}", D3),
    LockEntry(None, "pipe", "Containers[1].ModelDataSource.S3DataSource.S3Uri", "s3://ml/llm/",
              {"digest": D1, "count": 2}),
])


def _with(spec: dict[str, Any], container: int | None, **fields: Any) -> dict[str, Any]:
    import copy

    spec = copy.deepcopy(spec)
    target = spec["PrimaryContainer"] if container is None else spec["Containers"][container]
    target.update(fields)
    return spec


def _line(path: str, model: str) -> int:
    lines = LOCKED.splitlines()
    start = lines.index(f"- name: {model}")
    return next(i + 1 for i in range(start, len(lines)) if lines[i].strip() == f"{path}:")


STALENESS = [
    ("matches", [SVC, PIPE], {}, []),
    ("image tag changed", [_with(SVC, None, Image=f"{REGISTRY}/svc:2.0"), PIPE], {}, [
        f"svc: PrimaryContainer.Image: the lock file has {REGISTRY}/svc:1.0 (line "
        f"{_line('PrimaryContainer.Image', 'svc')}), the desired state declares {REGISTRY}/svc:2.0"]),
    ("pinned digest changed", [SVC, _with(PIPE, 1, Image=f"{REGISTRY}/svc@{D1}")], {}, [
        f"pipe: Containers[1].Image: the lock file has {REGISTRY}/svc@{D3} (line "
        f"{_line('Containers[1].Image', 'pipe')}), the desired state declares {REGISTRY}/svc@{D1}"]),
    ("artifact added", [_with(SVC, None, AdditionalModelDataSources=[{
        "ChannelName": "extra", "S3DataSource": {"S3Uri": "s3://ml/extra/", "S3DataType": "S3Prefix",
                                                 "CompressionType": "None"}}]), PIPE], {}, [
        "svc: PrimaryContainer.AdditionalModelDataSources[0].S3DataSource.S3Uri: s3://ml/extra/ is not in the lock "
        "file"]),
    ("model no longer declared", [SVC], {}, [
        f"pipe: {path}: locked (line {_line(path, 'pipe')}) but no longer declared"
        for path in ("Containers[0].Image", "Containers[1].Image",
                     "Containers[1].ModelDataSource.S3DataSource.S3Uri")]),
    ("artifacts not watched", [SVC, PIPE], {"artifacts": False}, [
        f"{model}: {path}: locked (line {_line(path, model)}) but no longer declared"
        for model, path in (("svc", "PrimaryContainer.ModelDataUrl"),
                            ("pipe", "Containers[1].ModelDataSource.S3DataSource.S3Uri"))]),
]


@pytest.mark.parametrize(("specs", "integrity", "expected"), [c[1:] for c in STALENESS],
                         ids=[c[0] for c in STALENESS])
def test_staleness(specs: list[dict[str, Any]], integrity: dict[str, bool], expected: list[str]) -> None:
    """The lock file is stale exactly where the desired state declares another reference than the one locked,
    a reference that was never locked, or no longer declares a locked one; each problem names the model, the
    path and the lock file's line."""
    refs = declared_refs([resource(s) for s in specs], **integrity)

    assert sorted(expected) == sorted(staleness(read_text(LOCKED), refs))


def test_staleness_without_a_lock_file_lists_every_reference() -> None:
    """With no lock file, every declared reference is one that is not in it."""
    refs = declared_refs([resource(SVC)])

    assert [f"svc: PrimaryContainer.Image: {REGISTRY}/svc:1.0 is not in the lock file",
            "svc: PrimaryContainer.ModelDataUrl: s3://ml/svc.tar.gz is not in the lock file"] == staleness(None, refs)


# -- which baseline applies -------------------------------------------------------------------------------------

TAG = f"{REGISTRY}/svc:1.0"
OTHER_TAG = f"{REGISTRY}/svc:2.0"
BEFORE = "2026-11-01T00:00:00Z"


def _spec(image: str) -> dict[str, Any]:
    return {"ModelName": "m", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": image}}


def _lock(reference: str, digest: str) -> LockFile:
    return LockFile("drift.lock.yaml", {(None, "m", "PrimaryContainer.Image"): LockEntry(
        None, "m", "PrimaryContainer.Image", reference, digest, line=7)})


def _seen(digest: str, created: str = HERE.created, reference: str = TAG) -> BaselineRow:
    return BaselineRow(HERE.account, HERE.region, "m", HERE.arn, created, "PrimaryContainer.Image", reference,
                       {"value": digest, "keys": None}, BEFORE)


LOCK_BASELINE = {"from": "lock", "file": "drift.lock.yaml", "line": 7}
SEEN_BASELINE = {"from": "first-seen", "at": BEFORE}

BASELINES = [
    # (case, declared image, lock, first-seen rows, expected (type, expected digest, baseline) or None)
    ("lock entry for the declared reference", TAG, _lock(TAG, D1), [], ("REPOINTED", D1, LOCK_BASELINE)),
    ("lock entry wins over first-seen", TAG, _lock(TAG, D1), [_seen(D2)], ("REPOINTED", D1, LOCK_BASELINE)),
    ("lock entry in sync, first-seen not", TAG, _lock(TAG, D3), [_seen(D1)], None),
    ("lock entry applies to a re-created model", TAG, _lock(TAG, D1), [_seen(D3, created="2026-11-02T00:00:00Z")],
     ("REPOINTED", D1, LOCK_BASELINE)),
    ("stale lock entry (desired changed), no first-seen", OTHER_TAG, _lock(TAG, D1), [], None),
    ("stale lock entry, first-seen judges", OTHER_TAG, _lock(TAG, D1), [_seen(D2)],
     ("REPOINTED", D2, SEEN_BASELINE)),
    ("lock entry for another reference", TAG, _lock(OTHER_TAG, D1), [], None),
    ("first-seen of this incarnation", TAG, None, [_seen(D1)], ("REPOINTED", D1, SEEN_BASELINE)),
    ("first-seen of an earlier incarnation", TAG, None, [_seen(D1, created="2026-10-01T00:00:00Z")], None),
    ("first-seen of another reference at the path", TAG, None, [_seen(D1, reference=OTHER_TAG)], None),
    ("no baseline at all", TAG, None, [], None),
]


@pytest.mark.parametrize(("declared", "lock", "prior", "expected"), [c[1:] for c in BASELINES],
                         ids=[c[0] for c in BASELINES])
def test_which_baseline_judges(declared: str, lock: LockFile | None, prior: list[BaselineRow],
                               expected: tuple[str, str, dict[str, Any]] | None) -> None:
    """The live model runs svc:1.0, which now resolves to D3. The lock entry judges it while the desired state
    declares that same reference (whatever the incarnation); otherwise the first resolution recorded for this
    incarnation and reference; otherwise nothing does."""
    live = declared_form(_spec(TAG))
    how = Judging({(TARGET, "image", TAG): Resolution("ok", D3)}, lock, keep_state=True, now="2026-11-03T00:00:00Z")

    judged = judge(resource(_spec(declared)), declared_form(_spec(declared)), model_refs(live), HERE, prior, how)

    found = [(d.type.value, d.expected, {k: v for k, v in (("from", d.baseline.origin), ("file", d.baseline.file),
                                                            ("line", d.baseline.line), ("at", d.baseline.at))
                                         if v is not None})
             for d in judged.differences if d.baseline is not None]
    assert ([expected] if expected else []) == found
    assert (("PrimaryContainer.Image", D3),) == judged.resolved


# -- nothing changed, nothing found -------------------------------------------------------------------------------

IMAGE_POOL = [f"{REGISTRY}/svc:1.0", f"{REGISTRY}/svc:2.0", f"{REGISTRY}/svc", f"{REGISTRY}/pre@{D1}",
              "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shared:gpu", "nginx:1.25", "public.ecr.aws/x/y:1"]
OBJECT_POOL = ["s3://ml/a.tar.gz", "s3://ml/b.tar.gz", "s3://other/c.tar.gz"]
PREFIX_POOL = ["s3://ml/llm/", "s3://ml/mme/"]


@st.composite
def containers(draw: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"Image": draw(st.sampled_from(IMAGE_POOL))}
    artifact = draw(st.sampled_from(["none", "url", "object-source", "prefix-source", "multi-model"]))
    if artifact == "url":
        container["ModelDataUrl"] = draw(st.sampled_from(OBJECT_POOL))
    elif artifact == "multi-model":
        container.update(Mode="MultiModel", ModelDataUrl=draw(st.sampled_from(PREFIX_POOL)))
    elif artifact != "none":
        prefix = artifact == "prefix-source"
        container["ModelDataSource"] = {"S3DataSource": {
            "S3Uri": draw(st.sampled_from(PREFIX_POOL if prefix else OBJECT_POOL)),
            "S3DataType": "S3Prefix" if prefix else "S3Object", "CompressionType": "None" if prefix else "Gzip"}}
    if draw(st.booleans()):
        container["AdditionalModelDataSources"] = [{"ChannelName": "extra", "S3DataSource": {
            "S3Uri": draw(st.sampled_from(PREFIX_POOL)), "S3DataType": "S3Prefix", "CompressionType": "None"}}]
    return container


@st.composite
def model_specs(draw: Any) -> dict[str, Any]:
    items = draw(st.lists(containers(), min_size=1, max_size=3))
    spec: dict[str, Any] = {"ModelName": "m", "ExecutionRoleArn": ROLE}
    if len(items) == 1 and draw(st.booleans()):
        spec["PrimaryContainer"] = items[0]
    else:
        spec["Containers"] = items
    return spec


def _identity(kind: str, draw: Any) -> tuple[Any, Any]:
    """(value, keys) of something that exists."""
    if kind == "image":
        return draw(digests), None
    if kind == "object":
        return draw(object_ids), None
    keys = draw(st.dictionaries(st.from_regex(r"[a-z]{1,6}\.bin", fullmatch=True),
                                st.tuples(st.from_regex(r"[0-9a-f]{32}", fullmatch=True), st.integers(0, 99)).map(
                                    list), min_size=1, max_size=4))
    return draw(prefix_ids), keys


@st.composite
def unchanged_worlds(draw: Any) -> tuple[dict[str, Any], dict[Any, Resolution], dict[Any, Resolution]]:
    """A model, what its references resolved to when their baseline was taken, and what they resolve to now:
    unchanged, or not readable now (denied, unreachable); what did not exist then does not exist now."""
    spec = draw(model_specs())
    then: dict[Any, Resolution] = {}
    now: dict[Any, Resolution] = {}
    for ref in model_refs(declared_form(spec)):
        key = (TARGET, ref.type, ref.value)
        if key in then:
            continue
        if ref.type == "image" and not ref.value.split("/")[0].endswith(".amazonaws.com"):
            then[key] = now[key] = Resolution("unsupported", reason="not an ECR image: not verified")
            continue
        if draw(st.integers(0, 4)) == 0:
            then[key] = Resolution("missing", reason="not found")
        else:
            value, keys = _identity(ref.type, draw)
            then[key] = Resolution("ok", value, keys=keys)
        now[key] = draw(st.sampled_from([
            then[key], then[key], Resolution("denied", reason="ecr:BatchGetImage denied (AccessDeniedException)"),
            Resolution("failed", reason="s3:HeadObject unreachable (ReadTimeout)")]))
    return spec, then, now


@given(unchanged_worlds(), st.sampled_from(["first-seen", "lock", "both"]), st.booleans())
def test_nothing_changed_behind_any_reference_means_no_finding(world: Any, baseline: str, denied_error: bool) -> None:
    """Baselines taken on a first pass (first-seen rows as the pass records them, a lock file rendered and read
    back from what resolved), and a second pass where every reference resolves as it did (or cannot be read):
    no REPOINTED, OVERWRITTEN or GONE, whichever baseline applies."""
    spec, then, now = world
    model = resource(spec)
    declared = declared_form(spec)
    refs = model_refs(declared)
    first = judge(model, declared, refs, HERE, [], Judging(then, keep_state=True, now=BEFORE))
    prior = list(first.baselines) if baseline != "lock" else []
    lock = None
    if baseline != "first-seen":
        entries = [LockEntry(None, "m", path, reference, value) for path, reference, value in (
            (r.path, r.reference, r.resolved["value"]) for r in first.baselines)]
        lock = read_text(render_lock(entries))

    second = judge(model, declared, refs, HERE, prior,
                   Judging(now, lock, denied_is_error=denied_error, keep_state=True, now="2026-11-03T00:00:00Z"))

    assert () == second.differences
    assert () == first.differences
