"""Secret redaction, applied at every place where data leaves the process.

Two mechanisms, because either alone leaks:

* by key: an Environment value whose key matches SPEC §4's pattern is shown as
  ``***`` (the change is still detected: we compare digests, see ``digest``);
* by value: literal secrets we know of (values of secret-looking environment
  variables used through ``${VAR}`` or ``!env``, webhook secrets and URLs) are
  replaced wherever they appear in rendered text or log events.
"""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

SECRET_KEY = re.compile(r"(?i)(secret|token|password|passwd|api_?key|credential|private)")
MASK = "***"
_DIGEST_PREFIX = "\x00redacted:"

_lock = threading.Lock()
_literals: set[str] = set()


def is_secret_key(key: str) -> bool:
    """Whether an environment or config key names a secret."""
    return bool(SECRET_KEY.search(key))


def register(value: str | None) -> None:
    """Remember a literal secret so that ``scrub`` removes it from any text."""
    if value and len(value) >= 4:
        with _lock:
            _literals.add(value)


def digest(value: str) -> str:
    """Stand-in for a secret value: equal values give equal digests, nothing reveals the value.

    The digest, not the value, is what the comparator sees and what the state
    database stores, so a changed password is still drift and never written down.
    """
    return _DIGEST_PREFIX + hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_DIGEST_PREFIX)


def scrub(text: str) -> str:
    """Remove every registered literal secret from a piece of text."""
    with _lock:
        literals = sorted(_literals, key=len, reverse=True)
    for literal in literals:
        if literal in text:
            text = text.replace(literal, MASK)
    return text


def scrub_value(value: Any) -> Any:
    """Recursively scrub strings inside plain data, masking secret-named keys too."""
    if isinstance(value, str):
        return MASK if is_digest(value) else scrub(value)
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else scrub_value(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value
