"""The SDK's ``record_count`` metric counts every record the target received, on both paths.

The fast path never reaches the SDK's per-record increment, so the sink counts a batch at
once, with the records no batch took (rejected, skipped); the SDK's own path (stream maps
on) counts each record itself, and must not be counted twice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from harness import STREAM, config, record, run_command, singer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

RECORDS = 1000


def record_counts(log: str) -> list[int]:
    """The values of the stream's ``record_count`` METRIC lines, in order."""
    points = [
        json.loads(line.split("METRIC: ", 1)[1]) for line in log.splitlines() if "METRIC: " in line
    ]
    return [
        p["value"]
        for p in points
        if p["metric"] == "record_count" and p["tags"].get("stream") == STREAM
    ]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param({}, id="fast-path"),
        pytest.param({"stream_maps": {STREAM: {"loaded_by": "'sdk'"}}}, id="sdk-path"),
    ],
)
def test_record_count_is_the_number_of_records(
    sandbox: SandboxHandle, tmp_path: Path, path: dict[str, Any]
) -> None:
    records = [record(n) for n in range(1, RECORDS + 1)]
    records[9]["Contact"]["Email"] = "not an email"  # rejected: no batch takes it
    records[19]["Terms"] = 30  # refused by the tap's schema
    cfg = config(
        sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=300, max_rejected_records=2, **path
    )

    result = run_command(cfg, singer(records), tmp_path)

    assert result.exit_code == 0, result.log[-3000:]
    assert result.stream()["received"] == RECORDS
    # One line at the end of a short run; a long run adds a line a minute. Their sum counts.
    assert sum(record_counts(result.log)) == RECORDS
