"""What happened to each record, counted per stream, and the progress and summary lines."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from target_upwell.errors import ApiProblem
    from target_upwell.mapping.customer_input import Customer
    from target_upwell.mapping.validation import Problem


logger = logging.getLogger("target-upwell")


class Outcome(str, enum.Enum):
    """The one way each record ends."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    MERGED = "merged"  # a later record for the same key in the same batch replaced it
    SKIPPED = "skipped"  # its stream is not loaded, or its deletion had nothing to delete
    REJECTED = "rejected"


class Reason(str, enum.Enum):
    """Why a record was rejected; the dead-letter file and the summary use these codes."""

    INVALID_RECORD = "invalid_record"  # breaks the tap's own schema
    MAPPING_FAILED = "mapping_failed"  # an expression failed or a value can't be shaped
    INVALID_PAYLOAD = "invalid_payload"  # the mapped customer breaks CustomersInsertInput
    API_REJECTED = "api_rejected"  # Upwell refused the row (400, 404, 422)
    ALREADY_EXISTS = "already_exists"  # append-only: the key exists or came earlier
    TOO_LARGE = "too_large"  # a single customer is over the request size limit
    PARENT_NOT_FOUND = "parent_not_found"  # billToSourceSystemId names no customer


@dataclass
class Rejection:
    """A record that can't be loaded, with everything the dead-letter line needs."""

    stream: str
    key: str | None
    position: int
    reason: Reason
    problems: list[Problem] = field(default_factory=list)
    api: ApiProblem | None = None
    customer: Customer | None = None
    record: dict[str, Any] | None = None


class RejectionLog:
    """One warning line per rejected record, naming stream, key and fields, never values.

    After ``limit`` lines it says once that the rest are only in the dead-letter file.
    """

    def __init__(self, dead_letter: Path, limit: int = 100) -> None:
        """``dead_letter`` is named when the lines stop."""
        self._dead_letter = dead_letter
        self._limit = limit
        self._count = 0
        self._lock = threading.RLock()  # re-entrant: the SIGTERM handler reports the summary

    def note(self, rejection: Rejection) -> None:
        """Log one rejection, or the notice that further ones go unlogged."""
        with self._lock:
            self._count += 1
            count = self._count
        if count > self._limit + 1:
            return
        if count == self._limit + 1:
            logger.warning(
                "More records were rejected; the rest are only in %s.", self._dead_letter
            )
            return
        logger.warning("%s", describe(rejection))


def describe(rejection: Rejection) -> str:
    """``Stream 'customers', record C-7 (input record 12): invalid_payload: field name: …``.

    An API refusal is named by its code and path only: its message may quote a value.
    """
    who = f"record {rejection.key}" if rejection.key else "a record"
    why = "; ".join(str(p) for p in rejection.problems)
    if rejection.api is not None:
        api = rejection.api
        why = f"Upwell answered HTTP {api.status} {api.code} at {api.path or '$'}".strip()
    return (
        f"Stream '{rejection.stream}', {who} (input record {rejection.position}):"
        f" {rejection.reason.value}: {why or 'rejected'}"
    )


@dataclass
class StreamCounts:
    """The numbers reported for one stream."""

    received: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    addresses_not_updated: int = 0
    rules_not_updated: int = 0
    batches: int = 0
    requests: int = 0
    retries: int = 0
    refusals: int = 0  # absorbed by the pace: it slowed down, no retry spent

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers, every outcome present, for the JSON summary line."""
        return {
            "received": self.received,
            **{o.value: self.outcomes[o.value] for o in Outcome},
            "rejected_by_reason": dict(self.rejected_by_reason),
            "addresses_not_updated": self.addresses_not_updated,
            "rules_not_updated": self.rules_not_updated,
            "batches": self.batches,
            "requests": self.requests,
            "retries": self.retries,
            "refusals": self.refusals,
        }


class Summary:
    """Thread-safe counts for the whole run, per stream."""

    def __init__(self, progress_every: float = 10.0) -> None:
        """Progress lines are due at most every ``progress_every`` seconds."""
        self.streams: dict[str, StreamCounts] = {}
        self._lock = threading.RLock()  # re-entrant: the SIGTERM handler reports the summary
        self._progress_every = progress_every
        self.next_progress = time.monotonic() + progress_every  # on time.monotonic's clock
        self._started = time.monotonic()

    def stream(self, name: str) -> StreamCounts:
        """The counts of one stream, created on first use."""
        with self._lock:
            return self.streams.setdefault(name, StreamCounts())

    def count(self, stream: str, outcome: Outcome, n: int = 1) -> None:
        """Add ``n`` records that ended in ``outcome``."""
        counts = self.stream(stream)
        with self._lock:
            counts.outcomes[outcome.value] += n

    def reject(self, rejection: Rejection) -> None:
        """Count one rejection under its reason."""
        counts = self.stream(rejection.stream)
        with self._lock:
            counts.outcomes[Outcome.REJECTED.value] += 1
            counts.rejected_by_reason[rejection.reason.value] += 1

    def add(self, stream: str, **numbers: int) -> None:
        """Add to plain counters such as ``requests=2, retries=1``."""
        counts = self.stream(stream)
        with self._lock:
            for name, n in numbers.items():
                setattr(counts, name, getattr(counts, name) + n)

    def rejected_by_reason(self) -> Counter[str]:
        """Rejections by reason over every stream."""
        with self._lock:
            total: Counter[str] = Counter()
            for counts in self.streams.values():
                total.update(counts.rejected_by_reason)
            return total

    def progress_due(self) -> bool:
        """True at most once every ``progress_every`` seconds."""
        now = time.monotonic()
        if now < self.next_progress:
            return False
        self.next_progress = now + self._progress_every
        return True

    def progress_line(self) -> str:
        """``Progress: 12000 received, 11500 settled (…) in 20 s``."""
        with self._lock:
            received = sum(c.received for c in self.streams.values())
            ended: Counter[str] = Counter()
            for counts in self.streams.values():
                ended.update(counts.outcomes)
        settled = sum(ended.values())
        detail = ", ".join(f"{ended[o.value]} {o.value}" for o in Outcome if ended[o.value])
        seconds = time.monotonic() - self._started
        return f"Progress: {received} received, {settled} settled ({detail}) in {seconds:.0f} s"

    def text(self) -> list[str]:
        """The human summary, one line per stream."""
        with self._lock:
            lines = []
            for name, counts in sorted(self.streams.items()):
                numbers = counts.as_dict()
                reasons = ", ".join(
                    f"{r}={n}" for r, n in sorted(counts.rejected_by_reason.items())
                )
                outcomes = ", ".join(f"{numbers[o.value]} {o.value}" for o in Outcome)
                lines.append(
                    f"Stream '{name}': {counts.received} received: {outcomes}"
                    + (f" ({reasons})" if reasons else "")
                    + f"; {counts.addresses_not_updated} addresses and"
                    f" {counts.rules_not_updated} payment terms not updated;"
                    f" {counts.batches} batches, {counts.requests} requests,"
                    f" {counts.retries} retries, {counts.refusals} refusals absorbed"
                )
            return lines

    def as_dict(self) -> dict[str, Any]:
        """Every number, per stream, for the machine-readable summary line."""
        with self._lock:
            return {name: c.as_dict() for name, c in sorted(self.streams.items())}
