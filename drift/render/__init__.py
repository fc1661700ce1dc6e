"""Writers: every output format implements ``render(report) -> str`` over the same Report (a registry)."""

from __future__ import annotations

from collections.abc import Callable

from drift.redact import scrub
from drift.render.json import render_json
from drift.render.markdown import render_markdown
from drift.render.text import render_text
from drift.report import Report

WRITERS: dict[str, Callable[[Report, bool], str]] = {
    "json": lambda report, color: render_json(report),
    "markdown": lambda report, color: scrub(render_markdown(report)),
    "text": lambda report, color: scrub(render_text(report, color=color)),
}
FORMATS = tuple(WRITERS)


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    return WRITERS[fmt](report, color)
