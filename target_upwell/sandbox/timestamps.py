"""Timestamps: read a value the way Postgres reads ``timestamptz``, and store it in UTC."""

from __future__ import annotations

import datetime as dt
import re

from .errors import data_exception

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)


def now() -> str:
    """The current instant, as the store writes ``createdAt`` and ``updatedAt``.

    Returns:
        ISO-8601 in UTC with microseconds, e.g. ``2024-01-15T10:30:00.123456+00:00``.
    """
    return dt.datetime.now(dt.timezone.utc).isoformat()


def cast_timestamp(text: str) -> str:
    """Read a timestamp as Postgres's ``timestamptz`` would, and normalise it to UTC.

    Args:
        text: An ISO-8601 date or date-time; without an offset it is taken as UTC.

    Returns:
        The instant in ISO-8601 with a ``+00:00`` offset, as Hasura returns it.

    Raises:
        ApiError: ``data-exception`` when Postgres could not read it either.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    moment = None if match is None else _to_utc(match)
    if moment is None:
        message = f'invalid input syntax for type timestamp with time zone: "{text}"'
        raise data_exception(message)
    return moment.isoformat()


def _to_utc(match: re.Match[str]) -> dt.datetime | None:
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    tz = dt.timezone.utc
    if offset and offset not in {"Z", "z"}:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
        if minutes >= 24 * 60:
            return None
        tz = dt.timezone(sign * dt.timedelta(minutes=minutes))
    try:
        moment = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:  # out of range, such as month 13 or hour 25
        return None
    return moment.astimezone(dt.timezone.utc)
