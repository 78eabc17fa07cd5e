"""The target as a command: exit codes, stdout that holds only STATE, nothing leaked."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from harness import STREAM, config, record, run_command, singer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

SECRET_KEY = "sk-live-DO-NOT-LEAK-4242"  # noqa: S105 (a fake key, to prove it never shows)


def test_a_wrong_key_fails_fast_in_one_clear_line(sandbox: SandboxHandle, tmp_path: Path) -> None:
    cfg = config(sandbox.url, SECRET_KEY, tmp_path)

    result = run_command(cfg, singer([record(n) for n in range(1, 11)]), tmp_path)

    assert result.exit_code == 1
    assert result.states == []
    errors = [line for line in result.log.splitlines() if "ERROR" in line]
    assert len(errors) == 1
    assert "rejected the API key" in errors[0]
    assert "Traceback" not in result.log
    assert SECRET_KEY not in result.log
    assert sandbox.stats()["requests"] == {"customers-search": {"401": 1}}


def test_debug_logs_never_show_the_key(sandbox: SandboxHandle, tmp_path: Path) -> None:
    # The sandbox knows only its own keys, so the run fails; both paths are logged at DEBUG.
    good = run_command(
        config(sandbox.url, sandbox.api_key, tmp_path),
        singer([record(1)]),
        tmp_path,
        env={"TARGET_UPWELL_LOGLEVEL": "DEBUG"},
    )
    bad = run_command(
        config(sandbox.url, SECRET_KEY, tmp_path),
        singer([record(2)]),
        tmp_path,
        env={"TARGET_UPWELL_LOGLEVEL": "DEBUG"},
    )

    assert good.exit_code == 0
    assert "DEBUG" in good.log
    assert sandbox.api_key not in good.log
    assert SECRET_KEY not in bad.log


def test_stdout_holds_only_state(sandbox: SandboxHandle, tmp_path: Path) -> None:
    result = run_command(
        config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=50),
        singer([record(n) for n in range(1, 301)], state_every=1),
        tmp_path,
    )

    assert result.exit_code == 0
    assert all(set(state) == {"bookmarks"} for state in result.states)
    # A STATE per record comes in; at most one per settled batch goes out.
    assert 1 <= len(result.states) <= 300 // 50
    assert result.states[-1] == {"bookmarks": {STREAM: {"seen": 300}}}


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "RECORD", "record": {"id": 7, "name": "Jane Private-Person"}},
        {"stream": STREAM, "record": {"id": 7, "name": "Jane Private-Person"}},
    ],
    ids=["record-without-stream", "message-without-type"],
)
def test_a_malformed_message_is_named_without_its_content(
    sandbox: SandboxHandle, tmp_path: Path, bad: dict[str, object]
) -> None:
    text = singer([record(1)]) + json.dumps(bad) + "\n"

    result = run_command(config(sandbox.url, sandbox.api_key, tmp_path), text, tmp_path)

    assert result.exit_code != 0
    assert "has no" in result.log
    assert "Private-Person" not in result.log


def test_too_many_rejects_exit_3_naming_the_file(sandbox: SandboxHandle, tmp_path: Path) -> None:
    records = [record(n) for n in range(1, 21)]
    records[4]["Company Name"] = None
    records[9]["BillAddr"]["Country"] = "Atlantis"

    result = run_command(config(sandbox.url, sandbox.api_key, tmp_path), singer(records), tmp_path)

    assert result.exit_code == 3
    assert "2 records were rejected (1 invalid_payload, 1 mapping_failed)" in result.log
    assert str(tmp_path / "rejected.jsonl") in result.log
    assert len(sandbox.customers()) == 18
    assert result.states[-1] == {"bookmarks": {STREAM: {"seen": 20}}}
    assert (
        f"Stream '{STREAM}', record 5 (input record 5): invalid_payload: field name: is required"
        in result.log
    )
    assert (
        f"Stream '{STREAM}', record 10 (input record 10): mapping_failed:"
        " field addresses[0].country: is not a country (an ISO 3166 code or name)"
    ) in result.log
    assert "Atlantis" not in result.log
    assert "ap.5@example.com" not in result.log.lower()


def test_sigterm_finishes_what_is_in_flight_and_exits_143(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    sandbox.set_faults([{"kind": "latency", "ms": 300}])
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=20)
    process = _start(cfg, tmp_path, singer([record(n) for n in range(1, 101)], state_every=20))
    _wait_for_requests(sandbox, 2)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)

    sandbox.set_faults([])
    assert process.returncode == 143
    assert '{"target_upwell_summary"' in stderr.decode()
    states = [json.loads(line) for line in stdout.decode().splitlines()]
    settled = {int(c["sourceSystemId"]) for c in sandbox.customers()}
    for state in states:
        assert set(range(1, state["bookmarks"][STREAM]["seen"] + 1)) <= settled


def test_killed_at_any_point_and_resumed_loses_and_duplicates_nothing(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    records = [record(n) for n in range(1, 1201)]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=50)
    sandbox.set_faults([{"kind": "latency", "ms": 20}])
    seen = 0
    for kill_after_requests in (3, 9, 17):
        text = singer(records[seen:], state_every=25)
        text = text.replace('"seen": ', '"seen_from_resume": ')  # positions restart per run
        process = _start(cfg, tmp_path, text)
        _wait_for_requests(sandbox, kill_after_requests)
        process.kill()
        stdout, _ = process.communicate(timeout=60)
        states = [json.loads(line) for line in stdout.decode().splitlines()]
        if states:
            seen += states[-1]["bookmarks"][STREAM]["seen_from_resume"]
    final = run_command(cfg, singer(records[seen:]), tmp_path)

    sandbox.set_faults([])
    assert final.exit_code == 0
    keys = [c["sourceSystemId"] for c in sandbox.customers()]
    assert len(keys) == len(set(keys)) == 1200


def _start(cfg: dict, tmp_path: Path, text: str) -> subprocess.Popen[bytes]:
    """The target as a process whose stdin stays open, as if the tap were still running."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(cfg))
    process = subprocess.Popen(
        [sys.executable, "-m", "target_upwell", "--config", str(config_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(text.encode())
    process.stdin.flush()
    return process


def _wait_for_requests(sandbox: SandboxHandle, count: int) -> None:
    """Poll the sandbox's counters (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        made = sum(sum(s.values()) for s in sandbox.stats()["requests"].values())
        if made >= count:
            return
        time.sleep(0.02)
    msg = f"the target made fewer than {count} requests"
    raise AssertionError(msg)


@pytest.mark.parametrize("latency_ms", [300, 2000])
def test_the_summary_after_sigterm_counts_what_landed_in_flight_too(
    sandbox: SandboxHandle, tmp_path: Path, latency_ms: int
) -> None:
    sandbox.set_faults([{"kind": "latency", "ms": latency_ms}])
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=100)
    process = _start(cfg, tmp_path, singer([record(n) for n in range(1, 3001)], state_every=100))
    _wait_for_in_flight(sandbox, 4)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    sandbox.set_faults([])
    assert process.returncode == 143
    counts = _summary(stderr)
    landed = len(sandbox.customers())
    assert landed > 0
    assert counts["created"] == landed
    assert counts["requests"] == sum(sum(s.values()) for s in sandbox.stats()["requests"].values())


def test_after_sigterm_updates_made_by_a_batch_cut_short_are_counted(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=50)
    run_command(cfg, singer([record(n) for n in range(1, 201)]), tmp_path)
    sandbox.set_faults([{"kind": "latency", "ms": 100}])
    before = sandbox.stats()
    renamed = [record(n, name=f"Renamed {n}") for n in range(1, 201)]
    process = _start(cfg, tmp_path, singer(renamed, state_every=50))
    _wait_for_requests(sandbox, sum(sum(s.values()) for s in before["requests"].values()) + 12)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    sandbox.set_faults([])
    assert process.returncode == 143
    after = sandbox.stats()
    counts = _summary(stderr)
    assert counts["updated"] == after["rows_updated"] - before["rows_updated"] > 0
    assert counts["requests"] == sum(sum(s.values()) for s in after["requests"].values()) - sum(
        sum(s.values()) for s in before["requests"].values()
    )


def _summary(stderr: bytes) -> dict[str, Any]:
    """The stream's numbers in the summary line the target wrote last."""
    summary = next(
        json.loads(line)["target_upwell_summary"]
        for line in stderr.decode().splitlines()
        if line.startswith('{"target_upwell_summary"')
    )
    counts: dict[str, Any] = summary["streams"][STREAM]
    return counts


def _wait_for_in_flight(sandbox: SandboxHandle, count: int) -> None:
    """Poll until ``count`` requests are in the sandbox at once (a bound, not a timing test)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sandbox.stats()["in_flight"] >= count:
            return
        time.sleep(0.01)
    msg = f"never {count} requests in flight"
    raise AssertionError(msg)
