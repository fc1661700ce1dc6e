"""The markdown writer, fit for a pull-request comment: a summary line, then a table per drifted model."""

from __future__ import annotations

from drift.render._values import change
from drift.report import Report, Status

_ICON = {Status.MODIFIED: "🟠", Status.MISSING: "🔴", Status.UNMANAGED: "🟣", Status.ERROR: "❌",
         Status.IN_SYNC: "✅"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    s = report.summary
    verdict = "errors" if report.has_error else ("drift detected" if report.has_drift else "in sync")
    out = [
        f"## SageMaker model drift: {verdict}",
        "",
        f"**{s.checked}** checked · **{s.in_sync}** in sync · **{s.modified}** modified · "
        f"**{s.missing}** missing · **{s.unmanaged}** unmanaged · **{s.error}** errors",
        "",
    ]
    for error in report.errors:
        out += [f"> ❌ {_cell(error)}", ""]
    for status in (Status.ERROR, Status.MODIFIED, Status.MISSING, Status.UNMANAGED):
        for m in (m for m in report.models if m.status is status):
            extras = f" · {m.severity.value}" if m.severity else ""
            extras += " · recreated" if m.recreated else ""
            out.append(f"### {_ICON[status]} `{m.name}` — {status.value}{extras}")
            out.append(f"<sub>{m.account} / {m.region}</sub>")
            out.append("")
            if m.error:
                out += [f"Error: `{_cell(m.error)}`", ""]
            if m.differences:
                out.append("| path | change | severity | declared at |")
                out.append("| --- | --- | --- | --- |")
                for d in m.differences:
                    src = f"`{d.source.file}:{d.source.line}`" if d.source else ""
                    out.append(f"| `{_cell(d.path)}` | {_cell(change(d))} | {d.severity.value} | {src} |")
                out.append("")
    if s.in_sync:
        out += [f"✅ {s.in_sync} model{'s' if s.in_sync != 1 else ''} in sync.", ""]
    out.append(f"<sub>run `{report.run_id}`</sub>")
    return "\n".join(out) + "\n"
