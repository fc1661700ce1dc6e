"""The one door to moto: lazy imports, its backends, its errors, and the clock.

moto is an optional dependency (the ``demo`` extra), so nothing here imports it
at module import time: ``drift.embedded`` must import, and say how to install
moto, on a machine without it. Everything moto hands us is untyped; it stays
``Any`` here, at the edge, and the adapters turn it into plain dicts.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from drift.errors import DriftError

INSTALL_HINT = "the embedded SageMaker needs moto: pip install 'sagemaker-drift[demo]'"


def require_moto() -> None:
    """Raise a DriftError that says how to install moto when it is missing."""
    try:
        importlib.import_module("moto")
    except ImportError as exc:
        raise DriftError(INSTALL_HINT) from exc


def module(name: str) -> Any:
    """A moto module, imported on first use (typed ``Any``: moto is the untyped edge)."""
    return importlib.import_module(name)


def action_result(body: dict[str, Any]) -> Any:
    """moto's ActionResult: the body is serialised through botocore's output shape of the operation."""
    return module("moto.core.responses").ActionResult(body)


def empty_result() -> Any:
    """moto's EmptyResult, for operations whose output shape is empty."""
    return module("moto.core.responses").EmptyResult()


def service_error(code: str, message: str) -> Exception:
    """A JSON-protocol error (``{"__type": code, "message": ...}``, status 400) for SageMaker and ECR.

    moto's typed ServiceException looks its code up in the service's botocore error shapes and warns
    when it is not there (SageMaker models neither ValidationException nor AccessDeniedException);
    its JsonRESTError writes the body directly, as the JSON protocol wants it.
    """
    error: Exception = module("moto.core.exceptions").JsonRESTError(code, message)
    return error


def validation_error(message: str) -> Exception:
    """SageMaker's ``ValidationException``, the code it uses for missing and duplicate resources alike."""
    return service_error("ValidationException", message)


def sagemaker_backend(account: str, region: str) -> Any:
    """moto's SageMaker backend of one account and region."""
    return module("moto.sagemaker.models").sagemaker_backends[account][region]


def ecr_backend(account: str, region: str) -> Any:
    """moto's ECR backend of one account and region (each account's registry is its own backend)."""
    return module("moto.ecr.models").ecr_backends[account][region]


def existing_sagemaker_backends() -> Iterator[tuple[str, str, Any]]:
    """(account, region, backend) for every SageMaker backend moto has created, creating none."""
    backends = module("moto.sagemaker.models").sagemaker_backends
    for account, per_region in list(dict.items(backends)):
        for region, backend in list(dict.items(per_region)):
            yield account, region, backend


def sagemaker_arn(kind: str, name: str, account: str, region: str) -> str:
    """An ARN as SageMaker spells it (``arn:aws:sagemaker:us-east-1:123456789012:endpoint/name``)."""
    formatter: Any = module("moto.sagemaker.utils").arn_formatter
    return str(formatter(kind, name, account, region))


def now() -> datetime:
    """The server's clock, timezone-aware UTC (moto's own objects carry naive UTC)."""
    return datetime.now(UTC)


def timestamp(value: Any) -> float | None:
    """Seconds since the epoch of a request or record time, whatever form moto hands it in."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
