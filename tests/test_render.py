"""Golden files for the three writers. Regenerate deliberately: DRIFT_UPDATE_GOLDEN=1 pytest tests/test_render.py"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from drift.render import render
from drift.report import (
    Baseline,
    Difference,
    DiffType,
    Kind,
    ModelResult,
    Report,
    ServedBy,
    Severity,
    Source,
    Status,
)

GOLDEN = Path(__file__).parent / "golden"

REPORT = Report(
    run_id="2026-11-24T10:00:00Z-3f9c", started_at="2026-11-24T10:00:00Z", finished_at="2026-11-24T10:00:03Z",
    resources=(
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
        ModelResult("llm", "123456789012", "us-east-1", Status.IN_SYNC, recreated=True,
                    resolved=(("PrimaryContainer.Image", "sha256:" + "4e2" * 21 + "4"),)),
        ModelResult("mme", "123456789012", "eu-west-1", Status.IN_SYNC,
                    unverified=("PrimaryContainer.Image: python:3.11: not an ECR image: not verified",)),
        ModelResult("ranker-v2", "123456789012", "us-east-1", Status.MODIFIED, Severity.CRITICAL, differences=(
            Difference("PrimaryContainer.Image", DiffType.REPOINTED, "sha256:" + "4e2" * 21 + "4",
                       "sha256:" + "9c1" * 21 + "f", Severity.CRITICAL, Source("config/models/ranker.yaml", 5),
                       Baseline("first-seen", at="2026-11-30T08:00:00Z"),
                       message="tag ranker:3.1 now points to sha256:9c19c19c19c1…, was sha256:4e24e24e24e2… when "
                               "first seen 2026-11-30"),),
                    served_by=(ServedBy("ranker-prod", "AllTraffic", stale=False),)),
        ModelResult("ranker-prod", "123456789012", "us-east-1", Status.MODIFIED, Severity.CRITICAL,
                    kind=Kind.ENDPOINT, differences=(
                        Difference("ProductionVariants[0].ModelName", DiffType.STALE, "2026-11-30T10:00:00+00:00",
                                   "2026-11-30T14:02:00+00:00", Severity.CRITICAL,
                                   baseline=Baseline("endpoint", name="ranker-prod"),
                                   message="endpoint ranker-prod runs ranker-v2 as it was before it was re-created at "
                                           "2026-11-30 14:02 UTC; the next deployment will change what it serves"),)),
        ModelResult("ranker-config", "123456789012", "us-east-1", Status.IN_SYNC, kind=Kind.ENDPOINT_CONFIG),
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
    assert {"checked": 9, "in_sync": 3, "modified": 3, "missing": 1, "unmanaged": 1, "error": 1,
            "unverified": 1} == doc["summary"]
    assert (["EndpointConfig"], ["Endpoint"]) == ([e["kind"] for e in doc["endpoint_configs"]],
                                                  [e["kind"] for e in doc["endpoints"]])
    assert 1 == REPORT.exit_code()


def test_colour_only_when_asked() -> None:
    """ANSI colours appear only with color=True (a terminal), never in files or pipes."""
    assert "\033[" not in render(REPORT, "text")
    assert "\033[" in render(REPORT, "text", color=True)


HOSTILE = "\x1b[2J\x1b]0;pwned\x07 | `x` <b>bold</b> \u202egnp.exe"


def test_live_values_cannot_steer_a_terminal_or_break_markdown() -> None:
    """Escape sequences are shown, never obeyed; pipes, backticks and HTML cannot break a table."""
    result = ModelResult("m", "1", "r", Status.MODIFIED, Severity.CRITICAL, differences=(
        Difference("PrimaryContainer.Image", DiffType.NOT_EQUAL, "img:1", HOSTILE, Severity.CRITICAL),))
    report = Report(run_id="r", started_at="t", finished_at="t", resources=(result,))
    text, markdown = render(report, "text"), render(report, "markdown")
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\\u001b[2J" in text
    row = next(line for line in markdown.splitlines() if line.startswith("| `PrimaryContainer.Image`"))
    assert 5 == len(re.findall(r"(?<!\\)\|", row))  # the table's own pipes only
    assert "<b>" not in markdown
    assert "`x`" not in row


def test_markdown_stays_under_githubs_comment_limit() -> None:
    """A huge report is cut under 65,536 characters with a note saying what was cut."""
    results = tuple(ModelResult(f"model-{i:04d}", "1", "r", Status.MODIFIED, Severity.WARNING, differences=tuple(
        Difference(f"PrimaryContainer.Environment.K{d}", DiffType.NOT_EQUAL, "a" * 50, "b" * 50, Severity.WARNING)
        for d in range(10))) for i in range(400))
    markdown = render(Report(run_id="r", started_at="t", finished_at="t", resources=results), "markdown")
    assert len(markdown) < 65_536
    assert "more resources not shown: this comment was cut to fit GitHub's 65,536-character limit" in markdown
