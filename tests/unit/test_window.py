"""The window: batches queue while it is full, leave in order, and never overlap a key."""

from __future__ import annotations

import errno
import json
import threading
import time
from typing import TYPE_CHECKING, cast

import pytest

from target_upwell.delivery.batching import Batch, Item
from target_upwell.delivery.checkpoint import Checkpoints
from target_upwell.delivery.deadletter import DeadLetterWriter
from target_upwell.delivery.load_state import LoadOptions, Report
from target_upwell.delivery.window import Window
from target_upwell.mapping.customer_input import Customer
from target_upwell.outcomes import Rejection, Summary

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from target_upwell.delivery.reconcile import Reconciler

WAIT = 10.0  # seconds; only a hang would reach it


class HeldReconciler:
    """Each batch's load waits until the test lets it end, so the window stays full.

    A batch named in ``defer`` ends with all its customers waiting for their parent.
    """

    def __init__(self, *, upsert: bool = True) -> None:
        self.options = LoadOptions(upsert=upsert, max_retries=0)
        self.defer: set[str] = set()
        self.started: list[str] = []
        self.sent: list[list[str]] = []  # each started batch's keys, in its order
        self.ended: list[str] = []
        self.running: set[tuple[str, str]] = set()
        self.overlaps: list[tuple[str, str]] = []
        self._release: dict[str, threading.Event] = {}
        self._changed = threading.Condition()

    def load(self, batch: Batch, *, final: bool = False, report: Report | None = None) -> Report:
        name = batch.items[0].customer.source_id
        with self._changed:
            self.overlaps.extend(batch.keys & self.running)
            self.running |= batch.keys
            self.started.append(name)
            self.sent.append([item.customer.source_id for item in batch.items])
            self._changed.notify_all()
        self._release.setdefault(name, threading.Event()).wait(WAIT)
        if name.startswith("fail"):
            msg = "the API stopped the run"
            raise RuntimeError(msg)
        report = report or Report(batch.stream)
        if name in self.defer and not final:
            report.deferred = list(batch.items)
        with self._changed:
            self.running -= batch.keys
            self.ended.append(name)
            self._changed.notify_all()
        return report

    def release(self, name: str) -> None:
        self._release.setdefault(name, threading.Event()).set()

    def wait_started(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.started) >= count, WAIT)

    def wait_ended(self, name: str) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: name in self.ended, WAIT)


class FullDisk(DeadLetterWriter):
    """A dead-letter file that can't be written."""

    def write(self, rejection: Rejection) -> None:  # noqa: ARG002 (its signature)
        raise OSError(errno.ENOSPC, "No space left on device")


def batch(first: str, *others: str, at: int = 1) -> Batch:
    """A batch named by its first key; every name is one customer's key, from position ``at``."""
    items = [
        Item(Customer("ERP", name), position, {"sourceSystemId": name})
        for position, name in enumerate([first, *others], start=at)
    ]
    return Batch("customers", items)


@pytest.fixture
def stopping() -> threading.Event:
    """The run's stop signal, shared with the window."""
    return threading.Event()


@pytest.fixture
def held(tmp_path: Path, stopping: threading.Event) -> Iterator[tuple[Window, HeldReconciler]]:
    reconciler = HeldReconciler()
    dead_letter = DeadLetterWriter(tmp_path / "rejected.jsonl", "run", include_record=False)
    window = Window(
        cast("Reconciler", reconciler),
        Checkpoints(lambda _: None),
        Summary(),
        dead_letter,
        max_concurrent=2,
        stopping=stopping,
    )
    yield window, reconciler
    for name in ("a", "b", "c", "d", "e", "f", "fail"):
        reconciler.release(name)
    window.close()


def test_a_full_window_queues_batches_instead_of_blocking(
    held: tuple[Window, HeldReconciler],
) -> None:
    window, reconciler = held
    for name in "abcdef":
        window.submit(batch(name))  # returns at once: two in flight, four ready behind them

    reconciler.wait_started(2)
    assert reconciler.started == ["a", "b"]
    reconciler.release("a")
    reconciler.wait_started(3)
    assert reconciler.started == ["a", "b", "c"]


