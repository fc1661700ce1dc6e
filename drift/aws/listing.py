"""Reading a long paginated listing from both ends at once, without ever missing an item.

ListModels pages must be read one after another (each page's token leads to the next), so a big
account costs N/100 round trips. Sorted by name, the same listing can be read ascending and
descending at the same time, the two chains meeting in the middle: about half the round trips,
the same number of calls.

When is the union complete? Not "when the last names compare past each other": that would trust
our idea of the server's collation. Instead the two chains must *overlap*: the last k items of the
ascending chain are exactly the last k items of the descending chain, reversed. A server that
honours the sort order always produces that tail; a server that ignores it cannot (its two chains
start alike), and then the ascending chain is simply read to its end. Either chain reaching the end
of the listing also completes it, whatever the order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
#: fetch(order, token) -> (items, next_token); order is "Ascending" or "Descending".
Fetch = Callable[[str, str | None], tuple[list[T], str | None]]


@dataclass
class _Chain(Generic[T]):
    order: str
    items: list[T] = field(default_factory=list)
    token: str | None = None
    pages: int = 0
    exhausted: bool = False


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    items: list[T]
    pages: int
    #: False when the server showed it ignores the sort order: read sequentially next time.
    order_honoured: bool


def _met(asc: _Chain[T], desc: _Chain[T], key: Callable[[T], str]) -> bool:
    if asc.exhausted or desc.exhausted:
        return True
    a = [key(x) for x in asc.items]
    d = [key(x) for x in desc.items]
    shared = set(a) & set(d)
    k = len(shared)
    return bool(k) and a[-k:] == d[-k:][::-1] and set(a[-k:]) == shared


Plan = int | None | Callable[[], int | None]


def list_both_ways(fetch: Fetch[T], key: Callable[[T], str], planned_pages: Plan) -> Listing[T]:
    """The whole listing; ``planned_pages`` (pages the listing took last time) splits the work evenly.

    It may be a callable asked after the first page (an answer that says how many items there are, such as
    Search's TotalHits, plans the rest); None means no plan (both chains read until they meet).
    """
    lock = threading.Lock()
    done = threading.Event()
    asc: _Chain[T] = _Chain("Ascending")
    desc: _Chain[T] = _Chain("Descending")

    def step(chain: _Chain[T]) -> None:
        items, token = fetch(chain.order, chain.token)
        with lock:
            chain.items.extend(items)
            chain.token = token
            chain.pages += 1
            chain.exhausted = not token
            if _met(asc, desc, key):
                done.set()

    def run(chain: _Chain[T], budget: int | None) -> None:
        # Each chain reads at least one page in this phase, so an ignored sort order always shows.
        while (chain.pages == 0 or not done.is_set()) and not chain.exhausted and (
                budget is None or chain.pages < budget):
            step(chain)

    step(asc)  # small listings end here, in one call
    if callable(planned_pages):
        planned_pages = planned_pages()
    if not asc.exhausted and (planned_pages is None or planned_pages > 1):
        total = None if planned_pages is None else planned_pages + 1  # the chains must overlap by a page
        asc_budget = None if total is None else -(-total // 2)
        desc_budget = None if total is None else total // 2
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="drift-list") as pool:
            futures = [pool.submit(run, asc, asc_budget), pool.submit(run, desc, desc_budget)]
            try:
                for future in futures:
                    future.result()
            finally:
                done.set()
    while not (asc.exhausted or (desc.pages and _met(asc, desc, key))):
        step(asc)  # the plan was short (models were added), or the server ignores the order: read on
    seen = {key(x) for x in asc.items}
    merged = asc.items + [x for x in desc.items if key(x) not in seen]
    ignored = bool(asc.items) and bool(desc.items) and len(merged) > 1 and key(asc.items[0]) == key(desc.items[0])
    return Listing(items=merged, pages=asc.pages + desc.pages, order_honoured=not ignored)
