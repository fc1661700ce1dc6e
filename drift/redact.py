"""Secret redaction, applied at every place where data leaves the process.

Three mechanisms, because any one alone leaks (SPEC §4):

* by key: an Environment value whose key matches ``SECRET_KEY`` is a secret;
* by shape: a value that looks like a credential whatever its key (a URL with a
  password in its userinfo, ``Bearer``/``Basic`` credentials, a JWT, ``Password=``
  in a connection string, a private key block);
* by literal: values we know are secret (``${VAR}``/``!env`` values of secret-looking
  variables, webhook secrets, Slack and webhook URLs) are replaced wherever they
  appear in rendered text or log events.

Secrets are compared through ``digest``: a keyed HMAC whose key is random and
kept in the state database (never an unsalted hash that a dictionary reverses).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Iterable
from typing import Any

SECRET_KEY = re.compile(
    r"(?i)(secret|token|password|passwd|pwd|pass(phrase)?|api_?key|credential|private|auth|jwt|dsn|cookie|"
    r"session|signing|encryption|_key$|connection_?string)")
#: Credential shapes; group "keep" (when present) is text before the secret that stays visible.
_SECRET_SHAPES = (
    re.compile(r"(?P<keep>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s:@]*:[^/\s@]+@"),  # scheme://user:password@host
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),             # Authorization credentials
    re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"(?i)(?P<keep>(?:^|[;\s])(?:password|pwd)\s*=\s*)[^;]+"),      # connection strings
    re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)"),
)
MASK = "***"
_DIGEST_PREFIX = "\x00redacted:"

_lock = threading.Lock()
_literals: frozenset[str] = frozenset()
_key: bytes = os.urandom(32)


def is_secret_key(key: str) -> bool:
    """Whether an environment or config key names a secret."""
    return bool(SECRET_KEY.search(key))


def looks_secret(value: Any) -> bool:
    """Whether a value has the shape of a credential, whatever key it sits under."""
    return isinstance(value, str) and any(shape.search(value) for shape in _SECRET_SHAPES)


def is_secret(key: str | None, value: Any) -> bool:
    return (key is not None and is_secret_key(key)) or looks_secret(value)


def use_literals(values: Iterable[str | None]) -> None:
    """Replace the set of known secret literals (called after a successful load, so a reload resets it)."""
    global _literals
    with _lock:
        _literals = frozenset(v for v in values if v and len(v) >= 4)


def use_key(key: bytes) -> None:
    """The key of ``digest``; the state database keeps one so digests stay comparable across passes."""
    global _key
    with _lock:
        _key = key


def key_id() -> str:
    """A short name of the current digest key (caches of digested forms are keyed by it)."""
    return hashlib.sha256(b"key-id:" + _key).hexdigest()[:16]


def digest(value: str) -> str:
    """Stand-in for a secret value: equal values give equal digests, nothing reveals the value."""
    mac = hmac.new(_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return _DIGEST_PREFIX + mac


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_DIGEST_PREFIX)


def scrub(text: str) -> str:
    """Remove every known literal secret and every credential-shaped substring from a piece of text."""
    with _lock:
        literals = sorted(_literals, key=len, reverse=True)
    for literal in literals:
        if literal in text:
            text = text.replace(literal, MASK)
    for shape in _SECRET_SHAPES:
        if shape.search(text):
            text = shape.sub(_mask_match, text)
    return text


def _mask_match(match: re.Match[str]) -> str:
    keep = match.groupdict().get("keep") or ""
    return keep + MASK


def scrub_value(value: Any, key: str | None = None) -> Any:
    """Recursively redact plain data: digests and secret-shaped strings become ``***``, secret-named keys too."""
    if isinstance(value, str):
        if is_digest(value) or looks_secret(value) or (key is not None and is_secret_key(key) and value):
            return MASK
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value
