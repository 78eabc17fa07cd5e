"""JSON on the wire: one encoder for request bodies, dead-letter lines and STATE."""

from __future__ import annotations

import decimal
from typing import Any

import orjson


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


def loads(data: bytes | str) -> Any:  # noqa: ANN401 (any JSON value)
    """Decode JSON text."""
    return orjson.loads(data)
