"""Slack incoming-webhook messages in Block Kit, always within Slack's limits, every value escaped.

Limits: at most 50 blocks a message, 3000 characters in a section's text, 150 in
a header. When a report does not fit, the message says "and N more" instead of
being rejected by Slack (and so lost). Every value is escaped for mrkdwn, since
live values are written by whoever changed the resource.
"""

from __future__ import annotations

import json
from typing import Any

from drift.config.settings import Channel
from drift.escape import mrkdwn
from drift.redact import scrub
from drift.render._values import change
from drift.report import Kind, Report, Result, Status

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
_EMOJI = {Status.MODIFIED: ":large_orange_circle:", Status.MISSING: ":red_circle:",
          Status.UNMANAGED: ":large_purple_circle:", Status.IN_SYNC: ":white_check_mark:", Status.ERROR: ":x:"}
_WHY = {"appeared": "new", "changed": "changed", "reminder": "still unresolved", "resolved": "resolved"}
_NOUN = {Kind.MODEL: "model", Kind.ENDPOINT_CONFIG: "endpoint config", Kind.ENDPOINT: "endpoint"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _head(result: Result, why: str | None) -> str:
    where = mrkdwn(f"{result.account}/{result.region}")
    name = f"{_NOUN[result.kind]} *{mrkdwn(result.name)}* ({where})"
    if why == "resolved" and result.status is Status.IN_SYNC:
        return f"{_EMOJI[result.status]} {name} is back in sync"
    if why == "resolved":
        return f"{_EMOJI[Status.IN_SYNC]} {name} left scope (last seen {result.status.value}): resolved"
    head = f"{_EMOJI[result.status]} {name}: *{result.status.value}*"
    if result.severity:
        head += f" · {result.severity.value}"
    return head + (f" · {_WHY.get(why, why)}" if why else "")


def _text(result: Result, why: str | None) -> str:
    head = _head(result, why)
    if why == "resolved":
        return head
    if result.status is Status.MISSING:
        return head + "\ndeclared but not found in SageMaker"
    if result.status is Status.UNMANAGED:
        return head + "\nexists in SageMaker but is not declared"
    lines = [head]
    budget = MAX_TEXT - len(head) - 40
    for i, diff in enumerate(result.differences):
        line = f"• `{mrkdwn(diff.path)}`: {mrkdwn(change(diff))}"
        if len(line) + 1 > budget:
            lines.append(f"…and {len(result.differences) - i} more")
            break
        budget -= len(line) + 1
        lines.append(line)
    return _cut("\n".join(lines), MAX_TEXT)


def slack_payload(report: Report, changes: dict[tuple[str, str, str, str], str] | None = None) -> dict[str, Any]:
    changes = changes or {}
    resolved = [r for r in report.resources if changes.get(r.key) == "resolved" or (
        not changes and r.status is Status.IN_SYNC)]
    drifted = [r for r in report.resources if r not in resolved]
    if drifted:
        title = f"SageMaker drift: {len(drifted)} resource{'s' if len(drifted) != 1 else ''} changed"
    else:
        title = f"SageMaker drift: {len(resolved)} resource{'s' if len(resolved) != 1 else ''} back in sync"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": _cut(title, MAX_HEADER)}}]
    ordered = drifted + resolved
    room = MAX_BLOCKS - 3  # header, a possible "and N more", context
    for result in ordered[:room]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": scrub(_text(result, changes.get(result.key)))}})
    if len(ordered) > room:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"…and {len(ordered) - room} more resources"}})
    s = report.summary
    context = (f"run `{mrkdwn(report.run_id)}` · {s.modified} modified · {s.missing} missing · {s.unmanaged} unmanaged"
               f" · {len(resolved)} resolved")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, MAX_TEXT)}]})
    return {"text": title, "blocks": blocks}


class SlackFormat:
    def body(self, report: Report, changes: dict[tuple[str, str, str, str], str]) -> bytes:
        return json.dumps(slack_payload(report, changes), ensure_ascii=False).encode("utf-8")

    def headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return {}
