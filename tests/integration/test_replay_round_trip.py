"""Dead letter → fix → target-upwell-replay → target: the fixed customers land as if never refused.

Each round trip is compared with loading the fixed records directly into a second tenant, so
the replayed customers must equal what the mapping makes of the fixed source records.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import TYPE_CHECKING, Any

from harness import STREAM, config, load, record, singer

from target_upwell import contract
from target_upwell.commands.replay import REPLAY_STREAM, main

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

POISONED = {3, 7}
FIXED_NAME = "Fixed Three Ltd"
VOLATILE = {"id", "createdAt", "updatedAt"}


def poisoned() -> list[dict[str, Any]]:
    records = [record(n) for n in range(1, 11)]
    records[2]["Company Name"] = None  # key 3: invalid_payload, name is required
    records[6]["Parent"] = "cus_missing"  # key 7: api_rejected, only the server can tell
    return records


def fixed(rec: dict[str, Any]) -> dict[str, Any]:
    return {**rec, "Company Name": rec["Company Name"] or FIXED_NAME, "Parent": None}


def replay(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def write_lines(path: Path, lines: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def comparable(customers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Customers by source id, without the ids and times each tenant assigns."""
    found = {}
    for customer in customers:
        kept = {k: v for k, v in customer.items() if k not in VOLATILE}
        kept["addresses"] = [{k: v for k, v in a.items() if k != "id"} for a in kept["addresses"]]
        kept["metadata"] = {k: v for k, v in kept["metadata"].items() if k != contract.STAMP_KEY}
        if kept.get("customerRule"):
            kept["customerRule"] = {"dueOption": kept["customerRule"]["dueOption"]}
        found[customer["sourceSystemId"]] = kept
    return found


def loaded_directly(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The fixed records loaded straight from the source, into the other tenant."""
    cfg = config(sandbox.url, sandbox.other_key, tmp_path, dead_letter_file=str(tmp_path / "d"))
    records = [fixed(r) for r in poisoned() if r["Cust No"] in POISONED]
    assert load(cfg, singer(records)).exit_code == 0
    return comparable(sandbox.customers(sandbox.other_key))


def first_run(sandbox: SandboxHandle, tmp_path: Path, **extra: Any) -> list[dict[str, Any]]:
    result = load(config(sandbox.url, sandbox.api_key, tmp_path, **extra), singer(poisoned()))
    assert result.exit_code == 3
    assert {line["key"] for line in result.dead_letter} == {str(n) for n in POISONED}
    assert len(sandbox.customers()) == 8
    return result.dead_letter


def test_records_kept_in_the_dead_letter_replay_on_their_own_stream(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    lines = first_run(sandbox, tmp_path, dead_letter_include_record=True)
    for line in lines:
        line["record"] = fixed(line["record"])

    code, text, _ = replay(write_lines(tmp_path / "fixed.jsonl", lines))

    assert code == 0
    messages = [json.loads(m) for m in text.splitlines()]
    assert [(m["type"], m["stream"]) for m in messages] == [
        ("SCHEMA", STREAM),
        ("RECORD", STREAM),
        ("RECORD", STREAM),
    ]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, dead_letter_file=str(tmp_path / "2"))
    second = load(cfg, text)
    assert second.exit_code == 0
    assert (second.stream()["created"], second.dead_letter) == (2, [])
    landed = comparable(sandbox.customers())
    assert len(landed) == 10
    assert landed["3"]["name"] == FIXED_NAME
    expected = loaded_directly(sandbox, tmp_path)
    assert {k: landed[k] for k in expected} == expected


def test_payloads_replay_on_the_upwell_stream_and_auto_map_passes_them_through(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    lines = first_run(sandbox, tmp_path, dead_letter_include_record=False)
    assert all(line["record"] is None for line in lines)
    for line in lines:
        line["payload"]["name"] = line["payload"].get("name") or FIXED_NAME
        line["payload"].pop("billToCustomerId", None)

    code, text, _ = replay(write_lines(tmp_path / "fixed.jsonl", lines))

    assert code == 0
    messages = [json.loads(m) for m in text.splitlines()]
    assert {m["stream"] for m in messages} == {REPLAY_STREAM}
    replayed = [m["record"] for m in messages if m["type"] == "RECORD"]
    assert isinstance(replayed[0]["addresses"], list)
    assert isinstance(replayed[0]["customerRule"]["dueOption"], int)
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, dead_letter_file=str(tmp_path / "2"))
    del cfg["mapping"]  # auto-map: the replay stream's fields are Upwell's own
    second = load(cfg, text)
    assert second.exit_code == 0
    assert (second.stream(REPLAY_STREAM)["created"], second.dead_letter) == (2, [])
    landed = comparable(sandbox.customers())
    assert len(landed) == 10
    expected = loaded_directly(sandbox, tmp_path)
    assert {k: landed[k] for k in expected} == expected


DEAD_LETTER = [
    {"run_id": "a", "stream": "s", "key": "1", "reason": "api_rejected", "payload": {"x": 1}},
    {"run_id": "a", "stream": "s", "key": "2", "reason": "invalid_payload", "payload": {"x": 2}},
    {"run_id": "b", "stream": "s", "key": "3", "reason": "api_rejected", "payload": {"x": 3}},
    {"run_id": "b", "stream": "s", "key": "4", "reason": "mapping_failed", "payload": None},
]


def replayed_keys(text: str) -> list[int]:
    messages = [json.loads(m) for m in text.splitlines()]
    return [m["record"]["x"] for m in messages if m["type"] == "RECORD"]


def test_reason_and_run_id_choose_the_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "rejected.jsonl", DEAD_LETTER)

    assert replayed_keys(replay(path, "--reason", "api_rejected")[1]) == [1, 3]
    assert replayed_keys(replay(path, "--run-id", "a")[1]) == [1, 2]
    both = replay(path, "--reason", "api_rejected", "--reason", "invalid_payload", "--run-id", "a")
    assert replayed_keys(both[1]) == [1, 2]


def test_a_line_with_neither_record_nor_payload_is_counted_and_left_out(tmp_path: Path) -> None:
    code, text, err = replay(write_lines(tmp_path / "rejected.jsonl", DEAD_LETTER))

    assert code == 0
    assert replayed_keys(text) == [1, 2, 3]
    assert "1 line with neither a record nor a payload left out" in err


def test_a_line_that_is_not_json_exits_1_naming_its_number(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    path.write_text(json.dumps(DEAD_LETTER[0]) + "\n\n{not json: leak.me@example.com}\n")

    code, text, err = replay(str(path))

    assert code == 1
    assert text == ""
    assert err == f"{path}: line 3 is not a JSON object\n"


def test_a_parent_not_found_payload_is_flagged_as_replayed_without_its_parent(
    tmp_path: Path,
) -> None:
    line = {"stream": "s", "key": "9", "reason": "parent_not_found", "payload": {"x": 9}}

    code, text, err = replay(write_lines(tmp_path / "rejected.jsonl", [line]))

    assert code == 0
    assert replayed_keys(text) == [9]
    assert "1 parent_not_found payload replayed without the parent" in err
