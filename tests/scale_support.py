"""Helpers for the reading-at-scale tests (SPEC §10): many models fast, a proxy that remembers what was
asked about which resource, and reports reduced to what two passes must agree on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from drift.embedded import create_model_request
from tests.proxy import Fault, FaultProxy
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


# -- an AWS Organization on the embedded server ---------------------------------------------------------
MANAGEMENT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
ROLE_NAME = "drift-reader"


@dataclass
class Organization:
    """Accounts by label (``mgmt``, ``a``, ``b``, ``c``) and organizational units by name."""

    accounts: dict[str, str]
    names: dict[str, str]
    ous: dict[str, str]

    def role(self, label: str) -> str:
        return f"arn:aws:iam::{self.accounts[label]}:role/{ROLE_NAME}"

    def units(self, labels: Iterable[str] | None = None) -> set[str]:
        """``account/region`` of every unit of these accounts (all by default)."""
        chosen = self.accounts if labels is None else {k: self.accounts[k] for k in labels}
        return {f"{account}/{region}" for account in chosen.values() for region in REGIONS}


def build_organization(world: Any) -> Organization:
    """The management account (root) with: OU ``prod`` holding account ``a`` and the nested OU ``ml`` holding
    ``b``; OU ``dev`` holding ``c``."""
    org = world.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ous = {"root": root}
    for name, parent in (("prod", "root"), ("ml", "prod"), ("dev", "root")):
        ous[name] = org.create_organizational_unit(ParentId=ous[parent], Name=name)["OrganizationalUnit"]["Id"]
    accounts, names = {"mgmt": MANAGEMENT}, {"mgmt": "management"}
    for label, ou in (("a", "prod"), ("b", "ml"), ("c", "dev")):
        names[label] = f"acct-{label}"
        status = org.create_account(AccountName=names[label], Email=f"{label}@example.com")["CreateAccountStatus"]
        accounts[label] = status["AccountId"]
        org.move_account(AccountId=accounts[label], SourceParentId=root, DestinationParentId=ous[ou])
    return Organization(accounts, names, ous)


def add_account(world: Any, label: str) -> str:
    """A new account in the organization's root; its id."""
    org = world.client("organizations")
    return str(org.create_account(AccountName=f"acct-{label}", Email=f"{label}@example.com")[
        "CreateAccountStatus"]["AccountId"])


@contextmanager
def fault(proxy: FaultProxy, added: Fault) -> Iterator[None]:
    """A proxy fault for the duration of a block (the proxy's other faults and counts stay)."""
    proxy.add(added)
    try:
        yield
    finally:
        with proxy.lock:
            proxy.faults.remove(added)


def exit_code_of(report: dict[str, Any]) -> int:
    """SPEC §1: 1 when anything could not be checked, else 2 when anything drifted, else 0."""
    statuses = {m["status"] for m in report["models"]}
    if report.get("errors") or "ERROR" in statuses:
        return 1
    return 2 if statuses & {"MODIFIED", "MISSING", "UNMANAGED"} else 0
