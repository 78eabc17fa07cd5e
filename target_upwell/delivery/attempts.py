"""Count a call's attempts, wait between its retries, and give up when more won't mend it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from target_upwell.delivery.pace import ABSORB_IN_A_ROW
from target_upwell.errors import RetriesExhaustedError, UnreachableError

if TYPE_CHECKING:
    from target_upwell.delivery.retry import RetryPolicy
    from target_upwell.errors import TransientError

logger = logging.getLogger("target-upwell")

# A failure that more retries in the next seconds won't mend: stop after a second attempt.
_UNMENDING = frozenset({"DNS", "TLS"})
_CAUSES = {
    "DNS": "DNS, the host name does not resolve",
    "proxy": "proxy, the proxy refused or failed the connection",
    "TLS": "TLS, the secure connection failed (certificate or protocol)",
    "refused": "connection refused, nothing is listening there",
    "connect timeout": "connect timeout, the host did not answer",
    "timeout": "timeout, no answer in request_timeout",
    "dropped": "connection dropped before an answer",
}


@dataclass
class Tally:
    """Requests made and retries spent, for one batch; the summary adds them up."""

    requests: int = 0
    retries: int = 0
    refusals: int = 0  # refusals the pace absorbed: slowed down, not retries


class Retries:
    """The retries of one call, made at its first failure.

    A call answered at once, as nearly all are, never makes one and pays nothing for it.
    """

    def __init__(self, policy: RetryPolicy, call: str) -> None:
        """``call`` names the request for the log: its method, path and host."""
        self._policy = policy
        self._call = call
        self._waits = policy.waits()
        self._spent = 0
        self._absorbed = 0

    def after(self, error: TransientError, tally: Tally) -> None:
        """Wait before the next attempt, or end the call with the error that says why.

        A refusal the pace absorbed (it slowed down) is sent again at once and is not a
        retry, up to ``ABSORB_IN_A_ROW`` of them.

        Raises:
            UnreachableError: DNS or TLS failed on a retry too; retrying won't mend it.
            RetriesExhaustedError: the failure outlasted ``max_retries``.
        """
        if error.absorbed and self._absorbed < ABSORB_IN_A_ROW:
            self._absorbed += 1
            tally.refusals += 1
            return
        failed = f"{self._call} failed: {described(error)}"
        if error.problem.code in _UNMENDING and self._spent >= 1:
            msg = f"{failed}; gave up after {self._spent + 1} attempts. Check api_url"
            raise UnreachableError(msg) from error
        if self._spent == self._policy.max_retries:
            msg = f"{failed}; still failing after {self._spent} retries"
            raise RetriesExhaustedError(msg) from error
        wait = error.retry_after if error.retry_after is not None else next(self._waits)
        logger.info(
            "%s; retry %d of %d in %.1f s", failed, self._spent + 1, self._policy.max_retries, wait
        )
        self._spent += 1
        tally.retries += 1
        self._policy.sleep(wait)


def described(error: TransientError) -> str:
    """The cause of a failed attempt: the network's, or the status the API answered."""
    problem = error.problem
    return _CAUSES.get(problem.code, problem.code) if problem.status == 0 else problem.describe()
