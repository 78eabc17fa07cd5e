"""Shape what one request sends: the batch's items, deduplicated, cut by rows and bytes."""

from __future__ import annotations

import itertools
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
    encoded: bytes = field(init=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        """Encode the insert input once, for the bulk body and to decide where requests are cut."""
        self.encoded = encoding.dumps(self.payload)
        self.size = len(self.encoded) + 1


_tokens = itertools.count(1)


@dataclass
class Batch:
    """A sink's flushed records for one stream; ``token`` holds their STATE back."""

    stream: str
    items: list[Item]
    token: Hashable = field(default_factory=lambda: next(_tokens))
    keys: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        """Note the (sourceSystem, sourceSystemId) pairs the batch writes, once."""
        self.keys = frozenset(item.customer.key for item in self.items)


def dedupe(items: Sequence[Item], *, keep: str) -> tuple[list[Item], list[Item]]:
    """Split items into one per key and the duplicates dropped.

    ``keep="last"`` (upsert: the later record wins) or ``"first"`` (append-only).
    """
    chosen: dict[tuple[str, str], Item] = {}
    dropped: list[Item] = []
    ordered = items if keep == "first" else list(reversed(items))
    for item in ordered:
        if item.customer.key in chosen:
            dropped.append(item)
        else:
            chosen[item.customer.key] = item
    kept = sorted(chosen.values(), key=lambda item: item.position)
    return kept, sorted(dropped, key=lambda item: item.position)


def cut(items: Sequence[Item], max_rows: int, max_bytes: int) -> Iterator[list[Item]]:
    """Consecutive groups of at most ``max_rows`` items whose body stays under ``max_bytes``."""
    group: list[Item] = []
    size = len(b'{"inputs":[]}')
    for item in items:
        if group and (len(group) >= max_rows or size + item.size > max_bytes):
            yield group
            group, size = [], len(b'{"inputs":[]}')
        group.append(item)
        size += item.size
    if group:
        yield group


def halves(items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
    """The two halves bisection recurses into."""
    middle = len(items) // 2
    return list(items[:middle]), list(items[middle:])
