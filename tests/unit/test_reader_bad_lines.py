"""A bad input line ends the input there, named by its number and fault, never its content."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.singerlib.exceptions import InvalidInputLine

from target_upwell.reader import BadInputError, FastReader, RecordBeforeSchemaError

if TYPE_CHECKING:
    from collections.abc import Callable

PRIVATE = "Jane Private-Person"
GOOD = [
    json.dumps({"type": "SCHEMA", "stream": "s", "schema": {}, "key_properties": []}),
    json.dumps({"type": "RECORD", "stream": "s", "record": {"id": 1}}),
    json.dumps({"type": "STATE", "value": {"seen": 1}}),
]


def feed(data: bytes | str, *, seen: list[dict[str, Any]] | None = None) -> BadInputError:
    """Read ``data`` (bytes through a text file's buffer, as ``--input`` gives it)."""
    seen = [] if seen is None else seen
    stream: Any = (
        io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        if isinstance(data, bytes)
        else io.StringIO(data)
    )
    with pytest.raises(BadInputError) as caught:
        FastReader().process_lines(stream, recorder(seen))
    return caught.value


def recorder(seen: list[dict[str, Any]]) -> dict[str, Callable[[dict[str, Any]], None]]:
    """Callbacks that keep every message handed to the target."""
    return dict.fromkeys(("SCHEMA", "RECORD", "STATE"), seen.append)


def text(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (f'{{"type": "RECORD", "record": {{"name": "{PRIVATE}"}}}} trailing', "not valid JSON"),
        (f'["{PRIVATE}"]', "not a JSON object"),
        ("   ", "blank, not a JSON message"),
        (f'{{"stream": "s", "record": {{"name": "{PRIVATE}"}}}}', "a message has no type key"),
    ],
    ids=["not-json", "not-an-object", "blank", "no-type"],
)
def test_a_bad_line_is_named_by_number_and_fault(bad: str, problem: str) -> None:
    seen: list[dict[str, Any]] = []

    error = feed(text(*GOOD, bad, *GOOD), seen=seen)

    assert str(error) == f"Input line 4: {problem}"
    assert (error.line, error.problem) == (4, problem)
    assert PRIVATE not in str(error)
    assert len(seen) == 3  # what came before the line was handled; nothing after it
    assert isinstance(error, InvalidInputLine)  # still the SDK's type for a bad line


def test_a_last_line_cut_short_says_so() -> None:
    cut = f'{{"type": "RECORD", "stream": "s", "record": {{"name": "{PRIVATE}'

    error = feed(text(*GOOD) + cut)

    assert str(error) == "Input line 4: cut short, the input ended in the middle of it"


def test_a_complete_last_line_without_a_newline_is_fine() -> None:
    seen: list[dict[str, Any]] = []

    counts = FastReader().process_lines(io.StringIO(text(*GOOD).rstrip("\n")), recorder(seen))

    assert counts == {"SCHEMA": 1, "RECORD": 1, "STATE": 1}


def test_a_byte_that_is_not_utf8_is_named_by_its_line_in_a_text_file() -> None:
    bad = f'{{"type": "RECORD", "stream": "s", "record": {{"name": "{PRIVATE} \xff"}}}}'
    data = text(*GOOD).encode() + bad.encode("latin-1") + b"\n" + text(*GOOD).encode()
    seen: list[dict[str, Any]] = []

    error = feed(data, seen=seen)

    byte = bad.encode("latin-1").index(b"\xff") + 1
    assert str(error) == f"Input line 4: not UTF-8 text (byte {byte} of the line)"
    assert len(seen) == 3


def test_a_record_before_its_schema_is_still_the_sdks_exception() -> None:
    def no_sink(message: dict[str, Any]) -> None:
        raise RecordsWithoutSchemaException(str(message))  # the SDK quotes the message

    record = json.dumps({"type": "RECORD", "stream": "late", "record": {"name": PRIVATE}})
    callbacks = {**recorder([]), "RECORD": no_sink}
    with pytest.raises(RecordBeforeSchemaError) as caught:
        FastReader().process_lines(io.StringIO(text(GOOD[2], record)), callbacks)

    assert (
        str(caught.value) == "Input line 2: a RECORD for stream 'late' before that stream's SCHEMA"
    )
    assert isinstance(caught.value, RecordsWithoutSchemaException)
    assert PRIVATE not in str(caught.value)
