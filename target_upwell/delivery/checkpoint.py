"""Release STATE only once every record received before it is settled.

Each STATE is tagged with its position in the input (the number of records before it).
Open spans mark records not yet settled: a sink's buffer, then the batch in flight. The
lowest open position is the watermark; every STATE below it is safe, and only the newest
of those is written, so a tap that sends a STATE per record gets one per flush.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

State = dict[str, Any]


class Checkpoints:
    """Holds STATE messages until the records before them are settled."""

    def __init__(self, write: Callable[[State], None]) -> None:
        """``write`` sends one STATE to stdout (after syncing the dead-letter file)."""
        self._write = write
        self._open: dict[Hashable, int] = {}
        self._waiting: deque[tuple[int, State]] = deque()
        self._safe: State | None = None
        self._written: State | None = None
        self._lock = threading.RLock()

    def open(self, token: Hashable, position: int) -> None:
        """Records from ``position`` on, held under ``token``, are not settled yet.

        Opening a token again keeps its lowest position.
        """
        with self._lock:
            self._open[token] = min(position, self._open.get(token, position))

    def settle(self, token: Hashable) -> None:
        """Everything held under ``token`` is settled."""
        with self._lock:
            self._open.pop(token, None)

    def add(self, position: int, state: State) -> None:
        """A STATE arrived after ``position`` records."""
        with self._lock:
            if self._waiting and self._waiting[-1][1] == state:
                return
            self._waiting.append((position, state))

    def release(self) -> None:
        """Write the newest STATE whose records are all settled, if it is new."""
        with self._lock:
            watermark = min(self._open.values(), default=None)
            while self._waiting and (watermark is None or self._waiting[0][0] < watermark):
                self._safe = self._waiting.popleft()[1]
            if self._safe is not None and self._safe != self._written:
                self._write(self._safe)
                self._written = self._safe
