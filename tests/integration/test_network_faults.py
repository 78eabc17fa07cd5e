"""A host that can't be reached is named, with its cause, at once and at every retry."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from harness import STREAM, config, record, run_command, singer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then let go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_nothing_listening_is_named_refused_with_every_retry(tmp_path: Path) -> None:
    port = closed_port()
    cfg = config(f"http://127.0.0.1:{port}", "some-key", tmp_path, max_retries=2)

    result = run_command(cfg, singer([record(n) for n in range(1, 11)]), tmp_path)

    assert result.exit_code == 1
    lines = [line for line in result.log.splitlines() if f"127.0.0.1:{port}" in line]
    assert [line for line in lines if "retry 1 of 2" in line]
    assert [line for line in lines if "retry 2 of 2" in line]
    assert all("connection refused" in line for line in lines)
    assert any("still failing after 2 retries" in line for line in lines)
    counts = result.stream(STREAM)
    assert (counts["requests"], counts["retries"]) == (3, 2)
    assert "Traceback" not in result.log
    assert "some-key" not in result.log


def test_a_host_that_does_not_resolve_stops_after_two_attempts(tmp_path: Path) -> None:
    cfg = config("https://no-such-host.invalid", "some-key", tmp_path, max_retries=5)

    result = run_command(cfg, singer([record(1)]), tmp_path)

    assert result.exit_code == 1
    (line,) = [line for line in result.log.splitlines() if "gave up after 2 attempts" in line]
    assert "no-such-host.invalid:443" in line
    assert "DNS" in line
    assert result.stream(STREAM)["requests"] == 2


def test_tls_that_fails_stops_after_two_attempts(sandbox: SandboxHandle, tmp_path: Path) -> None:
    url = sandbox.url.replace("http://", "https://")  # the sandbox speaks plain HTTP
    cfg = config(url, sandbox.api_key, tmp_path, max_retries=5)

    result = run_command(cfg, singer([record(1)]), tmp_path)

    assert result.exit_code == 1
    (line,) = [line for line in result.log.splitlines() if "gave up after 2 attempts" in line]
    assert "TLS" in line
    assert result.stream(STREAM)["requests"] == 2
