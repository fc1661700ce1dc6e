"""Desired-state loading and validation: every error names file, line, model and field, in full."""

from __future__ import annotations

from pathlib import Path

import pytest

from drift.desired import Targets, load_desired
from drift.errors import DesiredStateError


def errors_of(tmp_path: Path, text: str, name: str = "m.yaml", **kwargs: object) -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DesiredStateError) as info:
        load_desired([str(path)], **kwargs)  # type: ignore[arg-type]
    return [str(f).replace(str(tmp_path) + "/", "") for f in info.value.findings]


HEAD = "models:\n  - ModelName: fraud-v3\n    ExecutionRoleArn: arn:aws:iam::123456789012:role/r\n"


@pytest.mark.parametrize(("body", "expected"), [
    ("    PrimaryContainer:\n      Imagee: img:1\n",
     "m.yaml:5: fraud-v3: PrimaryContainer.Imagee: unknown field (did you mean Image?)"),
    ("    PrimaryContainer:\n      Image: i\n      Environment:\n        DEBUG: true\n",
     'm.yaml:7: fraud-v3: PrimaryContainer.Environment.DEBUG: boolean value; environment values are '
     'strings: quote it ("true")'),
    ("    PrimaryContainer:\n      Image: i\n      Mode: Single\n",
     "m.yaml:6: fraud-v3: PrimaryContainer.Mode: invalid value 'Single' (allowed: SingleModel, MultiModel)"),
    ("    PrimaryContainer:\n      Image: i\n    EnableNetworkIsolation: 'yes'\n",
     "m.yaml:6: fraud-v3: EnableNetworkIsolation: expected true or false, got string"),
    ("    PrimaryContainer:\n      Image: i\n    VpcConfig:\n      Subnets: [s]\n",
     "m.yaml:7: fraud-v3: VpcConfig.SecurityGroupIds: missing required field"),
    ("    PrimaryContainer:\n      Image: i\n    ExecutionRoleArnn: x\n",
     "m.yaml:6: fraud-v3: ExecutionRoleArnn: unknown field (did you mean ExecutionRoleArn?)"),
    ("    PrimaryContainer:\n      Image: i\n      ModelDataUrl: ftp://b/k\n",
     "m.yaml:6: fraud-v3: PrimaryContainer.ModelDataUrl: value 'ftp://b/k' does not match the pattern "
     "(https|s3)://([^/]+)/?(.*)"),
    ("    Containers: []\n", "m.yaml:2: fraud-v3: PrimaryContainer: a model needs PrimaryContainer or Containers"),
    ("    PrimaryContainer:\n      Image: i\n    Tags:\n      bad key!: v\n",
     "m.yaml:7: fraud-v3: Tags.bad key!: key 'bad key!' does not match the pattern "
     "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"),
])
def test_validation_messages(tmp_path: Path, body: str, expected: str) -> None:
    """Each kind of invalid field gets one compiler-like message with file, line, model and path."""
    assert [expected] == errors_of(tmp_path, HEAD + body)


def test_invalid_model_name(tmp_path: Path) -> None:
    """A ModelName SageMaker would reject is reported with the pattern it fails."""
    text = "models:\n  - ModelName: fraud_v3\n    PrimaryContainer: {Image: i}\n"
    assert ["m.yaml:2: fraud_v3: ModelName: value 'fraud_v3' does not match the pattern "
            "[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"] == errors_of(tmp_path, text)


def test_too_long_name(tmp_path: Path) -> None:
    """Lengths come from the service model."""
    name = "a" * 64
    text = f"models:\n  - ModelName: {name}\n    PrimaryContainer: {{Image: i}}\n"
    assert [f"m.yaml:2: {name}: ModelName: is 64 characters long; the maximum is 63"] == errors_of(tmp_path, text)


