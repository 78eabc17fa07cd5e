"""The fast path: a batch's insert body made while its records are mapped, its items let go.

In a load of new customers nothing reads a batch's items again unless its insert fails. So
the sink packs them as it maps them: every ``CHUNK_ROWS`` items are encoded as their insert
inputs and let go, and the batch's body is made from the packed chunks when it is handed
on. A failed insert unpacks the items from the body. Only the sink uses this module
(``Buffer``); the rest asks a ``Batch`` for its items and its bodies.

Two words belong here alone: *pack* (encode items and let them go) and *unpack* (rebuild
them exactly). Only plain items are packed: a child's input changes once its parent is
found, and a deletion is an update.
"""

from __future__ import annotations

import itertools
import operator
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from target_upwell import contract, encoding
from target_upwell.delivery.batching import KEY_OF, Batch, Item, Line, bulk_body, plain
from target_upwell.mapping.customer_input import Customer

if TYPE_CHECKING:
    from collections.abc import Hashable, Sequence

    from target_upwell.delivery.reconcile import Reconciler
    from target_upwell.mapping.field_map import FieldMap

CHUNK_ROWS = 100  # items packed at a time: a chunk stays in the CPU's cache while it is encoded
_tokens = itertools.count(1)
_RECORD = operator.attrgetter("record")
_PAYLOAD = operator.attrgetter("payload")
_POSITION = operator.attrgetter("position")


@dataclass(frozen=True)
class Shape:
    """The fields a stream's mapping sets, whatever their values, and whether it maps addresses.

    With it, a customer is rebuilt exactly from the insert input it was sent as: a mapped
    field the input lacks was None, which an update clears.
    """

    scalars: tuple[str, ...]
    addresses: bool

    def customer(self, payload: dict[str, Any]) -> Customer:
        """The customer (no parent, not deleted) whose ``insert_input()`` is ``payload``."""
        scalars = {name: payload.get(name) for name in self.scalars}
        if "ccEmailAddresses" in payload:  # also set, when not None, by splitting an email
            scalars["ccEmailAddresses"] = payload["ccEmailAddresses"]
        addresses = payload.get("addresses")
        rule = payload.get("customerRule")
        return Customer(
            payload["sourceSystem"],
            payload["sourceSystemId"],
            scalars,
            addresses["data"] if addresses else [] if self.addresses else None,
            rule["data"]["dueOption"] if rule else None,
            {n: payload[n]["data"] for n in contract.PASSTHROUGH_RELATIONS if n in payload},
        )


class Packed:
    """Chunks of items encoded as their insert inputs, with their keys and positions.

    The records kept for the dead letters stay beside them as lines: the Singer lines they
    came in, or, for a record kept as a dict, ``{"record": ...}`` encoded.
    """

    def __init__(self, shape: Shape) -> None:
        """Empty; ``add`` chunks of plain items."""
        self.shape = shape
        self.parts: list[memoryview] = []  # each chunk's insert inputs, comma-separated
        self.records: list[Line] = []  # the records' lines, when they are kept
        self.keys: list[tuple[str, str]] = []
        self.positions = array("q")

    def add(self, items: Sequence[Item]) -> None:
        """Pack a chunk of items; the caller then lets them go."""
        self.parts.append(memoryview(encoding.dumps(list(map(_PAYLOAD, items))))[1:-1])
        if items and items[0].record is not None:  # a stream keeps all its records or none
            self.records.extend(map(_as_line, map(_RECORD, items)))
        self.keys.extend(map(KEY_OF, items))
        self.positions.extend(map(_POSITION, items))

    def body(self) -> bytes:
        """The ``{"inputs": [...]}`` body of one bulk insert of every item packed."""
        return self._joined(b'{"inputs":[', b"]}")

    def unpack(self) -> list[Item]:
        """The items packed, rebuilt."""
        payloads = encoding.loads(self._joined(b"[", b"]"))
        records: Sequence[Line | None] = self.records or [None] * len(payloads)
        return [
            Item(self.shape.customer(payload), position, payload, record)
            for payload, position, record in zip(payloads, self.positions, records, strict=True)
        ]

    def _joined(self, opening: bytes, closing: bytes) -> bytes:
        """The chunks between ``opening`` and ``closing``, copied once: a body is ~0.3 MB."""
        pieces: list[bytes | memoryview] = [opening]
        for part in self.parts:
            pieces += (part, b",")
        if self.parts:
            pieces.pop()  # the last comma
        pieces.append(closing)
        return b"".join(pieces)


