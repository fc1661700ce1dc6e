"""Escaping for every output format: values from live resources are written by whoever changed them.

A live value must never ping a Slack channel or hide a link (``<!channel>``,
``<https://evil|aws.amazon.com>``), never break a markdown table or inject HTML,
and never move a terminal's cursor or recolour it (SPEC §4, §5).
"""

from __future__ import annotations

from drift.errors import printable


def mrkdwn(text: str) -> str:
    """Slack's mrkdwn: its three control characters are escaped (Slack's own rule); backticks are
    replaced so a value cannot close a code span; controls become visible escapes."""
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


def markdown(text: str) -> str:
    """Inside a markdown table cell or inline text: no pipes, no HTML, no backticks, one line."""
    return (printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("`", "'"))


def terminal(text: str) -> str:
    """On a terminal: escape sequences, other controls and bidi overrides shown, never obeyed."""
    return printable(text)
