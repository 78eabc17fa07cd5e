"""Server limits: a token-bucket rate limit and a cap on requests in flight, answered with 429.

Upwell publishes no limits, but a real server has some. These let a client rehearse meeting
them: unlike a ``status`` fault, which fires on a plan, a limit answers 429 only when the
client really sends too fast or too many at once. Both are off unless a flag or
``PUT /_sandbox/limits`` sets them.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from typing import TYPE_CHECKING

from .errors import ApiError, SwitchError, documented_error

if TYPE_CHECKING:
    from collections.abc import Callable

#: The limit that refused a request, as named in the stats (``refused_rate``, ...).
RATE = "rate"
IN_FLIGHT = "in_flight"

_KEYS = ("rate_limit", "rate_burst", "max_in_flight")


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits in force; None means no limit.

    Attributes:
        rate_limit: Requests a second the bucket refills with.
        rate_burst: Tokens the bucket holds; None means one second's worth (see `burst`).
        max_in_flight: The most API requests handled at once.
    """

    rate_limit: float | None = None
    rate_burst: int | None = None
    max_in_flight: int | None = None

    @property
    def burst(self) -> int | None:
        """The bucket's size: ``rate_burst``, or the rate rounded up (at least 1), or None."""
        if self.rate_burst is not None:
            return self.rate_burst
        if self.rate_limit is None:
            return None
        # At least one token, or a rate under 1/s would refuse every request.
        return max(1, math.ceil(self.rate_limit))

    def to_json(self) -> dict[str, object]:
        """The limits as the ``/_sandbox/limits`` JSON, with the burst in force."""
        return {
            "rate_limit": self.rate_limit,
            "rate_burst": self.burst,
            "max_in_flight": self.max_in_flight,
        }

    def changed(self, changes: object) -> Limits:
        """A copy with some limits changed; null removes one.

        Args:
            changes: A decoded JSON object, e.g. ``{"rate_limit": 5, "max_in_flight": null}``.

        Returns:
            The new limits.

        Raises:
            SwitchError: An unknown key or a bad value.
        """
        if not isinstance(changes, dict):
            msg = 'expected a JSON object of limits, e.g. {"rate_limit": 5}'
            raise SwitchError(msg)
        for key, value in changes.items():
            _check(key, value)
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why a request was refused, and when to try again.

    Attributes:
        limit: `RATE` or `IN_FLIGHT`.
        retry_after: Whole seconds for the ``Retry-After`` header, at least 1.
        message: The answer's message, naming the limit.
    """

    limit: str
    retry_after: int
    message: str

    def error(self) -> ApiError:
        """The 429 answer, in the documented envelope with a ``Retry-After`` header."""
        headers = {"Retry-After": str(self.retry_after)}
        return documented_error(429, "RATE_LIMIT_EXCEEDED", self.message, headers=headers)


def retry_after(wait: float) -> int:
    """Whole seconds to announce for a wait, rounded up so a client never comes back early.

    Args:
        wait: Seconds until a token is available.

    Returns:
        The wait rounded up, at least 1.
    """
    # Rounding first keeps float noise (1.0000000000002) from adding a second.
    return max(1, math.ceil(round(wait, 6)))


class TokenBucket:
    """A bucket of ``burst`` tokens refilled at ``rate`` a second; not thread-safe by itself."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        """Start full.

        Args:
            rate: Tokens added a second.
            burst: The most tokens the bucket holds.
            clock: Seconds from a monotonic origin.
        """
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def take(self) -> float:
        """Take a token if there is one.

        Returns:
            0.0 if a token was taken; otherwise the seconds until one will be available.
        """
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class Limiter:
    """The limits in force, the bucket and the count of admitted requests; thread-safe."""

    def __init__(
        self, start: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Put the starting limits in force, with a full bucket.

        Args:
            start: The limits of the command line; `reset` returns to them.
            clock: Seconds from a monotonic origin; tests step a fake one.
        """
        self._lock = threading.Lock()
        self._clock = clock
        self.start = start or Limits()
        self._current = self.start
        self._bucket = self._new_bucket(self.start)
        self._active = 0  # counted whatever the limits, so a cap set mid-traffic is exact

    def current(self) -> Limits:
        """The limits in force."""
        with self._lock:
            return self._current

    def update(self, changes: object) -> Limits:
        """Change some limits, all or none; a new rate or burst starts a full bucket.

        Args:
            changes: A decoded JSON object of limits.

        Returns:
            Every limit in force afterwards.

        Raises:
            SwitchError: An unknown key or a bad value; nothing changes then.
        """
        with self._lock:
            new = self._current.changed(changes)
            if (new.rate_limit, new.burst) != (self._current.rate_limit, self._current.burst):
                self._bucket = self._new_bucket(new)
            self._current = new
            return new

    def reset(self) -> None:
        """Return to the starting limits, with a full bucket."""
        with self._lock:
            self._current = self.start
            self._bucket = self._new_bucket(self.start)

    def admit(self) -> Refusal | None:
        """Let one request in, or say why not; an admitted request must be `release`d.

        The cap is checked first, so a request it refuses takes no token.

        Returns:
            None if admitted; otherwise the refusal, and the request is not counted in flight.
        """
        with self._lock:
            cap = self._current.max_in_flight
            if cap is not None and self._active >= cap:
                message = f"Too many concurrent requests: at most {cap} in flight (sandbox limit)"
                return Refusal(IN_FLIGHT, 1, message)
            wait = 0.0 if self._bucket is None else self._bucket.take()
            if wait > 0:
                message = f"Rate limit exceeded: {self._current.rate_limit} requests a second"
                return Refusal(RATE, retry_after(wait), message + " (sandbox limit)")
            self._active += 1
            return None

    def release(self) -> None:
        """Count an admitted request as answered."""
        with self._lock:
            self._active -= 1

    def _new_bucket(self, limits: Limits) -> TokenBucket | None:
        if limits.rate_limit is None or limits.burst is None:
            return None
        return TokenBucket(limits.rate_limit, limits.burst, self._clock)


def _check(key: str, value: object) -> None:
    if key not in _KEYS:
        msg = f"unknown limit {key!r} (known: {', '.join(_KEYS)})"
        raise SwitchError(msg, key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{key} must be a number or null, got {value!r}"
        raise SwitchError(msg, key)
    if key == "rate_limit":
        if not math.isfinite(value) or value <= 0:
            msg = f"rate_limit must be a number of requests a second above 0, got {value!r}"
            raise SwitchError(msg, key)
        return
    if not isinstance(value, int) or value < 1:
        msg = f"{key} must be an integer of at least 1, got {value!r}"
        raise SwitchError(msg, key)
