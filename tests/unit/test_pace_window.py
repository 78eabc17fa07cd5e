"""The pace's window and rate, driven by answers with no sockets and no real waits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from target_upwell.delivery.pace import FIRST_PATIENCE, RATE_FLOOR, Pace, Ticket, Verdict

MOST = 8


class Clock:
    """Time that moves only when the pace sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pace(most: int = MOST, ceiling: float | None = None) -> tuple[Pace, Clock]:
    clock = Clock()
    return Pace(most, ceiling, sleep=clock.sleep, clock=clock), clock


def a_round(p: Pace, verdicts: list[Verdict]) -> list[bool]:
    """Send as many requests at once as the window lets (at most len(verdicts)), then answer."""
    tickets: list[Ticket] = [p.enter() for _ in range(min(len(verdicts), int(p.window)))]
    return [p.leave(t, v, 1.0) for t, v in zip(tickets, verdicts, strict=False)]


verdicts = st.lists(st.sampled_from(list(Verdict)), min_size=1, max_size=MOST)


@given(st.lists(verdicts, max_size=40))
def test_the_window_stays_within_one_and_the_most(rounds: list[list[Verdict]]) -> None:
    p, _ = pace()
    for answers in rounds:
        a_round(p, answers)
        assert 1 <= p.window <= MOST


@given(st.lists(verdicts, max_size=40), verdicts)
def test_a_refusal_shrinks_the_window_and_a_success_never_does(
    before: list[list[Verdict]], answers: list[Verdict]
) -> None:
    p, _ = pace()
    for earlier in before:
        a_round(p, earlier)
    window = p.window
    tickets = [p.enter() for _ in range(min(len(answers), int(p.window)))]
    first, rest = tickets[0], tickets[1:]

    p.leave(first, answers[0])

    if answers[0] is Verdict.DONE:
        assert p.window >= window
    elif window > 1:
        assert p.window < window
    for ticket in rest:
        p.leave(ticket, Verdict.DONE, count=False)


@given(st.integers(2, MOST))
def test_after_a_refusal_the_window_regrows_fast_to_the_level_refused_and_no_further(
    level: int,
) -> None:
    p, _ = pace()
    tickets = [p.enter() for _ in range(level)]
    for ticket in tickets[:-1]:
        p.leave(ticket, Verdict.DONE)
    p.leave(tickets[-1], Verdict.REFUSED)  # refused with `level` in flight: level - 1 was fine
    successes = 0
    while p.window < level - 1:
        a_round(p, [Verdict.DONE])
        successes += 1
    assert successes <= level

    for _ in range(2 * FIRST_PATIENCE * (level - 1) - 1):  # patience doubled by the refusal
        a_round(p, [Verdict.DONE])
        assert p.window <= level - 1
    a_round(p, [Verdict.DONE])
    assert p.window == level  # probed once enough went well


def test_refusals_at_a_window_of_one_space_requests_and_pause_for_retry_after() -> None:
    p, clock = pace(most=1)
    for _ in range(5):
        a_round(p, [Verdict.DONE])
        clock.now += 0.1  # ten requests a second got through
    ticket = p.enter()

    assert p.leave(ticket, Verdict.REFUSED, 3.0)  # absorbed: the pace slowed down

    assert p.rate is not None
    assert p.rate < 10
    clock.slept.clear()
    p.leave(p.enter(), Verdict.DONE)
    assert clock.slept
    assert clock.slept[0] >= 2.9  # Retry-After holds every new request


def test_the_users_ceiling_spaces_requests_from_the_start() -> None:
    p, clock = pace(ceiling=2.0)

    for _ in range(3):
        p.leave(p.enter(), Verdict.DONE)

    assert clock.slept == [0.5, 0.5]


def test_refusals_that_nothing_relieves_stop_being_absorbed() -> None:
    p, clock = pace(most=4)
    absorbed = []
    for _ in range(200):
        ticket = p.enter()
        clock.now += 0.01
        absorbed.append(p.leave(ticket, Verdict.REFUSED))

    assert absorbed[0]
    assert not absorbed[-1]
    assert p.window == 1
    assert p.rate is None or p.rate >= RATE_FLOOR
