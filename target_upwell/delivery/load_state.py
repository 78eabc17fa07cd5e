"""What reconcile keeps while it loads: its settings, the row cap, and what the run learned."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from target_upwell import contract
from target_upwell.delivery.client import Json, Tally, UpwellClient

if TYPE_CHECKING:
    from collections.abc import Sequence

    from target_upwell.delivery.batching import Item
    from target_upwell.outcomes import Outcome, Rejection

Key = tuple[str, str]
logger = logging.getLogger("target-upwell")
# What ``LoadState.learn`` may learn: search hides some customers whose key exists.
HIDES_DELETED = "search hides deleted customers"
UNSEEN_MESSAGE = (
    "Upwell holds a key its search does not show (a deleted customer, perhaps): deleted"
    " customers that search misses are updated by key from now on."
)


class RowCap:
    """The most inputs one bulk request may carry; a 413 lowers it for the rest of the run."""

    def __init__(self, rows: int) -> None:
        """Start at ``rows``."""
        self._rows = rows
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        """The current cap."""
        return self._rows

    def lower(self, rows: int) -> None:
        """Never raise it again; never below one."""
        with self._lock:
            self._rows = max(1, min(self._rows, rows))


@dataclass
class Report:
    """How one batch ended: an outcome per record, and the requests it took."""

    stream: str
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    addresses_not_updated: int = 0
    rules_not_updated: int = 0
    tally: Tally = field(default_factory=Tally)
    deferred: list[Item] = field(default_factory=list)  # their parent is not in Upwell yet


@dataclass(frozen=True)
class LoadOptions:
    """The settings reconcile obeys."""

    upsert: bool
    max_retries: int
    max_bytes: int = contract.MAX_BODY_BYTES


class LoadState:
    """What every batch's load shares; one instance serves every thread."""

    def __init__(self, client: UpwellClient, options: LoadOptions, cap: RowCap) -> None:
        """``cap`` is shared by the whole run."""
        self.client = client
        self.options = options
        self.cap = cap
        self._seen: set[Key] = set()  # append-only: keys sent earlier in this run
        self._seen_lock = threading.Lock()
        self._new_keys_only: set[str] = set()  # streams whose last search found nothing
        self._learned: set[str] = set()  # what the run learned about the API (``learn``)

    def expects_new_keys(self, stream: str) -> bool:
        """True when the stream's last search found none of its keys in Upwell."""
        return stream in self._new_keys_only

    def note_search(self, stream: str, *, found: bool) -> None:
        """What the stream's latest search (or conflict) says about its next batches."""
        if found:
            self._new_keys_only.discard(stream)
        else:
            self._new_keys_only.add(stream)

    def inserts_straight_away(self, stream: str) -> bool:
        """True when the stream's next batch should go to one bulk insert, unsearched."""
        return not self.options.upsert or self.expects_new_keys(stream)

    def first_sighting(self, items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
        """Append-only: split items into keys new to this run and keys already sent."""
        with self._seen_lock:
            fresh = [i for i in items if i.customer.key not in self._seen]
            self._seen.update(i.customer.key for i in fresh)
        fresh_ids = {id(i) for i in fresh}
        return fresh, [i for i in items if id(i) not in fresh_ids]

    def learn(self, topic: str, message: str) -> None:
        """Note what the run learned about the API, for its rest; the message is said once."""
        with self._seen_lock:
            if topic in self._learned:
                return
            self._learned.add(topic)
        logger.info(message)

    def note_unreturned(self, mapped: dict[str, Any], held: Json) -> None:
        """Say once which documented fields Upwell's answers lack; they go by the fingerprint."""
        for name in contract.CUSTOMER_FIELDS.intersection(mapped).difference(held):
            consequence = (
                "the fingerprint can't be read back, so every customer is updated on every run"
                if name == "metadata"
                else "a change to it is seen through the fingerprint in metadata"
            )
            self.learn(f"unreturned {name}", f"Upwell's answers don't carry {name}: {consequence}.")

    def knows(self, topic: str) -> bool:
        """True once ``learn`` has noted ``topic``."""
        return topic in self._learned

    def forget(self, key: Key) -> None:
        """Append-only: a key Upwell refused was never stored, so a later record may try it."""
        with self._seen_lock:
            self._seen.discard(key)
