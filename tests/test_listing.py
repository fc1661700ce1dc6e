"""Two-way listing: whatever the server does with sort orders, paging or collation, nothing is missed."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from drift.aws.listing import list_both_ways


def server(names: list[str], page: int, behaviour: str) -> Any:
    """A paginated ListModels: honest, or ignoring the sort order, paging, or with another collation."""
    def fetch(order: str, token: str | None) -> tuple[list[str], str | None]:
        if behaviour == "ignores_paging":
            return list(names), None
        if behaviour == "ignores_order":
            ordered = list(names)  # insertion order, whatever was asked
        elif behaviour == "case_insensitive":
            ordered = sorted(names, key=lambda n: (n.lower(), n), reverse=order == "Descending")
        else:
            ordered = sorted(names, reverse=order == "Descending")
        start = int(token or 0)
        end = start + page
        return ordered[start:end], (str(end) if end < len(ordered) else None)
    return fetch


names = st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,6}", fullmatch=True), unique=True, max_size=60)


@given(names, st.integers(1, 7), st.sampled_from(["honest", "ignores_order", "ignores_paging", "case_insensitive"]),
       st.one_of(st.none(), st.integers(0, 30)))
def test_nothing_is_ever_missed(all_names: list[str], page: int, behaviour: str, planned: int | None) -> None:
    """Every name comes back exactly once, for any server behaviour and any (even wrong) plan."""
    listing = list_both_ways(server(all_names, page, behaviour), str, planned)
    assert sorted(all_names) == sorted(listing.items)


@given(names, st.integers(1, 7))
def test_ignored_order_is_detected(all_names: list[str], page: int) -> None:
    """A server that ignores SortOrder is recognised, so the next pass reads sequentially."""
    listing = list_both_ways(server(all_names, page, "ignores_order"), str, None)
    if len(all_names) > page:
        assert not listing.order_honoured


def test_planned_listing_costs_one_page_more_in_half_the_round_trips() -> None:
    """1000 names, 100 a page, planned from last time: 11 pages, at most 6 on either chain."""
    calls: list[str] = []
    fetch = server([f"model-{i:04d}" for i in range(1000)], 100, "honest")

    def counting(order: str, token: str | None) -> tuple[list[str], str | None]:
        calls.append(order)
        return fetch(order, token)

    listing = list_both_ways(counting, str, 10)
    assert (1000, 11, True) == (len(listing.items), listing.pages, listing.order_honoured)
    assert (6, 5) == (calls.count("Ascending"), calls.count("Descending"))


def test_small_listing_is_one_call() -> None:
    """A listing that fits in one page costs one call, plan or no plan."""
    for planned in (None, 1, 5):
        listing = list_both_ways(server(["a", "b"], 100, "honest"), str, planned)
        assert (["a", "b"], 1) == (listing.items, listing.pages)
