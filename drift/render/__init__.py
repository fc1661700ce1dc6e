"""Writers: every output format implements ``render(report) -> str`` over the same Report."""

from __future__ import annotations

from drift.report import Report

FORMATS = ("text", "json", "markdown")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    from drift.redact import scrub

    if fmt == "json":
        from drift.render.json import render_json

        return render_json(report)
    if fmt == "markdown":
        from drift.render.markdown import render_markdown

        return scrub(render_markdown(report))
    from drift.render.text import render_text

    return scrub(render_text(report, color=color))
