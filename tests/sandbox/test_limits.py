"""Server limits: a token-bucket rate limit and a cap on requests in flight, both answered 429.

The bucket's arithmetic is checked with a fake clock; the rest over HTTP, with rates so slow
that no token comes back while a test runs, so no outcome depends on how fast it runs.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sandbox_helpers import TIMEOUT, Api, run_cli

from target_upwell.sandbox.limits import (
    IN_FLIGHT,
    RATE,
    Limiter,
    Limits,
    TokenBucket,
    retry_after,
)

NO_LIMITS = {"rate_limit": None, "rate_burst": None, "max_in_flight": None}


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limits_url(url):
    return f"{url}/_sandbox/limits"


def put_limits(url, body):
    return requests.put(limits_url(url), json=body, timeout=TIMEOUT)


def get_limits(url):
    response = requests.get(limits_url(url), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def limited(sandbox):
    """The session's sandbox; its limits are lifted again after the test, for whoever is next."""
    yield sandbox
    sandbox.reset()


# The bucket, with a fake clock


def test_the_bucket_starts_full_and_allows_a_burst():
    bucket = TokenBucket(2, 3, FakeClock())

    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # one token at 2/s


def test_the_bucket_refills_at_the_rate_and_no_further_than_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(2, 2, clock)
    bucket.take()
    bucket.take()

    clock.now += 0.25
    assert bucket.take() == pytest.approx(0.25)  # half a token: the other half is 0.25 s away
    clock.now += 0.25
    assert bucket.take() == 0.0
    clock.now += 60  # an idle minute refills 2 tokens, not 120
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.5)]


def test_a_refused_take_costs_nothing():
    clock = FakeClock()
    bucket = TokenBucket(1, 1, clock)
    bucket.take()

    assert bucket.take() == pytest.approx(1)
    assert bucket.take() == pytest.approx(1)
    clock.now += 1
    assert bucket.take() == 0.0


@pytest.mark.parametrize(
    ("wait", "seconds"),
    [(0.001, 1), (0.5, 1), (1.0, 1), (1.0000000000002, 1), (1.01, 2), (2.5, 3), (10.0, 10)],
)
def test_retry_after_rounds_up_to_whole_seconds_and_is_at_least_1(wait, seconds):
    assert retry_after(wait) == seconds


def test_a_limiter_refuses_by_rate_with_the_wait_until_the_next_token():
    clock = FakeClock()
    limiter = Limiter(Limits(rate_limit=0.4, rate_burst=2), clock)

    assert limiter.admit() is None
    assert limiter.admit() is None
    refusal = limiter.admit()
    assert refusal is not None
    assert (refusal.limit, refusal.retry_after) == (RATE, 3)  # 2.5 s to the next token
    clock.now += 2.5
    assert limiter.admit() is None


def test_a_limiter_refuses_beyond_the_cap_until_one_is_released():
    limiter = Limiter(Limits(max_in_flight=2), FakeClock())

    assert limiter.admit() is None
    assert limiter.admit() is None
    refusal = limiter.admit()
    assert refusal is not None
    assert (refusal.limit, refusal.retry_after) == (IN_FLIGHT, 1)
    limiter.release()
    assert limiter.admit() is None


def test_a_request_refused_by_the_cap_takes_no_token():
    limiter = Limiter(Limits(rate_limit=1, rate_burst=2, max_in_flight=1), FakeClock())

    assert limiter.admit() is None
    refusal = limiter.admit()
    assert refusal is not None
    assert refusal.limit == IN_FLIGHT
    limiter.release()
    assert limiter.admit() is None  # the second token was still there


def test_the_default_burst_is_one_seconds_worth_and_at_least_1():
    assert Limits(rate_limit=8).burst == 8
    assert Limits(rate_limit=2.5).burst == 3
    assert Limits(rate_limit=0.2).burst == 1
    assert Limits(rate_limit=8, rate_burst=2).burst == 2
    assert Limits().burst is None


