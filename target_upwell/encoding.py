"""JSON in and out: request bodies, answers, dead-letter lines, STATE and JSON-lines input."""

from __future__ import annotations

import decimal
import hashlib
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


def _default(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    msg = f"Type is not JSON serializable: {type(value).__name__}"
    raise TypeError(msg)


def dumps(value: object) -> bytes:
    """Encode ``value``; datetimes and dates become ISO-8601 strings, Decimals numbers."""
    return orjson.dumps(value, default=_default)


def fingerprint(value: object) -> str:
    """A short digest of ``value``'s canonical JSON (keys sorted): equal values, equal digests."""
    canonical = orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=12).hexdigest()


def loads(data: bytes | str) -> Any:  # noqa: ANN401 (any JSON value)
    """Decode JSON text."""
    return orjson.loads(data)


def objects(lines: Iterable[bytes | str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line as a JSON object, with its line number.

    Raises:
        ValueError: a line is not a JSON object; the message names it by number, never
            quotes it (a line may be a customer record).
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            parsed = loads(line)
        except orjson.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            msg = f"line {number} is not a JSON object"
            raise ValueError(msg)  # noqa: TRY004 (a bad line of input, whatever it holds)
        yield number, parsed
