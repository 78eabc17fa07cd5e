"""Each record that can't be loaded becomes one JSON line in the dead-letter file."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from target_upwell.delivery.deadletter import DeadLetterWriter
from target_upwell.errors import ApiProblem
from target_upwell.mapping.customer_input import Customer
from target_upwell.mapping.validation import Problem
from target_upwell.outcomes import Reason, Rejection

if TYPE_CHECKING:
    from pathlib import Path

RECORD = {"Id": "7", "DisplayName": "Acme", "Email": "ap@acme.example.com"}
CUSTOMER = Customer("QBO", "7", scalars={"name": "Acme", "emailAddress": None})
API_REJECT = Rejection(
    stream="customers",
    key="7",
    position=12,
    reason=Reason.API_REJECTED,
    api=ApiProblem(400, "constraint-violation", "Foreign key violation", "$.args.objects[3]"),
    customer=CUSTOMER,
    record=RECORD,
)
INVALID = Rejection(
    stream="customers",
    key=None,
    position=3,
    reason=Reason.INVALID_RECORD,
    problems=[Problem("Email", "must be of type string")],
    record=RECORD,
)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_file_is_opened_only_when_the_first_rejection_arrives(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=False)
    writer.sync()
    writer.close()

    assert not path.exists()
    assert not path.parent.exists()


def test_a_line_holds_the_run_stream_key_reason_api_error_and_payload(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=False)

    writer.write(API_REJECT)
    writer.close()

    (line,) = lines(path)
    assert dt.datetime.fromisoformat(line.pop("time")).utcoffset() == dt.timedelta(0)
    assert line == {
        "run_id": "run-1",
        "stream": "customers",
        "key": "7",
        "position": 12,
        "reason": "api_rejected",
        "problems": [],
        "api": {
            "status": 400,
            "code": "constraint-violation",
            "message": "Foreign key violation",
            "path": "$.args.objects[3]",
        },
        "payload": {"sourceSystem": "QBO", "sourceSystemId": "7", "name": "Acme"},
        "record": None,
    }


def test_a_line_before_any_request_has_problems_and_no_api_error(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=False)

    writer.write(INVALID)
    writer.close()

    (line,) = lines(path)
    assert (line["key"], line["reason"], line["api"], line["payload"]) == (
        None,
        "invalid_record",
        None,
        None,
    )
    assert line["problems"] == ["field Email: must be of type string"]


def test_the_original_record_is_included_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=True)

    writer.write(API_REJECT)
    writer.close()

    assert lines(path)[0]["record"] == RECORD


def test_the_record_is_left_out_by_default(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=False)

    writer.write(API_REJECT)
    writer.close()

    assert "ap@acme.example.com" not in path.read_text()


def test_each_rejection_is_appended_as_one_line_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    path.write_text('{"earlier": "run"}\n')
    writer = DeadLetterWriter(path, "run-2", include_record=False)

    writer.write(API_REJECT)
    writer.write(INVALID)
    writer.sync()

    assert writer.written == 2
    assert [line.get("reason") for line in lines(path)] == [None, "api_rejected", "invalid_record"]
    writer.close()


def test_a_line_is_readable_as_soon_as_it_is_written(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=False)

    writer.write(INVALID)

    assert len(lines(path)) == 1
    writer.close()


def test_a_write_after_close_reopens_the_file_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "rejected.jsonl"
    writer = DeadLetterWriter(path, "run-1", include_record=False)
    writer.write(INVALID)
    writer.close()

    writer.write(API_REJECT)
    writer.close()

    assert [line["position"] for line in lines(path)] == [3, 12]