def _as_line(record: dict[str, Any] | Line | None) -> Line:
    """A kept record as a line: the one it came in, or one made for it."""
    return record if isinstance(record, (bytes, str)) else encoding.dumps({"record": record})


class PackedBatch(Batch):
    """A batch whose first items may be packed, and whose whole body may be made already.

    ``plain`` (the base's) looks at the loose items only: packed items are always plain.
    """

    def __init__(
        self, stream: str, items: list[Item], packed: Packed | None, *, token: Hashable
    ) -> None:
        """``packed`` holds the items before ``items``, if any were packed."""
        super().__init__(stream, items, token=token)
        self._packed = packed
        self._made: bytes | None = None  # the body of every item, made ahead
        if packed is not None:
            self.keys = self.keys.union(packed.keys)
            self.size += len(packed.positions)

    @property
    def items(self) -> list[Item]:
        """The batch's items, in input order; packed ones are unpacked, once."""
        if self._packed is not None:
            self._items = self._packed.unpack() + self._items
            self._packed = None
        return self._items

    def body(self, items: Sequence[Item] | None = None) -> bytes:
        """The body made ahead, once, when ``items`` are all the batch's; else a new one."""
        made = self._made
        if made is not None and (items is None or self._is_all(items)):
            self._made = None  # later bodies are for items changed or cut since
            return made
        if items is None:
            items = self.items
        return bulk_body(items)

    def make(self, shape: Shape | None) -> None:
        """Make the whole body now, on the thread that mapped the items, while they are cached.

        With a ``shape``, the items left are packed too, and let go, when they are plain:
        memory freed by the thread that made it is reused warm; freed later by a request
        thread, new records fill memory gone cold (about 1 µs a record, measured).
        """
        loose = self._items
        if shape is not None and plain(loose):
            packed = self._packed or Packed(shape)
            if loose:
                packed.add(loose)
            self._packed, self._items = packed, []
            self._made = packed.body()
        else:
            self._made = bulk_body(self.items)

    def _is_all(self, items: Sequence[Item]) -> bool:
        mine = self.items
        return len(items) == len(mine) and all(map(operator.is_, items, mine))


class Buffer:
    """One stream's batch in the making: mapped items, packed a chunk at a time when they may be.

    They may be while the stream loads new customers under upsert (``Reconciler``'s
    ``expects_new_keys``); a chunk that isn't plain stays, and so does the rest of the
    batch (its loose items never again make exactly a chunk).
    """

    def __init__(self, stream: str, field_map: FieldMap | None, reconciler: Reconciler) -> None:
        """``field_map`` rebuilds the stream's customers; none, and nothing is packed."""
        self._stream = stream
        self._reconciler = reconciler
        self._shape = None if field_map is None else Shape(field_map.scalars, field_map.addresses)
        self._loose: list[Item] = []
        self._packed: Packed | None = None
        self.size = 0  # items in the batch, packed or loose
        self.token = next(_tokens)

    def add(self, item: Item) -> None:
        """Buffer one mapped item; every ``CHUNK_ROWS`` of them are packed, if they may be."""
        loose = self._loose
        loose.append(item)
        self.size += 1
        if len(loose) == CHUNK_ROWS:
            self._pack(loose)

    def take(self) -> Batch:
        """The batch, with its body made if it is to be inserted straight away; then empty."""
        batch = PackedBatch(self._stream, self._loose, self._packed, token=self.token)
        self._loose, self._packed, self.size = [], None, 0
        self.token = next(_tokens)
        if self._reconciler.inserts_straight_away(self._stream):
            # Made now, while the payloads are in the CPU's cache: later, in a request
            # thread, encoding costs more.
            batch.make(self._packing_shape())
        return batch

    def _pack(self, loose: list[Item]) -> None:
        """Pack a chunk and let its items go, when they can be rebuilt."""
        shape = self._packing_shape()
        if shape is None or not plain(loose):
            return
        if self._packed is None:
            self._packed = Packed(shape)
        self._packed.add(loose)
        self._loose = []

    def _packing_shape(self) -> Shape | None:
        """The shape, while the stream's items may be packed: new customers under upsert."""
        reconciler = self._reconciler
        if reconciler.options.upsert and reconciler.expects_new_keys(self._stream):
            return self._shape
        return None
