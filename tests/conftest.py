"""Shared fixtures and hypothesis profiles for the whole suite.

Hypothesis: ``ci`` (picked when ``CI`` is set) has no deadline, a bounded number of examples
and derandomized runs, so the suite stays well inside CI's time on 2 cores and gives the same
examples every run; ``dev`` explores new examples each run.

Sandbox: one sandbox process per test session, reset before each test that uses it.

``sandbox`` is the fixture most tests want: a `SandboxHandle` on a fresh, empty sandbox with
two tenants (``test-key`` and ``other-tenant-key``) and no fault rules. ``start_sandbox``
starts extra sandbox processes with their own arguments, for command-line tests.
"""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=50, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if "CI" in os.environ else "dev")

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test-key"
OTHER_KEY = "other-tenant-key"
TIMEOUT = 30  # seconds: a bound for a stuck process or request, never a timing assertion


@dataclasses.dataclass(frozen=True)
class SandboxHandle:
    """A running sandbox: its base URL, its two tenants' keys, and its admin endpoints."""

    url: str
    api_key: str = API_KEY
    other_key: str = OTHER_KEY

    def reset(self) -> None:
        """Empty every table, zero the stats, remove every fault rule, restore the readings."""
        response = requests.post(f"{self.url}/_sandbox/reset", timeout=TIMEOUT)
        response.raise_for_status()

    def set_faults(self, rules: list[dict[str, Any]], seed: int = 0) -> None:
        """Replace the fault plan (rule counters restart from zero).

        Args:
            rules: Fault rules in their JSON form, e.g. ``{"kind": "status", "status": 503}``.
            seed: The seed of the generator behind ``rate`` rules.
        """
        body = {"rules": rules, "seed": seed}
        response = requests.put(f"{self.url}/_sandbox/faults", json=body, timeout=TIMEOUT)
        assert response.status_code == 200, response.text

    def stats(self) -> dict[str, Any]:
        """The sandbox's counters: ``requests``, ``rows_inserted``, ``rows_updated``, ..."""
        response = requests.get(f"{self.url}/_sandbox/stats", timeout=TIMEOUT)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def customers(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every customer of a tenant, in id order, as stored (``GET /_sandbox/customers``).

        Args:
            api_key: The tenant's key; defaults to `api_key`.

        Returns:
            The stored rows whole: every column, including those the API never returns
            (``collectorId``, ``deletedAt``, ...), and soft-deleted customers.
        """
        headers = {"Authorization": api_key or self.api_key}
        response = requests.get(f"{self.url}/_sandbox/customers", headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        customers: list[dict[str, Any]] = response.json()["customers"]
        return customers

    def set_readings(self, **readings: object) -> dict[str, Any]:
        """Change some readings (``PUT /_sandbox/readings``); `reset` restores the startup ones.

        Args:
            readings: Readings by name, e.g. ``duplicate_status=409``.

        Returns:
            Every reading in force afterwards.
        """
        response = requests.put(f"{self.url}/_sandbox/readings", json=readings, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def readings(self) -> dict[str, Any]:
        """The readings in force: ``search_max_limit``, ``duplicate_status``, ..."""
        response = requests.get(f"{self.url}/_sandbox/readings", timeout=TIMEOUT)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


class SandboxProcess:
    """A sandbox started as ``python -m target_upwell.sandbox serve ...``, for one test or all."""

    def __init__(self, args: Sequence[str], log: Path) -> None:
        """Start the process and wait for the base URL on the first line of its stdout.

        Args:
            args: Arguments after ``serve``.
            log: Where its stderr goes.
        """
        self.log = log
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        command = [sys.executable, "-m", "target_upwell.sandbox", "serve", "--port", "0", *args]
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr
            )
        self.url = self._read_url()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send a signal, wait for the exit, and return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=TIMEOUT)
        finally:
            assert self.process.stdout is not None
            self.process.stdout.close()

    def log_text(self) -> str:
        """What the process wrote on stderr so far."""
        return self.log.read_text(errors="replace")

    def _read_url(self) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], TIMEOUT)
        line = stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://"):
            self.process.kill()
            self.process.wait()
            stdout.close()
            pytest.fail(f"the sandbox printed no URL (stdout {line!r}); stderr:\n{self.log_text()}")
        return line


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """The session's sandbox process, with tenants ``test-key`` and ``other-tenant-key``."""
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    process = SandboxProcess(["--api-key", API_KEY, "--api-key", OTHER_KEY], log)
    yield process
    status = process.stop()
    assert status == 0, f"the sandbox exited with {status}; stderr:\n{process.log_text()}"


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess) -> SandboxHandle:
    """The session's sandbox, reset: no customers, zero stats, no fault rules."""
    handle = SandboxHandle(sandbox_process.url)
    handle.reset()
    return handle


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """A factory: ``start_sandbox("--db", path)`` starts another sandbox, stopped at teardown."""
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        process = SandboxProcess(args, tmp_path / f"sandbox-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop(signal.SIGKILL)  # only if the test left it running
