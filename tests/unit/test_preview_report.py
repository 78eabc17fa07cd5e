"""target-upwell-preview: payloads, counts, coverage, unmapped fields and rejects, values hidden."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from target_upwell.commands.preview import main
from target_upwell.mapping.field_map import compile_mapping

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

LEAKED_EMAIL = "leak.me@example.com"
LEAKED_NAME = 987654321
SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "country": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]},
        "notes": {"type": ["string", "null"]},
        "_sdc_deleted_at": {"type": ["string", "null"]},
    },
}
MAPPING = {
    "customers": {
        "sourceSystemId": "to_string(id)",
        "name": "name",
        "emailAddress": "email",
        "addresses": [{"country": "country"}],
    }
}
RECORDS: list[dict[str, Any]] = [
    {"id": 1, "name": "Acme", "email": "ap@acme.com", "country": "US", "phone": "1"},
    {"id": 2, "name": "Bolt", "email": None, "country": "CA"},
    {"id": 3, "name": None, "email": LEAKED_EMAIL, "country": "GB"},  # no name
    {"id": 4, "name": LEAKED_NAME, "email": "x@y.com"},  # breaks the tap's schema
    {"id": 5, "name": "Gone", "_sdc_deleted_at": "2024-06-01T00:00:00Z"},
]


def singer_lines() -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [
        {"type": "SCHEMA", "stream": "customers", "schema": SCHEMA, "key_properties": ["id"]},
        {"type": "SCHEMA", "stream": "audit", "schema": {"properties": {"id": {}}}},
        {"type": "RECORD", "stream": "audit", "record": {"id": 9}},
    ]
    lines += [{"type": "RECORD", "stream": "customers", "record": r} for r in RECORDS]
    lines.append({"type": "STATE", "value": {"bookmarks": {"customers": {"seen": 5}}}})
    return lines


def write(path: Path, lines: list[Any]) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def preview(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    config: dict[str, Any] | None = None,
) -> tuple[int, str, str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config or {"source_system": "ERP", "mapping": MAPPING}))
    input_file = write(tmp_path / "input.singer", singer_lines())
    code = main(["--config", str(config_file), "--input", input_file, *args])
    out, err = capsys.readouterr()
    return code, out, err


def coverage(out: str) -> dict[str, int]:
    start = out.index("Coverage")
    lines = out[start:].splitlines()[1:]
    rows = [line.split() for line in lines if line.startswith("    ")]
    return {name: int(count) for name, count in rows}


def test_the_payloads_that_would_be_sent_are_printed_one_json_object_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = preview(tmp_path, capsys)

    assert code == 0
    payloads = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [p["sourceSystemId"] for p in payloads] == ["1", "2"]
    assert payloads[0]["addresses"] == {"data": [{"country": "US"}]}
    assert out.startswith("Would send 2 customers; the first 2 follow")


def test_each_stream_is_counted_by_what_would_happen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = preview(tmp_path, capsys)

    assert (
        "Stream 'customers': 5 read: 2 would load, 1 would mark deleted, 2 would be rejected"
        " (invalid_payload=1, invalid_record=1), 0 skipped"
    ) in out
    assert (
        "Stream 'audit': 1 read: 0 would load, 0 would mark deleted, 0 would be rejected,"
        " 1 skipped\n  Not routed"
    ) in out


def test_coverage_counts_the_mapped_records_with_a_value_per_upwell_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = preview(tmp_path, capsys)

    counts = coverage(out)
    # Mapped: records 1-3 (4 breaks the schema, 5 is a deletion).
    assert "of 3 mapped" in out
    assert counts["sourceSystemId"] == 3
    assert counts["name"] == 2
    assert counts["emailAddress"] == 2
    assert counts["addresses"] == 3
    assert counts["customerRule"] == 0
    assert counts["ccEmailAddresses"] == 0


def test_source_fields_nothing_reads_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = preview(tmp_path, capsys)

    assert "Source fields left unmapped: phone, notes" in out


def test_rejected_records_are_named_by_key_and_field_path_never_by_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, err = preview(tmp_path, capsys)

    assert "customers key 3 (record 4): invalid_payload: field name: is required" in out
    assert "customers key 4 (record 5): invalid_record: field name: must be of type" in out
    assert LEAKED_EMAIL not in out + err
    assert str(LEAKED_NAME) not in out + err


def test_nothing_but_the_report_is_printed_and_no_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, err = preview(tmp_path, capsys)

    assert "bookmarks" not in out
    assert err == ""


def test_limit_bounds_the_payloads_and_the_rejects_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = preview(tmp_path, capsys, "--limit", "1")

    assert len([line for line in out.splitlines() if line.startswith("{")]) == 1
    assert "Would reject 2 records; the first 1 follow" in out


def test_later_config_files_override_earlier_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    override = tmp_path / "override.json"
    override.write_text(json.dumps({"mapping": {"audit": {"sourceSystemId": "to_string(id)"}}}))

    _, out, _ = preview(tmp_path, capsys, "--config", str(override))

    assert "Stream 'customers': 5 read: 0 would load" in out
    assert "Stream 'audit': 1 read: 0 would load, 0 would mark deleted, 1 would be rejected" in out


def test_a_bad_config_exits_1_naming_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"source_system": "ERP", "mapping": {"customers": {"nmae": "name"}}}

    code, out, err = preview(tmp_path, capsys, config=bad)

    assert code == 1
    assert out == ""
    assert err.startswith("mapping: ")
    assert "nmae" in err


def test_unreadable_input_exits_1_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"source_system": "ERP", "mapping": MAPPING}))
    broken = tmp_path / "broken.singer"
    broken.write_text(json.dumps(singer_lines()[0]) + '\n{"type": "RECORD", ' + LEAKED_EMAIL)

    code = main(["--config", str(config_file), "--input", str(broken)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err == "Input line 2 is not a JSON object\n"


def test_show_code_prints_each_routed_streams_mapping_source_in_its_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = compile_mapping(MAPPING["customers"]).source

    code, out, err = preview(tmp_path, capsys, "--show-code")

    assert code == 0
    assert err == ""
    customers = out[out.index("Stream 'customers'") :]
    shown = customers[customers.index("  Generated mapping code:\n") :].splitlines()[1:]
    assert shown[: len(source.splitlines())] == [f"    {line}" for line in source.splitlines()]
    assert out.count("Generated mapping code:") == 1  # 'audit' is not routed: it has none
    assert len([line for line in out.splitlines() if line.startswith("{")]) == 2


def test_without_show_code_no_source_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = preview(tmp_path, capsys)

    assert "Generated mapping code" not in out
    assert "def map_record" not in out
