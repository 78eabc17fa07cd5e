"""What one request sends: items deduplicated by key, cut by rows and bytes, split in halves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from target_upwell import encoding
from target_upwell.delivery.batching import Batch, Item, bodies, bulk_body, dedupe, halves
from target_upwell.mapping.customer_input import Customer

if TYPE_CHECKING:
    from collections.abc import Sequence

EMPTY_BODY = len(b'{"inputs":[]}')


def item(source_id: str, position: int, *, name: str = "Acme", system: str = "QBO") -> Item:
    customer = Customer(system, source_id, scalars={"name": name})
    return Item(customer, position, customer.insert_input())


def body_size(items: Sequence[Item]) -> int:
    """The bytes of the bulk request body the client sends for ``items``."""
    return len(encoding.dumps({"inputs": [i.payload for i in items]}))


def cut(items: Sequence[Item], max_rows: int, max_bytes: int) -> list[list[Item]]:
    return [group for group, _ in bodies(Batch("c", list(items)), items, max_rows, max_bytes)]


def test_a_body_holds_the_insert_inputs_of_its_group() -> None:
    one, two = item("1", 1, name="Ærøskøbing ✓"), item("2", 2)

    assert encoding.loads(bulk_body([one, two])) == {"inputs": [one.payload, two.payload]}


def test_a_batch_notes_the_keys_it_writes() -> None:
    batch = Batch("customers", [item("1", 1), item("2", 2), item("1", 3, system="XERO")])

    assert batch.keys == {("QBO", "1"), ("QBO", "2"), ("XERO", "1")}


def test_each_batch_gets_its_own_token() -> None:
    first, second = Batch("customers", []), Batch("customers", [])

    assert first.token != second.token


def test_dedupe_keeping_the_last_lets_the_later_record_win() -> None:
    a1, b, a2 = item("A", 1), item("B", 2), item("A", 3)

    kept, dropped = dedupe(Batch("customers", [a1, b, a2]), keep="last")

    assert kept == [b, a2]
    assert dropped == [a1]


def test_dedupe_keeping_the_first_lets_the_earlier_record_win() -> None:
    a1, b, a2 = item("A", 1), item("B", 2), item("A", 3)

    kept, dropped = dedupe(Batch("customers", [a1, b, a2]), keep="first")

    assert kept == [a1, b]
    assert dropped == [a2]


def test_the_same_id_from_two_source_systems_is_two_keys() -> None:
    qbo, xero = item("1", 1), item("1", 2, system="XERO")

    assert dedupe(Batch("customers", [qbo, xero]), keep="last") == ([qbo, xero], [])


def test_cut_by_rows_fills_each_group_but_the_last() -> None:
    items = [item(str(n), n) for n in range(5)]

    groups = cut(items, max_rows=2, max_bytes=10**6)

    assert groups == [items[0:2], items[2:4], items[4:5]]


def test_a_body_over_the_byte_limit_is_split_in_halves_until_each_fits() -> None:
    items = [item(str(n), n) for n in range(5)]
    two_fit = body_size(items[:2])

    groups = cut(items, max_rows=100, max_bytes=two_fit + 1)

    assert [len(group) for group in groups] == [2, 1, 2]  # 5 → 2 + 3 → 2 + (1 + 2)
    assert max(body_size(group) for group in groups) <= two_fit + 1


def test_an_item_too_large_on_its_own_still_goes_alone() -> None:
    small, large, other = item("1", 1), item("2", 2, name="x" * 500), item("3", 3)

    groups = cut([small, large, other], max_rows=100, max_bytes=200)

    assert groups == [[small], [large], [other]]


def test_cut_of_nothing_is_no_group() -> None:
    assert cut([], max_rows=10, max_bytes=1000) == []


@pytest.mark.parametrize(("count", "first"), [(1, 0), (2, 1), (5, 2), (6, 3)])
def test_halves_split_at_the_middle(count: int, first: int) -> None:
    items = [item(str(n), n) for n in range(count)]

    left, right = halves(items)

    assert (left, right) == (items[:first], items[first:])


KEYS = st.tuples(st.sampled_from(["QBO", "XERO"]), st.sampled_from(["1", "2", "3", "4", "5"]))


@st.composite
def item_lists(draw: st.DrawFn, keys: st.SearchStrategy[tuple[str, str]] = KEYS) -> list[Item]:
    """Items in input order (positions increase), names of any length and any text."""
    drawn = draw(st.lists(st.tuples(keys, st.text(max_size=120)), max_size=30))
    return [item(sid, n + 1, name=name, system=sys) for n, ((sys, sid), name) in enumerate(drawn)]


@given(items=item_lists(), max_rows=st.integers(1, 8), max_bytes=st.integers(0, 2000))
def test_cut_keeps_every_item_in_order_in_non_empty_groups_of_at_most_max_rows(
    items: list[Item], max_rows: int, max_bytes: int
) -> None:
    pairs = list(bodies(Batch("c", items), items, max_rows, max_bytes))

    assert [i for group, _ in pairs for i in group] == items
    assert all(1 <= len(group) <= max_rows for group, _ in pairs)
    assert all(body == bulk_body(group) for group, body in pairs)


@given(items=item_lists(), max_rows=st.integers(1, 8), slack=st.integers(0, 2000))
def test_cut_keeps_every_body_within_max_bytes_when_each_item_fits_alone(
    items: list[Item], max_rows: int, slack: int
) -> None:
    max_bytes = max((body_size([i]) for i in items), default=EMPTY_BODY) + slack

    groups = cut(items, max_rows, max_bytes)

    assert all(body_size(group) <= max_bytes for group in groups)


@given(items=item_lists(), keep=st.sampled_from(["first", "last"]))
def test_dedupe_keeps_exactly_one_item_per_key_and_loses_none(items: list[Item], keep: str) -> None:
    kept, dropped = dedupe(Batch("customers", items), keep=keep)

    by_key: dict[tuple[str, str], list[Item]] = {}
    for one in items:
        by_key.setdefault(one.customer.key, []).append(one)
    winners = [group[0] if keep == "first" else group[-1] for group in by_key.values()]
    assert kept == sorted(winners, key=lambda one: one.position)
    assert sorted(map(id, kept + dropped)) == sorted(map(id, items))
    assert dropped == [one for one in items if one not in kept]
