"""Run ``target-upwell`` with any arguments and environment, and read its exit, log and STATE.

``harness.run_command`` always passes one ``--config FILE``; the tests of bad configs and bad
input need other command lines (``--config ENV``, ``--input``, a file that is not JSON), a
clean ``TARGET_UPWELL_*`` environment, and stdin that may stay open.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import TIMEOUT

PREFIX = "TARGET_UPWELL_"


@dataclass
class Ran:
    """What one run of the command left behind."""

    exit_code: int
    stdout: str
    log: str

    @property
    def states(self) -> list[dict[str, Any]]:
        """Every STATE line on stdout."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    @property
    def summary(self) -> dict[str, Any] | None:
        """The machine-readable summary line, if the run printed one."""
        for line in self.log.splitlines():
            if line.startswith('{"target_upwell_summary"'):
                found: dict[str, Any] = json.loads(line)["target_upwell_summary"]
                return found
        return None

    def lines(self, level: str) -> list[str]:
        """The messages of the log lines at ``level`` (``ERROR``, ``WARNING``)."""
        return [line.split(" | ", 3)[-1] for line in self.log.splitlines() if f"| {level} " in line]


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any ``TARGET_UPWELL_*``, plus ``variables``."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(PREFIX)}
    return {**kept, **variables}


def run(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> Ran:
    """``python -m target_upwell ARGS``, fed ``stdin`` and then end of input."""
    completed = subprocess.run(
        [sys.executable, "-m", "target_upwell", *args],
        input=stdin,
        capture_output=True,
        env=env or environment(),
        timeout=TIMEOUT * 5,
        check=False,
    )
    return Ran(
        completed.returncode,
        completed.stdout.decode(),
        completed.stderr.decode(errors="replace"),
    )


def run_with_stdin_open(args: list[str], env: dict[str, str] | None = None) -> Ran:
    """The command with stdin left open, as behind a tap that has not written yet.

    A command that reads stdin would wait for ever; one that returns has read nothing.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "target_upwell", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env or environment(),
    )
    try:
        exit_code = process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        exit_code = process.wait()
        pytest.fail("the command waited for input instead of stopping at its config")
    finally:
        assert process.stdin is not None
        process.stdin.close()
    assert process.stdout is not None
    assert process.stderr is not None
    with process.stdout, process.stderr:
        return Ran(exit_code, process.stdout.read().decode(), process.stderr.read().decode())
