"""Decide which streams load, and with which compiled mapping.

``mapping`` names streams (or ``"*"``); a stream's own entry replaces ``"*"``, never merges
with it. With no mapping at all, every stream is auto-mapped. ``meltano_test_stream``,
sent by ``meltano config test``, is never written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from target_upwell.mapping import FieldMap, MappingConfigError, auto_entry, compile_mapping

WILDCARD = "*"
CONFIG_TEST_STREAM = "meltano_test_stream"


class Routes:
    """The compiled mapping entries, and the rule for streams they don't name."""

    def __init__(self, mapping: Mapping[str, Any] | None) -> None:
        """Compile every entry now, so a bad mapping fails before any record is read.

        Raises:
            MappingConfigError: naming the stream entry and the field.
        """
        self.auto = not mapping
        self.entries: dict[str, FieldMap] = {}
        for stream, entry in (mapping or {}).items():
            if not isinstance(entry, Mapping):
                msg = f"mapping['{stream}'] must be an object of Upwell field → expression"
                raise MappingConfigError(msg)
            try:
                self.entries[stream] = compile_mapping(entry)
            except MappingConfigError as exc:
                msg = f"mapping['{stream}']: {exc}"
                raise MappingConfigError(msg) from None

    def sets_source_system(self) -> bool:
        """True when every entry that can route a stream maps ``sourceSystem`` itself."""
        if self.auto:
            return False
        return all("sourceSystem" in entry.scalars for entry in self.entries.values())

    def for_stream(
        self, stream: str, properties: Sequence[str], key_properties: Sequence[str]
    ) -> FieldMap | None:
        """The stream's compiled mapping; None when the stream is not loaded."""
        if stream == CONFIG_TEST_STREAM:
            return None
        if stream in self.entries:
            return self.entries[stream]
        if WILDCARD in self.entries:
            return self.entries[WILDCARD]
        if self.auto:
            return compile_mapping(auto_entry(properties, key_properties))
        return None
