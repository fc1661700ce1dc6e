"""SageMaker reads for one (target, region), each answer checked before it counts as evidence.

SPEC §3: an answer is evidence only when it has the documented shape and
describes what was asked. A listing page without its list, a page token that
repeats, a listing longer than ``aws.max_models``, a describe answer about
another resource (or another incarnation), a tag answer without its list: each
raises ``AnswerError`` (target level) or ``ResourceReadError`` (one resource), so
it becomes an ERROR, never "no models", never "no tags", never cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drift.aws.listing import list_both_ways
from drift.aws.session import Connection
from drift.errors import AnswerError, AwsError, ResourceReadError
from drift.store.rows import ListingHint


@dataclass(frozen=True, slots=True)
class Listed:
    """What a List* call says of one resource: enough to know whether it changed."""

    name: str
    arn: str
    created: str
    modified: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """One kind's List operation: its response list key and the fields of each item."""

    operation: str  # boto3 method name
    what: str  # API name, for messages
    key: str
    name: str
    arn: str
    modified: str | None = None
    status: str | None = None


MODELS = Listing("list_models", "ListModels", "Models", "ModelName", "ModelArn")
ENDPOINT_CONFIGS = Listing("list_endpoint_configs", "ListEndpointConfigs", "EndpointConfigs", "EndpointConfigName",
                           "EndpointConfigArn")
ENDPOINTS = Listing("list_endpoints", "ListEndpoints", "Endpoints", "EndpointName", "EndpointArn",
                    modified="LastModifiedTime", status="EndpointStatus")


def iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value or "")


