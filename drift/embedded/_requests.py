"""Desired-state entries as the requests that create them (used by the demo, the tests and the benchmark)."""

from __future__ import annotations

from typing import Any

from drift._yaml import plain


def create_model_request(spec: dict[str, Any]) -> dict[str, Any]:
    """A desired entry as boto3 ``create_model`` keyword arguments (Tags as a list, env values as strings).

    Desired state allows Tags as a mapping and numeric Environment values (SPEC §2); CreateModel
    takes neither, so they are converted here, once, for everything that creates models from YAML.
    """
    request: dict[str, Any] = {k: v for k, v in plain(spec).items() if v is not None}
    tags = request.pop("Tags", None)
    if isinstance(tags, dict):
        request["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
    elif tags:
        request["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in tags]
    containers = [request.get("PrimaryContainer"), *(request.get("Containers") or [])]
    for container in containers:
        if isinstance(container, dict) and isinstance(container.get("Environment"), dict):
            container["Environment"] = {k: str(v) for k, v in container["Environment"].items()}
    return request