def test_a_new_rate_starts_a_full_bucket_and_reset_refills_it():
    limiter = Limiter(Limits(rate_limit=0.1, rate_burst=1), FakeClock())
    assert limiter.admit() is None
    assert limiter.admit() is not None

    limiter.update({"rate_limit": 0.2})
    assert limiter.admit() is None
    assert limiter.admit() is not None
    limiter.update({"max_in_flight": 5})  # neither rate nor burst: the bucket stays empty
    assert limiter.admit() is not None
    limiter.reset()
    assert limiter.current() == Limits(rate_limit=0.1, rate_burst=1)
    assert limiter.admit() is None


# Over HTTP


def test_without_limits_every_request_is_admitted(api, sandbox):
    assert get_limits(sandbox.url) == NO_LIMITS
    assert [api.get("customers").status_code for _ in range(20)] == [200] * 20
    stats = sandbox.stats()
    assert (stats["refused_rate"], stats["refused_in_flight"]) == (0, 0)


def test_a_request_beyond_the_burst_gets_429_with_retry_after(api, limited):
    # A token every 5 s: none comes back between these requests, however slow the machine.
    put_limits(limited.url, {"rate_limit": 0.2, "rate_burst": 2})

    answers = [api.get("customers") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.json() == {
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "Rate limit exceeded: 0.2 requests a second (sandbox limit)",
        },
        "status": "error",
    }
    assert int(refused.headers["Retry-After"]) >= 1
    stats = limited.stats()
    assert stats["requests"] == {"customers-list": {"200": 2, "429": 1}}
    assert (stats["refused_rate"], stats["refused_in_flight"]) == (1, 0)


def test_the_key_is_checked_first_and_a_refused_key_takes_no_token(api, limited):
    put_limits(limited.url, {"rate_limit": 0.1, "rate_burst": 1})

    assert api.as_key("wrong").get("customers").status_code == 401
    assert api.as_key(None).get("customers").status_code == 401
    assert api.get("customers").status_code == 200
    assert api.post("bulk-customers", {"inputs": []}).status_code == 429
    assert api.post("bulk-customers", "not an object").status_code == 429  # before body checks


def test_a_refused_request_meets_no_fault(api, limited):
    limited.set_faults([{"kind": "status", "status": 503}])
    put_limits(limited.url, {"rate_limit": 0.1, "rate_burst": 1})

    assert [api.get("customers").status_code for _ in range(3)] == [503, 429, 429]
    plan = requests.get(f"{limited.url}/_sandbox/faults", timeout=TIMEOUT).json()
    assert plan["counts"] == [{"matched": 1, "fired": 1}]


def test_admin_requests_are_never_limited(limited):
    put_limits(limited.url, {"rate_limit": 0.1, "rate_burst": 1, "max_in_flight": 1})

    for _ in range(5):
        limited.stats()
        limited.readings()
    assert get_limits(limited.url)["rate_burst"] == 1


def test_a_request_beyond_the_cap_gets_429_at_once(api, limited):
    limited.set_faults([{"kind": "latency", "ms": 400}])
    put_limits(limited.url, {"max_in_flight": 1})
    answers = []
    first = threading.Thread(target=lambda: answers.append(api.get("customers")))
    first.start()
    _wait_for_in_flight(limited, 1)

    answers.append(api.get("customers"))
    first.join(TIMEOUT)

    # Usually the second is the one refused; either way exactly one is, as counted below.
    by_status = {answer.status_code: answer for answer in answers}
    assert sorted(by_status) == [200, 429]
    assert by_status[429].headers["Retry-After"] == "1"
    assert by_status[429].json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert "at most 1 in flight" in by_status[429].json()["error"]["message"]
    stats = limited.stats()
    assert stats["requests"] == {"customers-list": {"200": 1, "429": 1}}
    assert (stats["refused_rate"], stats["refused_in_flight"]) == (0, 1)
    assert stats["in_flight"] == 0
    # The refused request held no place: with the first one answered, the cap admits again.
    limited.set_faults([])
    assert api.get("customers").status_code == 200


