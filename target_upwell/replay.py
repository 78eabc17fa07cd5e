"""Turn dead-letter lines back into Singer input, so fixed records can be loaded again.

``target-upwell-replay upwell-rejected.jsonl [--reason R ...] [--run-id ID] > fixed.singer``
writes only Singer messages on stdout: one SCHEMA per stream, then a RECORD per line.

- A line with ``record`` (written under ``dead_letter_include_record: true``) goes back on
  its original stream, so the same ``mapping`` applies again.
- A line with only ``payload`` goes on the stream ``upwell_replay`` as plain fields named as
  Upwell names them: ``addresses`` a list, ``customerRule`` an object. The target always
  auto-maps that stream, and auto-map passes Upwell's names through, so any config loads it.
- A line with neither (a record that failed its schema or mapping, written without the
  record) can't be replayed; it is counted on stderr.
- A ``parent_not_found`` line without its record replays without its parent: the payload
  never holds ``billToSourceSystemId``. They are counted on stderr.

The dead-letter file keeps neither the tap's SCHEMA nor its ``key_properties``, so the
SCHEMA sent is built from the lines: every field they hold, typed by the JSON types of its
values there. The SDK requires ``properties``, and auto-map reads the field names from them;
a typeless ``{}`` would not do, because flattening turns it into a string type and then
refuses numbers. A replayed stream has no key properties, so a mapping that relied on
auto-map's single-key rule must name ``sourceSystemId``.

Exit codes: 0 done; 1 the file can't be read or a line is not a JSON object; 2 a bad
command line.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from target_upwell import contract, encoding
from target_upwell.outcomes import Reason
from target_upwell.routing import REPLAY_STREAM

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

EXIT_OK = 0
EXIT_FAILED = 1
# Relationships the insert input wraps as {"data": ...}; unwrapped they are what a mapping reads.
WRAPPED = frozenset(
    {
        "addresses",
        "customerRule",
        *contract.PASSTHROUGH_RELATIONS,
    }
)


class ReplayError(Exception):
    """The dead-letter file can't be read; the message names the file or the line number."""


@dataclass
class Replay:
    """The Singer messages rebuilt from the chosen lines, and what could not be."""

    fields: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # JSON types seen
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unusable: int = 0
    parentless: int = 0  # parent_not_found payloads: the parent's source id is not in them

    def add(self, line: dict[str, Any]) -> None:
        """Take one dead-letter line: its record, else its unwrapped payload."""
        record, payload, stream = line.get("record"), line.get("payload"), line.get("stream")
        if isinstance(record, dict) and isinstance(stream, str):
            self._keep(stream, record)
        elif isinstance(payload, dict):
            self._keep(REPLAY_STREAM, unwrap(payload))
            self.parentless += line.get("reason") == Reason.PARENT_NOT_FOUND.value
        else:
            self.unusable += 1

    def _keep(self, stream: str, record: dict[str, Any]) -> None:
        seen = self.fields.setdefault(stream, {})
        for name, value in record.items():
            seen.setdefault(name, set()).add(json_type(value))
        self.records.append((stream, record))

    def messages(self) -> Iterator[dict[str, Any]]:
        """A SCHEMA for each stream, then the RECORDs in file order."""
        for stream, fields in self.fields.items():
            keys = ["sourceSystemId"] if stream == REPLAY_STREAM else []
            yield {
                "type": "SCHEMA",
                "stream": stream,
                "schema": schema(fields),
                "key_properties": keys,
            }
        for stream, record in self.records:
            yield {"type": "RECORD", "stream": stream, "record": record}


def schema(fields: dict[str, set[str]]) -> dict[str, Any]:
    """A schema that accepts the values the lines hold, typed by what was seen.

    No ``format`` is given, so nothing is parsed as a date; an object or list field has no
    ``properties`` or ``items``, so its content is never refused.
    """
    return {
        "type": "object",
        "properties": {name: {"type": sorted(types)} for name, types in fields.items()},
        "additionalProperties": True,
    }


def json_type(value: object) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    """A CustomersInsertInput as plain fields: ``{"data": x}`` relationships become ``x``."""
    return {
        name: value["data"] if name in WRAPPED and _wrapped(value) else value
        for name, value in payload.items()
    }


def _wrapped(value: object) -> bool:
    return isinstance(value, dict) and list(value) == ["data"]


def dead_letter_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Each non-blank line of the dead-letter file as a JSON object.

    Raises:
        ReplayError: the file can't be read, or a line is not a JSON object (named by number).
    """
    try:
        with path.open("rb") as source:
            for _, parsed in encoding.objects(source):
                yield parsed
    except ValueError as exc:
        msg = f"{path}: {exc}"
        raise ReplayError(msg) from None
    except OSError as exc:
        msg = f"{path}: can't be read ({exc.strerror or type(exc).__name__})"
        raise ReplayError(msg) from None


def chosen(line: dict[str, Any], reasons: Sequence[str] | None, run_id: str | None) -> bool:
    """True when the line passes the ``--reason`` and ``--run-id`` filters."""
    if reasons and line.get("reason") not in reasons:
        return False
    return run_id is None or line.get("run_id") == run_id


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(
        prog="target-upwell-replay",
        description="Turn target-upwell's dead-letter file back into Singer input on stdout."
        " Lines with the original record go back on their stream (mapped again); lines with"
        f" only the payload go on '{REPLAY_STREAM}', whose fields are Upwell's: the target"
        " auto-maps that stream whatever the config's mapping says.",
    )
    cli.add_argument("file", type=Path, help="the dead-letter file, e.g. upwell-rejected.jsonl")
    cli.add_argument(
        "--reason",
        action="append",
        choices=[reason.value for reason in Reason],
        metavar="REASON",
        help="replay only lines with this reason code (%(choices)s); repeat for several",
    )
    cli.add_argument("--run-id", help="replay only lines written by this run")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Write the replay on stdout; the exit code is 0, or 1 for an unreadable file."""
    args = parser().parse_args(argv)
    replay = Replay()
    try:
        for line in dead_letter_lines(args.file):
            if chosen(line, args.reason, args.run_id):
                replay.add(line)
    except ReplayError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_FAILED
    for message in replay.messages():
        sys.stdout.write(encoding.dumps(message).decode() + "\n")
    sys.stdout.flush()
    streams = ", ".join(replay.fields) or "none"
    sys.stderr.write(
        f"Replayed {_count(len(replay.records), 'record')} (streams: {streams});"
        f" {_count(replay.unusable, 'line')} with neither a record nor a payload left out.\n"
    )
    if replay.parentless:
        sys.stderr.write(
            f"{_count(replay.parentless, 'parent_not_found payload')} replayed without the"
            " parent: the payload does not name it. Replay with the record instead"
            " (dead_letter_include_record: true) to keep billToSourceSystemId.\n"
        )
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
