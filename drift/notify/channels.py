"""Channel formats behind one small protocol, and the registry that maps a channel type to its format."""

from __future__ import annotations

from typing import Protocol

from drift.config.settings import Channel, ChannelType
from drift.notify.slack import SlackFormat
from drift.notify.webhook import WebhookFormat
from drift.report import Report


class Format(Protocol):
    def body(self, report: Report, changes: dict[tuple[str, str, str, str], str]) -> bytes:
        """The message for the resources in ``report``; ``changes`` says why each is there."""

    def headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        """Headers beyond the common ones (a signature, say)."""


FORMATS: dict[ChannelType, Format] = {ChannelType.WEBHOOK: WebhookFormat(), ChannelType.SLACK: SlackFormat()}
