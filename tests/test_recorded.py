"""Real answers recorded from AWS (tests/fixtures/recorded/, each naming its source) replayed through the comparator.

Three promises for every recorded DescribeModel and DescribeEndpointConfig answer:
* pasted as desired state (``aws sagemaker describe-model`` output), it is valid and in sync with itself;
* the request that created it (where the source shows it: recording 02) is in sync with it: SageMaker's
  defaults and echoes are never drift;
* a single change on the live side is found, with its exact path.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from drift.aws.sagemaker import Listed
from drift.classify import compare_live, desired_forms
from drift.desired import load_desired
from drift.kinds import KINDS, Context
from drift.read.types import Live
from drift.report import Kind

RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"
SECTIONS = {"DescribeModel": ("models", Kind.MODEL), "DescribeEndpointConfig": ("endpoint_configs",
                                                                                 Kind.ENDPOINT_CONFIG)}
#: The request the SageMaker Python SDK sent for recording 02 (session.container_def, v2.243): Image,
#: ModelDataUrl and an empty Environment; the service filled in Mode and mirrored the URL.
SDK_REQUEST_02 = {"ModelName": "sagemaker-xgboost-2025-05-16-18-14-07-995", "PrimaryContainer": {
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.5-1",
    "ModelDataUrl": "s3://sagemaker-us-east-1-084375569056/output/sagemaker-xgboost-2025-05-16-18-10-50-386/output/"
                    "model.tar.gz", "Environment": {}},
    "ExecutionRoleArn": "arn:aws:iam::084375569056:role/service-role/AmazonSageMaker-ExecutionRole-20250513T204281"}


def recordings() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(RECORDED.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        if doc.get("kind") in SECTIONS and isinstance(doc.get("response"), dict):
            out.append((path.name, doc))
    return out


def _declare(tmp_path: Path, section: str, entry: dict[str, Any]) -> Any:
    path = tmp_path / "pasted.yaml"
    path.write_text(yaml.safe_dump({section: [entry]}, sort_keys=False))
    return load_desired([str(path)])


def _differences(declared: Any, kind: Kind, response: dict[str, Any]) -> list[tuple[str, str]]:
    arn = str(response.get("ModelArn") or response.get("EndpointConfigArn") or "arn")
    account, region = (arn.split(":")[4], arn.split(":")[3]) if arn.count(":") >= 5 else ("1", "us-east-1")
    live = Live(kind, Listed(declared.name, arn, "t"), form=KINDS[kind].canonical(response))
    found, _notes = compare_live(declared, desired_forms(None, declared), live, Context(account, region))
    return [(d.path, d.type.value) for d in found]


@pytest.mark.parametrize(("name", "doc"), recordings(), ids=[n for n, _ in recordings()])
def test_pasted_describe_output_is_valid_and_in_sync(tmp_path: Path, name: str, doc: dict[str, Any]) -> None:
    """A recorded Describe answer pasted as desired state validates (read-only fields ignored) and is in sync."""
    section, kind = SECTIONS[doc["kind"]]
    [declared] = _declare(tmp_path, section, copy.deepcopy(doc["response"])).of_kind(kind)
    assert [] == _differences(declared, kind, doc["response"])


def test_an_sdk_request_is_in_sync_with_the_echoing_answer(tmp_path: Path) -> None:
    """Recording 02: Mode filled in and ModelDataUrl mirrored as ModelDataSource are SageMaker's echoes."""
    doc = yaml.safe_load((RECORDED / "02-describemodel-modeldataurl-echoed-as-modeldatasource.yaml").read_text())
    [declared] = _declare(tmp_path, "models", SDK_REQUEST_02).models
    assert [] == _differences(declared, Kind.MODEL, doc["response"])


def _container(response: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if response.get("PrimaryContainer"):
        return "PrimaryContainer", response["PrimaryContainer"]
    return "Containers[0]", response["Containers"][0]


@pytest.mark.parametrize(("name", "doc"), [r for r in recordings() if r[1]["kind"] == "DescribeModel"],
                         ids=[n for n, d in recordings() if d["kind"] == "DescribeModel"])
@pytest.mark.parametrize(("field", "value", "change"), [
    ("Image", "999999999999.dkr.ecr.us-east-1.amazonaws.com/other:9", "NOT_EQUAL"),
    ("Environment.ADDED_BY_HAND", "1", "ADD"),
])
def test_a_single_change_to_a_recorded_model_is_found(tmp_path: Path, name: str, doc: dict[str, Any], field: str,
                                                      value: str, change: str) -> None:
    """The recorded answer pasted as desired, one field changed live: exactly that path and type."""
    [declared] = _declare(tmp_path, "models", copy.deepcopy(doc["response"])).models
    live = copy.deepcopy(doc["response"])
    where, container = _container(live)
    if "." in field:
        head, key = field.split(".")
        container[head] = {**(container.get(head) or {}), key: value}
    else:
        container[field] = value
    assert [(f"{where}.{field}", change)] == _differences(declared, Kind.MODEL, live)
