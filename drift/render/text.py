"""The text writer: what needs attention first, in-sync resources summarised in one line; colour only on a TTY.

Every value from a live resource goes through ``escape.terminal``: an escape
sequence in an image tag is shown, never obeyed.
"""

from __future__ import annotations

from drift.escape import terminal
from drift.render._values import change
from drift.report import Kind, Report, Result, Status

_MARK = {"NOT_EQUAL": "~", "ADD": "+", "REMOVE": "-", "REPOINTED": "!", "OVERWRITTEN": "!", "GONE": "!",
         "STALE": "!"}
_COLORS = {Status.MODIFIED: "33", Status.MISSING: "31", Status.UNMANAGED: "35", Status.ERROR: "31;1",
           Status.IN_SYNC: "32"}
_NOUN = {Kind.MODEL: "", Kind.ENDPOINT_CONFIG: "endpoint config ", Kind.ENDPOINT: "endpoint "}
ATTENTION = (Status.ERROR, Status.MODIFIED, Status.MISSING, Status.UNMANAGED)


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _block(result: Result, color: bool) -> list[str]:
    status = _paint(f"{result.status.value:<9}", _COLORS[result.status], color)
    extras = [result.severity.value] if result.severity else []
    if result.recreated:
        extras.append("recreated")
    head = (f"{status} {_NOUN[result.kind]}{terminal(result.name)}  ({result.account}/{result.region})"
            + (f"  [{', '.join(extras)}]" if extras else ""))
    lines = [head]
    if result.status is Status.ERROR:
        lines.append(f"    error: {terminal(str(result.error))}")
    elif result.status is Status.MISSING:
        lines.append("    declared but not found in SageMaker")
    elif result.status is Status.UNMANAGED:
        lines.append("    exists in SageMaker but no desired-state file declares it")
    for diff in result.differences:
        where = f"  ({terminal(diff.source.file)}:{diff.source.line})" if diff.source else ""
        lines.append(f"    {_MARK[diff.type.value]} {terminal(diff.path)}: {terminal(change(diff))}  "
                     f"[{diff.severity.value}]{where}")
    lines += [f"    ? {terminal(note)}" for note in result.unverified]
    return lines


def render_text(report: Report, *, color: bool = False) -> str:
    s = report.summary
    lines = [_paint(f"error: {terminal(error)}", "31;1", color) for error in report.errors]
    for status in ATTENTION:
        for result in report.resources:
            if result.status is status:
                lines.extend(_block(result, color))
    in_sync = [r for r in report.resources if r.status is Status.IN_SYNC]
    for result in in_sync:
        if result.unverified:
            lines.append(f"IN_SYNC   {_NOUN[result.kind]}{terminal(result.name)}  ({result.account}/{result.region})  "
                         "[not fully verified]")
            lines += [f"    ? {terminal(note)}" for note in result.unverified]
    if in_sync:
        recreated = [terminal(r.name) for r in in_sync if r.recreated]
        note = f" (re-created with identical content: {', '.join(recreated)})" if recreated else ""
        noun = "resource" if any(r.kind is not Kind.MODEL for r in report.resources) else "model"
        lines.append(_paint(f"{len(in_sync)} {noun}{'s' if len(in_sync) != 1 else ''} in sync{note}.", "32", color))
    lines.append(f"Summary: {s.checked} checked, {s.in_sync} in sync, {s.modified} modified, {s.missing} missing, "
                 f"{s.unmanaged} unmanaged, {s.error} error{'s' if s.error != 1 else ''}"
                 + (f", {s.unverified} not fully verified" if s.unverified else "") + f" (run {report.run_id})")
    return "\n".join(lines) + "\n"
