"""A batch that let its items go (packed) still settles every row when its insert fails.

In a load of new customers, the batches after the first search are packed: their body is
made ahead and their items let go; a failed insert unpacks them from the body. Each test
sends one such batch through the reconciler to the sandbox, with a fault that needs the items.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from harness import MAPPING, STREAM, config, load, record, singer

from target_upwell.delivery.batching import Item
from target_upwell.delivery.client import UpwellClient
from target_upwell.delivery.load_state import LoadOptions, Report, RowCap
from target_upwell.delivery.packing import CHUNK_ROWS, Packed, PackedBatch, Shape
from target_upwell.delivery.reconcile import Reconciler
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.mapping.field_map import compile_mapping
from target_upwell.outcomes import Outcome

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.conftest import SandboxHandle

SYSTEM = "ERP"


def packed_batch(records: list[dict[str, Any]]) -> PackedBatch:
    """The records mapped as the sink maps them, in a batch that has packed its items."""
    field_map = compile_mapping(MAPPING[STREAM])
    items = []
    for position, rec in enumerate(records, start=1):
        mapped = field_map.apply(rec, SYSTEM)
        assert mapped is not None
        items.append(Item(mapped[0], position, mapped[1]))
    batch = PackedBatch(STREAM, items, None, token=1)
    batch.make(Shape(field_map.scalars, field_map.addresses))
    assert batch._items == []
    return batch


def load_batch(
    sandbox: SandboxHandle,
    batch: PackedBatch,
    *,
    cap: RowCap | None = None,
    max_bytes: int = 5 * 1024 * 1024,
    new_keys: bool = True,
) -> Report:
    client = UpwellClient(
        sandbox.url, sandbox.api_key, timeout=5, policy=RetryPolicy(3, sleep=time.sleep)
    )
    options = LoadOptions(upsert=True, max_retries=3, max_bytes=max_bytes)
    reconciler = Reconciler(client, options, cap or RowCap(500))
    reconciler.note_search(STREAM, found=not new_keys)  # as after the stream's last search
    try:
        return reconciler.load(batch)
    finally:
        client.close()


def names(sandbox: SandboxHandle) -> dict[str, str]:
    return {c["sourceSystemId"]: c["name"] for c in sandbox.customers()}


def test_a_packed_batch_that_meets_existing_keys_updates_them(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(n) for n in (1, 2)]))
    batch = packed_batch([record(n, name=f"Renamed {n}") for n in range(1, 6)])

    report = load_batch(sandbox, batch)

    assert (report.outcomes[Outcome.CREATED], report.outcomes[Outcome.UPDATED]) == (3, 2)
    assert names(sandbox) == {str(n): f"Renamed {n}" for n in range(1, 6)}


def test_a_packed_batch_whose_insert_landed_unanswered_counts_each_row_once(
    sandbox: SandboxHandle,
) -> None:
    sandbox.set_faults([{"kind": "drop_after", "every": 1, "endpoint": "bulk-customers"}])
    batch = packed_batch([record(n) for n in range(1, 6)])

    report = load_batch(sandbox, batch)

    # Found after the drop, each row holds what was sent: created, not updated.
    assert dict(report.outcomes) == {Outcome.CREATED: 5}
    assert sorted(names(sandbox)) == ["1", "2", "3", "4", "5"]


def test_a_packed_batch_too_large_for_one_request_is_split(sandbox: SandboxHandle) -> None:
    sandbox.set_faults([{"kind": "max_inputs", "max": 2}])
    batch = packed_batch([record(n) for n in range(1, 6)])

    report = load_batch(sandbox, batch)

    assert dict(report.outcomes) == {Outcome.CREATED: 5}
    assert len(names(sandbox)) == 5


def test_a_row_refused_from_a_packed_batch_is_rejected_with_its_key_and_position(
    sandbox: SandboxHandle,
) -> None:
    records = [record(n) for n in range(1, 6)]
    records[2]["Company Name"] = None  # Upwell needs a name: the insert fails for every row
    batch = packed_batch(records)

    report = load_batch(sandbox, batch)

    assert dict(report.outcomes) == {Outcome.CREATED: 4}
    assert [(r.key, r.position) for r in report.rejections] == [("3", 3)]
    assert sorted(names(sandbox)) == ["1", "2", "4", "5"]


def test_a_load_whose_batches_were_packed_in_chunks_lands_each_customer_once(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks: list[int] = []
    add = Packed.add
    monkeypatch.setattr(
        Packed, "add", lambda self, items: (chunks.append(len(items)), add(self, items))
    )
    # Slow answers: the first batch's search is back before the later batches are mapped,
    # so their sink packs them in chunks; every second insert then lands unanswered.
    sandbox.set_faults(
        [
            {"kind": "latency", "ms": 30},
            {"kind": "drop_after", "every": 2, "endpoint": "bulk-customers"},
        ]
    )
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=250)
    cfg["max_concurrent_requests"] = 1

    result = load(cfg, singer([record(n) for n in range(1, 1501)]))

    sandbox.set_faults([])
    assert CHUNK_ROWS in chunks
    assert result.exit_code == 0, result.log
    assert (result.stream()["created"], result.stream()["updated"]) == (1500, 0)
    assert sorted(int(key) for key in names(sandbox)) == list(range(1, 1501))


def test_a_packed_batch_over_a_lowered_row_cap_is_cut_before_it_is_sent(
    sandbox: SandboxHandle,
) -> None:
    sandbox.set_faults([{"kind": "max_inputs", "max": 2}])
    cap = RowCap(500)
    cap.lower(2)  # as after an earlier 413 in the run

    report = load_batch(sandbox, packed_batch([record(n) for n in range(1, 6)]), cap=cap)

    assert (report.outcomes[Outcome.CREATED], report.rejections) == (5, [])
    assert "413" not in sandbox.stats()["requests"]["bulk-customers"]


def test_a_packed_batch_over_the_byte_limit_is_cut_by_bytes_and_the_cap_holds(
    sandbox: SandboxHandle,
) -> None:
    batch = packed_batch([record(n) for n in range(1, 6)])
    cap = RowCap(500)

    report = load_batch(sandbox, batch, cap=cap, max_bytes=len(batch._made or b"") // 2)

    assert (report.outcomes[Outcome.CREATED], report.rejections) == (5, [])
    assert sum(sandbox.stats()["requests"]["bulk-customers"].values()) > 1
    assert cap.rows == 500


def test_a_packed_batch_of_a_stream_that_searches_again_is_searched_and_upserted(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1)]))
    batch = packed_batch([record(n, name=f"Renamed {n}") for n in range(1, 4)])

    report = load_batch(sandbox, batch, new_keys=False)

    assert (report.outcomes[Outcome.CREATED], report.outcomes[Outcome.UPDATED]) == (2, 1)
    assert names(sandbox) == {str(n): f"Renamed {n}" for n in range(1, 4)}


def test_a_packed_batch_holding_a_key_twice_lands_the_later_record(sandbox: SandboxHandle) -> None:
    batch = packed_batch([record(1), record(2), record(1, name="Later")])

    report = load_batch(sandbox, batch)

    assert dict(report.outcomes) == {Outcome.MERGED: 1, Outcome.CREATED: 2}
    assert names(sandbox)["1"] == "Later"
