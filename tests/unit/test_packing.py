"""The fast path: a batch packs its plain items as it is mapped, and unpacks them on demand."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import orjson
import pytest

from target_upwell.delivery.batching import Batch, Item, bulk_body, kept_record
from target_upwell.delivery.load_state import LoadOptions, RowCap
from target_upwell.delivery.packing import CHUNK_ROWS, Buffer, Packed, PackedBatch, Shape
from target_upwell.delivery.reconcile import Reconciler
from target_upwell.mapping.customer_input import Customer

SHAPE = Shape(("name", "emailAddress"), addresses=True)
FIELD_MAP = SimpleNamespace(scalars=SHAPE.scalars, addresses=SHAPE.addresses)


def mapped(source_id: str, position: int, **changes: object) -> Item:
    customer = Customer("QBO", source_id, {"name": "Acme", "emailAddress": None}, [], 30)
    customer = dataclasses.replace(customer, **changes)
    return Item(customer, position, customer.insert_input())


def batch_of(items: list[Item], packed: Packed | None = None) -> PackedBatch:
    return PackedBatch("customers", items, packed, token=1)


def reconciler(*, upsert: bool = True, new_keys: bool = True) -> Reconciler:
    found = Reconciler(None, LoadOptions(upsert=upsert, max_retries=0), RowCap(500))  # type: ignore[arg-type]
    found.note_search("customers", found=not new_keys)
    return found


def test_a_packed_batch_unpacks_the_items_it_let_go() -> None:
    items = [mapped("1", 4), mapped("2", 7, addresses=[{"city": "Oslo"}])]
    expected = [dataclasses.replace(i) for i in items]
    batch = batch_of(items)

    batch.make(SHAPE)

    assert batch._items == []  # let go
    assert (batch.size, batch.keys) == (2, {("QBO", "1"), ("QBO", "2")})
    assert batch.items == expected


def test_a_packed_batch_unpacks_the_records_kept_for_the_dead_letters() -> None:
    line = orjson.dumps({"type": "RECORD", "stream": "customers", "record": {"id": 2}}) + b"\n"
    kept: list[dict[str, object] | bytes] = [{"id": 1, "x": [1]}, line]
    items = [dataclasses.replace(mapped(str(n), n), record=kept[n - 1]) for n in (1, 2)]
    batch = batch_of(items)

    batch.make(SHAPE)
    rebuilt = batch.items

    assert [dataclasses.replace(i, record=None) for i in rebuilt] == [
        dataclasses.replace(i, record=None) for i in items
    ]
    assert [kept_record(i.record) for i in rebuilt] == [{"id": 1, "x": [1]}, {"id": 2}]
    assert rebuilt[1].record is line  # the line the reader had, neither copied nor parsed


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (mapped("2", 2, parent_source_id="9"), "a child, whose input changes once adopted"),
        (mapped("2", 2, deleted=True), "a deletion"),
    ],
)
def test_a_batch_keeps_items_its_body_cannot_rebuild(second: Item, reason: str) -> None:
    first = mapped("1", 1)
    batch = batch_of([first, second])

    batch.make(SHAPE)

    assert batch._items == [first, second], reason
    assert not batch.plain
    assert batch.body() == bulk_body([first, second])


def test_a_batch_packs_only_with_a_shape() -> None:
    one = mapped("1", 1)
    batch = batch_of([one])

    batch.make(None)

    assert batch._items == [one]
    assert batch.body() == bulk_body([one])


def test_a_batch_whose_first_chunks_came_packed_has_every_item_in_order() -> None:
    first = [mapped("1", 1), mapped("2", 2)]
    rest = [mapped("3", 3), mapped("1", 4, scalars={"name": "Later", "emailAddress": None})]
    expected = [dataclasses.replace(i) for i in first + rest]
    packed = Packed(SHAPE)
    packed.add(first)

    batch = batch_of(rest, packed)

    assert (batch.size, batch.keys) == (4, {("QBO", "1"), ("QBO", "2"), ("QBO", "3")})
    batch.make(SHAPE)
    assert batch.body() == bulk_body(expected)
    assert batch.items == expected


def test_a_batch_with_packed_chunks_and_a_child_unpacks_them_to_make_its_body() -> None:
    first, rest = [mapped("1", 1)], [mapped("2", 2, parent_source_id="9")]
    expected = [dataclasses.replace(i) for i in first + rest]
    packed = Packed(SHAPE)
    packed.add(first)
    batch = batch_of(rest, packed)

    batch.make(SHAPE)  # a child can't be rebuilt: nothing more is let go

    assert batch.items == expected
    assert batch.body() == bulk_body(expected)


def test_the_body_made_ahead_serves_exactly_the_batchs_items_once() -> None:
    a, b = mapped("A", 1), mapped("B", 2, parent_source_id="9")  # a child: nothing is packed
    batch = batch_of([a, b])
    batch.make(SHAPE)
    made = batch.body([a, b])

    assert made == bulk_body([a, b])
    assert batch.body([a, b]) is not made  # once: a later request's items may have changed
    rebuilt = dataclasses.replace(b, payload={**b.payload, "billToCustomerId": "7"})
    assert batch.body([a, rebuilt]) == bulk_body([a, rebuilt])
    assert batch.body([a]) == bulk_body([a])


def test_a_plain_batch_makes_its_body_when_asked() -> None:
    a, b = mapped("A", 1), mapped("B", 2)

    assert Batch("customers", [a, b]).body() == bulk_body([a, b])
    assert Batch("customers", [a, b]).body([b]) == bulk_body([b])
    assert Batch("customers", [a, b]).plain
    assert not Batch("customers", [a, mapped("C", 3, deleted=True)]).plain


def test_a_buffer_packs_a_chunk_at_a_time_in_a_load_of_new_customers() -> None:
    buffer = Buffer("customers", FIELD_MAP, reconciler())  # type: ignore[arg-type]
    items = [mapped(str(n), n) for n in range(1, CHUNK_ROWS + 3)]
    for one in items:
        buffer.add(one)

    assert buffer.size == len(items)
    assert len(buffer._loose) == 2  # the first chunk is packed and let go
    batch = buffer.take()
    assert buffer.size == 0
    assert batch.body() == bulk_body(items)
    assert batch.items == items


@pytest.mark.parametrize(
    ("upsert", "new_keys", "made"),
    [(True, False, False), (False, True, True), (False, False, True)],
)
def test_a_buffer_packs_nothing_unless_the_stream_loads_new_customers_under_upsert(
    *, upsert: bool, new_keys: bool, made: bool
) -> None:
    buffer = Buffer("customers", FIELD_MAP, reconciler(upsert=upsert, new_keys=new_keys))  # type: ignore[arg-type]
    items = [mapped(str(n), n) for n in range(1, CHUNK_ROWS + 3)]
    for one in items:
        buffer.add(one)

    batch = buffer.take()

    assert batch._items == items  # nothing let go
    assert (batch._made is not None) is made  # append-only inserts straight away too


def test_a_buffer_gives_each_batch_its_own_token() -> None:
    buffer = Buffer("customers", FIELD_MAP, reconciler())  # type: ignore[arg-type]
    token = buffer.token
    buffer.add(mapped("1", 1))

    assert buffer.take().token == token
    assert buffer.token != token