def list_all(conn: Connection, listing: Listing, *, name_contains: str = "", hint: ListingHint | None = None,
             max_items: int = 200_000) -> tuple[list[Listed], ListingHint]:
    """Every item, in pages of 100, read from both ends at once (see listing.py) unless the server showed
    it ignores the sort order. The first page of each chain goes through the probe client."""
    base: dict[str, Any] = {"MaxResults": 100}
    if name_contains:
        base["NameContains"] = name_contains
    two_way = hint is None or hint.two_way
    if two_way:
        base["SortBy"] = "Name"
    first = {"Ascending": True, "Descending": True}
    tokens: dict[str, set[str]] = {"Ascending": set(), "Descending": set()}
    counts = {"Ascending": 0, "Descending": 0}

    def fetch(order: str, token: str | None) -> tuple[list[Listed], str | None]:
        request = {**base, **({"SortOrder": order} if two_way else {}), **({"NextToken": token} if token else {})}
        full = functools.partial(getattr(conn.client("sagemaker"), listing.operation), **request)
        if first[order]:
            first[order] = False
            probe = functools.partial(getattr(conn.client("sagemaker", probe=True), listing.operation), **request)
            page = conn.probed(probe, full, listing.what)
        else:
            page = conn.call(full, what=listing.what)
        items = _items(conn, listing, page)
        next_token = page.get("NextToken") or None
        counts[order] += len(items)
        if next_token is not None and next_token in tokens[order]:
            raise AnswerError(f"{conn.where}: {listing.what} repeated a page token: the listing never ends",
                              target=conn.target.name, code="EndlessListing")
        if counts[order] > max_items:
            raise AnswerError(f"{conn.where}: {listing.what} listed more than {max_items} items (aws.max_models): "
                              "refusing an endless or runaway listing", target=conn.target.name, code="EndlessListing")
        if next_token is not None:
            tokens[order].add(next_token)
        return items, next_token

    planned = 1 if not two_way else -(-hint.items // 100) if hint is not None else None
    result = list_both_ways(fetch, lambda s: s.name, planned)
    return result.items, ListingHint(two_way=two_way and result.order_honoured, items=len(result.items))


def _items(conn: Connection, listing: Listing, page: Any) -> list[Listed]:
    entries = page.get(listing.key) if isinstance(page, dict) else None
    if not isinstance(entries, list):
        raise AnswerError(f"{conn.where}: {listing.what} answered without its {listing.key} list",
                          target=conn.target.name, code="MalformedAnswer")
    out = []
    for entry in entries:
        name = entry.get(listing.name) if isinstance(entry, dict) else None
        arn = entry.get(listing.arn) if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(arn, str) or not entry.get("CreationTime"):
            raise AnswerError(f"{conn.where}: {listing.what} answered an item without its name, ARN or creation "
                              "time", target=conn.target.name, code="MalformedAnswer")
        out.append(Listed(name=name, arn=arn, created=iso(entry.get("CreationTime")),
                          modified=iso(entry.get(listing.modified)) if listing.modified else None,
                          status=str(entry.get(listing.status)) if listing.status else None))
    return out


def _checked(answer: Any, listed: Listed, name_field: str, arn_field: str, *, same_time: bool = True) -> dict[
        str, Any]:
    """A describe answer is about ``listed`` (same name, ARN and creation time), or it is no evidence."""
    if not isinstance(answer, dict):
        raise ResourceReadError("MalformedAnswer: the answer is not a description", code="MalformedAnswer")
    answer = {str(k): v for k, v in answer.items() if k != "ResponseMetadata"}
    name, arn, created = answer.get(name_field), answer.get(arn_field), answer.get("CreationTime")
    if name is None or arn is None or created is None:
        fields = ((name_field, name), (arn_field, arn), ("CreationTime", created))
        missing = ", ".join(f for f, v in fields if v is None)
        raise ResourceReadError(f"MalformedAnswer: the description has no {missing}", code="MalformedAnswer")
    if name != listed.name or arn != listed.arn or (same_time and iso(created) != listed.created):
        raise ResourceReadError(f"ForeignAnswer: asked for {listed.name}, the answer describes {str(name)[:80]} "
                                f"({str(arn)[:120]}, created {iso(created)})", code="ForeignAnswer")
    return dict(answer)


def describe_model(conn: Connection, listed: Listed) -> dict[str, Any]:
    client = conn.client("sagemaker")
    return _checked(conn.resource_call(lambda: client.describe_model(ModelName=listed.name)), listed, "ModelName",
                    "ModelArn")


def describe_endpoint_config(conn: Connection, listed: Listed) -> dict[str, Any]:
    client = conn.client("sagemaker")
    answer = conn.resource_call(lambda: client.describe_endpoint_config(EndpointConfigName=listed.name))
    return _checked(answer, listed, "EndpointConfigName", "EndpointConfigArn")


def describe_endpoint(conn: Connection, listed: Listed) -> dict[str, Any]:
    client = conn.client("sagemaker")
    answer = conn.resource_call(lambda: client.describe_endpoint(EndpointName=listed.name))
    return _checked(answer, listed, "EndpointName", "EndpointArn")


def list_tags(conn: Connection, arn: str) -> list[dict[str, str]]:
    """Every tag of one resource (ListTags, paginated); an answer without its Tags list is no evidence."""
    client = conn.client("sagemaker")
    tags: list[dict[str, str]] = []
    seen: set[str] = set()
    token: str | None = None
    while True:
        request: dict[str, Any] = {"ResourceArn": arn, "MaxResults": 100, **({"NextToken": token} if token else {})}
        page = conn.resource_call(functools.partial(client.list_tags, **request))
        if not isinstance(page, dict) or not isinstance(page.get("Tags"), list):
            raise ResourceReadError("MalformedAnswer: ListTags answered without its Tags list", code="MalformedAnswer")
        tags.extend(t for t in page["Tags"] if isinstance(t, dict))
        token = page.get("NextToken") or None
        if token is None:
            return tags
        if token in seen:
            raise ResourceReadError("EndlessListing: ListTags repeated a page token", code="EndlessListing")
        seen.add(token)


def bulk_tags(conn: Connection, resource_type: str) -> dict[str, list[dict[str, str]]] | None:
    """Tags of every tagged resource of a type in one paginated GetResources (100 a page), or None when that
    API is denied or failing (the caller reads ListTags per resource instead). Resources it does not list
    are read with ListTags too: the tagging API lists only tagged resources and is eventually consistent."""
    client = conn.client("resourcegroupstaggingapi")
    out: dict[str, list[dict[str, str]]] = {}
    seen: set[str] = set()
    token = ""
    try:
        while True:
            page = conn.call(functools.partial(client.get_resources, ResourceTypeFilters=[resource_type],
                                               ResourcesPerPage=100, PaginationToken=token), what="GetResources")
            mappings = page.get("ResourceTagMappingList") if isinstance(page, dict) else None
            if not isinstance(mappings, list):
                return None
            for item in mappings:
                if isinstance(item, dict) and isinstance(item.get("ResourceARN"), str) and isinstance(
                        item.get("Tags"), list):
                    out[item["ResourceARN"]] = list(item["Tags"])
            token = page.get("PaginationToken") or ""
            if not token or token in seen:
                return out if not token else None
            seen.add(token)
    except AwsError:
        return None


def describe_model_package(conn: Connection, name: str) -> dict[str, tuple[dict[str, Any], ...]] | None:
    """The inference containers of a model package, by inference specification name ("" for the main one),
    or None when the package cannot be read (the comparison is then strict, with a note)."""
    client = conn.client("sagemaker")
    try:
        answer = conn.resource_call(lambda: client.describe_model_package(ModelPackageName=name))
    except AwsError:
        return None
    main = (answer.get("InferenceSpecification") or {}).get("Containers") if isinstance(answer, dict) else None
    if not isinstance(main, list):
        return None
    specs = {"": tuple(c for c in main if isinstance(c, dict))}
    for extra in answer.get("AdditionalInferenceSpecifications") or []:
        if isinstance(extra, dict) and isinstance(extra.get("Name"), str):
            specs[extra["Name"]] = tuple(c for c in extra.get("Containers") or [] if isinstance(c, dict))
    return specs


SearchRecords = dict[str, dict[str, Any]]


def search_models(conn: Connection, planned_pages: int | None) -> SearchRecords:
    """Full model descriptions from Search(Resource=Model), 100 a call, by ARN; two chains (oldest first and
    newest first) meet in the middle, planned from the listing's size or else from the first page's
    TotalHits. Records are verified against ListModels by the caller."""
    client = conn.client("sagemaker")
    tokens: dict[str, set[str]] = {"Ascending": set(), "Descending": set()}
    hits: list[int] = []

    def fetch(order: str, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        request: dict[str, Any] = {"Resource": "Model", "MaxResults": 100, "SortBy": "CreationTime",
                                   "SortOrder": order, **({"NextToken": token} if token else {})}
        page = conn.call(functools.partial(client.search, **request), what="Search")
        results = page.get("Results") if isinstance(page, dict) else None
        if not isinstance(results, list):
            raise AnswerError(f"{conn.where}: Search answered without its Results list", target=conn.target.name,
                              code="MalformedAnswer")
        records = [m for m in (((r.get("Model") or {}).get("Model")) if isinstance(r, dict) else None
                               for r in results) if isinstance(m, dict) and isinstance(m.get("ModelArn"), str)]
        total = page.get("TotalHits") if isinstance(page.get("TotalHits"), dict) else {}
        if total.get("Relation") == "EqualTo" and isinstance(total.get("Value"), int):
            hits.append(int(total["Value"]))
        next_token = page.get("NextToken") or None
        if next_token is not None and next_token in tokens[order]:
            raise AnswerError(f"{conn.where}: Search repeated a page token", target=conn.target.name,
                              code="EndlessListing")
        if next_token:
            tokens[order].add(next_token)
        return records, next_token

    def plan() -> int | None:
        return planned_pages if planned_pages is not None else (-(-hits[0] // 100) if hits else None)

    key: Callable[[dict[str, Any]], str] = lambda record: str(record["ModelArn"])  # noqa: E731
    result = list_both_ways(fetch, key, plan)
    return {str(r["ModelArn"]): r for r in result.items}
