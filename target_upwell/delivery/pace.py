"""One pace for the whole run: how many requests may be in flight, and how far apart they start.

Upwell publishes no rate limit and no concurrency limit, so the pace finds what it accepts,
the way TCP finds a path's capacity. Every request of every thread and stream, reconcile's
searches included, passes through the one ``Pace`` of the run:

* the **window** (requests in flight) starts at ``max_concurrent_requests``, so an API with
  no limit loses nothing. A refusal (429, 503) with others in flight halves it, once per
  round of requests sent under the old window, and remembers the level it was refused
  at, as TCP's slow-start threshold does: the window is then no wider than the level
  below it, and a refused probe just goes back to that level. 502, 504 and timeouts
  shrink it the same way. After successes it grows back: by
  one a success below the remembered level, and above it by one only after a run of
  successes that doubles with every refusal there, so a limit is probed rarely;
* a refusal of a request that was alone in flight means even one at a time is too fast:
  the pace then also **spaces** requests at a rate it learns (the rate that went through,
  less a fifth), probing upward by 2% a success, and the refusal's ``Retry-After`` pauses
  every new request of the run. A refusal with others in flight is a sign of too many at
  once: the halved window answers it, and the refused request waits for a place in it
  rather than its own ``Retry-After`` (measured: a second's wait for each such refusal
  took the load from 92% to 76% of the ideal, with no fewer refusals);
* ``max_requests_per_second`` stays the user's hard ceiling.

A refusal the pace absorbs (it could still slow down) does not use up ``max_retries``;
once the window is one and the rate at ``RATE_FLOOR``, or after ``ABSORB_IN_A_ROW``
refusals with no success between them, refusals count as retries: a run in which nothing
succeeds ends after at most that many absorbed refusals and ``max_retries`` more.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("target-upwell")

RATE_FLOOR = 0.1  # requests a second: the slowest the pace goes before refusals count
RATE_CUT = 0.8  # a refusal at a window of one: the rate seen, less a fifth
RATE_PROBE = 1.02  # each success at a learned rate: 2% faster
FIRST_PATIENCE = 4  # successes per window slot before a probe above the remembered level
MOST_PATIENCE = 256
ABSORB_IN_A_ROW = 16  # refusals with no success between them that the pace may absorb


class Verdict(enum.Enum):
    """What one request's answer says about the pace."""

    DONE = "done"  # any answer but the two below: the server kept up
    REFUSED = "refused"  # 429 or 503: too much, and the server said so
    OVERLOADED = "overloaded"  # 502, 504, a timeout: perhaps too much


@dataclass(frozen=True)
class Ticket:
    """One admitted request: when it started, and under which round of the window."""

    round: int
    in_flight: int  # requests in flight once it was admitted, itself included


