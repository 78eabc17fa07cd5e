"""Readings: the switches for what the docs leave open, set at start and changed at runtime.

Each reading picks one plausible answer to a question the Upwell docs leave open; the default
is the one ``upwell-contract.md`` assumes. The endpoints read one snapshot per request, so a
change made while a request is handled never applies to half of it.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING

from .errors import SwitchError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The values each string or status reading may take; the first is the default.
CHOICES: Mapping[str, tuple[object, ...]] = {
    "duplicate_status": (400, 409),
    "row_error_path": ("objects", "none"),
    "address_types": ("all", "address-book"),
    "deleted_in_search": ("shown", "hidden"),
}
DEFAULT_SEARCH_MAX_LIMIT = 1000


@dataclasses.dataclass(frozen=True)
class Readings:
    """One choice per open question; the defaults are the contract's assumptions.

    Attributes:
        search_max_limit: The most rows a search or list page answers, whatever ``limit`` asks.
        duplicate_status: 400: a duplicate key is Hasura's constraint violation; 409: the
            documented ``RESOURCE_ALREADY_EXISTS``.
        row_error_path: ``objects``: a bulk row's error names ``objects[i]``; ``none``: ``$``.
        address_types: ``all``: ``ADDRESS_BOOK``, ``BILLING``, ``SHIPPING``; ``address-book``:
            only ``ADDRESS_BOOK``.
        deleted_in_search: ``shown``: reads return soft-deleted customers; ``hidden``: search,
            list and get leave them out.
    """

    search_max_limit: int = DEFAULT_SEARCH_MAX_LIMIT
    duplicate_status: int = 400
    row_error_path: str = "objects"
    address_types: str = "all"
    deleted_in_search: str = "shown"

    @property
    def conflict_on_duplicate(self) -> bool:
        """Whether a duplicate key is the documented 409 rather than Hasura's 400."""
        return self.duplicate_status == 409  # noqa: PLR2004 - the reading's other value

    @property
    def hide_deleted(self) -> bool:
        """Whether reads leave out customers whose ``deletedAt`` is set."""
        return self.deleted_in_search == "hidden"

    @property
    def rows_named(self) -> bool:
        """Whether a bulk insert's row-level error names its row (``objects[i]``)."""
        return self.row_error_path == "objects"

    @property
    def only_address_book(self) -> bool:
        """Whether ``ADDRESS_BOOK`` is the only address type."""
        return self.address_types == "address-book"

    def to_json(self) -> dict[str, object]:
        """The readings as the ``/_sandbox/readings`` JSON."""
        return dataclasses.asdict(self)

    def changed(self, changes: object) -> Readings:
        """A copy with some readings changed.

        Args:
            changes: A decoded JSON object of readings, e.g. ``{"duplicate_status": 409}``.

        Returns:
            The new readings.

        Raises:
            SwitchError: An unknown reading or a value it cannot take.
        """
        if not isinstance(changes, dict):
            msg = 'expected a JSON object of readings, e.g. {"duplicate_status": 409}'
            raise SwitchError(msg)
        for key, value in changes.items():
            _check(key, value)
        return dataclasses.replace(self, **changes)


class ReadingsHolder:
    """The readings in force, and those the server started with; thread-safe."""

    def __init__(self, start: Readings) -> None:
        """Put the starting readings in force.

        Args:
            start: The readings of the command line; `reset` returns to them.
        """
        self._lock = threading.Lock()
        self.start = start
        self._current = start

    def current(self) -> Readings:
        """The readings in force: an immutable snapshot, for one request."""
        with self._lock:
            return self._current

    def update(self, changes: object) -> Readings:
        """Change some readings, all or none.

        Args:
            changes: A decoded JSON object of readings.

        Returns:
            Every reading in force afterwards.

        Raises:
            SwitchError: An unknown reading or a bad value; nothing changes then.
        """
        with self._lock:
            self._current = self._current.changed(changes)
            return self._current

    def reset(self) -> None:
        """Return to the starting readings."""
        with self._lock:
            self._current = self.start


def _check(key: str, value: object) -> None:
    if key == "search_max_limit":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            msg = f"search_max_limit must be an integer of at least 1, got {value!r}"
            raise SwitchError(msg, key)
        return
    choices = CHOICES.get(key)
    if choices is None:
        known = ", ".join(field.name for field in dataclasses.fields(Readings))
        msg = f"unknown reading {key!r} (known: {known})"
        raise SwitchError(msg, key)
    # The exact type: `400.0 == 400` and `True == 1`, but neither is a status.
    if type(value) is not type(choices[0]) or value not in choices:
        msg = f"{key} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        raise SwitchError(msg, key)
