"""Signed JSON webhooks: one POST, retried by urllib3's Retry (backoff with jitter, Retry-After honoured).

Retries happen on connection errors, 429 and 5xx; never on other 4xx, which
no retry can fix. TLS is always verified. The body is sent byte for byte as it
was stored in the outbox, so every retry carries the same signature and the
same ``X-Drift-Delivery`` id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.util.retry import Retry

from drift import __version__
from drift.config import Channel
from drift.report import Report, to_dict

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    status: int | None
    attempts: int
    error: str | None = None


def webhook_body(report: Report) -> bytes:
    return json.dumps(to_dict(report), sort_keys=False, ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


_pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", num_pools=8, maxsize=4)


def post(channel: Channel, body: bytes, delivery_id: str, *, backoff: float = 0.5) -> Delivery:
    """POST ``body`` to the channel's URL; returns how it went, never raises."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"sagemaker-drift/{__version__}",
        "X-Drift-Delivery": delivery_id,
    }
    if channel.type == "webhook" and channel.secret:
        headers["X-Drift-Signature"] = signature(channel.secret, body)
    retry = Retry(
        total=max(0, channel.max_attempts - 1),
        connect=max(0, channel.max_attempts - 1),
        read=max(0, channel.max_attempts - 1),
        status=max(0, channel.max_attempts - 1),
        other=0,
        allowed_methods=frozenset({"POST"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=30,
        backoff_jitter=backoff / 2,
        respect_retry_after_header=True,
        retry_after_max=60,
        raise_on_status=False,
        redirect=0,
    )
    timeout = urllib3.Timeout(connect=min(5.0, channel.timeout), read=channel.timeout)
    try:
        response: Any = _pool.request("POST", channel.url, body=body, headers=headers, retries=retry,
                                      timeout=timeout, redirect=False)
    except urllib3.exceptions.MaxRetryError as exc:
        return Delivery(False, None, channel.max_attempts, f"{type(exc.reason).__name__}: unreachable")
    except urllib3.exceptions.HTTPError as exc:
        return Delivery(False, None, 1, type(exc).__name__)
    history = response.retries.history if response.retries else ()
    attempts = len(history) + 1
    if 200 <= response.status < 300:
        return Delivery(True, response.status, attempts)
    return Delivery(False, response.status, attempts, f"HTTP {response.status}")