def _wait_for_in_flight(sandbox, count):
    deadline = time.monotonic() + TIMEOUT  # a bound for a stuck server, not a timing assertion
    while sandbox.stats()["in_flight"] != count:
        assert time.monotonic() < deadline, "the first request never got in flight"
        time.sleep(0.01)


def test_put_changes_only_the_limits_given_and_null_removes_one(limited):
    answer = put_limits(limited.url, {"rate_limit": 4, "max_in_flight": 3})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"rate_limit": 4, "rate_burst": 4, "max_in_flight": 3}

    answer = put_limits(limited.url, {"rate_burst": 10})
    assert answer.json() == {"rate_limit": 4, "rate_burst": 10, "max_in_flight": 3}
    answer = put_limits(limited.url, {"rate_limit": None, "rate_burst": None})
    assert answer.json() == {"rate_limit": None, "rate_burst": None, "max_in_flight": 3}
    assert put_limits(limited.url, {}).json() == answer.json()
    assert get_limits(limited.url) == answer.json()


def test_reset_lifts_limits_set_at_runtime(api, limited):
    put_limits(limited.url, {"rate_limit": 0.1, "rate_burst": 1, "max_in_flight": 1})
    api.get("customers")
    api.get("customers")

    limited.reset()

    assert get_limits(limited.url) == NO_LIMITS
    stats = limited.stats()
    assert (stats["refused_rate"], stats["refused_in_flight"]) == (0, 0)
    assert api.get("customers").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate_limit": 0}, "rate_limit"),
        ({"rate_limit": -1.5}, "rate_limit"),
        ({"rate_limit": "5"}, "rate_limit"),
        ({"rate_limit": True}, "rate_limit"),
        ({"rate_burst": 0}, "rate_burst"),
        ({"rate_burst": 1.5}, "rate_burst"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"max_in_flight": [2]}, "max_in_flight"),
        ({"rate_limit": 5, "burst": 5}, "burst"),
    ],
)
def test_a_bad_limit_is_refused_by_name_and_changes_nothing(limited, body, field):
    answer = put_limits(limited.url, body)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == {"field": field}
    assert field in error["message"]
    assert get_limits(limited.url) == NO_LIMITS


def test_a_body_that_is_not_an_object_is_refused(limited):
    answer = put_limits(limited.url, [1])

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_flags_set_the_startup_limits(start_sandbox):
    process = start_sandbox("--rate-limit", "8", "--max-in-flight", "2")

    assert get_limits(process.url) == {"rate_limit": 8, "rate_burst": 8, "max_in_flight": 2}
    assert '"rate_limit": 8' in process.log_text()


def test_reset_restores_the_startup_limits_with_a_full_bucket(start_sandbox):
    process = start_sandbox("--rate-limit", "0.1", "--rate-burst", "1")
    api = Api(process.url, "sandbox-key")
    assert [api.get("customers").status_code for _ in range(2)] == [200, 429]
    put_limits(process.url, {"rate_limit": None, "max_in_flight": 7})

    requests.post(f"{process.url}/_sandbox/reset", timeout=TIMEOUT).raise_for_status()

    assert get_limits(process.url) == {"rate_limit": 0.1, "rate_burst": 1, "max_in_flight": None}
    assert [api.get("customers").status_code for _ in range(2)] == [200, 429]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "0"], "must be a number above 0"),
        (["--rate-limit", "nan"], "must be a number above 0"),
        (["--rate-limit", "2", "--rate-burst", "0"], "must be 1 or more"),
        (["--max-in-flight", "0"], "must be 1 or more"),
        (["--rate-burst", "3"], "--rate-burst needs --rate-limit"),
    ],
)
def test_bad_limit_flags_are_refused_before_serving(args, message):
    result = run_cli("serve", *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
