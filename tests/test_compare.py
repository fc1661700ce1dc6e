"""The comparator: equivalent spellings are in sync, and every real change is found with its exact path."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from drift._yaml import load_text
from drift.config import PathRule
from drift.desired import DesiredModel
from drift.report import DiffType, Severity
from tests.helpers import compare
from tests.strategies import live_form, models

BASE = {
    "ModelName": "fraud",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
    "PrimaryContainer": {"Image": "img:1", "ModelDataUrl": "s3://b/k.tar.gz", "Environment": {"A": "1"}},
}


def desired(spec: dict[str, Any], text: str | None = None) -> DesiredModel:
    """A DesiredModel as the loader would build it (from YAML text when line marks matter)."""
    if text is not None:
        doc = load_text(text)
        entry = doc["models"][0]
        return DesiredModel(entry["ModelName"], None, entry, "m.yaml", doc["models"].lines[0])
    return DesiredModel(spec["ModelName"], None, spec, "m.yaml", 1)


def diffs(spec: dict[str, Any], live: dict[str, Any], tags: Any = None, **kwargs: Any) -> list[tuple[str, str]]:
    return [(d.path, d.type.value) for d in compare(desired(spec), live, tags, **kwargs)]


EQUIVALENT = {
    "one-entry Containers vs PrimaryContainer": (
        {**BASE},
        {"ModelName": "fraud", "ExecutionRoleArn": BASE["ExecutionRoleArn"],
         "Containers": [BASE["PrimaryContainer"]], "PrimaryContainer": {}},
    ),
    "ModelDataUrl vs ModelDataSource S3Object/Gzip": (
        {**BASE},
        {**BASE, "PrimaryContainer": {"Image": "img:1", "Environment": {"A": "1"}, "ModelDataSource": {
            "S3DataSource": {"S3Uri": "s3://b/k.tar.gz", "S3DataType": "S3Object", "CompressionType": "Gzip"}}}},
    ),
    "shuffled subnets and security groups": (
        {**BASE, "VpcConfig": {"Subnets": ["s1", "s2", "s3"], "SecurityGroupIds": ["g1", "g2"]}},
        {**BASE, "VpcConfig": {"Subnets": ["s3", "s1", "s2"], "SecurityGroupIds": ["g2", "g1"]}},
    ),
    "omitted defaults vs explicit defaults": (
        {**BASE},
        {**BASE, "EnableNetworkIsolation": False,
         "PrimaryContainer": {**BASE["PrimaryContainer"], "Mode": "SingleModel"}},
    ),
    "two containers without InferenceExecutionConfig vs Serial": (
        {**BASE, "PrimaryContainer": None, "Containers": [{"Image": "a"}, {"Image": "b"}]},
        {"ModelName": "fraud", "ExecutionRoleArn": BASE["ExecutionRoleArn"],
         "Containers": [{"Image": "a"}, {"Image": "b"}], "InferenceExecutionConfig": {"Mode": "Serial"}},
    ),
    "empty and absent": (
        {**BASE, "VpcConfig": {}, "Containers": []},
        {**BASE, "VpcConfig": None, "PrimaryContainer": {**BASE["PrimaryContainer"], "Environment": {"A": "1"}},
         "Containers": []},
    ),
    "numbers in Environment vs strings": (
        {**BASE, "PrimaryContainer": {**BASE["PrimaryContainer"], "Environment": {"A": 1}}},
        {**BASE},
    ),
    "read-only fields": (
        {**BASE},
        {**BASE, "ModelArn": "arn:aws:sagemaker:us-east-1:1:model/fraud", "CreationTime": "2026-01-01",
         "DeploymentRecommendation": {"RecommendationStatus": "COMPLETED"}},
    ),
    "ImageConfig without RepositoryAccessMode vs Platform": (
        {**BASE, "PrimaryContainer": {**BASE["PrimaryContainer"], "ImageConfig": {"RepositoryAccessMode": "Platform"}}},
        {**BASE, "PrimaryContainer": {**BASE["PrimaryContainer"], "ImageConfig": {}}},
    ),
}


@pytest.mark.parametrize("case", EQUIVALENT, ids=list(EQUIVALENT))
def test_equivalent_spellings_are_in_sync(case: str) -> None:
    """SPEC §3 equivalences never raise a false alarm."""
    spec, live = EQUIVALENT[case]
    assert [] == diffs({k: v for k, v in spec.items() if v is not None}, live)


@pytest.mark.parametrize(("tags_spec", "live_tags"), [
    ({"team": "ml", "env": "prod"}, [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ml"}]),
    ([{"Key": "team", "Value": "ml"}], [{"Key": "team", "Value": "ml"}, {"Key": "aws:cfn:stack", "Value": "x"}]),
    ({}, []),
    ({"n": 1}, [{"Key": "n", "Value": "1"}]),
])
def test_tags_as_mapping_or_list_are_in_sync(tags_spec: Any, live_tags: Any) -> None:
    """Tags compare the same whichever form declared them; aws: tags are ignored."""
    assert [] == diffs({**BASE, "Tags": tags_spec}, BASE, live_tags)


def test_tags_are_not_compared_when_not_declared() -> None:
    """Without a Tags key, live tags are nobody's business."""
    assert [] == diffs(BASE, BASE, [{"Key": "x", "Value": "y"}])


