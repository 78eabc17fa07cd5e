"""Loading customers end to end into the sandbox: shapes, upsert, deletions, routing."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from harness import MAPPING, SCHEMA, STREAM, config, load, record, singer

from target_upwell import contract

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle


def test_a_foreign_shape_lands_whole(sandbox: SandboxHandle, tmp_path: Path) -> None:
    records = [record(n) for n in range(1, 1001)]
    result = load(config(sandbox.url, sandbox.api_key, tmp_path), singer(records))

    assert result.exit_code == 0
    stored = {c["sourceSystemId"]: c for c in sandbox.customers()}
    assert len(stored) == 1000
    first = stored["1"]
    assert first["name"] == "Customer 1 Ltd"
    assert first["sourceSystem"] == "ERP"
    assert first["emailAddress"] == "ap.1@example.com"
    assert first["customerRule"]["dueOption"] == 45
    mark = first["metadata"].pop(contract.STAMP_KEY)  # the target's fingerprint, beside the map's
    assert mark == {"fingerprint": mark["fingerprint"], "deleted": False}
    assert first["metadata"] == {
        "tags": "erp, segment-1",
        "updated": "2024-05-01T12:00:00Z",
        "phone": "+1 555 0001",
    }
    (address,) = first["addresses"]
    assert address["type"] == "BILLING"
    assert address["country"] == "CA"
    assert address["streetLine2"] is None
    assert stored["3"]["addresses"][0]["country"] == "DE"
    assert result.states[-1] == {"bookmarks": {STREAM: {"seen": 1000}}}
    assert result.stream()["created"] == 1000


def test_a_rerun_writes_nothing(sandbox: SandboxHandle, tmp_path: Path) -> None:
    text = singer([record(n) for n in range(1, 301)])
    load(config(sandbox.url, sandbox.api_key, tmp_path), text)
    before = sandbox.stats()

    again = load(config(sandbox.url, sandbox.api_key, tmp_path), text)

    after = sandbox.stats()
    assert again.exit_code == 0
    assert again.stream()["unchanged"] == 300
    assert after["rows_inserted"] == before["rows_inserted"]
    assert after["rows_updated"] == before["rows_updated"]
    assert "bulk-customers" not in _new_requests(before, after)


def test_renamed_customers_are_updated_and_nothing_else(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(n) for n in range(1, 201)]))
    before = sandbox.stats()
    renamed = {n: f"Renamed {n}" for n in range(5, 105, 10)}
    records = [record(n, name=renamed.get(n)) for n in range(1, 201)]

    result = load(config(sandbox.url, sandbox.api_key, tmp_path), singer(records))

    after = sandbox.stats()
    assert (result.stream()["updated"], result.stream()["created"]) == (10, 0)
    assert after["rows_updated"] - before["rows_updated"] == 10
    assert after["rows_inserted"] == before["rows_inserted"]
    stored = {c["sourceSystemId"]: c["name"] for c in sandbox.customers()}
    assert all(stored[str(n)] == name for n, name in renamed.items())


def test_a_null_in_the_source_clears_the_field(sandbox: SandboxHandle, tmp_path: Path) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1)]))
    cleared = record(1)
    cleared["Contact"]["Email"] = None

    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([cleared]))

    (stored,) = sandbox.customers()
    assert stored["emailAddress"] is None


def test_changed_addresses_are_counted_not_lost_silently(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1)]))
    moved = record(1)
    moved["BillAddr"]["City"] = "Shelbyville"

    result = load(config(sandbox.url, sandbox.api_key, tmp_path), singer([moved]))

    assert result.stream()["addresses_not_updated"] == 1
    assert result.stream()["unchanged"] == 1


def test_a_later_record_for_the_same_key_wins(sandbox: SandboxHandle, tmp_path: Path) -> None:
    records = [record(1, name="First"), record(2), record(1, name="Second")]
    result = load(config(sandbox.url, sandbox.api_key, tmp_path), singer(records))

    names = {c["sourceSystemId"]: c["name"] for c in sandbox.customers()}
    assert names == {"1": "Second", "2": "Customer 2 Ltd"}
    assert result.stream()["merged"] == 1


def test_a_deletion_sets_deleted_at(sandbox: SandboxHandle, tmp_path: Path) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1), record(2)]))
    deleted = {**record(1), "_sdc_deleted_at": "2024-06-01T00:00:00Z"}

    result = load(config(sandbox.url, sandbox.api_key, tmp_path), singer([deleted]))

    stored = {c["sourceSystemId"]: c for c in sandbox.customers()}
    assert _instant(stored["1"]["deletedAt"]) == _instant("2024-06-01T00:00:00Z")
    assert stored["2"]["deletedAt"] is None
    assert result.stream()["deleted"] == 1


def test_append_only_rejects_keys_that_exist(sandbox: SandboxHandle, tmp_path: Path) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1), record(2)]))
    append = config(sandbox.url, sandbox.api_key, tmp_path, load_method="append-only")
    records = [record(2), record(3), record(4), record(3, name="Again")]

    result = load({**append, "max_rejected_records": 10}, singer(records))

    assert result.exit_code == 0
    assert sorted(c["sourceSystemId"] for c in sandbox.customers()) == ["1", "2", "3", "4"]
    rejected = sorted((line["key"], line["reason"]) for line in result.dead_letter)
    assert rejected == [("2", "already_exists"), ("3", "already_exists")]
    assert {c["sourceSystemId"]: c["name"] for c in sandbox.customers()}["3"] == "Customer 3 Ltd"


def test_streams_the_mapping_does_not_name_are_skipped(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    other = singer([record(1)]).replace(STREAM, "invoices")

    result = load(config(sandbox.url, sandbox.api_key, tmp_path), other)

    assert result.exit_code == 0
    assert sandbox.customers() == []
    assert result.stream("invoices")["skipped"] == 1


def test_without_a_mapping_every_stream_is_auto_mapped(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "ID": {"type": "integer"},
            "Company_Name": {"type": "string"},
            "EMAIL_ADDRESS": {"type": "string"},
            "City": {"type": "string"},
            "Zip": {"type": "string"},
            "country": {"type": "string"},
            "notes": {"type": "string"},
        },
    }
    rec = {"ID": 7, "Company_Name": "Acme", "EMAIL_ADDRESS": "a@acme.example.com", "City": "Oslo"}
    rec |= {"Zip": "0150", "country": "no", "notes": "private"}
    lines = [
        {"type": "SCHEMA", "stream": "accounts", "schema": schema, "key_properties": ["ID"]},
        {"type": "RECORD", "stream": "accounts", "record": rec},
    ]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path)
    del cfg["mapping"]

    result = load(cfg, "".join(json.dumps(line) + "\n" for line in lines))

    assert result.exit_code == 0
    (stored,) = sandbox.customers()
    assert (stored["sourceSystemId"], stored["name"], stored["emailAddress"]) == (
        "7",
        "Acme",
        "a@acme.example.com",
    )
    assert stored["addresses"][0] | {"id": None} == {
        "id": None,
        "type": "ADDRESS_BOOK",
        "streetLine1": None,
        "streetLine2": None,
        "city": "Oslo",
        "stateOrProvince": None,
        "zipOrPostalCode": "0150",
        "country": "NO",
    }


def test_the_config_test_stream_writes_nothing(sandbox: SandboxHandle, tmp_path: Path) -> None:
    lines = [
        {
            "type": "SCHEMA",
            "stream": "meltano_test_stream",
            "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
            "key_properties": ["id"],
        },
        {"type": "RECORD", "stream": "meltano_test_stream", "record": {"id": 1}},
    ]

    result = load(
        config(sandbox.url, sandbox.api_key, tmp_path),
        "".join(json.dumps(line) + "\n" for line in lines),
    )

    assert result.exit_code == 0
    assert sandbox.stats()["requests"] == {"customers-list": {"200": 1}}


def test_batch_size_rows_is_honoured(sandbox: SandboxHandle, tmp_path: Path) -> None:
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=40)

    result = load(cfg, singer([record(n) for n in range(1, 201)]))

    assert result.stream()["batches"] == 5
    assert sum(sandbox.stats()["requests"]["bulk-customers"].values()) == 5


def test_an_initial_load_searches_once_then_inserts_each_batch_straight_away(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=40)
    cfg["max_concurrent_requests"] = 1  # one batch at a time: each sees the one before

    result = load(cfg, singer([record(n) for n in range(1, 201)]))

    assert result.stream()["created"] == 200
    assert _new_requests({"requests": {}}, sandbox.stats()) == {
        "customers-search": 1,
        "bulk-customers": 5,
    }


def test_a_batch_of_known_keys_after_new_ones_is_updated_through_the_conflict(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=40)
    cfg["max_concurrent_requests"] = 1
    load(cfg, singer([record(n) for n in range(1, 41)]))
    renamed = [record(n, name=f"Renamed {n}") for n in range(1, 41)]

    result = load(cfg, singer([record(n) for n in range(41, 121)] + renamed))

    assert (result.stream()["created"], result.stream()["updated"]) == (80, 40)
    stored = {c["sourceSystemId"]: c["name"] for c in sandbox.customers()}
    assert len(stored) == 120
    assert all(stored[str(n)] == f"Renamed {n}" for n in range(1, 41))


def test_a_413_splits_the_batch_and_lowers_the_cap(sandbox: SandboxHandle, tmp_path: Path) -> None:
    sandbox.set_faults([{"kind": "max_inputs", "max": 60}])
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=200)

    result = load(cfg, singer([record(n) for n in range(1, 401)]))

    assert result.exit_code == 0
    assert len(sandbox.customers()) == 400
    bulk = sandbox.stats()["requests"]["bulk-customers"]
    # Each batch halves at most twice (200 → 100 → 50) before the lowered cap holds.
    assert bulk.get("413", 0) <= 2 * result.stream()["batches"]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _new_requests(before: dict, after: dict) -> dict[str, int]:
    changed = {}
    for endpoint, statuses in after["requests"].items():
        was = before["requests"].get(endpoint, {})
        delta = sum(statuses.values()) - sum(was.values())
        if delta:
            changed[endpoint] = delta
    return changed


def _with_parent(number: int, name: str, parent: int) -> dict:
    return {**record(number, name=name), "Parent No": str(parent)}


def test_a_later_record_wins_over_one_waiting_for_its_parent(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    mapping = {STREAM: {**MAPPING[STREAM], "billToSourceSystemId": '"Parent No"'}}
    del mapping[STREAM]["billToCustomerId"]
    records = [
        _with_parent(1, "old v1", parent=9),
        record(2),
        _with_parent(1, "new v2", parent=9),
        record(9),
    ]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=2, mapping=mapping)

    result = load(cfg, singer(records))

    assert result.exit_code == 0
    stored = {c["sourceSystemId"]: c for c in sandbox.customers()}
    assert stored["1"]["name"] == "new v2"
    assert stored["1"]["billToCustomerId"] == stored["9"]["id"]


def test_a_changed_schema_does_not_reorder_writes(sandbox: SandboxHandle, tmp_path: Path) -> None:
    first = singer([record(1, name="old v1")])
    wider = {**SCHEMA, "properties": {**SCHEMA["properties"], "Notes": {"type": "string"}}}
    schema = {"type": "SCHEMA", "stream": STREAM, "schema": wider, "key_properties": ["Cust No"]}
    later = [record(1, name="new v2"), record(2)]
    text = first + json.dumps(schema) + "\n" + singer(later).split("\n", 1)[1]

    # The new sink fills (2 rows) and goes out while the old one still holds "old v1".
    result = load(config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=2), text)

    assert result.exit_code == 0
    assert {c["sourceSystemId"]: c["name"] for c in sandbox.customers()}["1"] == "new v2"


def test_terms_for_a_customer_without_a_rule_are_counted_not_resent(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    without_terms = record(1)
    without_terms["Terms"] = None
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([without_terms]))

    again = load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1)]))

    assert again.stream()["unchanged"] == 1
    assert again.stream()["rules_not_updated"] == 1
    assert "customers-update-by-source" not in sandbox.stats()["requests"]


def test_append_only_lets_a_corrected_record_follow_a_refused_one(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    refused = {**record(1), "Parent": "cus_missing"}  # only the server knows it is bad
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, load_method="append-only")
    cfg |= {"batch_size_rows": 1, "max_rejected_records": 1}

    result = load(cfg, singer([refused, record(1, name="Corrected")]))

    assert result.exit_code == 0
    assert [c["name"] for c in sandbox.customers()] == ["Corrected"]
    assert [line["reason"] for line in result.dead_letter] == ["api_rejected"]
