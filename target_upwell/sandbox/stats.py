"""Stats: what the sandbox has been asked and done, for tests and users to inspect."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .limits import IN_FLIGHT, RATE

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The outcome recorded for a request whose connection was closed without an answer.
DROPPED = "dropped"


class Stats:
    """Thread-safe counters of API requests; admin requests are not counted."""

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self._lock = threading.Lock()
        self._in_flight = 0
        self._max_in_flight = 0
        self._requests: dict[str, Counter[str]] = {}
        self._inserted = 0
        self._updated = 0
        self._refused: Counter[str] = Counter()

    def clear(self) -> None:
        """Zero every counter. Requests in flight right now still finish and are counted."""
        with self._lock:
            self._max_in_flight = self._in_flight
            self._requests = {}
            self._inserted = 0
            self._updated = 0
            self._refused = Counter()

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count one API request as being handled for the duration of the block."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def record(self, endpoint: str, outcome: str) -> None:
        """Count one finished request.

        Args:
            endpoint: The endpoint name, e.g. ``bulk-customers``.
            outcome: The HTTP status as a string, or `DROPPED`.
        """
        with self._lock:
            self._requests.setdefault(endpoint, Counter())[outcome] += 1

    def add_rows(self, *, inserted: int = 0, updated: int = 0) -> None:
        """Count rows written by a request that committed.

        Args:
            inserted: Customers inserted.
            updated: Customer and customer-rule rows updated.
        """
        with self._lock:
            self._inserted += inserted
            self._updated += updated

    def count_refusal(self, limit: str) -> None:
        """Count one request refused by a server limit (it is also `record`ed, as 429).

        Args:
            limit: The limit that refused it: ``rate`` or ``in_flight``.
        """
        with self._lock:
            self._refused[limit] += 1

    def snapshot(self) -> dict[str, object]:
        """The counters as the ``/_sandbox/stats`` JSON.

        Returns:
            ``requests`` (endpoint to status to count), ``rows_inserted``, ``rows_updated``,
            ``max_in_flight``, ``in_flight``, and ``refused_rate`` and ``refused_in_flight``
            (requests answered 429 by a server limit).
        """
        with self._lock:
            return {
                "requests": {name: dict(counts) for name, counts in sorted(self._requests.items())},
                "rows_inserted": self._inserted,
                "rows_updated": self._updated,
                "max_in_flight": self._max_in_flight,
                "in_flight": self._in_flight,
                "refused_rate": self._refused[RATE],
                "refused_in_flight": self._refused[IN_FLIGHT],
            }
