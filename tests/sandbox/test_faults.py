"""Fault injection: each kind, keyed to request counts or to a seeded draw, never to chance."""

from __future__ import annotations

import datetime as dt
import random
import time
from email.utils import parsedate_to_datetime

import pytest
import requests
from sandbox_helpers import TIMEOUT, customer


def statuses(api, count):
    return [api.get("customers").status_code for _ in range(count)]


def test_every_n_fires_on_the_nth_matching_request(api, sandbox):
    sandbox.set_faults(
        [{"kind": "status", "status": 503, "every": 3, "endpoint": "customers-list"}]
    )

    assert statuses(api, 7) == [200, 200, 503, 200, 200, 503, 200]


def test_a_rule_counts_only_its_own_endpoint(api, sandbox):
    sandbox.set_faults(
        [{"kind": "status", "status": 503, "every": 2, "endpoint": "customers-search"}]
    )

    assert statuses(api, 3) == [200, 200, 200]
    assert [api.post("customers/search", {}).status_code for _ in range(4)] == [200, 503, 200, 503]


def test_set_faults_restarts_the_counters(api, sandbox):
    rule = {"kind": "status", "status": 500, "every": 2}
    sandbox.set_faults([rule])
    assert statuses(api, 1) == [200]

    sandbox.set_faults([rule])

    assert statuses(api, 2) == [200, 500]


def test_a_seeded_rate_replays_the_same_faults(api, sandbox):
    rule = {"kind": "status", "status": 502, "rate": 0.5}
    draws = random.Random(42)  # noqa: S311 - the documented draw: fire when random() < rate
    expected = [502 if draws.random() < 0.5 else 200 for _ in range(20)]

    sandbox.set_faults([rule], seed=42)
    first = statuses(api, 20)
    sandbox.set_faults([rule], seed=42)
    second = statuses(api, 20)

    assert first == second == expected
    assert 200 in first
    assert 502 in first


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "INTERNAL_SERVER_ERROR"),
        (502, "BAD_GATEWAY"),
        (503, "SERVICE_UNAVAILABLE"),
        (504, "GATEWAY_TIMEOUT"),
        (429, "RATE_LIMIT_EXCEEDED"),
    ],
)
def test_a_status_fault_answers_instead_and_applies_nothing(api, sandbox, status, code):
    sandbox.set_faults([{"kind": "status", "status": status}])

    response = api.post("bulk-customers", {"inputs": [customer("C-1")]})

    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert response.json()["error"]["code"] == code
    assert "sandbox fault rule 0" in response.json()["error"]["message"]
    sandbox.set_faults([])
    assert sandbox.customers() == []


def test_429_retry_after_in_seconds(api, sandbox):
    sandbox.set_faults(
        [{"kind": "status", "status": 429, "retry_after": "seconds", "retry_after_seconds": 7}]
    )

    assert api.get("customers").headers["Retry-After"] == "7"


def test_429_retry_after_defaults_to_one_second(api, sandbox):
    sandbox.set_faults([{"kind": "status", "status": 429}])

    assert api.get("customers").headers["Retry-After"] == "1"


def test_429_retry_after_as_an_http_date(api, sandbox):
    sandbox.set_faults(
        [{"kind": "status", "status": 429, "retry_after": "date", "retry_after_seconds": 120}]
    )
    before = dt.datetime.now(dt.timezone.utc)

    header = api.get("customers").headers["Retry-After"]

    assert header.endswith(" GMT")
    # The date announces a moment about two minutes on (a bound, not a timing assertion).
    assert before < parsedate_to_datetime(header) < before + dt.timedelta(minutes=10)


def test_429_without_retry_after(api, sandbox):
    sandbox.set_faults([{"kind": "status", "status": 429, "retry_after": "none"}])

    response = api.get("customers")

    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_drop_before_closes_unanswered_and_stores_nothing(api, sandbox):
    sandbox.set_faults([{"kind": "drop_before", "endpoint": "bulk-customers"}])

    with pytest.raises(requests.ConnectionError):
        api.post("bulk-customers", {"inputs": [customer("C-1")]})

    assert sandbox.customers() == []
    assert sandbox.stats()["requests"]["bulk-customers"] == {"dropped": 1}


def test_drop_after_commits_then_closes_unanswered(api, sandbox):
    sandbox.set_faults([{"kind": "drop_after", "endpoint": "bulk-customers"}])

    with pytest.raises(requests.ConnectionError):
        api.post("bulk-customers", {"inputs": [customer("C-1"), customer("C-2")]})

    assert sorted(c["sourceSystemId"] for c in sandbox.customers()) == ["C-1", "C-2"]
    assert sandbox.stats()["rows_inserted"] == 2
    # A retry of the same POST now meets the uniqueness error, as it would in Upwell.
    sandbox.set_faults([])
    assert (
        api.post("bulk-customers", {"inputs": [customer("C-1")]}).json()["code"]
        == "constraint-violation"
    )


