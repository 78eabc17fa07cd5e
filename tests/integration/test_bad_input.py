"""A bad input line ends the run there: what came before it lands, with its STATE and summary."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from commandline import Ran, run
from harness import STREAM, config, record, singer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

PRIVATE = "Jane Private-Person"
BEFORE = 10  # records before the bad line; with a STATE after each, the bad line is line 22
BAD_LINE = 2 * BEFORE + 2
STOPPED = ". The run stopped there; the lines before it are settled."


def message(number: int, *, stream: str = STREAM) -> str:
    """A RECORD line whose name is private, so the tests can look for it in the log."""
    return json.dumps({"type": "RECORD", "stream": stream, "record": record(number, name=PRIVATE)})


BAD_LINES: dict[str, tuple[bytes, str]] = {
    "not-json": ((message(BEFORE + 1) + " <- not JSON\n").encode(), "not valid JSON"),
    "record-before-schema": (
        (message(BEFORE + 1, stream="late_stream") + "\n").encode(),
        "a RECORD for stream 'late_stream' before that stream's SCHEMA",
    ),
    "not-utf8": (
        message(BEFORE + 1).replace(PRIVATE, PRIVATE + " \xff").encode("latin-1") + b"\n",
        "not UTF-8 text (byte",
    ),
}


def records_after() -> bytes:
    return singer([record(n) for n in range(BEFORE + 2, BEFORE + 5)]).encode()


def assert_stopped_after_settling(ran: Ran, sandbox: SandboxHandle, problem: str) -> None:
    """Exit 1 in one line naming the line; what came before landed, with STATE and summary."""
    assert ran.exit_code == 1
    (error,) = ran.lines("ERROR")
    assert error.startswith(f"Input line {BAD_LINE}: {problem}")
    assert error.endswith(STOPPED)
    assert "Traceback" not in ran.log
    assert PRIVATE not in ran.log
    landed = {int(c["sourceSystemId"]) for c in sandbox.customers()}
    assert landed == set(range(1, BEFORE + 1))  # nothing after the bad line
    assert ran.states[-1] == {"bookmarks": {STREAM: {"seen": BEFORE}}}
    assert ran.summary is not None
    assert ran.summary["streams"][STREAM]["received"] == BEFORE


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_bad_line_on_stdin_stops_the_run_after_what_came_before(
    sandbox: SandboxHandle, tmp_path: Path, case: str
) -> None:
    bad, problem = BAD_LINES[case]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=4)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    before = singer([record(n) for n in range(1, BEFORE + 1)], state_every=1).encode()

    ran = run(["--config", str(path)], before + bad + records_after())

    assert_stopped_after_settling(ran, sandbox, problem)
    assert bad.decode(errors="replace").strip() not in ran.log


def test_a_truncated_last_line_is_named_as_cut_short(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=4)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    before = singer([record(n) for n in range(1, BEFORE + 1)], state_every=1)
    cut = message(BEFORE + 1)[:-25]  # the tap died mid-line

    ran = run(["--config", str(path)], (before + cut).encode())

    assert_stopped_after_settling(ran, sandbox, "cut short, the input ended in the middle of it")
    assert cut not in ran.log


def test_a_byte_that_is_not_utf8_in_an_input_file_is_named_by_its_line(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    bad, problem = BAD_LINES["not-utf8"]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=4)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    before = singer([record(n) for n in range(1, BEFORE + 1)], state_every=1).encode()
    singer_file = tmp_path / "input.singer"
    singer_file.write_bytes(before + bad + records_after())

    ran = run(["--config", str(path), "--input", str(singer_file)])

    assert_stopped_after_settling(ran, sandbox, problem)
    assert "utf-8" not in ran.lines("ERROR")  # what the SDK said alone, before
