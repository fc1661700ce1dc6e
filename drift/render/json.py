"""The JSON writer: SPEC §4 exactly, stable key order, one trailing newline."""

from __future__ import annotations

import json

from drift.report import Report
from drift.serialise import to_dict


def render_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"
