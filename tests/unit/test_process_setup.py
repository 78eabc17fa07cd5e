"""The command sets up its process before the target runs; nothing else touches the process."""

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
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc.enable()
    sys.setswitchinterval(interval)


def test_the_command_runs_the_target_with_a_rare_collector_and_a_short_switch_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[bool, tuple[int, ...], float]] = []
    monkeypatch.setattr(
        TargetUpwell,
        "cli",
        lambda: seen.append((gc.isenabled(), gc.get_threshold(), sys.getswitchinterval())),
    )
    command.main()
    assert seen == [(True, command.COLLECTOR_THRESHOLDS, command.SWITCH_INTERVAL)]


def test_the_command_loads_the_target_with_the_collector_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(command, "collect_less_often", lambda: seen.append(gc.isenabled()))
    monkeypatch.setattr(TargetUpwell, "cli", lambda: None)
    command.main()
    assert seen == [False]


def test_a_run_leaves_the_collector_as_it_found_it() -> None:
    gc.disable()
    Run(from_config({"api_key": "test-key", "source_system": "QBO"}), logging.getLogger("t"))
    assert not gc.isenabled()
