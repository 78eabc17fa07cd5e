"""What can go wrong, modelled by what the caller does next.

The tree::

    UpwellError                 anything this target raises on purpose
    ├── FatalError              stop the run (exit 1): bad key, bad config, retries exhausted,
    │   │                       a request that can't leave (a missing CA bundle file)
    │   ├── AuthError           401 / 403: the key was rejected; never retried
    │   ├── WrongPathError      404 / 405 from a path we call: `api_url` is wrong
    │   ├── UnreachableError    DNS or TLS failed twice: `api_url`'s host can't be reached
    │   └── RetriesExhaustedError
    ├── StoppingError           the run is stopping: leave the batch unsettled
    ├── TransientError          retry with backoff: 429, 5xx, a connection that never got through
    │   └── AmbiguousError      the request may have been applied (timeout, drop after sending,
    │                           502 / 504, a 2xx that doesn't prove the write): reconcile first
    ├── TooLargeError           413: split the request and lower the cap for the rest of the run
    ├── ConflictError           the key already exists (uniqueness error, 409): update instead
    └── RejectedError           permanent for the rows sent (400, 422): isolate and dead-letter

Every API error carries the HTTP status and the API's code, message and path, parsed from
whichever of the two error envelopes arrived (Hasura's runtime form or the documented form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from target_upwell import contract

_UNIQUENESS = re.compile(contract.UNIQUENESS_PATTERN, re.IGNORECASE)
_ROW_PATH = re.compile(contract.ROW_PATH_PATTERN)


@dataclass(frozen=True)
class ApiProblem:
    """The parts of an error response that are safe to log and to dead-letter."""

    status: int
    code: str = ""
    message: str = ""
    path: str = ""

    @property
    def row(self) -> int | None:
        """The index of the input the error names (``objects[i]``), if it names one."""
        match = _ROW_PATH.search(self.path)
        return int(match.group(1)) if match else None

    def describe(self) -> str:
        """One line for a log: status, code and path.

        Never the message: an API's message may quote the row's values (Postgres'
        "Failing row contains (...)"). The dead-letter file keeps it.
        """
        parts = [f"HTTP {self.status}", self.code, f"at {self.path}" if self.path else ""]
        return " ".join(part for part in parts if part)


class UpwellError(Exception):
    """Base of every error this target raises on purpose."""


class FatalError(UpwellError):
    """Stops the run: nothing later can succeed (bad key, bad config, retries exhausted)."""


class ApiError(UpwellError):
    """An error answered by the API, carrying its parsed problem."""

    def __init__(self, problem: ApiProblem) -> None:
        """Keep the problem; the message is the one-line description."""
        super().__init__(problem.describe())
        self.problem = problem


class AuthError(ApiError, FatalError):
    """401 or 403: the key was rejected. The run stops at once, with no retry."""


class WrongPathError(ApiError, FatalError):
    """404 or 405 from a path that never answers so for a row: ``api_url`` is wrong."""

    def __init__(self, problem: ApiProblem, request: str = "", base_url: str = "") -> None:
        """``request`` is the method and path; ``base_url`` the ``api_url`` they were under."""
        super().__init__(problem)
        self.request = request
        self.base_url = base_url

    def __str__(self) -> str:
        """Names what was asked and where, so the user can fix ``api_url``."""
        if not self.request:
            return super().__str__()
        return (
            f"{self.request} answered HTTP {self.problem.status}: api_url {self.base_url}"
            " does not serve Upwell's API there. Check api_url"
        )


class TransientError(ApiError):
    """A failure worth retrying: 429, 5xx, or a connection that failed before sending."""

    def __init__(self, problem: ApiProblem, retry_after: float | None = None) -> None:
        """Keep the server's requested wait, in seconds, when it sent one.

        ``absorbed`` is set when the pace slowed down for it (``pace.Pace.leave``): such a
        refusal is sent again without counting as a retry.
        """
        super().__init__(problem)
        self.retry_after = retry_after
        self.absorbed = False


class AmbiguousError(TransientError):
    """The request may or may not have been applied; look before sending it again.

    A timeout, a drop after sending, a 502 or 504 (a gateway may answer after the commit),
    or a 2xx answer that does not prove the write.
    """


class TooLargeError(ApiError):
    """413: the request was too large; split it and send smaller batches from then on."""


class ConflictError(ApiError):
    """The key already exists (a uniqueness error or 409): update instead of insert."""


class RejectedError(ApiError):
    """A permanent error for the rows sent; the bad rows go to the dead-letter file."""


class UnreachableError(FatalError):
    """The host of ``api_url`` does not resolve, or its TLS fails: retrying won't mend it."""


class RetriesExhaustedError(FatalError):
    """A transient failure outlasted ``max_retries``; the run stops without losing data."""


class StoppingError(UpwellError):
    """The run is stopping (a signal or a fatal error elsewhere); the batch stays unsettled."""


def parse_problem(status: int, body: object) -> ApiProblem:
    """Read either error envelope into one shape.

    Hasura's runtime form is ``{"code", "error": str, "path"}``; the documented form is
    ``{"error": {"code", "message", "details"}, "status": "error"}``; GraphQL's is
    ``{"errors": [{"message", "extensions": {"code", "path"}}]}``.
    """
    if not isinstance(body, dict):
        return ApiProblem(status)
    error: Any = body.get("error")
    if isinstance(error, dict):
        return ApiProblem(status, _text(error.get("code")), _text(error.get("message")))
    if isinstance(error, str):
        return ApiProblem(status, _text(body.get("code")), error, _text(body.get("path")))
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        ext = first.get("extensions")
        ext = ext if isinstance(ext, dict) else {}
        code, path = _text(ext.get("code")), _text(ext.get("path"))
        return ApiProblem(status, code, _text(first.get("message")), path)
    return ApiProblem(status)


def classify(status: int, body: object, retry_after: float | None = None) -> ApiError:
    """Turn a non-2xx answer into the error its caller can act on.

    A duplicate key is a ``ConflictError`` whatever the load method: under upsert it
    means "update it instead", under append-only the caller rejects the row.
    """
    problem = parse_problem(status, body)
    if status in contract.AMBIGUOUS_STATUSES:  # a gateway may answer after the commit
        return AmbiguousError(problem, retry_after)
    if status in contract.TRANSIENT_STATUSES:
        return TransientError(problem, retry_after)
    for statuses, kind in _BY_STATUS:
        if status in statuses:
            return kind(problem)
    if _UNIQUENESS.search(problem.message):
        return ConflictError(problem)
    return RejectedError(problem)


_BY_STATUS: tuple[tuple[frozenset[int], type[ApiError]], ...] = (
    (contract.AUTH_STATUSES, AuthError),
    (contract.WRONG_PATH_STATUSES, WrongPathError),
    (contract.TOO_LARGE_STATUSES, TooLargeError),
    (contract.CONFLICT_STATUSES, ConflictError),
)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
