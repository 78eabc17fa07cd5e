"""Read what the API answered: the body, the error it stands for, and whether it proves a write.

The client sends; this module judges. A 2xx answer is not enough for a write: the body must
show the write done (a ``Proof``), or the answer is ambiguous and the caller looks before
sending it again.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any, NamedTuple

from target_upwell import contract, encoding
from target_upwell.delivery.pace import Verdict
from target_upwell.errors import (
    AmbiguousError,
    ApiError,
    WrongPathError,
    classify,
    parse_problem,
)

Json = dict[str, Any]
Key = tuple[str, str]
# Why a 2xx answer does not show the call done, or None when it does.
Proof = Callable[[Json], str | None]

_ROW_KEY = operator.itemgetter("sourceSystem", "sourceSystemId")

# What an answer's status says about the pace (anything else: the server kept up).
VERDICTS = {
    429: Verdict.REFUSED,
    503: Verdict.REFUSED,
    502: Verdict.OVERLOADED,
    504: Verdict.OVERLOADED,
}


class Answer(NamedTuple):
    """What came back for one request."""

    status: int
    content: bytes
    retry_after: float | None


def read_answer(
    request: str, answer: Answer, proof: Proof | None, base_url: str
) -> tuple[Json, ApiError | None]:
    """The answer's body, and the error it stands for (None for a 2xx that proves the call).

    ``request`` is the method and path, and ``base_url`` the ``api_url`` they were sent
    under: a 404 or 405 names both, since it means ``api_url`` is wrong.
    """
    try:
        body = encoding.loads(answer.content) if answer.content else None
    except ValueError:
        body = None
    status = answer.status
    if not 200 <= status < 300:  # noqa: PLR2004 (the 2xx range)
        if status in contract.WRONG_PATH_STATUSES:
            return {}, WrongPathError(parse_problem(status, body), request, base_url)
        return {}, classify(status, body, answer.retry_after)
    shown: Json = body if isinstance(body, dict) else {}
    doubt = None if proof is None else proof(shown)
    if doubt is None:
        return shown, None
    problem = parse_problem(status, body)
    return shown, AmbiguousError(replace(problem, message=problem.message or doubt))


def returns(keys: Collection[Key]) -> Proof:
    """A bulk insert is done when it returns one row per input, matched by key.

    The inputs' keys are distinct (a batch is deduplicated), so equal counts and equal key
    sets mean one row each.
    """

    def proof(answer: Json) -> str | None:
        returning = (answer.get("createCustomers") or {}).get("returning")
        if not isinstance(returning, list):
            return "the answer has no createCustomers.returning"
        try:
            matched = len(returning) == len(keys) and set(map(_ROW_KEY, returning)) == set(keys)
        except (KeyError, TypeError):  # a row that is not a customer object
            matched = False
        if not matched:
            return f"the answer returns {len(returning)} rows that don't match the {len(keys)} sent"
        return None

    return proof


def counts_affected_rows(answer: Json) -> str | None:
    """An update is done when its answer counts the rows it touched."""
    affected = (answer.get("updateCustomer") or {}).get("affectedRows")
    if isinstance(affected, int) and not isinstance(affected, bool):
        return None
    return "the answer has no updateCustomer.affectedRows"


def lists_customers(answer: Json) -> str | None:
    """A search is done when its answer lists customers."""
    if isinstance(answer.get("customers"), list):
        return None
    return "the answer has no customers list"
