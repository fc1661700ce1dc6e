"""Search(Resource="Model") served from an index that can lag, as SageMaker's search index does.

moto 5.2.5 refuses ``Resource="Model"`` (it knows a dozen other resources). We
answer it from an INDEX: a snapshot of each account/region's models, as
``SearchRecord{Model: ModelDashboardModel{Model: Model, Endpoints: [...]}}``
[botocore ``SearchRecord.Model`` is a ``ModelDashboardModel``; its ``Model`` is
the ``Model`` shape: the DescribeModel fields plus ``Tags``; its ``Endpoints``
are ``ModelDashboardEndpoint`` values]. Tags are the model's tags when the
index was taken; Endpoints are the endpoints that deployed the model.

By default the index is taken again on every Search call (fresh). The test
controls ``freeze()`` and ``refresh()`` make it lag on purpose: a frozen index
keeps deleted and re-created models as they were and lacks new ones, which is
what a drift tool must survive (SPEC §10 uses a record only when its ModelArn
and CreationTime match ListModels). ``fail(code)`` makes every Search answer
``AccessDeniedException`` or ``ValidationException``; the ValidationException's
wording is ours (we found no public example of SageMaker refusing a resource).

Paging, order and filters (evidence: botocore ``SearchRequest``): MaxResults
1..100, default 10 (as every SageMaker listing; the shape does not say);
NextToken; SortOrder default Descending. SortBy's documented default is
``LastModifiedTime``; a model is immutable, so its last modification is its
creation and we sort by CreationTime. We found no public list of the property
names SageMaker accepts for Model, so both spellings are accepted:
``ModelName``/``Name``/``Model.ModelName`` and
``CreationTime``/``Model.CreationTime`` (also ``ModelArn``,
``ExecutionRoleArn``, ``Tags.<key>``, each with or without ``Model.``); any
other name is a ValidationException, as moto answers for other resources.
``SearchExpression`` supports ``Filters`` (every Operator of botocore's
``Operator`` enum), ``SubExpressions`` and ``Operator`` And|Or; ``TotalHits``
is exact (``Relation: EqualTo``).
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable
from typing import Any

from drift.embedded import _endpoints, _models, _moto, _paging

_TIME_PROPERTIES = ("CreationTime",)
_ALIASES = {"Name": "ModelName", "LastModifiedTime": "CreationTime"}


class _Index:
    """Process-wide search-index state (the server runs in this process; every account shares it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frozen = False
        self.fault: str | None = None
        self.snapshots: dict[tuple[str, str], list[dict[str, Any]]] = {}


_INDEX = _Index()


def records(backend: Any) -> list[dict[str, Any]]:
    """The index records of one backend's models, taken now."""
    endpoints = _serving(backend)
    return [_record(model, endpoints) for model in list(backend._models.values())]


def _serving(backend: Any) -> list[Any]:
    return [e for e in list(backend.endpoints.values()) if isinstance(e, _endpoints.EndpointRecord)]


def _record(model: Any, endpoints: list[Any]) -> dict[str, Any]:
    described = _models.describe(model)
    described["Tags"] = copy.deepcopy(list(model.tags or []))
    serving = [e.summary() for e in endpoints if model.model_name in e.model_names]
    return {"Model": described, "Endpoints": serving}


def freeze() -> None:
    """Stop following the models: every existing account/region keeps what it holds now."""
    with _INDEX.lock:
        _INDEX.snapshots = {(a, r): records(b) for a, r, b in _moto.existing_sagemaker_backends()}
        _INDEX.frozen = True


def refresh() -> None:
    """Take the snapshot again now (a frozen index stays frozen, at this new moment)."""
    with _INDEX.lock:
        _INDEX.snapshots = {(a, r): records(b) for a, r, b in _moto.existing_sagemaker_backends()}


def thaw() -> None:
    """Back to the default: the index follows the models on every Search."""
    with _INDEX.lock:
        _INDEX.frozen = False
        _INDEX.snapshots = {}


def fail(code: str | None) -> None:
    """Make every Search(Resource=Model) answer ``code`` (AccessDeniedException, ValidationException), or stop."""
    if code not in (None, "AccessDeniedException", "ValidationException"):
        raise ValueError(f"unsupported Search fault: {code}")
    with _INDEX.lock:
        _INDEX.fault = code


def reset() -> None:
    """Forget freezing, snapshots and faults (with moto's own reset)."""
    thaw()
    fail(None)


def _value(record: dict[str, Any], name: str) -> tuple[bool, Any]:
    """(known, value) of a property of a record; unknown names raise."""
    path = name.removeprefix("Model.")
    path = _ALIASES.get(path, path)
    model = record["Model"]
    if path.startswith("Tags."):
        key = path[len("Tags."):]
        return True, next((t.get("Value") for t in model.get("Tags", []) if t.get("Key") == key), None)
    if path in ("ModelName", "ModelArn", "ExecutionRoleArn", "CreationTime", "EnableNetworkIsolation"):
        return True, model.get(path)
    raise _moto.validation_error(f"Unknown property name: {name}")


def _matches(record: dict[str, Any], flt: dict[str, Any]) -> bool:
    name, operator, wanted = flt["Name"], flt.get("Operator") or "Equals", flt.get("Value")
    _, actual = _value(record, name)
    if operator == "Exists":
        return actual is not None
    if operator == "NotExists":
        return actual is None
    if actual is None:
        return operator == "NotEquals"
    if name.removeprefix("Model.") in _TIME_PROPERTIES:  # in whole milliseconds, the wire's precision
        actual = math.floor((_moto.timestamp(actual) or 0.0) * 1000)
        wanted = round((_moto.timestamp(wanted) or 0.0) * 1000)
    elif isinstance(actual, bool):
        actual, wanted = str(actual).lower(), str(wanted).lower()
    else:
        actual, wanted = str(actual), str(wanted)
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "Equals": lambda a, w: a == w, "NotEquals": lambda a, w: a != w,
        "GreaterThan": lambda a, w: a > w, "GreaterThanOrEqualTo": lambda a, w: a >= w,
        "LessThan": lambda a, w: a < w, "LessThanOrEqualTo": lambda a, w: a <= w,
        "Contains": lambda a, w: str(w) in str(a),
        "In": lambda a, w: str(a) in [v.strip() for v in str(w).split(",")],
    }
    if operator not in compare:
        raise _moto.validation_error(f"Unsupported operator: {operator}")
    return compare[operator](actual, wanted)


