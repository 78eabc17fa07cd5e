"""Read Singer messages from stdin, fast, and without echoing a bad line into the log.

The SDK's reader parses with the standard library and logs a line it can't parse in
full; a line is a customer record, so this reader names only the line number.
"""

from __future__ import annotations

import sys
from typing import IO, Any

import orjson
from singer_sdk.singerlib.encoding.base import GenericSingerReader
from singer_sdk.singerlib.exceptions import InvalidInputLine


class FastReader(GenericSingerReader[Any]):
    """Parses each line with orjson (numbers arrive as int or float, not Decimal)."""

    def __init__(self) -> None:
        """Count lines so a bad one can be named by number."""
        super().__init__()
        self._line_number = 0

    @property
    def default_input(self) -> IO[bytes]:
        """Standard input, as bytes: orjson parses them without decoding first."""
        return sys.stdin.buffer

    def deserialize_json(self, line: str | bytes) -> dict[str, Any]:
        """Parse one line; a line that isn't a JSON object stops the run, named by number.

        Raises:
            InvalidInputLine: the line is not a JSON object.
        """
        self._line_number += 1
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            msg = f"Input line {self._line_number} is not valid JSON"
            raise InvalidInputLine(msg) from None
        if not isinstance(message, dict):
            msg = f"Input line {self._line_number} is not a JSON object"
            raise InvalidInputLine(msg)
        return message
