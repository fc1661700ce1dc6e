"""Helpers for the reading-at-scale tests (SPEC §10): many models fast, a proxy that remembers what was
asked about which resource, and reports reduced to what two passes must agree on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from drift.embedded import create_model_request
from tests.proxy import FaultProxy
from tests.proxy_protocols import Call

ROLE = "arn:aws:iam::123456789012:role/drift"


class RecordingProxy(FaultProxy):
    """The fault proxy, also keeping every call's (operation, resource): which models were described."""

    def __init__(self, upstream: str, **kwargs: Any) -> None:
        super().__init__(upstream, **kwargs)
        self.calls: list[tuple[str, str]] = []

    def _choose(self, call: Call) -> Any:
        with self.lock:
            self.calls.append((call.operation, call.resource))
        return super()._choose(call)

    def clear(self) -> None:
        super().clear()
        with self.lock:
            self.calls.clear()

    def recount(self) -> None:
        """Forget the calls seen so far (counts and resources); the faults stay."""
        with self.lock:
            self.counts.clear()
            self.calls.clear()

    def resources(self, operation: str) -> Counter[str]:
        """How often each resource was named by ``operation`` calls."""
        with self.lock:
            return Counter(resource for op, resource in self.calls if op == operation)


def spec(name: str, image: str = "", *, env: dict[str, str] | None = None, tags: dict[str, str] | None = None,
         role: str = ROLE) -> dict[str, Any]:
    """A desired entry (a CreateModel request) with one container; ``Tags`` only when given."""
    entry: dict[str, Any] = {"ModelName": name, "ExecutionRoleArn": role,
                             "PrimaryContainer": {"Image": image or f"registry.example.com/{name}:1",
                                                  **({"Environment": env} if env else {})}}
    if tags is not None:
        entry["Tags"] = tags
    return entry


def create_all(client: Any, specs: Iterable[dict[str, Any]], workers: int = 8) -> None:
    """CreateModel for every spec, a few at a time (a few hundred models in a couple of seconds)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda s: client.create_model(**create_model_request(s)), specs))


def essence(report: dict[str, Any]) -> dict[str, Any]:
    """What two passes over the same world must agree on: every model's identity, status, severity,
    differences and error, the summary and the target errors (run ids, times and shard facts aside)."""
    def model(m: dict[str, Any]) -> dict[str, Any]:
        keep = ("name", "account", "region", "status", "severity", "differences", "error", "unverified",
                "resolved")
        return {k: m.get(k) for k in keep}

    return {"summary": report.get("summary"), "errors": report.get("errors") or [],
            "models": [model(m) for m in report["models"]]}


def identities(report: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """(account, region, name, status) of every model in a report."""
    return {(m["account"], m["region"], m["name"], m["status"]) for m in report["models"]}
