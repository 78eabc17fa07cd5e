"""Turn dead-letter lines back into Singer input, so fixed records can be loaded again.

``target-upwell-replay upwell-rejected.jsonl [--reason R ...] [--run-id ID] > fixed.singer``
writes only Singer messages on stdout: one SCHEMA per stream, then a RECORD per customer.

Every run appends to the same file, so a record rejected by two runs has two lines. Among
the chosen lines each customer is replayed once, from its latest line: a line is the same
customer as an earlier one when it names the same stream, ``sourceSystem`` (from its payload)
and key. A line with no key (its record never had one) is replayed once per run that wrote
it, told apart by ``run_id`` and input position.

- A line with ``record`` (the default, ``dead_letter_include_record: true``) goes back on
  its original stream, so the same ``mapping`` applies again.
- A line with only ``payload`` goes on the stream ``upwell_replay`` as plain fields named as
  Upwell names them: ``addresses`` a list, ``customerRule`` an object. The target always
  auto-maps that stream, and auto-map passes Upwell's names through, so any config loads it.
- A line with neither (a record that failed its schema or mapping, written under
  ``dead_letter_include_record: false``) can't be rebuilt: stderr names each such line by
  number, stream, key and reason, never by a value.
- A ``parent_not_found`` line without its record replays without its parent: the payload
  never holds ``billToSourceSystemId``. They are counted on stderr.

The dead-letter file keeps neither the tap's SCHEMA nor its ``key_properties``, so the
SCHEMA sent is built from the lines: every field they hold, each allowed any scalar (null,
boolean, number, string), and a list or an object where a line held one. The user edits
values between the replay and the load, and a fixed value may have a type the rejected one
didn't (a name filled in where it was null, a number where text failed the tap's schema),
so a schema typed by the values seen would refuse the fix. Types are listed rather than
left out (``{}``), and ``array`` or ``object`` only where seen, because flattening turns a
typeless property, or one that may be a list or an object, into a string type and then
refuses numbers. The SDK requires ``properties``, and auto-map reads the field names from
them. A replayed stream has no key properties, so a mapping that
relied on auto-map's single-key rule must name ``sourceSystemId``.

Exit codes: 0 done (lines that can't be rebuilt are named on stderr); 1 the file can't be
read or a line is not a JSON object; 2 a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from target_upwell import contract, encoding
from target_upwell.mapping.routing import REPLAY_STREAM
from target_upwell.outcomes import Reason

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


# Every scalar JSON type ("integer" is within "number"): no fixed scalar value is refused.
SCALARS = frozenset({"boolean", "null", "number", "string"})
# Which customer a line is about; see ``identity``.
Identity = tuple[object, ...]


class ReplayError(Exception):
    """The dead-letter file can't be read; the message names the file or the line number."""


@dataclass(frozen=True)
class Unbuildable:
    """A chosen line that holds neither the record nor a payload, named without its values."""

    number: int
    stream: str
    key: str | None
    reason: str

    def __str__(self) -> str:
        """``line 4 (stream 'customers', key C-7, mapping_failed)``."""
        key = "no key" if self.key is None else f"key {self.key}"
        return f"line {self.number} (stream '{self.stream}', {key}, {self.reason})"


