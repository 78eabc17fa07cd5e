"""target-upwell-replay: one replay per customer, the latest line winning; lines it can't rebuild.

No sockets: dead-letter files are written here, and the replay's stdout and stderr read.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import TYPE_CHECKING, Any

from target_upwell.commands.replay import main
from target_upwell.mapping.validation import SchemaCheck

if TYPE_CHECKING:
    from pathlib import Path

LEAKED_EMAIL = "leak.me@example.com"


def replay(tmp_path: Path, lines: list[dict[str, Any]], *args: str) -> tuple[int, list, str]:
    path = tmp_path / "rejected.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(path), *args])
    messages = [json.loads(m) for m in out.getvalue().splitlines()]
    return code, messages, err.getvalue()


def records(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["record"] for m in messages if m["type"] == "RECORD"]


def line(run: str, key: str | None, record: dict[str, Any] | None, **extra: Any) -> dict:
    return {
        "run_id": run,
        "stream": "customers",
        "key": key,
        "position": 1,
        "reason": "mapping_failed",
        "problems": ["field emailAddress: is not a valid email address"],
        "api": None,
        "payload": None,
        "record": record,
        **extra,
    }


def test_each_customer_replays_once_from_its_latest_line(tmp_path: Path) -> None:
    lines = [
        line("a", "1", {"id": 1, "email": "old"}),
        line("a", "2", {"id": 2, "email": "x"}),
        line("b", "1", {"id": 1, "email": "new"}),
        line("b", "2", {"id": 2, "email": "x"}),
    ]

    code, messages, err = replay(tmp_path, lines)

    assert code == 0
    assert records(messages) == [{"id": 1, "email": "new"}, {"id": 2, "email": "x"}]
    assert "Replayed 2 records (streams: customers); 2 lines left out for a later line" in err


def test_a_customer_is_its_stream_source_system_and_key(tmp_path: Path) -> None:
    def rejected(stream: str, system: str) -> dict[str, Any]:
        payload = {"sourceSystem": system, "sourceSystemId": "7", "name": f"{stream} {system}"}
        return line("a", "7", None, stream=stream, payload=payload, reason="api_rejected")

    lines = [rejected("s", "ERP"), rejected("s", "CRM"), rejected("t", "ERP"), rejected("s", "ERP")]

    _, messages, _ = replay(tmp_path, lines)

    assert [r["name"] for r in records(messages)] == ["s CRM", "t ERP", "s ERP"]


def test_keyless_lines_replay_once_per_run_that_wrote_them(tmp_path: Path) -> None:
    lines = [
        line("a", None, {"n": "a5"}, position=5),
        line("a", None, {"n": "a6"}, position=6),
        line("b", None, {"n": "b5"}, position=5),
        line("b", None, {"n": "b5 again"}, position=5),  # the same line twice in one run
    ]

    _, messages, _ = replay(tmp_path, lines)

    assert records(messages) == [{"n": "a5"}, {"n": "a6"}, {"n": "b5 again"}]


def test_old_lines_without_the_newer_fields_still_replay(tmp_path: Path) -> None:
    lines = [
        {"stream": "customers", "key": "1", "record": {"id": 1}},
        {"stream": "customers", "key": None, "record": {"id": None}},
        {"stream": "customers", "key": None, "record": {"id": None, "n": 2}},
        {
            "stream": "customers",
            "key": "3",
            "reason": "invalid_payload",
            "payload": {"sourceSystem": "ERP", "sourceSystemId": "3"},
            "record": None,
        },
    ]

    code, messages, err = replay(tmp_path, lines)

    assert code == 0
    assert records(messages) == [
        {"id": 1},
        {"id": None},
        {"id": None, "n": 2},
        {"sourceSystem": "ERP", "sourceSystemId": "3"},
    ]
    assert "0 lines with neither a record nor a payload" in err


def test_lines_it_cant_rebuild_are_named_by_number_and_key_never_by_value(
    tmp_path: Path,
) -> None:
    api = {"status": 400, "code": "x", "message": f"bad {LEAKED_EMAIL}", "path": "$"}
    lines = [
        line("a", "1", {"id": 1}),
        line("a", "C-7", None, api=api),
        line("a", None, None, position=9, reason="invalid_record"),
    ]

    code, messages, err = replay(tmp_path, lines)

    assert code == 0
    assert records(messages) == [{"id": 1}]
    assert "2 lines with neither a record nor a payload left out" in err
    assert "dead_letter_include_record: false" in err
    assert err.splitlines()[-2:] == [
        "  line 2 (stream 'customers', key C-7, mapping_failed)",
        "  line 3 (stream 'customers', no key, invalid_record)",
    ]
    assert LEAKED_EMAIL not in err


def test_the_schema_takes_a_fixed_value_of_another_type(tmp_path: Path) -> None:
    rejected = {"name": None, "terms": 45, "zip": "ab", "tags": ["x"], "contact": {"e": 1}}
    fixed = {"name": "Acme Ltd", "terms": "Net 45", "zip": 94213, "tags": [], "contact": {}}

    _, messages, _ = replay(tmp_path, [line("a", "1", rejected)])

    written = messages[0]["schema"]
    assert SchemaCheck(written).passes(rejected)
    assert SchemaCheck(written).passes(fixed)
    assert SchemaCheck(written).passes({**fixed, "name": True, "terms": None, "zip": 1.5})


def test_a_field_seen_only_as_a_scalar_is_never_typed_a_list_or_an_object(
    tmp_path: Path,
) -> None:
    lines = [line("a", "1", {"terms": None, "tags": ["x"]}), line("a", "2", {"terms": 30})]

    _, messages, _ = replay(tmp_path, lines)

    properties = messages[0]["schema"]["properties"]
    # Flattening turns a field that may be a list or an object into text, refusing numbers.
    assert properties["terms"] == {"type": ["boolean", "null", "number", "string"]}
    assert properties["tags"] == {"type": ["array", "boolean", "null", "number", "string"]}