def test_batches_leave_in_order_and_a_shared_key_never_overlaps(
    held: tuple[Window, HeldReconciler],
) -> None:
    window, reconciler = held
    window.submit(batch("a", "k"))
    window.submit(batch("b", "k"))  # shares k with a: waits for it, though there is room
    window.submit(batch("c"))  # behind b, in order

    reconciler.wait_started(1)
    reconciler.release("b")
    reconciler.release("c")
    reconciler.release("a")
    window.drain()

    assert reconciler.started == ["a", "b", "c"]
    assert reconciler.overlaps == []


def test_a_failure_stops_the_batches_still_waiting(held: tuple[Window, HeldReconciler]) -> None:
    window, reconciler = held
    for name in ("fail", "b", "c", "d"):
        window.submit(batch(name))
    reconciler.wait_started(2)

    reconciler.release("fail")
    deadline = time.monotonic() + WAIT
    while window.failure is None and time.monotonic() < deadline:
        time.sleep(0.01)
    reconciler.release("b")
    with pytest.raises(RuntimeError, match="stopped the run"):
        window.drain()
    assert reconciler.started == ["fail", "b"]


def test_once_the_run_is_stopping_no_waiting_batch_starts(
    held: tuple[Window, HeldReconciler], stopping: threading.Event
) -> None:
    window, reconciler = held
    for name in "abc":
        window.submit(batch(name))
    reconciler.wait_started(2)

    stopping.set()  # as a signal does
    reconciler.release("a")
    reconciler.release("b")
    window.drain()

    assert reconciler.started == ["a", "b"]


def test_the_last_pass_sends_deferred_customers_in_input_order(
    held: tuple[Window, HeldReconciler],
) -> None:
    window, reconciler = held
    reconciler.defer |= {"a", "b"}  # their parents are not in Upwell yet
    window.submit(batch("a", at=1))
    window.submit(batch("b", at=2))
    reconciler.wait_started(2)
    reconciler.release("b")  # b ends first, so its customer is deferred first
    reconciler.wait_ended("b")
    reconciler.release("a")

    window.finish()

    assert reconciler.sent[-1] == ["a", "b"]


def waiting_for_k(dead_letter: DeadLetterWriter) -> tuple[Window, HeldReconciler]:
    """An append-only window of one, where k's customer will wait for its parent.

    A later record for k is then rejected: under append-only the deferred one came first.
    """
    reconciler = HeldReconciler(upsert=False)
    reconciler.defer.add("k")
    window = Window(
        cast("Reconciler", reconciler), Checkpoints(lambda _: None), Summary(), dead_letter, 1
    )
    return window, reconciler


def test_a_later_record_for_a_deferred_key_is_dead_lettered_whole(tmp_path: Path) -> None:
    dead_letter = DeadLetterWriter(tmp_path / "rejected.jsonl", "run", include_record=True)
    window, reconciler = waiting_for_k(dead_letter)
    later = batch("k", "j", at=2)
    later.items[0].record = b'{"type":"RECORD","stream":"customers","record":{"No":"k"}}\n'
    window.submit(batch("k"))  # in flight; its customer will wait for its parent
    window.submit(later)  # waits; starting it rejects its k, as k came first
    reconciler.release("k")
    reconciler.wait_started(2)  # the rest of the later batch, j
    reconciler.release("j")
    window.close()
    dead_letter.close()

    [line] = [json.loads(text) for text in dead_letter.path.read_text().splitlines()]
    assert (line["key"], line["reason"]) == ("k", "already_exists")
    assert line["record"] == {"No": "k"}  # so replay can rebuild it
    assert line["payload"] == {"sourceSystem": "ERP", "sourceSystemId": "k"}


def test_a_failure_while_a_waiting_batch_starts_reaches_the_run(tmp_path: Path) -> None:
    full_disk = FullDisk(tmp_path / "rejected.jsonl", "run", include_record=False)
    window, reconciler = waiting_for_k(full_disk)
    window.submit(batch("k"))  # in flight; its customer will wait for its parent
    window.submit(batch("k", "j", at=2))  # waits; starting it rejects its k, and that fails
    reconciler.release("k")

    failures: list[OSError] = []

    def drain() -> None:
        try:
            window.drain()
        except OSError as exc:
            failures.append(exc)

    draining = threading.Thread(target=drain)
    draining.start()
    draining.join(WAIT)
    window.close()
    assert not draining.is_alive()
    assert [exc.errno for exc in failures] == [errno.ENOSPC]
    assert reconciler.started == ["k"]
