"""Search finds every key whatever page size the server answers, and learns the cap.

``limit`` has no documented maximum, so the sandbox's cap is set per example; the client
asks for 1000 rows a page as the target always does.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from target_upwell.delivery.client import Tally, UpwellClient
from target_upwell.delivery.retry import RetryPolicy

if TYPE_CHECKING:
    import pytest

    from tests.conftest import SandboxHandle

TIMEOUT = 30


def client(sandbox: SandboxHandle) -> UpwellClient:
    policy = RetryPolicy(0, sleep=lambda _: None)
    return UpwellClient(sandbox.url, sandbox.api_key, timeout=TIMEOUT, policy=policy)


def seed(sandbox: SandboxHandle, ids: list[int]) -> None:
    """Store customers ``ERP``/``id`` straight through the API."""
    if not ids:
        return
    inputs = [{"name": f"C{i}", "sourceSystem": "ERP", "sourceSystemId": str(i)} for i in ids]
    response = requests.post(
        f"{sandbox.url}/api/rest/bulk-customers",
        data=json.dumps({"inputs": inputs}),
        headers={"Authorization": sandbox.api_key},
        timeout=TIMEOUT,
    )
    response.raise_for_status()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cap=st.integers(1, 30),
    stored=st.sets(st.integers(1, 80), max_size=60),
    absent=st.sets(st.integers(81, 120), max_size=20),
    searches=st.integers(1, 3),
)
def test_every_stored_key_is_found_whatever_the_page_cap(
    sandbox: SandboxHandle, cap: int, stored: set[int], absent: set[int], searches: int
) -> None:
    sandbox.reset()
    sandbox.set_readings(search_max_limit=cap)
    seed(sandbox, sorted(stored))
    upwell = client(sandbox)
    wanted = sorted(stored)[: len(stored) // 2 + 1] if stored else []

    for _ in range(searches):  # later searches use what earlier ones learned
        rows = upwell.find("ERP", [str(i) for i in [*wanted, *absent]], Tally())
        assert sorted(int(r["sourceSystemId"]) for r in rows) == wanted

    assert upwell.pages.learned in {None, cap}
    assert upwell.pages.floor <= cap


def test_once_a_full_page_is_seen_a_shorter_one_needs_no_second_look(
    sandbox: SandboxHandle,
) -> None:
    seed(sandbox, list(range(1, 201)))
    upwell = client(sandbox)
    upwell.find("ERP", [str(i) for i in range(1, 101)], Tally())  # all found: a page of 100
    tally = Tally()

    rows = upwell.find("ERP", [str(i) for i in range(150, 250)], tally)

    assert len(rows) == 51
    assert tally.requests == 1


def test_a_smaller_cap_is_learned_and_said_once(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.set_readings(search_max_limit=20)
    seed(sandbox, list(range(1, 101)))
    upwell = client(sandbox)
    caplog.set_level(logging.INFO, logger="target-upwell")
    tally = Tally()

    for start in (1, 51):
        rows = upwell.find("ERP", [str(i) for i in range(start, start + 50)], tally)
        assert len(rows) == 50

    assert upwell.pages.learned == 20
    assert tally.requests == 6  # 3 pages of 20, 20 and 10 rows for each search
    assert [r.message for r in caplog.records].count(
        "Upwell's search answers at most 20 rows a page (asked for 1000); searches page by"
        " what it answers for the rest of the run."
    ) == 1
