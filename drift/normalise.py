"""Normalisation machinery shared by every resource kind: raw request or response -> canonical form.

driftctl keeps one middleware per known quirk; so do we. The rules here hold for
every kind; each kind module (``drift/kinds/``) adds its own, each a small
function named for what it irons out and whose docstring names its evidence.
Both sides go through the same rules, so a difference that survives is a
difference SageMaker would act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift import redact


def keep_request_fields(raw: Mapping[str, Any], members: Any, read_only: frozenset[str]) -> dict[str, Any]:
    """Keep only fields of the Create request (minus Tags, compared on their own).

    Evidence: botocore's service model. A Describe response carries fields the Create request cannot
    set (ARNs, times, statuses, DeploymentRecommendation, ResponseMetadata, anything a newer API adds):
    they can never be declared, so they can never be drift (SPEC §3 "read-only fields").
    """
    return {k: v for k, v in raw.items() if k in members and k not in read_only and k != "Tags"}


def drop_empty(value: Any) -> Any:
    """``{}``, ``[]``, ``None`` and missing are the same thing, at every depth (SPEC §3)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = drop_empty(item)
            if cleaned is None or cleaned == {} or cleaned == []:
                continue
            out[key] = cleaned
        return out
    if isinstance(value, list | tuple):
        cleaned_items = [drop_empty(v) for v in value]
        return [v for v in cleaned_items if v not in (None, {}, [])]
    return value


def as_string(value: Any) -> Any:
    """SageMaker's maps of strings: YAML's ``8080`` means ``"8080"`` (booleans are refused by validation)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(value)


def ids_as_set(values: Any) -> Any:
    """A list of ids whose order and repeats carry no meaning (security groups, subnets)."""
    if not isinstance(values, list):
        return values
    return sorted({str(v) for v in values})


def secrets_as_digest(value: Any, key: str | None = None, *, in_environment: bool = False) -> Any:
    """Secrets become keyed digests: still compared, never kept or shown (SPEC §4).

    Inside an Environment map a value is a secret by its key or by its shape; anywhere else by its
    shape only (a URL with a password, a bearer token, a JWT, a private key...).
    """
    if isinstance(value, str):
        if redact.is_digest(value):
            return value
        if redact.looks_secret(value) or (in_environment and key is not None and redact.is_secret_key(key)):
            return redact.digest(value)
        return value
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if k == "Environment" and isinstance(v, dict):
                out[k] = {ek: secrets_as_digest(ev, str(ek), in_environment=True) for ek, ev in v.items()}
            else:
                out[k] = secrets_as_digest(v, str(k), in_environment=in_environment)
        return out
    if isinstance(value, list):
        return [secrets_as_digest(v, in_environment=in_environment) for v in value]
    return value


def tags_as_mapping(tags: Any) -> dict[str, str]:
    """Tags as ``{key: value}`` whichever form declared them; ``aws:`` tags belong to AWS (SPEC §3)."""
    if isinstance(tags, dict):
        pairs = list(tags.items())
    elif isinstance(tags, list):
        pairs = [(t.get("Key"), t.get("Value")) for t in tags if isinstance(t, dict)]
    else:
        pairs = []
    return {
        str(k): "" if v is None else as_string(v) if not isinstance(v, str) else v
        for k, v in pairs
        if k is not None and not str(k).startswith("aws:")
    }
