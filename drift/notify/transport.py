"""One webhook POST that can never hang, never read an unbounded answer, and never leak the URL.

(Interim version; the hardened transport with a socket watchdog replaces it.)
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import urllib3


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    status: int | None
    reason: str
    retry_after: float | None = None


_pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", num_pools=8, maxsize=4, retries=False)


def post_once(url: str, body: bytes, headers: Mapping[str, str], *, deadline: float,
              max_answer_bytes: int = 4096) -> Attempt:
    parts = urlsplit(url)
    sent = dict(headers)
    if parts.username is not None:
        sent.update(urllib3.util.make_headers(basic_auth=f"{parts.username}:{parts.password or ''}"))
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    try:
        response = _pool.request("POST", url, body=body, headers=sent, redirect=False, preload_content=False,
                                 timeout=urllib3.Timeout(connect=min(5.0, deadline), read=deadline))
        try:
            response.read(max_answer_bytes)
        finally:
            response.release_conn()
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome, never a dead delivery thread
        return Attempt(Outcome.RETRY, None, type(exc).__name__)
    status = response.status
    if 200 <= status < 300:
        return Attempt(Outcome.DELIVERED, status, f"HTTP {status}")
    if status == 429 or status >= 500:
        return Attempt(Outcome.RETRY, status, f"HTTP {status}")
    if 300 <= status < 400:
        return Attempt(Outcome.REJECTED, status, "redirect (not followed)")
    return Attempt(Outcome.REJECTED, status, f"HTTP {status}")
