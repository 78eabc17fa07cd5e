"""Shape what one request sends: the batch's items, deduplicated, cut by rows and bytes.

A batch of new customers may be sent as it was encoded, its items let go and rebuilt from
the body only if the insert fails (``Encoded``, ``Batch.encode``).
"""

from __future__ import annotations

import itertools
import operator
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from target_upwell import encoding

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator, Sequence

    from target_upwell.mapping.customer_input import Customer, Shape


@dataclass(slots=True)
class Item:
    """One mapped record on its way: the customer, its insert input, where it came from."""

    customer: Customer
    position: int
    payload: dict[str, Any]
    record: dict[str, Any] | None = None


_tokens = itertools.count(1)
# Read in C, as they are read for every item of every batch.
KEY_OF = operator.attrgetter("customer.source_system", "customer.source_id")
PARENT_OF = operator.attrgetter("customer.parent_source_id")
DELETED = operator.attrgetter("customer.deleted")
_RECORD = operator.attrgetter("record")
_PAYLOAD = operator.attrgetter("payload")
_POSITION = operator.attrgetter("position")


class Encoded:
    """Items already encoded and let go: their insert inputs as JSON, keys and positions.

    The shape rebuilds the items exactly from their insert inputs (``Shape.customer``),
    as a failed insert needs them; the records kept for the dead letters are encoded
    beside them. Only items with no parent and no deletion can be rebuilt (``rebuildable``).
    """

    def __init__(self, shape: Shape) -> None:
        """Empty; ``add`` runs of items."""
        self.shape = shape
        self.parts: list[memoryview] = []  # each run's insert inputs, comma-separated
        self.records: list[bytes] = []  # each run's records, when they are kept
        self.keys: list[tuple[str, str]] = []
        self.positions = array("q")

    def add(self, items: Sequence[Item]) -> None:
        """Encode a run of items; the caller then lets them go."""
        self.parts.append(memoryview(encoding.dumps(list(map(_PAYLOAD, items))))[1:-1])
        if items and items[0].record is not None:  # a stream keeps all its records or none
            self.records.append(encoding.dumps(list(map(_RECORD, items))))
        self.keys.extend(map(KEY_OF, items))
        self.positions.extend(map(_POSITION, items))

    def body(self) -> bytes:
        """The ``{"inputs": [...]}`` body of one bulk insert of every item added."""
        return self._joined(b'{"inputs":[', b"]}")

    def items(self) -> list[Item]:
        """The items added, rebuilt."""
        payloads = encoding.loads(self._joined(b"[", b"]"))
        records = [r for run in self.records for r in encoding.loads(run)] or [None] * len(payloads)
        return [
            Item(self.shape.customer(payload), position, payload, record)
            for payload, position, record in zip(payloads, self.positions, records, strict=True)
        ]

    def _joined(self, opening: bytes, closing: bytes) -> bytes:
        """The runs between ``opening`` and ``closing``, copied once: a body is ~0.3 MB."""
        pieces: list[bytes | memoryview] = [opening]
        for part in self.parts:
            pieces += (part, b",")
        if self.parts:
            pieces.pop()  # the last comma
        pieces.append(closing)
        return b"".join(pieces)


class Batch:
    """A sink's flushed records for one stream; ``token`` holds their STATE back.

    A batch is itself, not equal to another with the same items: the loader finds it among
    those in flight. Its first items may come already encoded (``encoded``), the rest as
    items; ``items`` rebuilds the encoded ones when something needs them.
    """

    def __init__(
        self,
        stream: str,
        items: list[Item],
        *,
        token: Hashable | None = None,
        shape: Shape | None = None,
        encoded: Encoded | None = None,
    ) -> None:
        """``shape`` rebuilds the stream's customers from their insert inputs (see ``encode``)."""
        self.stream = stream
        self.token: Hashable = next(_tokens) if token is None else token
        self._encoded = encoded
        self._items = items
        self._shape = shape
        # The (sourceSystem, sourceSystemId) pairs the batch writes, and how many items.
        keys = frozenset(map(KEY_OF, items))
        self.keys = keys if self._encoded is None else keys.union(self._encoded.keys)
        self.size = len(items) + (len(self._encoded.positions) if self._encoded else 0)
        self.body: bytes | None = None  # every item's insert input, encoded ahead

    @property
    def items(self) -> list[Item]:
        """The batch's items, in input order; encoded ones are rebuilt, once."""
        if self._encoded is not None:
            self._items = self._encoded.items() + self._items
            self._encoded = None
        return self._items

    @property
    def shed(self) -> bytes | None:
        """The body, while it alone stands for the items (see ``encode``); else None."""
        return self.body if self._encoded is not None and not self._items else None

    def encode(self, *, shed: bool) -> None:
        """Encode the body now, on the thread that mapped the items, while they are cached.

        With ``shed``, the items are then let go, when the body and the stream's shape
        rebuild them exactly: in a load of new customers nothing reads them again unless
        the insert fails. Freed by the thread that made them, their memory is reused warm;
        otherwise a request thread frees them, and new records fill memory that has gone
        cold (about 1 µs a record, measured on 100k records).
        """
        if shed and self._shape is not None and rebuildable(self._items):
            encoded = self._encoded or Encoded(self._shape)
            if self._items:
                encoded.add(self._items)
            self.body = encoded.body()
            self._encoded, self._items = encoded, []
        else:
            self.body = bulk_body(self.items)


def rebuildable(items: list[Item]) -> bool:
    """No child and no deletion: what Shape rebuilds."""
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
