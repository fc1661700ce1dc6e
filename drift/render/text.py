"""The text writer: drifted models first, in-sync ones summarised in one line; colour only on a TTY."""

from __future__ import annotations

from drift.render._values import change
from drift.report import ModelResult, Report, Status

_MARK = {"NOT_EQUAL": "~", "ADD": "+", "REMOVE": "-"}
_COLORS = {Status.MODIFIED: "33", Status.MISSING: "31", Status.UNMANAGED: "35", Status.ERROR: "31;1",
           Status.IN_SYNC: "32"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _model_block(model: ModelResult, color: bool) -> list[str]:
    status = _paint(f"{model.status.value:<9}", _COLORS[model.status], color)
    where = f"{model.account}/{model.region}"
    extras = [model.severity.value] if model.severity else []
    if model.recreated:
        extras.append("recreated")
    head = f"{status} {model.name}  ({where})" + (f"  [{', '.join(extras)}]" if extras else "")
    lines = [head]
    if model.status is Status.ERROR:
        lines.append(f"    error: {model.error}")
    elif model.status is Status.MISSING:
        lines.append("    declared but not found in SageMaker")
    elif model.status is Status.UNMANAGED:
        lines.append("    exists in SageMaker but no desired-state file declares it")
    for diff in model.differences:
        where = f"  ({diff.source.file}:{diff.source.line})" if diff.source else ""
        lines.append(f"    {_MARK[diff.type.value]} {diff.path}: {change(diff)}  [{diff.severity.value}]{where}")
    return lines


def render_text(report: Report, *, color: bool = False) -> str:
    s = report.summary
    lines: list[str] = []
    for error in report.errors:
        lines.append(_paint(f"error: {error}", "31;1", color))
    order = (Status.ERROR, Status.MODIFIED, Status.MISSING, Status.UNMANAGED)
    for status in order:
        for model in report.models:
            if model.status is status:
                lines.extend(_model_block(model, color))
    recreated = [m.name for m in report.models if m.status is Status.IN_SYNC and m.recreated]
    if s.in_sync:
        note = f" (re-created with identical content: {', '.join(recreated)})" if recreated else ""
        lines.append(_paint(f"{s.in_sync} model{'s' if s.in_sync != 1 else ''} in sync{note}.", "32", color))
    lines.append(
        f"Summary: {s.checked} checked, {s.in_sync} in sync, {s.modified} modified, {s.missing} missing, "
        f"{s.unmanaged} unmanaged, {s.error} error{'s' if s.error != 1 else ''} (run {report.run_id})"
    )
    return "\n".join(lines) + "\n"
