"""Follow a search's pages, learning the server's page cap from what it answers."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Protocol

from target_upwell import contract

if TYPE_CHECKING:
    from target_upwell.delivery.answers import Json
    from target_upwell.delivery.attempts import Tally

logger = logging.getLogger("target-upwell")


class SearchPage(Protocol):
    """Ask for one page of a search (``UpwellClient.search_page``)."""

    def __call__(self, where: Json, tally: Tally, *, offset: int = 0) -> list[Json]:
        """The page of rows matching ``where`` that starts at ``offset``."""


class PageCap:
    """What search answers have shown of the server's page cap, shared by every thread.

    ``limit`` has no documented maximum, so a page shorter than asked may still have rows
    after it. The largest page seen is a floor under the cap: a page shorter than it is
    the last. A page no shorter must be followed, and a non-empty page after it gives the
    cap away, which is said once.
    """

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.floor = 0
        self.learned: int | None = None
        self._lock = threading.Lock()

    def is_last(self, rows: int) -> bool:
        """True when a page of ``rows`` rows is known to be the last."""
        return rows < self.floor

    def saw(self, rows: int, *, more_followed: bool) -> None:
        """A page of ``rows`` rows; ``more_followed`` when a non-empty page came after it."""
        with self._lock:
            self.floor = max(self.floor, rows)
            if not more_followed or (self.learned is not None and self.learned <= rows):
                return
            self.learned = rows
        logger.info(
            "Upwell's search answers at most %d rows a page (asked for %d); searches page"
            " by what it answers for the rest of the run.",
            rows,
            contract.SEARCH_PAGE_LIMIT,
        )

    def follow(self, search: SearchPage, where: Json, wanted: int, tally: Tally) -> list[Json]:
        """Every row matching ``where``, which matches at most ``wanted`` rows.

        Pages are followed until all are found, a page is empty, or a page is shorter than
        one the server has answered before.
        """
        page = search(where, tally)
        rows = list(page)
        while page and len(rows) < wanted and not self.is_last(len(page)):
            following = search(where, tally, offset=len(rows))
            self.saw(len(page), more_followed=bool(following))
            page = following
            rows.extend(page)
        self.saw(len(page), more_followed=False)
        return rows
