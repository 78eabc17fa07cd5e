"""What target-upwell-check found: one row per check, each in one state, in report order.

Both the readings (``check``) and the probe (``check_probe``) note rows here, so neither has
to import the other's module to say what it saw.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Literal, get_args

from target_upwell import contract

if TYPE_CHECKING:
    from target_upwell.errors import AmbiguousError

State = Literal["confirmed", "differs, handled", "breaks", "not checked"]
STATES: tuple[State, ...] = get_args(State)
# The readings, then rows for the requests the target sends and for what the probe does.
ROW_NAMES = (
    *(reading.name for reading in contract.READINGS),
    *("search_request", "write_paths", "probe_insert", "probe_update"),
)


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the report: what was checked, its state, and what was seen."""

    name: str
    state: State
    seen: str


class Findings:
    """The rows found so far, reported in a fixed order: the readings, then the others."""

    def __init__(self) -> None:
        """No row yet."""
        self._rows: dict[str, Row] = {}

    def note(self, name: str, state: State, seen: str) -> None:
        """Set a row; a later note on the same row replaces the earlier one."""
        self._rows[name] = Row(name, state, seen)

    def state(self, name: str) -> State | None:
        """The state of a row, None while it is unset."""
        row = self._rows.get(name)
        return row.state if row else None

    def fill(self, state: State, seen: str) -> None:
        """Set every row still unset, e.g. when the key was refused and nothing else asked."""
        for name in ROW_NAMES:
            self._rows.setdefault(name, Row(name, state, seen))

    def rows(self) -> list[Row]:
        """The rows in report order."""
        return [self._rows[name] for name in ROW_NAMES if name in self._rows]

    @property
    def ok(self) -> bool:
        """True when nothing breaks."""
        return all(row.state != "breaks" for row in self._rows.values())


def unclear(what: str, exc: AmbiguousError) -> tuple[State, str]:
    """The state of a write whose answer does not show what happened."""
    status = exc.problem.status
    if 200 <= status < 300:  # noqa: PLR2004 (the 2xx range)
        return "breaks", f"{what} answered HTTP {status} without the documented success shape"
    return "not checked", f"{what} got no clear answer ({exc.problem.describe()})"
