"""Slack incoming-webhook messages in Block Kit, always within Slack's limits.

Limits: at most 50 blocks a message, 3000 characters in a section's text, 150 in
a header. When a report does not fit, the message says "and N more" instead of
being rejected by Slack (and so lost).
"""

from __future__ import annotations

import json
from typing import Any

from drift.redact import scrub
from drift.render._values import change
from drift.report import ModelResult, Report, Status

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
_EMOJI = {Status.MODIFIED: ":large_orange_circle:", Status.MISSING: ":red_circle:",
          Status.UNMANAGED: ":large_purple_circle:", Status.IN_SYNC: ":white_check_mark:", Status.ERROR: ":x:"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _model_text(model: ModelResult) -> str:
    where = f"{model.account}/{model.region}"
    if model.status is Status.IN_SYNC:
        return f"{_EMOJI[model.status]} *{model.name}* ({where}) is back in sync"
    head = f"{_EMOJI[model.status]} *{model.name}* ({where}): *{model.status.value}*"
    if model.severity:
        head += f" · {model.severity.value}"
    if model.status is Status.MISSING:
        return head + "\ndeclared but not found in SageMaker"
    if model.status is Status.UNMANAGED:
        return head + "\nexists in SageMaker but is not declared"
    lines = [head]
    budget = MAX_TEXT - len(head) - 40
    for i, diff in enumerate(model.differences):
        line = f"• `{diff.path}`: {change(diff)}"
        if len(line) + 1 > budget:
            lines.append(f"…and {len(model.differences) - i} more")
            break
        budget -= len(line) + 1
        lines.append(line)
    return _cut("\n".join(lines), MAX_TEXT)


def slack_payload(report: Report) -> dict[str, Any]:
    drifted = [m for m in report.models if m.status is not Status.IN_SYNC]
    resolved = [m for m in report.models if m.status is Status.IN_SYNC]
    if drifted:
        title = f"SageMaker drift: {len(drifted)} model{'s' if len(drifted) != 1 else ''} changed"
    else:
        title = f"SageMaker drift: {len(resolved)} model{'s' if len(resolved) != 1 else ''} back in sync"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text",
                                                                "text": _cut(title, MAX_HEADER)}}]
    models = drifted + resolved
    room = MAX_BLOCKS - 3  # header, a possible "and N more", context
    for model in models[:room]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": scrub(_model_text(model))}})
    if len(models) > room:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"…and {len(models) - room} more models"}})
    s = report.summary
    context = (f"run `{report.run_id}` · {s.modified} modified · {s.missing} missing · "
               f"{s.unmanaged} unmanaged · {s.in_sync} back in sync")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context, MAX_TEXT)}]})
    return {"text": title, "blocks": blocks}


def slack_body(report: Report) -> bytes:
    return json.dumps(slack_payload(report), ensure_ascii=False).encode("utf-8")
