"""STATE leaves only once every record before it is settled, and once per release at most.

Positions follow the target: records are numbered from 1 as they arrive, a STATE is tagged
with the number of records before it, and a span opens at the position of its first record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from target_upwell.delivery.checkpoint import Checkpoints, State


def bookmark(n: int) -> State:
    return {"bookmarks": {"customers": {"replication_key_value": n}}}


def checkpoints() -> tuple[Checkpoints, list[State]]:
    written: list[State] = []
    return Checkpoints(written.append), written


def test_a_state_with_no_records_open_is_written_on_release() -> None:
    points, written = checkpoints()
    points.add(0, bookmark(0))

    points.release()

    assert written == [bookmark(0)]


def test_nothing_is_written_before_release() -> None:
    points, written = checkpoints()

    points.add(0, bookmark(0))

    assert written == []


def test_a_state_after_unsettled_records_is_held() -> None:
    points, written = checkpoints()
    points.open("batch-1", 1)
    points.add(1, bookmark(1))

    points.release()

    assert written == []


def test_a_held_state_is_written_once_its_records_settle() -> None:
    points, written = checkpoints()
    points.open("batch-1", 1)
    points.add(1, bookmark(1))
    points.settle("batch-1")

    points.release()

    assert written == [bookmark(1)]


def test_a_state_before_the_unsettled_records_is_written() -> None:
    points, written = checkpoints()
    points.add(0, bookmark(0))
    points.open("batch-1", 1)
    points.add(1, bookmark(1))

    points.release()

    assert written == [bookmark(0)]


def test_a_later_batch_settling_first_releases_nothing_past_an_earlier_one() -> None:
    points, written = checkpoints()
    points.open("batch-1", 1)
    points.add(2, bookmark(2))
    points.open("batch-2", 3)
    points.add(4, bookmark(4))
    points.settle("batch-2")

    points.release()
    assert written == []

    points.settle("batch-1")
    points.release()
    assert written == [bookmark(4)]


def test_a_chatty_tap_gets_one_state_per_release() -> None:
    points, written = checkpoints()
    points.open("batch-1", 1)
    for n in range(1, 501):
        points.add(n, bookmark(n))
    points.settle("batch-1")

    points.release()

    assert written == [bookmark(500)]


def test_a_second_release_with_nothing_new_writes_nothing() -> None:
    points, written = checkpoints()
    points.add(0, bookmark(0))
    points.release()

    points.release()

    assert written == [bookmark(0)]


def test_a_state_equal_to_the_last_written_is_not_written_again() -> None:
    points, written = checkpoints()
    points.add(0, bookmark(0))
    points.release()
    points.open("batch-1", 1)
    points.add(1, bookmark(0))
    points.settle("batch-1")

    points.release()

    assert written == [bookmark(0)]


def test_a_state_that_returns_to_an_earlier_value_is_written() -> None:
    points, written = checkpoints()
    points.add(0, bookmark(0))
    points.release()
    points.add(0, bookmark(1))
    points.release()
    points.add(0, bookmark(0))

    points.release()

    assert written == [bookmark(0), bookmark(1), bookmark(0)]


def test_settling_an_unknown_token_changes_nothing() -> None:
    points, written = checkpoints()
    points.open("batch-1", 1)
    points.add(1, bookmark(1))
    points.settle("batch-2")

    points.release()

    assert written == []


# A random run: records arrive on two streams, each buffering under its own open token;
# a flush hands the buffer on; batches settle in any order; releases come at any time.
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(["a", "b"])),
        st.tuples(st.just("reject"), st.none()),
        st.tuples(st.just("state"), st.integers(0, 3)),
        st.tuples(st.just("flush"), st.sampled_from(["a", "b"])),
        st.tuples(st.just("settle"), st.integers(0, 10)),
        st.tuples(st.just("release"), st.none()),
    ),
    max_size=60,
)


@dataclass
class Model:
    """The run as the test sees it, checking every write as it happens."""

    records: int = 0
    unsettled: dict[int, set[int]] = field(default_factory=dict)  # token -> positions
    buffers: dict[str, int] = field(default_factory=dict)  # stream -> open token
    in_flight: list[int] = field(default_factory=list)
    received: list[tuple[int, State]] = field(default_factory=list)
    written: list[State] = field(default_factory=list)
    tokens: int = 0

    def open_positions(self) -> set[int]:
        return {p for positions in self.unsettled.values() for p in positions}

    def safe(self, position: int) -> bool:
        """Every record up to ``position`` is settled."""
        return all(p > position for p in self.open_positions())

    def write(self, state: State) -> None:
        assert [s for p, s in self.received if s == state and self.safe(p)], (
            "wrote a STATE that was not received, or before its records settled"
        )
        assert not self.written or self.written[-1] != state, "wrote the same STATE twice"
        self.written.append(state)

    def newest_safe(self) -> State | None:
        safe = [s for p, s in self.received if self.safe(p)]
        return safe[-1] if safe else None


def play(points: Checkpoints, model: Model, op: str, arg: Any) -> None:
    if op == "record":
        model.records += 1
        if arg not in model.buffers:
            model.tokens += 1
            model.buffers[arg] = model.tokens
            model.unsettled[model.tokens] = set()
            points.open(model.tokens, model.records)
        model.unsettled[model.buffers[arg]].add(model.records)
    elif op == "reject":
        model.records += 1  # dead-lettered at once: settled without a token
    elif op == "state":
        model.received.append((model.records, bookmark(arg)))
        points.add(model.records, bookmark(arg))
    elif op == "flush" and arg in model.buffers:
        model.in_flight.append(model.buffers.pop(arg))
    elif op == "settle" and model.in_flight:
        token = model.in_flight.pop(arg % len(model.in_flight))
        del model.unsettled[token]
        points.settle(token)
    elif op == "release":
        before = len(model.written)
        points.release()
        assert len(model.written) <= before + 1, "more than one write in one release"
        assert model.written[-1:] == ([s] if (s := model.newest_safe()) else []), (
            "the newest safe STATE is not the last one written"
        )


@given(ops=OPS)
def test_state_is_released_only_when_safe_once_per_change_and_ends_on_the_last(
    ops: list[tuple[str, Any]],
) -> None:
    model = Model()
    points = Checkpoints(model.write)
    for op, arg in ops:
        play(points, model, op, arg)
    for stream in ("a", "b"):
        play(points, model, "flush", stream)
    while model.in_flight:
        play(points, model, "settle", 0)
    play(points, model, "release", None)

    assert model.written[-1:] == [state for _, state in model.received[-1:]]
