"""Targets from AWS Organizations: every ACTIVE account (under ``include_ous``, recursively), less
``exclude_accounts``, each reached by assuming ``arn:aws:iam::<id>:role/<role_name>`` (SPEC §10).

The accounts are listed with the caller's own credentials (the management or a
delegated administrator account). A new account appears on the next listing with
no config change; an account whose role cannot be assumed is not skipped here:
it becomes a target like the others, and its read fails as a target-level error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from drift.aws.session import Connection
from drift.config.settings import AwsSettings, Organization, Target
from drift.errors import AnswerError

MAX_DEPTH = 5  # Organizations allows OUs nested five levels deep


def _pages(conn: Connection, method: Callable[..., Any], what: str, key: str,
           **params: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = conn.call(functools.partial(method, **params, **({"NextToken": token} if token else {})), what=what)
        items = page.get(key) if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise AnswerError(f"organizations:{what} answered without its {key} list", code="MalformedAnswer")
        yield from (i for i in items if isinstance(i, dict))
        token = page.get("NextToken") or None
        if token is None:
            return
        if token in seen:
            raise AnswerError(f"organizations:{what} repeated a page token", code="EndlessListing")
        seen.add(token)


def _active(account: dict[str, Any]) -> bool:
    """ACTIVE accounts only (the newer ``State`` field, or ``Status`` where that is all there is)."""
    return str(account.get("State") or account.get("Status") or "").upper() == "ACTIVE"


def list_accounts(conn: Connection, org: Organization) -> list[dict[str, Any]]:
    client = conn.client("organizations")
    if not org.include_ous:
        accounts = list(_pages(conn, client.list_accounts, "ListAccounts", "Accounts"))
    else:
        accounts, seen = [], set()
        for ou in org.include_ous:
            for account in _under(conn, client, ou, 0):
                if account.get("Id") not in seen:
                    seen.add(account.get("Id"))
                    accounts.append(account)
    excluded = set(org.exclude_accounts)
    return sorted((a for a in accounts if _active(a) and str(a.get("Id")) not in excluded and a.get("Id")),
                  key=lambda a: str(a["Id"]))


def _under(conn: Connection, client: Any, parent: str, depth: int) -> Iterator[dict[str, Any]]:
    yield from _pages(conn, client.list_accounts_for_parent, "ListAccountsForParent", "Accounts", ParentId=parent)
    if depth >= MAX_DEPTH:
        return
    for child in _pages(conn, client.list_organizational_units_for_parent, "ListOrganizationalUnitsForParent",
                        "OrganizationalUnits", ParentId=parent):
        yield from _under(conn, client, str(child.get("Id")), depth + 1)


def discover(aws: AwsSettings) -> tuple[Target, ...]:
    """One target per selected account; raises AwsError when the organization cannot be listed."""
    org = aws.organization
    assert org is not None
    caller = Target(name="organization", regions=(aws.region or org.regions[0],), profile=aws.profile,
                    endpoint_url=aws.endpoint_url)
    conn = Connection(caller, caller.regions[0], aws)
    conn.where = "organization"
    return tuple(Target(name=str(a["Id"]), regions=org.regions, profile=aws.profile,
                        role_arn=f"arn:aws:iam::{a['Id']}:role/{org.role_name}", external_id=org.external_id,
                        endpoint_url=aws.endpoint_url, account_id=str(a["Id"]), account_name=a.get("Name"))
                 for a in list_accounts(conn, org))
