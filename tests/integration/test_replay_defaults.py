"""Defaults: reject, reject again, replay each customer once, fix, load: every customer lands.

The dead-letter file keeps the record by default, every run appends to it, and the replay
takes each customer's latest line only. Its SCHEMA takes the values the user fixes.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import TYPE_CHECKING, Any

from harness import STREAM, config, load, record, singer

from target_upwell.commands.replay import main

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

BROKEN = {50, 150, 250}


def replay(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main([str(path)]) == 0
    return out.getvalue(), err.getvalue()


def edited(text: str, fix: Any) -> str:
    """The replayed Singer text with ``fix`` applied to each RECORD, the SCHEMA left as it is."""
    messages = [json.loads(line) for line in text.splitlines()]
    for message in messages:
        if message["type"] == "RECORD":
            fix(message["record"])
    return "".join(json.dumps(m) + "\n" for m in messages)


def test_two_runs_rejecting_the_same_records_replay_each_once_and_all_land(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    records = [record(n) for n in range(1, 301)]
    for number in BROKEN:
        records[number - 1]["Contact"]["Email"] = f"customer {number} at example dot com"
    cfg = config(sandbox.url, sandbox.api_key, tmp_path)  # the defaults otherwise
    dead_letter = tmp_path / "rejected.jsonl"

    first, second = load(cfg, singer(records)), load(cfg, singer(records))
    text, err = replay(dead_letter)

    assert (first.exit_code, second.exit_code) == (3, 3)
    assert len(dead_letter.read_text().splitlines()) == 6
    replayed = [json.loads(m) for m in text.splitlines()]
    assert sorted(m["record"]["Cust No"] for m in replayed if m["type"] == "RECORD") == sorted(
        BROKEN
    )
    assert "Replayed 3 records (streams: erp_customers); 3 lines left out" in err

    def fix(rec: dict[str, Any]) -> None:
        rec["Contact"]["Email"] = f"fixed.{rec['Cust No']}@example.com"

    third = load({**cfg, "dead_letter_file": str(tmp_path / "again.jsonl")}, edited(text, fix))

    assert third.exit_code == 0
    assert (third.stream()["created"], third.dead_letter) == (3, [])
    landed = {c["sourceSystemId"]: c for c in sandbox.customers()}
    assert sorted(landed, key=int) == [str(n) for n in range(1, 301)]
    assert {landed[str(n)]["emailAddress"] for n in BROKEN} == {
        f"fixed.{n}@example.com" for n in BROKEN
    }


def test_a_record_edited_in_the_replay_loads_without_touching_its_schema(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    records = [record(n) for n in range(1, 6)]
    records[2]["Company Name"] = None  # key 3: invalid_payload, name is required
    records[4]["Terms"] = 45  # key 5: invalid_record, the tap's schema wants text
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, max_rejected_records=2)
    assert load(cfg, singer(records)).exit_code == 0

    text, _ = replay(tmp_path / "rejected.jsonl")

    def fix(rec: dict[str, Any]) -> None:
        rec["Company Name"] = rec["Company Name"] or "Fixed Three Ltd"
        rec["Terms"] = "Net 45"

    again = load({**cfg, "dead_letter_file": str(tmp_path / "again.jsonl")}, edited(text, fix))
    assert (again.exit_code, again.dead_letter) == (0, [])
    assert again.stream(STREAM)["created"] == 2
    landed = {c["sourceSystemId"]: c for c in sandbox.customers()}
    assert len(landed) == 5
    assert landed["3"]["name"] == "Fixed Three Ltd"
