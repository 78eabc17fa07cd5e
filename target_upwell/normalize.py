"""Clean mapped values into the shapes Upwell accepts; pure functions, one per kind of value.

Each returns None for "no value" (which an insert drops and an update clears) and raises
``ValueError`` with a message that names the rule, never the value.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

_EMAIL_SPLIT = re.compile(r"[;,\s]+")
_TERMS_DAYS = re.compile(r"(\d+)")


def text(value: object) -> Any:  # noqa: ANN401 (whatever came in, cleaned)
    """Strip strings and turn blank ones into None; other values pass unchanged."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def identifier(value: object) -> str | None:
    """A source id as a string: numbers lose a trailing ``.0``, strings are stripped."""
    if value is None:
        return None
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
    parts = value if isinstance(value, list) else _EMAIL_SPLIT.split(str(value))
    found = []
    for part in parts:
        address = text(part)
        if address is None:
            continue
        if not isinstance(address, str) or "@" not in address:
            msg = "is not an email address"
            raise ValueError(msg)
        found.append(address.lower())
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
    if isinstance(cleaned, bool):
        msg = "must be a number of days"
        raise ValueError(msg)  # noqa: TRY004 (callers turn ValueError into a reject)
    if isinstance(cleaned, (int, float, decimal.Decimal)):
        if cleaned != int(cleaned):
            msg = "must be a whole number of days"
            raise ValueError(msg)
        return int(cleaned)
    if cleaned.lower() in {"due on receipt", "due upon receipt", "cod"}:
        return 0
    match = _TERMS_DAYS.search(str(cleaned))
    if match is None:
        msg = "is not payment terms in days"
        raise ValueError(msg)
    return int(match.group(1))
