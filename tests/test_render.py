"""Golden files for the three writers. Regenerate deliberately: DRIFT_UPDATE_GOLDEN=1 pytest tests/test_render.py"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from drift.render import render
from drift.report import Difference, DiffType, ModelResult, Report, Severity, Source, Status

GOLDEN = Path(__file__).parent / "golden"

REPORT = Report(
    run_id="2026-11-24T10:00:00Z-3f9c", started_at="2026-11-24T10:00:00Z", finished_at="2026-11-24T10:00:03Z",
    models=(
        ModelResult("fraud-detector-v3", "123456789012", "us-east-1", Status.MODIFIED, Severity.CRITICAL, True, (
            Difference("PrimaryContainer.Image", DiffType.NOT_EQUAL, "1234.dkr.ecr.us-east-1.amazonaws.com/fraud:3.1.0",
                       "1234.dkr.ecr.us-east-1.amazonaws.com/fraud:3.2.0-rc1", Severity.CRITICAL,
                       Source("config/models/fraud.yaml", 7)),
            Difference("PrimaryContainer.Environment.DEBUG", DiffType.ADD, None, "1", Severity.WARNING,
                       Source("config/models/fraud.yaml", 3)),
            Difference("PrimaryContainer.Environment.DB_PASSWORD", DiffType.NOT_EQUAL, "***", "***",
                       Severity.WARNING, Source("config/models/fraud.yaml", 10)),
            Difference("VpcConfig.Subnets", DiffType.REMOVE, ["subnet-1", "subnet-2"], None, Severity.CRITICAL,
                       Source("config/models/fraud.yaml", 14)),
        )),
        ModelResult("churn-pipeline", "123456789012", "us-east-1", Status.MISSING, Severity.CRITICAL),
        ModelResult("scratch", "123456789012", "us-east-1", Status.UNMANAGED, Severity.WARNING),
        ModelResult("ranker", "123456789012", "us-east-1", Status.ERROR,
                    error="AccessDeniedException: not authorized to perform sagemaker:DescribeModel"),
        ModelResult("llm", "123456789012", "us-east-1", Status.IN_SYNC, recreated=True),
        ModelResult("mme", "123456789012", "eu-west-1", Status.IN_SYNC),
    ),
)


@pytest.mark.parametrize(("fmt", "name"), [("text", "report.txt"), ("markdown", "report.md"),
                                           ("json", "report.json")])
def test_golden(fmt: str, name: str) -> None:
    """Each writer's output is exactly the reviewed golden file."""
    actual = render(REPORT, fmt)
    path = GOLDEN / name
    if os.environ.get("DRIFT_UPDATE_GOLDEN"):
        path.write_text(actual)
    assert path.read_text() == actual


def test_json_is_sorted_and_complete() -> None:
    """Models are sorted by account, region, name; the summary counts every status."""
    doc = json.loads(render(REPORT, "json"))
    assert [("123456789012", "eu-west-1", "mme")] == [(m["account"], m["region"], m["name"])
                                                       for m in doc["models"]][:1]
    assert {"checked": 6, "in_sync": 2, "modified": 1, "missing": 1, "unmanaged": 1, "error": 1} == doc["summary"]
    assert 1 == REPORT.exit_code()


def test_colour_only_when_asked() -> None:
    """ANSI colours appear only with color=True (a terminal), never in files or pipes."""
    assert "\033[" not in render(REPORT, "text")
    assert "\033[" in render(REPORT, "text", color=True)