def test_max_inputs_answers_413_above_the_limit_only(api, sandbox):
    sandbox.set_faults([{"kind": "max_inputs", "max": 2}])

    too_many = api.post("bulk-customers", {"inputs": [customer(f"C-{i}") for i in range(3)]})
    just_right = api.post("bulk-customers", {"inputs": [customer(f"C-{i}") for i in range(2)]})

    assert too_many.status_code == 413
    assert too_many.json() == {
        "error": {
            "code": "PAYLOAD_TOO_LARGE",
            "message": "Too many inputs: 3, at most 2 per request",
            "details": {"max": 2, "received": 3},
        },
        "status": "error",
    }
    assert just_right.status_code == 200
    assert len(sandbox.customers()) == 2


def test_latency_delays_without_changing_the_answer(api, sandbox):
    sandbox.set_faults([{"kind": "latency", "ms": 20}])

    assert statuses(api, 2) == [200, 200]


def test_latency_counts_the_work_so_a_client_that_gives_up_finds_it_done(api, sandbox):
    # Latency is the time from request to answer, as at a remote server: the write is
    # committed first, and the answer waits out the rest.
    sandbox.set_faults([{"kind": "latency", "ms": 2000, "endpoint": "bulk-customers"}])

    with pytest.raises(requests.Timeout):
        api.call("POST", "bulk-customers", json={"inputs": [customer("C-1")]}, timeout=0.5)

    assert [c["sourceSystemId"] for c in sandbox.customers()] == ["C-1"]
    deadline = time.monotonic() + TIMEOUT  # let the answer go before the next test resets
    while sandbox.stats()["requests"].get("bulk-customers") is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_the_first_firing_rule_wins_and_latency_adds_up(api, sandbox):
    sandbox.set_faults(
        [
            {"kind": "latency", "ms": 1},
            {"kind": "status", "status": 503, "every": 2},
            {"kind": "status", "status": 500},
        ]
    )

    assert statuses(api, 2) == [500, 503]


def test_admin_calls_are_never_faulted(sandbox):
    sandbox.set_faults([{"kind": "drop_before"}])

    assert sandbox.stats()["requests"] == {}
    assert requests.get(f"{sandbox.url}/_sandbox/faults", timeout=30).status_code == 200


def test_get_faults_shows_the_plan_with_defaults_and_counters(api, sandbox):
    sandbox.set_faults(
        [{"kind": "status", "status": 429, "every": 2}, {"kind": "max_inputs", "max": 5}], seed=9
    )
    statuses(api, 3)

    plan = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=30).json()

    assert plan == {
        "rules": [
            {
                "kind": "status",
                "every": 2,
                "status": 429,
                "retry_after": "seconds",
                "retry_after_seconds": 1,
            },
            {"kind": "max_inputs", "endpoint": "bulk-customers", "max": 5},
        ],
        "seed": 9,
        "counts": [{"matched": 3, "fired": 1}, {"matched": 0, "fired": 0}],
    }


def test_reset_removes_every_fault(api, sandbox):
    sandbox.set_faults([{"kind": "status", "status": 503}])

    sandbox.reset()

    assert statuses(api, 1) == [200]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "explode"}, "kind must be one of"),
        ({"kind": "status"}, "status is required"),
        ({"kind": "status", "status": 418}, "status must be one of"),
        ({"kind": "status", "status": 503, "every": 0}, "every must be an integer of at least 1"),
        ({"kind": "status", "status": 503, "rate": 1.5}, "rate must be a number from 0 to 1"),
        ({"kind": "status", "status": 503, "every": 2, "rate": 0.5}, "either every or rate"),
        ({"kind": "latency", "ms": 5, "status": 503}, "unknown key 'status' for kind 'latency'"),
        ({"kind": "drop_after", "endpoint": "customers-delete"}, "unknown endpoint"),
        ({"kind": "max_inputs", "max": 2, "every": 2}, "drop every and rate"),
        ({"kind": "status", "status": 429, "retry_after": "soon"}, "retry_after must be one of"),
    ],
)
def test_a_bad_rule_is_refused_with_a_reason(sandbox, rule, message):
    response = requests.put(f"{sandbox.url}/_sandbox/faults", json={"rules": [rule]}, timeout=30)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["message"].startswith("fault rule 0: ")
    assert message in response.json()["error"]["message"]
