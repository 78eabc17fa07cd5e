"""Shape what one request sends: the batch's items, deduplicated, cut by rows and bytes."""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from target_upwell import encoding

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator, Sequence

    from target_upwell.mapping.customer_input import Customer


Line = bytes | str  # a JSON object's text, as the reader read it


@dataclass(slots=True)
class Item:
    """One mapped record on its way: the customer, its insert input, where it came from.

    ``record`` is kept for the dead letters (None when they don't include it): the record, or
    the JSON object it came in under ``"record"`` (the Singer line the reader had already;
    ``kept_record`` parses it only for a record that is dead-lettered).
    """

    customer: Customer
    position: int
    payload: dict[str, Any]
    record: dict[str, Any] | Line | None = None


def kept_record(kept: dict[str, Any] | Line | None) -> dict[str, Any] | None:
    """The record an item keeps, parsed from its line when it was kept as one."""
    if isinstance(kept, (bytes, str)):
        record: dict[str, Any] = encoding.loads(kept)["record"]
        return record
    return kept


_tokens = itertools.count(1)
# Read in C, as they are read for every item of every batch.
KEY_OF = operator.attrgetter("customer.source_system", "customer.source_id")
PARENT_OF = operator.attrgetter("customer.parent_source_id")
DELETED = operator.attrgetter("customer.deleted")


class Batch:
    """A sink's flushed records for one stream; ``token`` holds their STATE back.

    A batch is itself, not equal to another with the same items: the window finds it among
    those in flight. Reconcile asks it for its ``items`` and for request bodies (``body``)
    and never learns how either was made.
    """

    def __init__(self, stream: str, items: list[Item], *, token: Hashable | None = None) -> None:
        """The items in input order; a token of its own unless one is given."""
        self.stream = stream
        self.token: Hashable = next(_tokens) if token is None else token
        self._items = items
        # The (sourceSystem, sourceSystemId) pairs the batch writes, and how many items.
        self.keys = frozenset(map(KEY_OF, items))
        self.size = len(items)

    @property
    def items(self) -> list[Item]:
        """The batch's items, in input order."""
        return self._items

    @property
    def plain(self) -> bool:
        """True when every item goes to Upwell as it is: no child, no deletion."""
        return plain(self._items)

    def body(self, items: Sequence[Item] | None = None) -> bytes:
        """The bulk insert body of ``items``, some of the batch's (all of them by default)."""
        return bulk_body(self._items if items is None else items)


def plain(items: Sequence[Item]) -> bool:
    """No child (its input changes once its parent is found) and no deletion (an update)."""
    return not (any(map(PARENT_OF, items)) or any(map(DELETED, items)))


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
    batch: Batch, items: Sequence[Item], max_rows: int, max_bytes: int
) -> Iterator[tuple[list[Item], bytes]]:
    """Consecutive groups of at most ``max_rows`` of the batch's items, each with its body.

    A body over ``max_bytes`` is split in halves until it fits or holds one item. Encoding
    a group at once costs about half of encoding its items one by one.
    """
    for start in range(0, len(items), max_rows):
        yield from _fitted(batch, items[start : start + max_rows], max_bytes)


def _fitted(
    batch: Batch, group: Sequence[Item], max_bytes: int
) -> Iterator[tuple[list[Item], bytes]]:
    body = batch.body(group)
    if len(body) <= max_bytes or len(group) == 1:
        yield list(group), body
        return
    for half in halves(group):
        yield from _fitted(batch, half, max_bytes)


def bulk_body(items: Sequence[Item]) -> bytes:
    """The ``{"inputs": [...]}`` body of one bulk insert."""
    return encoding.dumps({"inputs": [item.payload for item in items]})


def halves(items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """The two halves bisection recurses into."""
    middle = len(items) // 2
    return list(items[:middle]), list(items[middle:])
