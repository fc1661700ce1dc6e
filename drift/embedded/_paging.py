"""How SageMaker's List* and Search operations filter, sort and page, in one place.

Evidence (botocore's SageMaker service model, ``ListModelsInput``,
``ListEndpointsInput``, ``ListEndpointConfigsInput``, ``SearchRequest`` and the
``MaxResults`` shape): ``MaxResults`` is 1..100 and "defaults to 10";
``SortBy`` defaults to ``CreationTime`` and ``SortOrder`` to ``Descending``;
``CreationTimeAfter`` keeps times "greater than or equal to" the value while
``CreationTimeBefore`` keeps times strictly before it; ``NextToken`` is an opaque
string of up to 8192 characters. moto 5.2.5 pages these listings 100 at a time,
sorts ascending by default and ignores or mis-applies several filters.

Our tokens are the offset of the next item, as text: opaque enough for a client,
and a token that is not one of ours is refused with a ValidationException as
SageMaker refuses a forged one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from drift.embedded._moto import timestamp, validation_error

T = TypeVar("T")

DEFAULT_PAGE = 10
MAX_PAGE = 100


def page_size(requested: Any) -> int:
    """``MaxResults`` as SageMaker applies it: 10 when absent, at most 100, at least 1."""
    if requested is None or requested == "":
        return DEFAULT_PAGE
    return max(1, min(int(requested), MAX_PAGE))


def page(items: Sequence[T], requested_size: Any, token: Any) -> tuple[list[T], str | None]:
    """One page of already filtered and sorted items, and the token of the next page (None at the end)."""
    size = page_size(requested_size)
    start = 0
    if token:
        if not str(token).isdigit():
            raise validation_error(f"Invalid pagination token: {token}")
        start = int(token)
    chunk = list(items[start:start + size])
    following = start + size
    return chunk, (str(following) if following < len(items) else None)


def sort(items: list[T], keys: dict[str, Callable[[T], Any]], sort_by: Any, sort_order: Any,
         default: str = "CreationTime") -> list[T]:
    """Sort by one of ``keys`` (unknown values are refused), Descending unless asked otherwise."""
    chosen = sort_by or default
    if chosen not in keys:
        allowed = ", ".join(sorted(keys))
        raise validation_error(f"1 validation error detected: Value '{chosen}' at 'sortBy' failed to satisfy "
                               f"constraint: Member must satisfy enum value set: [{allowed}]")
    return sorted(items, key=keys[chosen], reverse=(sort_order or "Descending") != "Ascending")


def within(value: Any, after: Any, before: Any, *, inclusive_after: bool = True) -> bool:
    """True when ``value`` is at or after ``after`` and strictly before ``before`` (either may be absent).

    ``inclusive_after=False`` for the LastModifiedTime filters, documented as "modified after".
    """
    moment = timestamp(value)
    low, high = timestamp(after), timestamp(before)
    if moment is None:
        return low is None and high is None
    # A client only ever sees a time truncated to milliseconds (the JSON protocol's precision) and
    # may send it back as a bound: compare in whole milliseconds, the record's truncated as on the wire.
    millis = math.floor(moment * 1000)
    if low is not None and (millis < round(low * 1000) or (not inclusive_after and millis == round(low * 1000))):
        return False
    return high is None or millis < round(high * 1000)