def test_all_errors_are_reported(tmp_path: Path) -> None:
    """Every error of a run is reported, not only the first."""
    text = HEAD + "    PrimaryContainer:\n      Imagee: i\n      Mode: x\n    Foo: 1\n"
    assert 3 == len(errors_of(tmp_path, text))


def test_model_declared_twice_names_both_places(tmp_path: Path) -> None:
    """A duplicate model names its first declaration."""
    (tmp_path / "a.yaml").write_text("models:\n  - ModelName: dup\n    PrimaryContainer: {Image: i}\n")
    (tmp_path / "b.yaml").write_text("\nmodels:\n  - ModelName: dup\n    PrimaryContainer: {Image: j}\n")
    with pytest.raises(DesiredStateError) as info:
        load_desired([str(tmp_path)])
    [finding] = info.value.findings
    assert f"{tmp_path}/b.yaml:3: dup: declared twice (first at {tmp_path}/a.yaml:2)" == str(finding).replace(
        "tests/../", "")


def test_null_is_absent_and_anchors_merge(tmp_path: Path) -> None:
    """null is absent everywhere; anchors and merge keys work; x- keys are ignored."""
    (tmp_path / "m.yaml").write_text(
        "x-env: &env\n  A: '1'\n  B: '2'\n"
        "models:\n  - ModelName: m\n    VpcConfig: null\n    PrimaryContainer:\n      Image: i\n"
        "      Environment:\n        <<: *env\n        B: '3'\n")
    [model] = load_desired([str(tmp_path / "m.yaml")]).models
    assert {"A": "1", "B": "3"} == dict(model.spec["PrimaryContainer"]["Environment"])
    assert "VpcConfig" not in model.spec


def test_env_tag_reads_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """!env NAME reads the variable; unset is an error naming it."""
    monkeypatch.setenv("MY_TOKEN", "s3cr3t-value")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    text = HEAD + "    PrimaryContainer:\n      Image: i\n      Environment:\n        T: !env MY_TOKEN\n"
    (tmp_path / "ok.yaml").write_text(text)
    [model] = load_desired([str(tmp_path / "ok.yaml")]).models
    assert "s3cr3t-value" == model.spec["PrimaryContainer"]["Environment"]["T"]
    bad = text.replace("MY_TOKEN", "NOT_SET_ANYWHERE")
    assert ["m.yaml:7: fraud-v3: PrimaryContainer.Environment.T: environment variable NOT_SET_ANYWHERE is not "
            "set (used as !env)"] == errors_of(tmp_path, bad)


def test_dollar_braces_are_kept_literally(tmp_path: Path) -> None:
    """${...} in desired state is the container's business, not ours."""
    (tmp_path / "m.yaml").write_text(HEAD + "    PrimaryContainer:\n      Image: i\n      Environment:\n"
                                            "        P: ${HOME}/x\n")
    [model] = load_desired([str(tmp_path / "m.yaml")]).models
    assert "${HOME}/x" == model.spec["PrimaryContainer"]["Environment"]["P"]


@pytest.mark.parametrize(("text", "expected"), [
    ("models: [\n", "m.yaml:2: YAML syntax error: "),
    ("- a\n- b\n", "m.yaml:1: expected a mapping with a models: list, got list"),
    ("models:\n  - ModelName: a\n    PrimaryContainer: {Image: i}\n    PrimaryContainer: {Image: j}\n",
     "m.yaml:4: duplicate key 'PrimaryContainer' (first at line 3)"),
    ("modles: []\n", "m.yaml:1: modles: unknown key (did you mean models?)"),
    ("models:\n  - 42\n", "m.yaml:2: models[0]: an entry must be a mapping, got integer"),
    ("a: &a [*a]\n", "m.yaml:1: YAML syntax error: found unconstructable recursive node"),
    ("models:\n  - ModelName: m\n    PrimaryContainer: {Image: i, Environment: {A: .nan}}\n",
     "m.yaml:3: '.nan' is not a usable number"),
])
def test_file_level_errors(tmp_path: Path, text: str, expected: str) -> None:
    """Syntax and shape errors name the file and line, never a traceback."""
    found = errors_of(tmp_path, text)
    assert any(f.startswith(expected) for f in found), found


