"""Each mapping preset loads records shaped exactly like its tap's output.

The fixtures in tests/data/presets hold records as each tap emits them, and the insert
input expected for each after normalisation (``$parent:<id>`` stands for the Upwell id of
the customer whose sourceSystemId is ``<id>``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from harness import load

from target_upwell import contract
from target_upwell.mapping.routing import load_preset, preset_names

if TYPE_CHECKING:
    from tests.conftest import SandboxHandle

DATA = Path(__file__).parent.parent / "data" / "presets"
SOURCE_SYSTEM = "PRESET-TEST"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _singer(stream: str, records: list[dict[str, Any]]) -> str:
    schema = {"type": "object", "properties": {}}
    messages = [{"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": []}]
    messages += [{"type": "RECORD", "stream": stream, "record": r} for r in records]
    messages.append({"type": "STATE", "value": {"done": True}})
    return "".join(json.dumps(m) + "\n" for m in messages)


def _as_input(customer: dict[str, Any]) -> dict[str, Any]:
    """A stored customer in CustomersInsertInput's shape, nulls dropped."""
    wanted = {"sourceSystemId", "name", "emailAddress", "ccEmailAddresses", "billToCustomerId"}
    shaped = {k: v for k, v in customer.items() if k in wanted | {"metadata"} and v is not None}
    user_metadata = {k: v for k, v in shaped.pop("metadata").items() if k != contract.STAMP_KEY}
    if user_metadata:  # the fingerprint the target adds is not the preset's
        shaped["metadata"] = user_metadata
    if customer.get("deletedAt"):
        shaped["deletedAt"] = _instant(customer["deletedAt"])
    if customer["addresses"]:
        addresses = [
            {k: v for k, v in a.items() if k != "id" and v is not None}
            for a in customer["addresses"]
        ]
        shaped["addresses"] = {"data": addresses}
    if customer.get("customerRule"):
        shaped["customerRule"] = {"data": {"dueOption": customer["customerRule"]["dueOption"]}}
    return shaped


def _expected(preset: str, ids: dict[str, str]) -> list[dict[str, Any]]:
    expected = []
    for payload in _lines(DATA / f"{preset}.expected.jsonl"):
        parent = payload.get("billToCustomerId", "")
        if parent.startswith("$parent:"):
            payload["billToCustomerId"] = ids[parent.removeprefix("$parent:")]
        if "deletedAt" in payload:
            payload["deletedAt"] = _instant(payload["deletedAt"])
        expected.append(payload)
    return expected


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("batch_size_rows", [500, 1], ids=["one batch", "a batch per record"])
@pytest.mark.parametrize("preset", preset_names())
def test_a_preset_loads_its_taps_records(
    sandbox: SandboxHandle, tmp_path: Path, preset: str, batch_size_rows: int
) -> None:
    stream, _ = load_preset(preset)
    config = {
        "api_key": sandbox.api_key,
        "api_url": sandbox.url,
        "source_system": SOURCE_SYSTEM,
        "mapping_preset": preset,
        "batch_size_rows": batch_size_rows,
        "dead_letter_file": str(tmp_path / "rejected.jsonl"),
    }

    result = load(config, _singer(stream, _lines(DATA / f"{preset}.jsonl")))

    assert result.exit_code == 0, result.dead_letter
    stored = sandbox.customers()
    ids = {c["sourceSystemId"]: c["id"] for c in stored}
    by_key = {c["sourceSystemId"]: _as_input(c) for c in stored}
    expected = _expected(preset, ids)
    assert sorted(by_key) == sorted(e["sourceSystemId"] for e in expected)
    for payload in expected:
        assert by_key[payload["sourceSystemId"]] == payload
    assert {c["sourceSystem"] for c in stored} == {SOURCE_SYSTEM}


def test_mapping_overrides_a_preset_field_by_field(sandbox: SandboxHandle, tmp_path: Path) -> None:
    config = {
        "api_key": sandbox.api_key,
        "api_url": sandbox.url,
        "source_system": SOURCE_SYSTEM,
        "mapping_preset": "stripe",
        "mapping": {"customers": {"name": "'Overridden'"}},
        "dead_letter_file": str(tmp_path / "rejected.jsonl"),
    }

    load(config, _singer("customers", _lines(DATA / "stripe.jsonl")[:1]))

    (stored,) = sandbox.customers()
    assert stored["name"] == "Overridden"
    assert stored["emailAddress"] == "billing@acmerobotics.com"


def test_a_parent_that_is_never_found_is_rejected(sandbox: SandboxHandle, tmp_path: Path) -> None:
    child = next(r for r in _lines(DATA / "quickbooks.jsonl") if r.get("BillWithParent"))
    config = {
        "api_key": sandbox.api_key,
        "api_url": sandbox.url,
        "source_system": SOURCE_SYSTEM,
        "mapping_preset": "quickbooks",
        "max_rejected_records": 1,
        "dead_letter_file": str(tmp_path / "rejected.jsonl"),
    }

    result = load(config, _singer("customers", [child]))

    assert sandbox.customers() == []
    assert [line["reason"] for line in result.dead_letter] == ["parent_not_found"]
    assert result.states == [{"done": True}]
