"""The command sets up its process before the target loads, and the run undoes what must be."""

from __future__ import annotations

import gc
import logging
import sys
from typing import TYPE_CHECKING

import pytest

from target_upwell import __main__ as command
from target_upwell.run import Run
from target_upwell.settings import from_config
from target_upwell.target import TargetUpwell

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _restored() -> Iterator[None]:
    interval = sys.getswitchinterval()
    yield
    gc.enable()
    sys.setswitchinterval(interval)


def test_the_command_loads_with_the_collector_off_and_a_short_switch_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[bool, float]] = []
    monkeypatch.setattr(
        TargetUpwell, "cli", lambda: seen.append((gc.isenabled(), sys.getswitchinterval()))
    )
    command.main()
    assert seen == [(False, command.SWITCH_INTERVAL)]


def test_a_run_turns_the_collector_back_on() -> None:
    gc.disable()
    Run(from_config({"api_key": "test-key", "source_system": "QBO"}), logging.getLogger("t"))
    assert gc.isenabled()