def test_invalid_utf8(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are an error naming the line."""
    path = tmp_path / "m.yaml"
    path.write_bytes(b"models:\n  - ModelName: \xff\xfe\n")
    with pytest.raises(DesiredStateError) as info:
        load_desired([str(path)])
    assert [f"{path}:2: file is not valid UTF-8"] == [str(f) for f in info.value.findings]


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """A billion-laughs document is refused without expanding it."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("models: *a9")
    found = errors_of(tmp_path, "\n".join(lines) + "\n")
    assert any("alias bomb" in f for f in found), found


def test_pattern_with_no_match(tmp_path: Path) -> None:
    """A glob matching nothing is an error, not an empty (and so 'in sync') desired state."""
    with pytest.raises(DesiredStateError) as info:
        load_desired([str(tmp_path / "nothing-*.yaml")])
    assert [f"{tmp_path}/nothing-*.yaml: no desired-state file matches this path or glob"] == [
        str(f) for f in info.value.findings]


PASTED = """models:
  - ModelName: fraud
    PrimaryContainer:
      Image: img:1
      Mode: SingleModel
    ExecutionRoleArn: arn:aws:iam::123456789012:role/r
    ModelArn: arn:aws:sagemaker:us-east-1:123456789012:model/fraud
    CreationTime: '2026-11-24T10:00:00.000000+00:00'
    DeploymentRecommendation: {RecommendationStatus: NOT_APPLICABLE}
    EnableNetworkIsolation: false
    ResponseMetadata: {RequestId: abc, HTTPStatusCode: 200}
"""


def test_pasted_describe_model_output_is_accepted_with_one_warning(tmp_path: Path) -> None:
    """describe-model's read-only fields are ignored, with one warning per file naming them."""
    (tmp_path / "m.yaml").write_text(PASTED)
    state = load_desired([str(tmp_path / "m.yaml")])
    assert ["ModelName", "PrimaryContainer", "ExecutionRoleArn", "EnableNetworkIsolation"] == list(
        state.models[0].spec)
    assert [f"{tmp_path}/m.yaml: read-only fields of describe output are ignored: ModelArn, CreationTime, "
            "DeploymentRecommendation, ResponseMetadata"] == [f"{w.file}: {w.message}" for w in state.warnings]


@pytest.mark.parametrize(("text", "expected"), [
    ("models:\n  - ModelName: m\n    ExecutionRoleArn: !GetAtt Role.Arn\n    PrimaryContainer: {Image: i}\n",
     "m.yaml:3: !GetAtt is a CloudFormation intrinsic function: resolve it to its value (drift compares the values "
     "SageMaker holds, e.g. the role ARN itself)"),
    ("models:\n  - ModelName: m\n    PrimaryContainer:\n      Image: !Sub '${AWS::AccountId}.dkr.ecr/x:1'\n",
     "m.yaml:4: !Sub is a CloudFormation intrinsic function: resolve it to its value (drift compares the values "
     "SageMaker holds, e.g. the role ARN itself)"),
    ("models:\n  - ModelName: m\n    PrimaryContainer:\n      Image: {'Fn::Sub': 'x'}\n",
     "m.yaml:4: m: PrimaryContainer.Image: Fn::Sub is a CloudFormation intrinsic function: resolve it to its value"),
    ("models:\n  - ModelName: m\n    ExecutionRoleArn: {Ref: Role}\n    PrimaryContainer: {Image: i}\n",
     "m.yaml:3: m: ExecutionRoleArn: Ref is a CloudFormation intrinsic function: resolve it to its value"),
    ("models:\n  - ModelName: m\n\tPrimaryContainer: {Image: i}\n",
     "m.yaml:3: a tab character cannot indent YAML: indent with spaces"),
    ("ModelName: m\nPrimaryContainer: {Image: i}\n",
     "m.yaml:1: ModelName: a single resource without a list: put it under models: (indent it and start it with '- ')"),
    ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  M:\n    Type: AWS::SageMaker::Model\n",
     "m.yaml:1: this is a CloudFormation template; desired state lists the resources themselves: put each "
     "AWS::SageMaker::Model's Properties (intrinsic functions resolved) under models:"),
    ("models:\n  - ModelName: m\n    PrimaryContainer: {Image: \"i\x00\"}\n",
     "m.yaml:3: character '\\x00' is not allowed in YAML (control characters and NUL bytes are not text)"),
    ("endpoint_configs:\n  - EndpointConfigName: c\n    ProductionVariants:\n      - VariantName: v\n"
     "        ModelName: m\n        InstanceTyp: ml.m5.large\n",
     "m.yaml:6: c: ProductionVariants[0].InstanceTyp: unknown field (did you mean InstanceType?)"),
    ("endpoints:\n  - EndpointName: e\n", "m.yaml:2: e: EndpointConfigName: missing required field"),
    ("region: us-west-2\nmodels:\n  - ModelName: m\n    PrimaryContainer: {Image: i}\n",
     "m.yaml:1: region: unknown region 'us-west-2' (the target's regions: us-east-1)"),
])
def test_contract_messages(tmp_path: Path, text: str, expected: str) -> None:
    """Each input a user gets wrong is answered with what to do, located by file and line (SPEC §2)."""
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(DesiredStateError) as info:
        load_desired([str(path)], targets=Targets(regions={"default": ("us-east-1",)}))
    assert [expected] == [str(f).replace(str(tmp_path) + "/", "") for f in info.value.findings]


