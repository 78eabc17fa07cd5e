"""When to try again and how long to wait: exponential backoff with jitter, and Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from typing import TYPE_CHECKING

import backoff

from target_upwell import contract

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries follow the first attempt, and the sleep that spends the waits.

    The sleep is injected so tests never wait and a stopping run can cut a wait short.
    """

    max_retries: int
    sleep: Callable[[float], None]
    base_seconds: float = 0.5
    max_backoff_seconds: float = 60.0

    def waits(self) -> Iterator[float]:
        """Full-jitter exponential waits: 0-0.5 s, 0-1 s, 0-2 s, … capped."""
        expo = backoff.expo(base=2, factor=self.base_seconds, max_value=self.max_backoff_seconds)
        next(expo)  # its first value is 0: skip it, so even the first retry waits a little.
        for wait in expo:
            yield backoff.full_jitter(wait)


def retry_after_seconds(header: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from seconds or an HTTP date, capped at 120 s."""
    if not header:
        return None
    text = header.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), contract.MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    moment = now or dt.datetime.now(tz=dt.timezone.utc)
    seconds = (when - moment).total_seconds()
    return min(max(seconds, 0.0), contract.MAX_RETRY_AFTER_SECONDS)
