"""A CA bundle variable naming no file stops the run in one line that names the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness import config, record, run_command, singer

if TYPE_CHECKING:
    from pathlib import Path


def test_a_missing_ca_bundle_stops_the_run_in_one_line(tmp_path: Path) -> None:
    bundle = tmp_path / "missing-bundle.pem"
    # requests checks the bundle before it connects: nothing need listen on the port.
    cfg = config("https://127.0.0.1:9", "some-key", tmp_path, max_retries=5)

    result = run_command(
        cfg, singer([record(1)]), tmp_path, env={"REQUESTS_CA_BUNDLE": str(bundle)}
    )

    assert result.exit_code == 1
    errors = [line for line in result.log.splitlines() if "| ERROR " in line]
    assert len(errors) == 1
    assert str(bundle) in errors[0]
    assert "REQUESTS_CA_BUNDLE" in errors[0]
    assert "Traceback" not in result.log
    assert "some-key" not in result.log
    assert result.states == []  # nothing was loaded, so no STATE is released
    assert result.stream()["retries"] == 0  # retrying can't mend a missing file
