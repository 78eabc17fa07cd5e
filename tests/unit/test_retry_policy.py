"""Retry-After as seconds or an HTTP date, capped; backoff waits with full jitter, capped."""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from target_upwell.delivery.retry import RetryPolicy, retry_after_seconds

NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("120", 120.0),
        ("121", 120.0),
        ("999", 120.0),
        ("9" * 400, 120.0),
    ],
)
def test_retry_after_in_seconds_is_capped_at_120(header: str, seconds: float) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.parametrize("header", [None, "", "   ", "soon", "-5", "1.5", "1e3", "Mon, 99 Foo"])
def test_retry_after_that_is_neither_seconds_nor_a_date_is_ignored(header: str | None) -> None:
    assert retry_after_seconds(header, now=NOW) is None


def test_retry_after_as_an_http_date_is_the_seconds_until_it() -> None:
    header = http_date(NOW + dt.timedelta(seconds=30))

    assert retry_after_seconds(header, now=NOW) == 30.0


def test_retry_after_as_a_date_without_a_zone_is_read_as_utc() -> None:
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 -0000", now=NOW) == 30.0


def test_retry_after_as_a_past_date_is_no_wait() -> None:
    assert retry_after_seconds(http_date(NOW - dt.timedelta(minutes=5)), now=NOW) == 0.0


def test_retry_after_as_a_far_date_is_capped_at_120() -> None:
    assert retry_after_seconds(http_date(NOW + dt.timedelta(hours=1)), now=NOW) == 120.0


@pytest.mark.parametrize(
    "header",
    [
        "\u00b2",  # a latin-1 header byte: isdigit() says yes, float() refuses it
        "1\u00b2\u00b3",
        "\u0665",  # this and the next two are decimal digits: float() reads them as 5, 5 and 12
        "\uff15",
        "\u0967\u0968",
    ],
    ids=["superscript-2", "superscripts-123", "arabic-indic-5", "fullwidth-5", "devanagari-12"],
)
def test_retry_after_in_non_ascii_digits_is_ignored(header: str) -> None:
    assert retry_after_seconds(header, now=NOW) is None


HTTP_DATES = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),  # noqa: DTZ001 (hypothesis adds the zone)
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.timezone.utc),
).map(http_date)


@given(header=st.one_of(st.text(max_size=40).filter(str.isascii), HTTP_DATES))
def test_any_ascii_retry_after_is_ignored_or_a_wait_between_0_and_120(header: str) -> None:
    # Non-ASCII digits aside: test_retry_after_in_non_ascii_digits_is_ignored pins what they do.
    seconds = retry_after_seconds(header, now=NOW)

    assert seconds is None or 0.0 <= seconds <= 120.0


def never_sleep(seconds: float) -> None:
    raise AssertionError(seconds)


def test_backoff_waits_are_never_negative_and_never_above_the_cap() -> None:
    policy = RetryPolicy(max_retries=8, sleep=never_sleep, max_backoff_seconds=60.0)

    waits = list(itertools.islice(policy.waits(), 200))

    assert min(waits) >= 0.0
    assert max(waits) <= 60.0


def test_each_wait_is_at_most_the_doubling_step_it_jitters() -> None:
    policy = RetryPolicy(max_retries=8, sleep=never_sleep, base_seconds=0.5)
    ceilings = [0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60]

    waits = list(itertools.islice(policy.waits(), len(ceilings)))

    assert all(0.0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=True))


def test_full_jitter_spreads_over_the_whole_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pin the jitter to the top of its range to read the schedule behind it.
    monkeypatch.setattr("random.uniform", lambda _low, high: high)
    policy = RetryPolicy(max_retries=8, sleep=never_sleep, base_seconds=0.5)

    waits = list(itertools.islice(policy.waits(), 10))

    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