@dataclass
class Replay:
    """The chosen lines, each customer's latest one only, in file order."""

    latest: dict[Identity, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    superseded: int = 0  # lines left out for a later line about the same customer

    def add(self, number: int, line: dict[str, Any]) -> None:
        """Take line ``number``; a later line about the same customer replaces it."""
        who = identity(number, line)
        if self.latest.pop(who, None) is not None:
            self.superseded += 1
        self.latest[who] = (number, line)  # inserted last, so the kept lines stay in file order

    def rebuilt(self) -> Rebuilt:
        """The Singer messages of the kept lines, and the lines that can't be rebuilt."""
        rebuilt = Rebuilt()
        for number, line in self.latest.values():
            rebuilt.add(number, line)
        return rebuilt


@dataclass
class Rebuilt:
    """The Singer messages rebuilt from the kept lines, and what could not be."""

    # Per stream, each field's types: every scalar, and "array" or "object" where seen.
    fields: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unbuildable: list[Unbuildable] = field(default_factory=list)
    parentless: int = 0  # parent_not_found payloads: the parent's source id is not in them

    def add(self, number: int, line: dict[str, Any]) -> None:
        """Take one dead-letter line: its record, else its unwrapped payload."""
        record, payload, stream = line.get("record"), line.get("payload"), line.get("stream")
        if isinstance(record, dict) and isinstance(stream, str):
            self._keep(stream, record)
        elif isinstance(payload, dict):
            self._keep(REPLAY_STREAM, unwrap(payload))
            self.parentless += line.get("reason") == Reason.PARENT_NOT_FOUND.value
        else:
            key = line.get("key")
            self.unbuildable.append(
                Unbuildable(
                    number, str(stream), None if key is None else str(key), str(line.get("reason"))
                )
            )

    def _keep(self, stream: str, record: dict[str, Any]) -> None:
        seen = self.fields.setdefault(stream, {})
        for name, value in record.items():
            types = seen.setdefault(name, set(SCALARS))
            if isinstance(value, (dict, list)):
                types.add("object" if isinstance(value, dict) else "array")
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


def identity(number: int, line: dict[str, Any]) -> Identity:
    """Which customer line ``number`` is about: lines with equal identities are one customer.

    A line's ``key`` is the mapped ``sourceSystemId`` once mapping succeeded (its payload then
    holds the ``sourceSystem``), else the tap's key properties joined by ``|``. A keyless line
    is its run's record at its input position; an old line without ``run_id`` is itself.
    """
    stream, key, payload = _scalar(line.get("stream")), line.get("key"), line.get("payload")
    if key is not None:
        system = payload.get("sourceSystem") if isinstance(payload, dict) else None
        return ("key", stream, _scalar(system), str(key))
    run_id = line.get("run_id")
    if run_id is None:
        return ("line", number)
    return ("run", stream, _scalar(run_id), _scalar(line.get("position")))


def _scalar(value: object) -> object:
    """A hashable stand-in for a JSON value: a hand-edited line may hold a list anywhere."""
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


def schema(fields: dict[str, set[str]]) -> dict[str, Any]:
    """A schema listing every field: any scalar in it, and a list or an object where seen.

    No ``format`` is given, so nothing is parsed as a date; an object or list field has no
    ``properties`` or ``items``, so its content is never refused. A field's type names
    ``array`` or ``object`` only where a line held one: flattening turns a field that may be
    either into text, and would then refuse a number in it.
    """
    return {
        "type": "object",
        "properties": {name: {"type": sorted(types)} for name, types in fields.items()},
        "additionalProperties": True,
    }


def unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    """A CustomersInsertInput as plain fields: ``{"data": x}`` relationships become ``x``."""
    return {
        name: value["data"] if name in WRAPPED and _wrapped(value) else value
        for name, value in payload.items()
    }


def _wrapped(value: object) -> bool:
    return isinstance(value, dict) and list(value) == ["data"]


def dead_letter_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of the dead-letter file as a JSON object, with its line number.

    Raises:
        ReplayError: the file can't be read, or a line is not a JSON object (named by number).
    """
    try:
        with path.open("rb") as source:
            yield from encoding.objects(source)
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
        description="Turn target-upwell's dead-letter file back into Singer input on stdout,"
        " each customer once, from its latest line. Lines with the original record go back"
        " on their stream (mapped again); lines with only the payload go on"
        f" '{REPLAY_STREAM}', whose fields are Upwell's: the target auto-maps that stream"
        " whatever the config's mapping says.",
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
        for number, line in dead_letter_lines(args.file):
            if chosen(line, args.reason, args.run_id):
                replay.add(number, line)
    except ReplayError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_FAILED
    rebuilt = replay.rebuilt()
    for message in rebuilt.messages():
        sys.stdout.write(encoding.dumps(message).decode() + "\n")
    sys.stdout.flush()
    sys.stderr.write("".join(f"{line}\n" for line in report(replay, rebuilt)))
    return EXIT_OK


def report(replay: Replay, rebuilt: Rebuilt) -> list[str]:
    """What stderr says: the counts, then each line that can't be rebuilt, by number and key.

    Never a value: the lines are customer records.
    """
    streams = ", ".join(rebuilt.fields) or "none"
    counts = (
        f"Replayed {_count(len(rebuilt.records), 'record')} (streams: {streams});"
        f" {_count(replay.superseded, 'line')} left out for a later line about the same"
        f" customer; {_count(len(rebuilt.unbuildable), 'line')} with neither a record nor a"
        " payload left out."
    )
    lines = [counts]
    if rebuilt.unbuildable:
        lines.append(
            "These lines can't be rebuilt: they were written with"
            " dead_letter_include_record: false and failed before mapping finished. Fix the"
            " records at the source and load them again; keep dead_letter_include_record"
            " true (the default) so that later rejections can be replayed."
        )
        lines.extend(f"  {unbuildable}" for unbuildable in rebuilt.unbuildable)
    if rebuilt.parentless:
        lines.append(
            f"{_count(rebuilt.parentless, 'parent_not_found payload')} replayed without the"
            " parent: the payload does not name it. Replay with the record instead"
            " (dead_letter_include_record: true) to keep billToSourceSystemId."
        )
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
