"""An embedded local SageMaker for the demo, the tests and the benchmark: moto in server mode.

moto 5.2.5 differs from SageMaker in ways that would make a drift tool look
wrong, so this module installs a small adapter over moto's SageMaker backend
(idempotent, process-wide, only ever in the process that runs the server):

* CreateModel keeps ``EnableNetworkIsolation`` and ``InferenceExecutionConfig``
  (moto drops both) and refuses a name that exists (moto silently replaces it);
* DescribeModel returns what was created and nothing else: no ``{}``/``[]``
  placeholders for the container form that was not used, no made-up role;
* ListModels pages like SageMaker (``MaxResults`` default 10, at most 100,
  ``NextToken``), filters by ``NameContains`` and ``CreationTimeAfter/Before``,
  sorts by ``CreationTime`` descending by default, and returns only name, ARN
  and creation time.

Requires the ``demo`` extra (``pip install 'sagemaker-drift[demo]'``).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from drift._yaml import plain
from drift.errors import DriftError

_installed = False
_install_lock = threading.Lock()


def _require_moto() -> None:
    try:
        import moto  # noqa: F401
    except ImportError as exc:
        raise DriftError("the embedded SageMaker needs moto: pip install 'sagemaker-drift[demo]'") from exc


def install_faithful_models() -> None:
    """Patch moto's SageMaker model API to behave like SageMaker's (see the module docstring)."""
    global _installed
    _require_moto()
    with _install_lock:
        if _installed:
            return
        import importlib

        # moto's classes are patched at run time: treat them as the untyped edge they are here.
        action_result: Any = importlib.import_module("moto.core.responses").ActionResult
        sm_models: Any = importlib.import_module("moto.sagemaker.models")
        validation_error: Any = importlib.import_module("moto.sagemaker.exceptions").ValidationError
        response_class: Any = importlib.import_module("moto.sagemaker.responses").SageMakerResponse

        def create_model(self: Any) -> Any:
            name = self._get_param("ModelName")
            backend = self.sagemaker_backend
            if name in backend._models:
                arn = backend._models[name].arn
                raise validation_error(message=f'Cannot create already existing model "{arn}".')
            primary = self._get_param("PrimaryContainer")
            containers = self._get_param("Containers")
            model = backend.create_model(
                model_name=name,
                execution_role_arn=self._get_param("ExecutionRoleArn"),
                primary_container=primary,
                vpc_config=self._get_param("VpcConfig"),
                containers=containers,
                tags=self._get_param("Tags"),
            )
            model.faithful = {
                "PrimaryContainer": primary or None,
                "Containers": containers or None,
                "InferenceExecutionConfig": self._get_param("InferenceExecutionConfig") or None,
                "ExecutionRoleArn": self._get_param("ExecutionRoleArn") or None,
                "VpcConfig": self._get_param("VpcConfig") or None,
                "EnableNetworkIsolation": bool(self._get_param("EnableNetworkIsolation") or False),
            }
            return action_result(model.response_create)

        original_response = sm_models.Model.response_object

        def response_object(self: Any) -> dict[str, Any]:
            faithful = getattr(self, "faithful", None)
            if faithful is None:  # created some other way (CloudFormation): moto's own answer
                return dict(original_response.fget(self))
            out: dict[str, Any] = {"ModelName": self.model_name}
            out.update({k: v for k, v in faithful.items() if v is not None})
            out["CreationTime"] = self.creation_time
            out["ModelArn"] = self.arn
            return out

        def list_models(self: Any) -> Any:
            models = list(self.sagemaker_backend.list_models())
            contains = self._get_param("NameContains")
            if contains:
                models = [m for m in models if contains in m.model_name]
            after, before = _time(self._get_param("CreationTimeAfter")), _time(self._get_param("CreationTimeBefore"))
            if after is not None:
                models = [m for m in models if (_time(m.creation_time) or 0.0) > after]
            if before is not None:
                models = [m for m in models if (_time(m.creation_time) or 0.0) < before]
            by_name = self._get_param("SortBy") == "Name"
            models.sort(key=(lambda m: m.model_name) if by_name else (lambda m: (_time(m.creation_time),
                                                                               m.model_name)),
                        reverse=self._get_param("SortOrder", "Descending") != "Ascending")
            size = max(1, min(int(self._get_param("MaxResults") or 10), 100))
            start = int(self._get_param("NextToken") or 0)
            page = models[start:start + size]
            body: dict[str, Any] = {"Models": [{"ModelName": m.model_name, "ModelArn": m.arn,
                                                "CreationTime": m.creation_time} for m in page]}
            if start + size < len(models):
                body["NextToken"] = str(start + size)
            return action_result(body)

        response_class.create_model = create_model
        response_class.list_models = list_models
        sm_models.Model.response_object = property(response_object)
        _installed = True


def _time(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class LocalSageMaker:
    """moto's server on 127.0.0.1 and a random free port, with the faithful model API installed."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        _require_moto()
        from moto.server import ThreadedMotoServer

        install_faithful_models()
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is noise here
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource (moto's own reset endpoint)."""
        import urllib.request

        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310 - our loopback server
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own loopback server
            pass

    def __enter__(self) -> LocalSageMaker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_model_request(spec: dict[str, Any]) -> dict[str, Any]:
    """A desired entry as boto3 ``create_model`` keyword arguments (Tags as a list, env values as strings)."""
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

