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

import msgspec

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
    status = answer.status
    done = 200 <= status < 300  # noqa: PLR2004 (the 2xx range)
    if done and isinstance(proof, Returns) and proof.shown_in(answer.content):
        return {}, None  # nothing reads an insert's rows beyond its proof
    try:
        body = encoding.loads(answer.content) if answer.content else None
    except ValueError:
        body = None
    if not done:
        if status in contract.WRONG_PATH_STATUSES:
            return {}, WrongPathError(parse_problem(status, body), request, base_url)
        return {}, classify(status, body, answer.retry_after)
    shown: Json = body if isinstance(body, dict) else {}
    doubt = None if proof is None else proof(shown)
    if doubt is None:
        return shown, None
    problem = parse_problem(status, body)
    return shown, AmbiguousError(replace(problem, message=problem.message or doubt))


class _Row(msgspec.Struct, gc=False):
    sourceSystem: str  # noqa: N815 (the API's names)
    sourceSystemId: str  # noqa: N815


class _Returning(msgspec.Struct, gc=False):
    returning: list[_Row]


class _Created(msgspec.Struct, gc=False):
    createCustomers: _Returning  # noqa: N815


# Reads an insert's answer for the rows' keys alone, skipping every other field: a fourth of
# the CPU of reading it whole (~460 KB for 500 customers), in the request threads.
_READ_KEYS = msgspec.json.Decoder(_Created)


class Returns:
    """A bulk insert is done when it returns one row per input, matched by key.

    The inputs' keys are distinct (a batch is deduplicated), so equal counts and equal key
    sets mean one row each.
    """

    def __init__(self, keys: Collection[Key]) -> None:
        """The proof of inserting the customers with these keys."""
        self._keys = set(keys)

    def shown_in(self, content: bytes) -> bool:
        """True when the raw answer proves the insert; False sends it to the whole reading.

        Its verdict on the rows is the whole reading's (``__call__``): an answer of another
        shape, or a key that is not text, fails here and is read whole, which says why. Only
        the fields it skips are not read: a value there that the whole reading would refuse
        (bytes that are not UTF-8, a number past a float's range) goes unseen, since the
        proof is the rows' keys alone.
        """
        try:
            rows = _READ_KEYS.decode(content).createCustomers.returning
        # ValidationError is a DecodeError: a shape that is not the rows. RecursionError: an
        # answer nested about a thousand deep, which orjson refuses at 1024.
        except (msgspec.DecodeError, RecursionError):
            return False
        return (
            len(rows) == len(self._keys)
            and {(row.sourceSystem, row.sourceSystemId) for row in rows} == self._keys
        )

    def __call__(self, answer: Json) -> str | None:
        """Why the parsed answer does not prove the insert, or None when it does."""
        created = answer.get("createCustomers")
        returning = created.get("returning") if isinstance(created, dict) else None
        if not isinstance(returning, list):
            return "the answer has no createCustomers.returning"
        try:
            matched = (
                len(returning) == len(self._keys) and set(map(_ROW_KEY, returning)) == self._keys
            )
        except (KeyError, TypeError):  # a row that is not a customer object
            matched = False
        if not matched:
            n, sent = len(returning), len(self._keys)
            return f"the answer returns {n} rows that don't match the {sent} sent"
        return None


def counts_affected_rows(answer: Json) -> str | None:
    """An update is done when its answer counts the rows it touched."""
    updated = answer.get("updateCustomer")
    affected = updated.get("affectedRows") if isinstance(updated, dict) else None
    if isinstance(affected, int) and not isinstance(affected, bool):
        return None
    return "the answer has no updateCustomer.affectedRows"


def lists_customers(answer: Json) -> str | None:
    """A search is done when its answer lists customers."""
    if isinstance(answer.get("customers"), list):
        return None
    return "the answer has no customers list"
