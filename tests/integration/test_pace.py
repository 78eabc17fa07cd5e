"""One pace for the whole run, against the sandbox's refusals: threads slow down together."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from typing import TYPE_CHECKING

from harness import config, record, singer

from target_upwell import settings
from target_upwell.delivery.client import Tally, UpwellClient
from target_upwell.delivery.pace import ABSORB_IN_A_ROW, Pace, Verdict
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.errors import RetriesExhaustedError, StoppingError
from target_upwell.run import Run, RunStoppedError
from target_upwell.target import TargetUpwell

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from tests.conftest import SandboxHandle


def load_recording_waits(cfg: dict[str, Any], text: str) -> tuple[int, list[tuple[str, float]]]:
    """Run in this process; each wait is recorded with its thread, never spent."""
    waits: list[tuple[str, float]] = []
    target = TargetUpwell(config=cfg)

    def sleep(seconds: float) -> None:
        waits.append((threading.current_thread().name, seconds))

    target._run = Run(settings.from_config(dict(target.config)), target.logger, sleep)
    exit_code = 0
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            target.listen(io.StringIO(text))
        except RunStoppedError as exc:
            exit_code = exc.exit_code
    return exit_code, waits


def test_one_retry_after_pauses_every_thread(sandbox: SandboxHandle, tmp_path: Path) -> None:
    # Refusals shrink the window to one request; a refusal then pauses the whole run.
    refusal = {"kind": "status", "status": 429, "retry_after": "seconds", "every": 4}
    sandbox.set_faults([{**refusal, "retry_after_seconds": 40}])
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=20)

    exit_code, waits = load_recording_waits(cfg, singer([record(n) for n in range(1, 301)]))

    sandbox.set_faults([])
    assert exit_code == 0
    assert len(sandbox.customers()) == 300
    paused = {thread for thread, seconds in waits if seconds > 30}
    assert len(paused) > 1  # not only the refused request's thread waited


def test_a_503_that_never_clears_still_ends_the_run(sandbox: SandboxHandle, tmp_path: Path) -> None:
    sandbox.set_faults([{"kind": "status", "status": 503, "every": 1}])
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, max_retries=3)

    exit_code, waits = load_recording_waits(cfg, singer([record(n) for n in range(1, 11)]))

    sandbox.set_faults([])
    assert exit_code == 1
    made = sum(sum(counts.values()) for counts in sandbox.stats()["requests"].values())
    assert made <= 4 * (16 + 3 + 1)  # each thread: absorbed refusals, then its retries
    assert waits
    assert sandbox.customers() == []


def paced_client(sandbox: SandboxHandle, pace: Pace, stop: threading.Event) -> UpwellClient:
    policy = RetryPolicy(2, sleep=lambda _: None)
    return UpwellClient(
        sandbox.url, sandbox.api_key, timeout=30, policy=policy, pace=pace, stop=stop
    )


def test_a_request_that_waited_for_its_place_is_not_sent_once_the_run_stops(
    sandbox: SandboxHandle,
) -> None:
    pace, stop = Pace(1, sleep=lambda _: None), threading.Event()
    client = paced_client(sandbox, pace, stop)
    held = pace.enter()  # the only place in the window is taken
    failures: list[BaseException] = []

    def search() -> None:
        try:
            client.find("ERP", ["1"], Tally())
        except StoppingError as exc:
            failures.append(exc)

    waiting = threading.Thread(target=search)
    waiting.start()
    for _ in range(3000):  # until it waits for the place (a bound, not a timing test)
        if pace._changed._waiters:
            break
        time.sleep(0.01)
    stop.set()
    pace.leave(held, Verdict.DONE, count=False)
    waiting.join(30)

    assert len(failures) == 1
    assert sandbox.stats()["requests"] == {}


def test_one_request_refused_forever_ends_though_others_succeed(sandbox: SandboxHandle) -> None:
    sandbox.set_faults([{"kind": "status", "status": 429, "endpoint": "customers-search"}])
    stop = threading.Event()
    client = paced_client(sandbox, Pace(4, sleep=lambda _: None), stop)
    outcome: list[BaseException] = []

    def refused() -> None:
        try:
            client.find("ERP", ["1"], Tally())
        except RetriesExhaustedError as exc:
            outcome.append(exc)

    searching = threading.Thread(target=refused)
    searching.start()
    while searching.is_alive() and len(outcome) == 0:
        client.check_key(Tally())  # successes elsewhere keep the pace from counting refusals
        searching.join(0.01)
    searching.join(30)

    sandbox.set_faults([])
    assert len(outcome) == 1
    assert sandbox.stats()["requests"]["customers-search"]["429"] <= ABSORB_IN_A_ROW + 3
