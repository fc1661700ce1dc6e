"""Signed JSON webhooks (SPEC §5): the body is the report of the resources whose drift changed.

``X-Drift-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` when a secret is
set; the body is sent byte for byte as stored in the outbox, so every retry
carries the same signature and the same ``X-Drift-Delivery`` id.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from drift.config.settings import Channel
from drift.report import Report
from drift.serialise import to_dict


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookFormat:
    def body(self, report: Report, changes: dict[tuple[str, str, str, str], str]) -> bytes:
        return json.dumps(to_dict(report, changes), ensure_ascii=False).encode("utf-8")

    def headers(self, channel: Channel, body: bytes) -> dict[str, str]:
        return {"X-Drift-Signature": signature(channel.secret, body)} if channel.secret else {}