def test_empty_tags_mean_no_tags() -> None:
    """Tags: {} declares that the model carries no tags."""
    assert [("Tags.x", "ADD")] == diffs({**BASE, "Tags": {}}, BASE, [{"Key": "x", "Value": "y"}])


def _with(path: str, value: Any, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    out = copy.deepcopy(spec or BASE)
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return out


CHANGES = {
    "image tag": ("PrimaryContainer.Image", "img:2", [("PrimaryContainer.Image", "NOT_EQUAL")]),
    "added Environment key": ("PrimaryContainer.Environment.NEW", "v",
                              [("PrimaryContainer.Environment.NEW", "ADD")]),
    "removed Environment key": ("PrimaryContainer.Environment.A", None,
                                [("PrimaryContainer.Environment.A", "REMOVE")]),
    "another execution role": ("ExecutionRoleArn", "arn:aws:iam::123456789012:role/other",
                               [("ExecutionRoleArn", "NOT_EQUAL")]),
    "network isolation flipped": ("EnableNetworkIsolation", True, [("EnableNetworkIsolation", "ADD")]),
    "model data": ("PrimaryContainer.ModelDataUrl", "s3://b/other.tar.gz",
                   [("PrimaryContainer.ModelDataUrl", "NOT_EQUAL")]),
    "mode": ("PrimaryContainer.Mode", "MultiModel", [("PrimaryContainer.Mode", "ADD")]),
    "undeclared VpcConfig": ("VpcConfig", {"Subnets": ["s"], "SecurityGroupIds": ["g"]},
                             [("VpcConfig.SecurityGroupIds", "ADD"), ("VpcConfig.Subnets", "ADD")]),
}


@pytest.mark.parametrize("case", CHANGES, ids=list(CHANGES))
def test_every_change_is_found_with_its_path(case: str) -> None:
    """One change on the live side gives exactly that path and type."""
    path, value, expected = CHANGES[case]
    assert expected == diffs(BASE, _with(path, value))


def test_added_whole_environment_is_reported_entry_by_entry() -> None:
    """Maps are reported entry by entry, never as the whole map."""
    spec = {**BASE, "PrimaryContainer": {"Image": "img:1", "ModelDataUrl": "s3://b/k.tar.gz"}}
    live = {**BASE, "PrimaryContainer": {**spec["PrimaryContainer"], "Environment": {"X": "1", "Y": "2"}}}
    assert [("PrimaryContainer.Environment.X", "ADD"), ("PrimaryContainer.Environment.Y", "ADD")] == diffs(
        spec, live)


def test_extra_container_is_drift() -> None:
    """A container nobody declared is ADD, field by field, spelled Containers[1]."""
    live = {**BASE, "PrimaryContainer": None, "Containers": [BASE["PrimaryContainer"], {"Image": "sidecar"}]}
    found = diffs(BASE, live)
    assert ("Containers[1].Image", "ADD") in found
    # SPEC §3: Serial is the default whatever the number of containers, so the mode itself is not news.
    assert not any(path.startswith("InferenceExecutionConfig") for path, _ in found)


def test_paths_follow_the_desired_spelling() -> None:
    """A model declared with one-entry Containers reports Containers[0].Image."""
    spec = {**BASE, "PrimaryContainer": None, "Containers": [BASE["PrimaryContainer"]]}
    spec = {k: v for k, v in spec.items() if v is not None}
    assert [("Containers[0].Image", "NOT_EQUAL")] == diffs(spec, _with("PrimaryContainer.Image", "img:2"))


def test_model_data_source_path_follows_the_desired_spelling() -> None:
    """A URL change under a declared ModelDataSource is reported at ModelDataSource.S3DataSource.S3Uri."""
    spec = _with("PrimaryContainer.ModelDataUrl", None)
    spec["PrimaryContainer"]["ModelDataSource"] = {"S3DataSource": {
        "S3Uri": "s3://b/k.tar.gz", "S3DataType": "S3Object", "CompressionType": "Gzip"}}
    assert [("PrimaryContainer.ModelDataSource.S3DataSource.S3Uri", "NOT_EQUAL")] == diffs(
        spec, _with("PrimaryContainer.ModelDataUrl", "s3://b/new.tar.gz"))


def test_difference_carries_values_severity_and_source() -> None:
    """expected/actual/severity/source are filled as SPEC §4 describes."""
    text = ("models:\n"
            "  - ModelName: fraud\n"
            "    PrimaryContainer:\n"
            "      Image: img:1\n"
            "      Environment:\n"
            "        A: '1'\n")
    model = desired({}, text)
    live = {"ModelName": "fraud", "PrimaryContainer": {"Image": "img:2", "Environment": {"A": "1", "B": "x"}}}
    image, added = sorted(compare(model, live, None), key=lambda d: d.path, reverse=True)
    assert ("img:1", "img:2", Severity.CRITICAL, 4) == (image.expected, image.actual, image.severity,
                                                         image.source.line if image.source else None)
    assert (None, "x", Severity.WARNING, 2) == (added.expected, added.actual, added.severity,
                                                added.source.line if added.source else None)


def test_omitted_default_reports_the_default_as_expected() -> None:
    """For an omitted field, expected is SageMaker's default."""
    [diff] = compare(desired(BASE), _with("EnableNetworkIsolation", True), None)
    assert (DiffType.ADD, False, True) == (diff.type, diff.expected, diff.actual)


def test_secret_values_are_masked_but_changes_reported() -> None:
    """A changed password is drift, shown as *** on both sides."""
    spec = _with("PrimaryContainer.Environment.DB_PASSWORD", "old-secret")
    [diff] = compare(desired(spec), _with("PrimaryContainer.Environment.DB_PASSWORD", "new-secret"), None)
    assert ("PrimaryContainer.Environment.DB_PASSWORD", "***", "***") == (diff.path, diff.expected, diff.actual)


PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/p/1"
PACKAGES = {f"{PACKAGE}#": ({"Image": "filled:1", "ModelDataUrl": "s3://b/filled.tar.gz", "Environment": {"X": "1"}},)}
FILLED = {"ModelName": "pkg", "PrimaryContainer": {"ModelPackageName": PACKAGE, "Image": "filled:1",
                                                   "ModelDataUrl": "s3://b/filled.tar.gz", "Environment": {"X": "1"}}}


def _package_diffs(spec: dict[str, Any], live: dict[str, Any], packages: Any = PACKAGES) -> list[tuple[str, str]]:
    return [(d.path, d.type.value) for d in compare(desired(spec), live, packages=packages)]


def test_model_package_fills_are_not_drift() -> None:
    """What a model package gives (image, data, environment) is not drift when the container omits it."""
    spec = {"ModelName": "pkg", "PrimaryContainer": {"ModelPackageName": PACKAGE}}
    assert [] == _package_diffs(spec, FILLED)
    assert [] == _package_diffs(spec, {"ModelName": "pkg", "PrimaryContainer": {"ModelPackageName": PACKAGE}})


def test_model_package_container_still_finds_an_added_environment_key() -> None:
    """An Environment key that neither the desired container nor the package has is ADD."""
    spec = {"ModelName": "pkg", "PrimaryContainer": {"ModelPackageName": PACKAGE}}
    live = {**FILLED, "PrimaryContainer": {**FILLED["PrimaryContainer"], "Environment": {"X": "1", "DEBUG": "1"}}}
    assert [("PrimaryContainer.Environment.DEBUG", "ADD")] == _package_diffs(spec, live)


def test_model_package_name_compares_by_resource() -> None:
    """A bare name/version is the ARN of that package in the model's own account and region."""
    spec = {"ModelName": "pkg", "PrimaryContainer": {"ModelPackageName": "P/1"}}
    packages = {"P/1#": PACKAGES[f"{PACKAGE}#"]}
    assert [] == _package_diffs(spec, FILLED, packages)
    other = {**FILLED, "PrimaryContainer": {**FILLED["PrimaryContainer"],
                                            "ModelPackageName": PACKAGE.replace("123456789012", "999999999999")}}
    assert [("PrimaryContainer.ModelPackageName", "NOT_EQUAL")] == _package_diffs(spec, other, packages)


def test_unreadable_model_package_compares_strictly() -> None:
    """A package that cannot be read: compared as declared, so the filled fields show as ADD."""
    spec = {"ModelName": "pkg", "PrimaryContainer": {"ModelPackageName": PACKAGE}}
    found = _package_diffs(spec, FILLED, packages={f"{PACKAGE}#": None})
    assert ("PrimaryContainer.Image", "ADD") in found


def test_ignore_and_severity_rules() -> None:
    """An ignored path disappears; a severity rule overrides the default."""
    live = _with("PrimaryContainer.Environment.BUILD_ID", "42")
    live = _with("PrimaryContainer.Environment.LOG_LEVEL", "debug", live)
    found = compare(desired(BASE), live, None,
                    ignore=(PathRule(models=("*",), paths=("Containers[0].Environment.BUILD_ID",)),),
                    severity=(PathRule(models=("fr*",), paths=("*.Environment.LOG_LEVEL",), level="info"),))
    assert [("PrimaryContainer.Environment.LOG_LEVEL", Severity.INFO)] == [(d.path, d.severity) for d in found]


@given(models())
def test_any_valid_model_is_in_sync_with_its_live_form(spec: dict[str, Any]) -> None:
    """A model always compares IN_SYNC with what SageMaker returns for it."""
    live, tags = live_form(spec)
    assert () == compare(desired(spec), live, tags)


@given(models(), st.sampled_from(["Image", "ModelDataUrl", "ContainerHostname"]), st.text(min_size=1, max_size=8))
def test_any_change_is_detected(spec: dict[str, Any], field: str, suffix: str) -> None:
    """Changing a field on the live side is never missed."""
    live, tags = live_form(spec)
    containers = live.get("Containers") or [live["PrimaryContainer"]]
    # A hostname SageMaker assigns to a container that declares none is its echo, not drift (SPEC §3).
    assume(field != "ContainerHostname" or "ContainerHostname" in containers[0])
    containers[0][field] = str(containers[0].get(field, "")) + "-changed-" + suffix
    found = compare(desired(spec), live, tags)
    assert any(d.path.endswith(field) for d in found)