class Pace:
    """The window and the rate, shared by every request thread of the run."""

    def __init__(
        self,
        most: int,
        ceiling: float | None = None,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start wide open: ``most`` in flight, no spacing beyond ``ceiling`` (per second).

        ``sleep`` spends the waits (tests record them; a stopping run cuts them short).
        """
        self.most = most
        self.ceiling = ceiling
        self.window = float(most)
        self.threshold = most  # the largest level not refused yet
        self.rate: float | None = None  # learned requests a second, once spacing
        self._sleep = sleep
        self._clock = clock
        self._changed = threading.Condition()
        self._in_flight = 0
        self._round = 0
        self._credit = 0
        self._patience = FIRST_PATIENCE
        self._next_start = 0.0
        self._paused_until = 0.0
        self._starts: deque[float] = deque(maxlen=8)
        self._refused_in_a_row = 0

    def enter(self) -> Ticket:
        """Wait for a place in the window, the end of any pause, and the request's turn."""
        with self._changed:
            self._changed.wait_for(lambda: self._in_flight < max(1, int(self.window)))
            self._in_flight += 1
            ticket = Ticket(self._round, self._in_flight)
            now = self._clock()
            start = max(now, self._paused_until, self._next_start)
            interval = self._interval()
            self._next_start = start + interval if interval else 0.0
        if start > now:
            try:
                self._sleep(start - now)
            except BaseException:
                self.leave(ticket, Verdict.DONE, count=False)
                raise
        with self._changed:
            self._starts.append(self._clock())
        return ticket

    def leave(
        self,
        ticket: Ticket,
        verdict: Verdict,
        retry_after: float | None = None,
        *,
        count: bool = True,
    ) -> bool:
        """Free the ticket's place and learn from its answer; True if a refusal is absorbed.

        ``count=False`` frees the place only (the request was never sent).
        """
        with self._changed:
            # Requests finish out of the order they started in: what was in flight as the
            # answer came, itself included, is the level the server saw, or close to it.
            level = max(ticket.in_flight, self._in_flight)
            self._in_flight -= 1
            self._changed.notify_all()
            if not count:
                return False
            if verdict is Verdict.DONE:
                self._refused_in_a_row = 0
                self._grow()
                return False
            self._refused_in_a_row += 1
            slower = self.window > 1 or self._achieved() > RATE_FLOOR
            if ticket.round == self._round:  # one cut per round sent under the old window
                self._shrink(level, verdict, retry_after)
            elif level > 1:  # an older round's: only the level is remembered
                self.threshold = min(self.threshold, level - 1)
            return slower and self._refused_in_a_row <= ABSORB_IN_A_ROW

    def describe(self) -> str:
        """The pace the run ended with, for the summary."""
        rate = f"{self.rate:.1f} requests/s learned" if self.rate else "no spacing"
        return f"window {int(self.window)} of {self.most} in flight, {rate}"

    def as_dict(self) -> dict[str, float | int | None]:
        """The same, for the JSON summary."""
        return {"window": int(self.window), "most": self.most, "rate": self.rate}

    # -- the caller holds the lock for each of these -------------------------------------

    def _interval(self) -> float:
        rates = [r for r in (self.rate, self.ceiling) if r]
        return 1.0 / min(rates) if rates else 0.0

    def _grow(self) -> None:
        if self.rate is not None:
            self.rate = min(self.rate * RATE_PROBE, self.ceiling or float("inf"))
        if self.window >= self.most:
            return
        if self.window < self.threshold:
            self.window = min(self.window + 1, self.threshold)
            return
        self._credit += 1
        if self._credit >= self._patience * int(self.window):
            self._credit = 0
            self.window = min(self.window + 1, self.most)
            logger.info("Upwell kept up: up to %d requests in flight now.", int(self.window))

    def _shrink(self, level: int, verdict: Verdict, retry_after: float | None) -> None:
        """Too many in flight: back to the level below. One alone was refused: space them too."""
        self._round += 1
        self._credit = 0
        if level == 1:
            self.window = max(1.0, self.window / 2)
            if verdict is Verdict.REFUSED:
                self._space(retry_after)
            return
        probed = level > self.threshold  # refused just above the level that went well
        self.threshold = level - 1
        self._patience = min(self._patience * 2, MOST_PATIENCE)
        self.window = float(level - 1) if probed else max(1.0, min(self.window / 2, level - 1))
        logger.info(
            "Upwell %s requests beyond %d in flight: now %d.",
            "refused" if verdict is Verdict.REFUSED else "struggled with",
            level - 1,
            int(self.window),
        )

    def _space(self, retry_after: float | None) -> None:
        """A refusal with one request in flight: space them, and pause every new one."""
        seen = self._achieved()
        if seen != float("inf"):  # unknown before two requests started: pause only
            self.rate = max(RATE_FLOOR, min(seen * RATE_CUT, self.ceiling or float("inf")))
        if retry_after:
            self._paused_until = max(self._paused_until, self._clock() + retry_after)
        logger.info(
            "Upwell refused requests one at a time: %s%s.",
            f"spacing them at {self.rate:.1f} a second" if self.rate else "waiting",
            f", after a pause of {retry_after:.0f} s" if retry_after else "",
        )

    def _achieved(self) -> float:
        """The rate that went through: the learned one, or what the starts show if slower."""
        return min(self.rate or float("inf"), self._seen_rate())

    def _seen_rate(self) -> float:
        """Requests started a second, over the last few; unknown (infinite) before two."""
        if not self._starts or self._starts[-1] <= self._starts[0]:  # none, or one
            return float("inf")
        return (len(self._starts) - 1) / (self._starts[-1] - self._starts[0])
