"""The markdown writer, fit for a pull-request comment: a summary line, then a table per resource that needs
attention. Every live value is escaped (no pipes, HTML or backticks from outside), and the text stays under
GitHub's 65,536-character comment limit, saying what was cut."""

from __future__ import annotations

from drift.escape import markdown
from drift.render._values import change
from drift.render.text import ATTENTION
from drift.report import Kind, Report, Result, Status

#: GitHub refuses comments over 65,536 characters; keep room for the note and the run line.
LIMIT = 65_536 - 1_000
_ICON = {Status.MODIFIED: "🟠", Status.MISSING: "🔴", Status.UNMANAGED: "🟣", Status.ERROR: "❌", Status.IN_SYNC: "✅"}
_NOUN = {Kind.MODEL: "model", Kind.ENDPOINT_CONFIG: "endpoint config", Kind.ENDPOINT: "endpoint"}


def _section(result: Result) -> list[str]:
    extras = f" · {result.severity.value}" if result.severity else ""
    extras += " · recreated" if result.recreated else ""
    out = [f"### {_ICON[result.status]} {_NOUN[result.kind]} `{markdown(result.name)}` — {result.status.value}{extras}",
           f"<sub>{markdown(result.account)} / {markdown(result.region)}</sub>", ""]
    if result.error:
        out += [f"Error: `{markdown(result.error)}`", ""]
    if result.differences:
        out += ["| path | change | severity | declared at |", "| --- | --- | --- | --- |"]
        for d in result.differences:
            src = f"`{markdown(d.source.file)}:{d.source.line}`" if d.source else ""
            out.append(f"| `{markdown(d.path)}` | {markdown(change(d))} | {d.severity.value} | {src} |")
        out.append("")
    out += [f"> ⚠️ not verified: {markdown(note)}" for note in result.unverified]
    return out + ([""] if result.unverified else [])


def render_markdown(report: Report) -> str:
    s = report.summary
    verdict = "errors" if report.has_error else ("drift detected" if report.has_drift else "in sync")
    head = [f"## SageMaker drift: {verdict}", "",
            f"**{s.checked}** checked · **{s.in_sync}** in sync · **{s.modified}** modified · **{s.missing}** missing "
            f"· **{s.unmanaged}** unmanaged · **{s.error}** errors" + (f" · **{s.unverified}** not fully verified"
                                                                        if s.unverified else ""), ""]
    head += [line for error in report.errors for line in (f"> ❌ {markdown(error)}", "")]
    sections = [_section(r) for status in ATTENTION for r in report.resources if r.status is status]
    sections += [_section(r) for r in report.resources if r.status is Status.IN_SYNC and r.unverified]
    tail = []
    if s.in_sync:
        tail += [f"✅ {s.in_sync} resource{'s' if s.in_sync != 1 else ''} in sync.", ""]
    tail.append(f"<sub>run `{markdown(report.run_id)}`</sub>")
    out, size = list(head), sum(len(line) + 1 for line in head + tail)
    for i, section in enumerate(sections):
        length = sum(len(line) + 1 for line in section)
        if size + length > LIMIT:
            out += [f"> ✂️ {len(sections) - i} more resource{'s' if len(sections) - i != 1 else ''} not shown: this "
                    "comment was cut to fit GitHub's 65,536-character limit; the JSON report has everything.", ""]
            break
        out += section
        size += length
    return "\n".join(out + tail) + "\n"
