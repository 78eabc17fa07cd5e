"""Clean mapped values into the shapes Upwell accepts; pure functions, one per kind of value.

Each returns None for "no value" (which an insert drops and an update clears) and raises
``ValueError`` with a message that names the rule, never the value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

_EMAIL_SPLIT = re.compile(r"[;,\s]+")
_TERMS_DAYS = re.compile(r"(\d+)")
_NET_DAYS = re.compile(r"net\s*(\d+)", re.IGNORECASE)  # "2% 10 Net 30" is due in 30 days
_DUE_NOW = frozenset({"due on receipt", "due upon receipt", "cod", "cash on delivery"})


def text(value: object) -> Any:  # noqa: ANN401 (whatever came in, cleaned)
    """Strip strings and turn blank ones into None; dates become ISO-8601 text.

    Dates arrive as objects only on the SDK's path, which parses date-time fields.
    """
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def identifier(value: object) -> str | None:
    """A source id as a string: numbers lose a trailing ``.0``, strings are stripped."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        msg = "must be a string or a number, not an object or a list"
        raise ValueError(msg)  # noqa: TRY004 (callers turn ValueError into a reject)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, decimal.Decimal)):
        number = decimal.Decimal(str(value))
        return str(int(number)) if number == number.to_integral_value() else str(number)
    stripped = str(value).strip()
    return stripped or None


def emails(value: object) -> list[str]:
    """Every address in a field that may hold several, trimmed and lower-cased."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if item is None:
            continue
        if not isinstance(item, str):
            msg = "is not an email address"
            raise ValueError(msg)  # noqa: TRY004 (callers turn ValueError into a reject)
        for part in _EMAIL_SPLIT.split(item):
            if not part:
                continue
            if "@" not in part:
                msg = "is not an email address"
                raise ValueError(msg)
            found.append(part.lower())
    return found


def country(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper-cased; the schema check refuses anything else."""
    cleaned = text(value)
    return cleaned.upper() if isinstance(cleaned, str) else cleaned


def due_days(value: object) -> int | None:
    """Payment terms in days, from a number or from text such as ``Net 30``."""
    cleaned = text(value)
    if cleaned is None:
        return None
    if isinstance(cleaned, (int, float, decimal.Decimal)) and not isinstance(cleaned, bool):
        if cleaned != int(cleaned) or cleaned < 0:
            msg = "must be a whole, non-negative number of days"
            raise ValueError(msg)
        return int(cleaned)
    if not isinstance(cleaned, str):
        msg = "must be a number of days or payment-terms text"
        raise ValueError(msg)  # noqa: TRY004 (callers turn ValueError into a reject)
    if cleaned.lower() in _DUE_NOW:
        return 0
    match = _NET_DAYS.search(cleaned) or _TERMS_DAYS.search(cleaned)
    if match is None:
        msg = "is not payment terms in days"
        raise ValueError(msg)
    return int(match.group(1))