def _check(expression: dict[str, Any] | None) -> None:
    """Refuse unknown property names and NestedFilters before looking at any record."""
    if not expression:
        return
    if expression.get("NestedFilters"):
        raise _moto.validation_error("NestedFilters are not supported for resource Model")
    for flt in expression.get("Filters") or []:
        _value({"Model": {}}, flt["Name"])
    for sub in expression.get("SubExpressions") or []:
        _check(sub)


def _satisfies(record: dict[str, Any], expression: dict[str, Any] | None) -> bool:
    if not expression:
        return True
    results = [_matches(record, f) for f in expression.get("Filters") or []]
    results += [_satisfies(record, sub) for sub in expression.get("SubExpressions") or []]
    return any(results) if expression.get("Operator") == "Or" else all(results)


def _sort_key(sort_by: str) -> Callable[[dict[str, Any]], Any]:
    property_name = _ALIASES.get(sort_by.removeprefix("Model."), sort_by.removeprefix("Model."))
    if property_name == "CreationTime":
        return lambda r: (_moto.timestamp(r["Model"]["CreationTime"]), r["Model"]["ModelName"])
    _value({"Model": {}}, sort_by)  # unknown names raise
    return lambda r: (str(_value(r, sort_by)[1] or ""), r["Model"]["ModelName"])


def _candidates(backend: Any, expression: Any, sort_by: str) -> list[dict[str, Any]]:
    """What to filter, sort and page: the frozen snapshot as it is (copied a page at a time), else the live
    models. Live models are described in full only when a filter or the sort needs more than their name and
    creation time; otherwise a stand-in is paged and only the page is described (a 10,000-model index
    answers a page in milliseconds instead of describing every model on every call)."""
    with _INDEX.lock:
        if _INDEX.frozen:
            return list(_INDEX.snapshots.get((backend.account_id, backend.region_name), []))
    if expression or _ALIASES.get(sort_by.removeprefix("Model."), sort_by.removeprefix("Model.")) not in (
            "CreationTime", "ModelName"):
        return records(backend)
    return [{"Model": {"ModelName": m.model_name, "CreationTime": m.creation_time}, "pending": m}
            for m in list(backend._models.values())]


def _materialised(chunk: list[dict[str, Any]], backend: Any) -> list[dict[str, Any]]:
    endpoints = _serving(backend) if any("pending" in r for r in chunk) else []
    return [_record(r["pending"], endpoints) if "pending" in r else copy.deepcopy(r) for r in chunk]


def search_models(self: Any) -> dict[str, Any]:
    """Search(Resource=Model)'s answer from the index."""
    with _INDEX.lock:
        fault = _INDEX.fault
    if fault == "AccessDeniedException":
        raise _moto.service_error(fault, f"User: arn:aws:iam::{self.current_account}:user/testing is not "
                                         "authorized to perform: sagemaker:Search")
    if fault:
        raise _moto.service_error(fault, "Search is not supported for resource Model")
    expression = self._get_param("SearchExpression")
    _check(expression)
    sort_by = self._get_param("SortBy") or "CreationTime"
    found = [r for r in _candidates(self.sagemaker_backend, expression, sort_by) if _satisfies(r, expression)]
    found.sort(key=_sort_key(sort_by), reverse=(self._get_param("SortOrder") or "Descending") != "Ascending")
    chunk, token = _paging.page(found, self._get_param("MaxResults"), self._get_param("NextToken"))
    body: dict[str, Any] = {"Results": [{"Model": r} for r in _materialised(chunk, self.sagemaker_backend)]}
    if token:
        body["NextToken"] = token
    body["TotalHits"] = {"Value": len(found), "Relation": "EqualTo"}
    return body


def install(response_class: Any) -> None:
    """Answer Search(Resource=Model) ourselves; every other resource stays moto's."""
    original = response_class.search

    def search(self: Any) -> Any:
        if self._get_param("Resource") != "Model":
            return original(self)
        return _moto.action_result(search_models(self))

    response_class.search = search
