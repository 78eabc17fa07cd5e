"""Append each record that can't be loaded to the dead-letter file, one JSON line each.

The only module that writes files. A line is flushed as it is written and fsynced before
any STATE that covers its record leaves the target, so a settled reject is never lost.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import IO, TYPE_CHECKING, Any

from target_upwell import encoding

if TYPE_CHECKING:
    from pathlib import Path

    from target_upwell.outcomes import Rejection


class DeadLetterWriter:
    """Writes rejections to ``path``, opening it only when the first one arrives."""

    def __init__(self, path: Path, run_id: str, *, include_record: bool) -> None:
        """``include_record`` adds the tap's original record to each line (it may hold PII)."""
        self.path = path
        self._run_id = run_id
        self._include_record = include_record
        self._file: IO[bytes] | None = None
        self._dirty = False
        self._lock = threading.RLock()  # re-entrant: the SIGTERM handler may interrupt a write
        self.written = 0

    def write(self, rejection: Rejection) -> None:
        """Append one line and flush it."""
        line = encoding.dumps(self.line(rejection)) + b"\n"
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("ab")
            self._file.write(line)
            self._file.flush()
            self._dirty = True
            self.written += 1

    def line(self, rejection: Rejection) -> dict[str, Any]:
        """The JSON object written for one rejection."""
        api = rejection.api
        return {
            "run_id": self._run_id,
            "time": dt.datetime.now(tz=dt.timezone.utc).isoformat(),
            "stream": rejection.stream,
            "key": rejection.key,
            "position": rejection.position,
            "reason": rejection.reason.value,
            "problems": [str(p) for p in rejection.problems],
            "api": None
            if api is None
            else {"status": api.status, "code": api.code, "message": api.message, "path": api.path},
            "payload": None if rejection.customer is None else rejection.customer.insert_input(),
            "record": rejection.record if self._include_record else None,
        }

    def sync(self) -> None:
        """Make every line written so far durable; called before STATE goes out."""
        with self._lock:
            if self._file is not None and self._dirty:
                os.fsync(self._file.fileno())
                self._dirty = False

    def close(self) -> None:
        """Sync and close the file."""
        self.sync()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