def test_endpoint_configs_and_endpoints_are_declared_beside_models(tmp_path: Path) -> None:
    """A file may hold models, endpoint configs and endpoints; each becomes a resource of its kind."""
    (tmp_path / "m.yaml").write_text(
        "models:\n  - {ModelName: m, PrimaryContainer: {Image: i}}\n"
        "endpoint_configs:\n  - EndpointConfigName: c\n    ProductionVariants:\n"
        "      - {VariantName: v, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1}\n"
        "endpoints:\n  - {EndpointName: e, EndpointConfigName: c, Tags: {team: ml}}\n")
    state = load_desired([str(tmp_path / "m.yaml")])
    assert [("Model", "m"), ("EndpointConfig", "c"), ("Endpoint", "e")] == [
        (r.kind.value, r.name) for r in state.resources]


def test_a_file_region_limits_where_its_resources_are_expected(tmp_path: Path) -> None:
    """With region: a file's resources belong to that region of its target only."""
    (tmp_path / "m.yaml").write_text("region: eu-west-1\nmodels:\n  - {ModelName: m, PrimaryContainer: {Image: i}}\n")
    [model] = load_desired([str(tmp_path / "m.yaml")],
                           targets=Targets(regions={"default": ("us-east-1", "eu-west-1")})).models
    assert (False, True) == (model.expected_in("default", "us-east-1"), model.expected_in("default", "eu-west-1"))


def test_organization_files_name_accounts(tmp_path: Path) -> None:
    """With an organization, a file must name its account (by id or name); any name is accepted here."""
    (tmp_path / "a.yaml").write_text("target: '111122223333'\nmodels:\n  - {ModelName: m, PrimaryContainer: "
                                     "{Image: i}}\n")
    (tmp_path / "b.yaml").write_text("models:\n  - {ModelName: n, PrimaryContainer: {Image: i}}\n")
    with pytest.raises(DesiredStateError) as info:
        load_desired([str(tmp_path)], targets=Targets(names=(), organization=True))
    assert [f"{tmp_path}/b.yaml:1: aws.organization is configured: name the account (its id or name) with target:"] == [
        str(f) for f in info.value.findings]
