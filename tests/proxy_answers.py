"""Wrong answers with a 200 status: what a broken gateway, a buggy SDK or a lying cache would send.

Each function takes the real answer (status, headers, body) and returns the
wrong one. They are the fault kinds that pass for success at the HTTP level and
so reach the product's shape checks instead of its retry logic.
"""

from __future__ import annotations

import json
from typing import Any

from tests.proxy_protocols import JSON_TYPE, Call

Answer = tuple[int, dict[str, str], bytes]

#: What nginx in front of a dead upstream sends (``<hr>`` is not closed: HTML, not XML).
GARBAGE = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
           b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
#: Top-level keys renamed by the ``renamed`` fault, and the list keys ``swapped`` thins for listings.
RENAMED_KEYS = ("ModelName", "ModelArn", "EndpointName", "EndpointArn", "EndpointConfigName", "EndpointConfigArn")
LIST_KEYS = ("Tags", "ResourceTagMappingList", "Models", "Endpoints", "EndpointConfigs", "Results", "Accounts",
             "images")
_NAMES = ("ModelName", "EndpointName", "EndpointConfigName", "Name", "Id", "ResourceARN", "ModelArn", "Key")


def garbage(_: Call) -> Answer:
    """200 with an HTML page (what a captive portal or a misrouted load balancer sends)."""
    return 200, {"Content-Type": "text/html"}, GARBAGE


def empty(call: Call) -> Answer:
    """200 with ``{}`` for JSON, an empty body for XML."""
    if call.protocol == "json":
        return 200, {"Content-Type": JSON_TYPE}, b"{}"
    return 200, {"Content-Type": "text/xml"}, b""


def truncated(answer: Answer) -> Answer:
    """The real answer cut in half (a connection that closed early behind a proxy that said 200)."""
    status, headers, body = answer
    return status, headers, body[: len(body) // 2]


def _json(answer: Answer) -> dict[str, Any] | None:
    try:
        payload = json.loads(answer[2] or b"{}")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _with(answer: Answer, payload: dict[str, Any]) -> Answer:
    return answer[0], answer[1], json.dumps(payload).encode()


def renamed(answer: Answer, suffix: str = "-renamed") -> Answer:
    """The real answer with its own name and ARN altered (ModelName/ModelArn, and the endpoint ones)."""
    payload = _json(answer)
    if payload is None:
        return answer
    for key in RENAMED_KEYS:
        if isinstance(payload.get(key), str):
            payload[key] = payload[key] + suffix
    return _with(answer, payload)


def dropped(answer: Answer) -> Answer:
    """A listing with every other entry dropped (at least one), e.g. ListTags or GetResources."""
    payload = _json(answer)
    if payload is None:
        return answer
    for key in LIST_KEYS:
        if isinstance(payload.get(key), list) and payload[key]:
            entries = payload[key]
            payload[key] = entries[1::2] if len(entries) > 1 else []
            break
    return _with(answer, payload)


def endless(answer: Answer, variant: str, token: str | None) -> Answer:
    """A listing that never ends: ``same`` page and token forever, or ``new`` made-up names on every page."""
    payload = _json(answer)
    if payload is None:
        return answer
    if variant == "same":
        payload["NextToken"] = "endless-token"
        return _with(answer, payload)
    page = int(token.rsplit("-", 1)[-1]) + 1 if token and token.startswith("ghost-page-") else 1
    for key in LIST_KEYS:
        entries = payload.get(key)
        if isinstance(entries, list):
            template = entries[0] if entries and isinstance(entries[0], dict) else {}
            payload[key] = [_ghost(template, page, i) for i in range(max(1, len(entries)))]
            break
    payload["NextToken"] = f"ghost-page-{page}"
    return _with(answer, payload)


def _ghost(template: dict[str, Any], page: int, index: int) -> dict[str, Any]:
    ghost = dict(template) or {"ModelName": ""}
    for key in _NAMES:
        if isinstance(ghost.get(key), str):
            value = ghost[key]
            ghost[key] = f"{value.rsplit('/', 1)[0]}/ghost-{page}-{index}" if "/" in value else f"ghost-{page}-{index}"
    return ghost


def endless_xml(answer: Answer) -> Answer:
    """S3 ListObjectsV2 that always says there is more, with the same continuation token."""
    status, headers, body = answer
    text = body.decode("utf-8", "replace")
    text = text.replace("<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>")
    if "<NextContinuationToken>" not in text:
        text = text.replace("</ListBucketResult>",
                            "<NextContinuationToken>endless-token</NextContinuationToken></ListBucketResult>")
    return status, headers, text.encode()
