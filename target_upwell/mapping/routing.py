"""Decide which streams load, and with which compiled mapping.

``mapping`` names streams (or ``"*"``); a stream's own entry replaces ``"*"``, never merges
with it. With no mapping at all, every stream is auto-mapped. ``meltano_test_stream``,
sent by ``meltano config test``, is never written; ``upwell_replay``, written by
``target-upwell-replay``, is always auto-mapped, as its fields are already Upwell's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from target_upwell.mapping.automap import auto_entry
from target_upwell.mapping.field_map import FieldMap, MappingConfigError, compile_mapping

WILDCARD = "*"
CONFIG_TEST_STREAM = "meltano_test_stream"
# target-upwell-replay's stream of dead-letter payloads: its fields are already Upwell's.
REPLAY_STREAM = "upwell_replay"
PRESETS = resources.files("target_upwell.mapping").joinpath("presets")


def preset_names() -> list[str]:
    """The built-in presets, by name."""
    return sorted(
        p.name.removesuffix(".json") for p in PRESETS.iterdir() if p.name.endswith(".json")
    )


def load_preset(name: str) -> tuple[str, dict[str, Any]]:
    """A preset's stream and mapping entry.

    Raises:
        MappingConfigError: no preset has that name.
    """
    if name not in preset_names():
        msg = f"'{name}' is not a preset; choose one of {', '.join(preset_names())}"
        raise MappingConfigError(msg)
    preset = json.loads(PRESETS.joinpath(f"{name}.json").read_text())
    return preset["stream"], preset["mapping"]


class Routes:
    """The compiled mapping entries, and the rule for streams they don't name."""

    def __init__(self, mapping: Mapping[str, Any] | None, preset: str | None = None) -> None:
        """Compile every entry now, so a bad mapping fails before any record is read.

        A preset adds its own stream's entry; ``mapping`` overrides it field by field.

        Raises:
            MappingConfigError: naming the stream entry and the field.
        """
        entries = dict(mapping or {})
        if preset:
            stream, preset_entry = load_preset(preset)
            own = entries.get(stream, {})
            entries[stream] = {**preset_entry, **own} if isinstance(own, Mapping) else own
        self.auto = not entries
        self.entries: dict[str, FieldMap] = {}
        for stream, entry in entries.items():
            if not isinstance(entry, Mapping):
                msg = f"mapping['{stream}'] must be an object of Upwell field → expression"
                raise MappingConfigError(msg)
            try:
                self.entries[stream] = compile_mapping(entry, stream)
            except MappingConfigError as exc:
                msg = f"mapping['{stream}']: {exc}"
                raise MappingConfigError(msg) from None

    def sets_source_system(self) -> bool:
        """True when every entry that can route a stream maps ``sourceSystem`` itself."""
        if self.auto:
            return False
        return all("sourceSystem" in entry.fields for entry in self.entries.values())

    def for_stream(
        self, stream: str, properties: Sequence[str], key_properties: Sequence[str]
    ) -> FieldMap | None:
        """The stream's compiled mapping; None when the stream is not loaded."""
        if stream == CONFIG_TEST_STREAM:
            return None
        if stream in self.entries:
            return self.entries[stream]
        if stream == REPLAY_STREAM or self.auto:
            return compile_mapping(auto_entry(properties, key_properties), stream)
        if WILDCARD in self.entries:
            return self.entries[WILDCARD]
        return None
