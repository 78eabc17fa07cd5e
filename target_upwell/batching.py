"""Shape what one request sends: the batch's items, deduplicated, cut by rows and bytes."""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from target_upwell import encoding

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator, Sequence

    from target_upwell.customer_input import Customer


@dataclass(slots=True)
class Item:
    """One mapped record on its way: the customer, its insert input, where it came from."""

    customer: Customer
    position: int
    payload: dict[str, Any]
    record: dict[str, Any] | None = None


_tokens = itertools.count(1)
# An item's ``customer.key``, read in C: a batch reads every item's key on the main thread.
KEY_OF = operator.attrgetter("customer.source_system", "customer.source_id")


@dataclass(eq=False)  # a batch is itself: the loader finds it among those in flight
class Batch:
    """A sink's flushed records for one stream; ``token`` holds their STATE back."""

    stream: str
    items: list[Item]
    token: Hashable = field(default_factory=lambda: next(_tokens))
    keys: frozenset[tuple[str, str]] = field(init=False)
    body: bytes | None = None  # every item's insert input, encoded ahead (see Loader.submit)

    def __post_init__(self) -> None:
        """Note the (sourceSystem, sourceSystemId) pairs the batch writes, once."""
        self.keys = frozenset(map(KEY_OF, self.items))


def dedupe(batch: Batch, *, keep: str) -> tuple[list[Item], list[Item]]:
    """Split the batch's items into one per key and the duplicates dropped, in the batch's order.

    ``keep="last"`` (upsert: the later record wins) or ``"first"`` (append-only).
    """
    items = batch.items
    if len(batch.keys) == len(items):  # the usual batch: its key set says there is nothing to do
        return list(items), []
    chosen: dict[tuple[str, str], Item] = {}
    dropped: list[Item] = []
    for item in items if keep == "first" else reversed(items):
        if item.customer.key in chosen:
            dropped.append(item)
        else:
            chosen[item.customer.key] = item
    return sorted(chosen.values(), key=by_position), sorted(dropped, key=by_position)


def by_position(item: Item) -> int:
    """Where the item came in the input: the sort key for input order."""
    return item.position


def bodies(
    items: Sequence[Item], max_rows: int, max_bytes: int
) -> Iterator[tuple[list[Item], bytes]]:
    """Consecutive groups of at most ``max_rows`` items, each with its bulk request body.

    A body over ``max_bytes`` is split in halves until it fits or holds one item. Encoding
    a group at once costs about half of encoding its items one by one.
    """
    for start in range(0, len(items), max_rows):
        yield from _fitted(list(items[start : start + max_rows]), max_bytes)


def _fitted(group: list[Item], max_bytes: int) -> Iterator[tuple[list[Item], bytes]]:
    body = bulk_body(group)
    if len(body) <= max_bytes or len(group) == 1:
        yield group, body
        return
    for half in halves(group):
        yield from _fitted(half, max_bytes)


def encoded_ahead(
    batch: Batch, items: Sequence[Item], max_rows: int, max_bytes: int
) -> bytes | None:
    """The batch's body encoded ahead, if it is one request's body for exactly ``items``."""
    body = batch.body
    if body is None or len(items) != len(batch.items) or len(items) > max_rows:
        return None
    if len(body) > max_bytes or not all(map(operator.is_, items, batch.items)):
        return None  # another request's items, or payloads since rebuilt (a parent's id)
    return body


def bulk_body(items: Sequence[Item]) -> bytes:
    """The ``{"inputs": [...]}`` body of one bulk insert."""
    return encoding.dumps({"inputs": [item.payload for item in items]})


def halves(items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """The two halves bisection recurses into."""
    middle = len(items) // 2
    return list(items[:middle]), list(items[middle:])
