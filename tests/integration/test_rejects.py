"""Poison records: isolated, dead-lettered with their reason, never costing a good row."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from harness import STREAM, config, load, record, run_command, singer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

FAULTS = [
    {"kind": "status", "status": 503, "every": 7},
    {
        "kind": "status",
        "status": 429,
        "every": 11,
        "retry_after": "seconds",
        "retry_after_seconds": 0,
    },
    {"kind": "drop_after", "every": 5, "endpoint": "bulk-customers"},
    {"kind": "drop_before", "every": 9, "endpoint": "bulk-customers"},
]


def _with_poison() -> list[dict]:
    records = [record(n) for n in range(1, 2001)]
    records[99]["Company Name"] = None  # key 100
    records[999]["BillAddr"]["Country"] = "Narnia"  # key 1000
    records[1499]["Parent"] = "cus_does_not_exist"  # key 1500: only the server can tell
    return records


def test_run_1_loads_1997_and_dead_letters_3(sandbox: SandboxHandle, tmp_path: Path) -> None:
    sandbox.set_faults(FAULTS)

    result = run_command(
        config(sandbox.url, sandbox.api_key, tmp_path), singer(_with_poison()), tmp_path
    )

    sandbox.set_faults([])
    assert result.exit_code == 3
    keys = [c["sourceSystemId"] for c in sandbox.customers()]
    assert len(keys) == len(set(keys)) == 1997
    assert {"100", "1000", "1500"}.isdisjoint(keys)
    reasons = {line["key"]: line["reason"] for line in result.dead_letter}
    assert reasons == {"100": "invalid_payload", "1000": "mapping_failed", "1500": "api_rejected"}
    by_key = {line["key"]: line for line in result.dead_letter}
    assert by_key["1500"]["api"]["code"] == "constraint-violation"
    assert by_key["1000"]["problems"] == [
        "field addresses[0].country: is not a country (an ISO 3166 code or name)"
    ]
    assert by_key["100"]["record"]["Cust No"] == 100  # kept by default, for the replay
    assert "example.com" not in result.log.lower()


def test_run_2_the_same_input_changes_nothing(sandbox: SandboxHandle, tmp_path: Path) -> None:
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, max_rejected_records=5)
    load(cfg, singer(_with_poison()))
    before = sandbox.stats()

    result = run_command(cfg, singer(_with_poison()), tmp_path)

    after = sandbox.stats()
    assert result.exit_code == 0
    assert after["rows_inserted"] == before["rows_inserted"]
    assert after["rows_updated"] == before["rows_updated"]
    assert (result.stream()["created"], result.stream()["updated"]) == (0, 0)


def test_bisection_stays_within_its_bound(sandbox: SandboxHandle, tmp_path: Path) -> None:
    records = [record(n) for n in range(1, 513)]
    bad = {37, 200, 450}
    for number in bad:
        records[number - 1]["Parent"] = "cus_missing"  # the server refuses these rows
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=512)

    result = load({**cfg, "max_rejected_records": 3}, singer(records))

    assert result.exit_code == 0
    assert len(sandbox.customers()) == 509
    assert {line["key"] for line in result.dead_letter} == {str(n) for n in bad}
    bulk = sum(sandbox.stats()["requests"]["bulk-customers"].values())
    assert bulk <= 1 + 2 * len(bad) * math.log2(512)


def test_the_include_record_switch_adds_the_original(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    records = [record(1, name="")]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, dead_letter_include_record=True)

    result = load({**cfg, "max_rejected_records": 1}, singer(records))

    (line,) = result.dead_letter
    assert line["record"]["Cust No"] == 1
    assert line["problems"] == ["field name: is required"]


def test_a_record_that_is_not_an_object_is_dead_lettered(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    bad = {"type": "RECORD", "stream": STREAM, "record": ["x", 2]}
    text = singer([record(1)]) + json.dumps(bad) + "\n"

    result = load(
        {**config(sandbox.url, sandbox.api_key, tmp_path), "max_rejected_records": 1}, text
    )

    assert result.exit_code == 0
    assert [c["sourceSystemId"] for c in sandbox.customers()] == ["1"]
    (line,) = result.dead_letter
    assert line["reason"] == "invalid_record"
    assert line["problems"] == ["field (record): must be a JSON object"]
