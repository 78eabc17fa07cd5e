"""Stats: requests by endpoint and status, rows written, and the most requests at once."""

from __future__ import annotations

import threading

import requests
from sandbox_helpers import customer


def test_stats_count_requests_by_endpoint_and_status(api, sandbox):
    (created,) = api.bulk(customer("C-1", customerRule={"data": {"dueOption": 30}}))
    api.post("bulk-customers", {"inputs": [customer("C-1")]})
    api.post("customers", {"input": customer("C-2")})
    api.get("customers")
    api.get(f"customers/{created['id']}")
    api.post("customers/search", {})
    api.put(f"customers/{created['id']}", {"input": {"name": "x"}})
    api.put(
        "customers",
        {"sourceSystem": "ERP", "sourceSystemId": "C-1", "customerRulesInput": {"dueOption": 1}},
    )
    api.as_key("wrong").get("customers")
    api.get("nothing-here")

    stats = sandbox.stats()

    assert stats["requests"] == {
        "bulk-customers": {"200": 1, "400": 1},
        "customers-create": {"200": 1},
        "customers-list": {"200": 1, "401": 1},
        "customers-get": {"200": 1},
        "customers-search": {"200": 1},
        "customers-update-by-id": {"200": 1},
        "customers-update-by-source": {"200": 1},
        "unknown": {"404": 1},
    }
    assert stats["rows_inserted"] == 2
    assert stats["rows_updated"] == 2  # one customer row, then one rule row
    assert stats["max_in_flight"] == 1
    assert stats["in_flight"] == 0


def test_admin_calls_are_not_counted(api, sandbox):
    sandbox.stats()
    sandbox.set_faults([])
    sandbox.set_readings(duplicate_status=409)
    sandbox.readings()
    sandbox.customers()
    api.post("customers/search", {})  # an API call, counted

    assert sandbox.stats()["requests"] == {"customers-search": {"200": 1}}


def test_concurrent_requests_overlap_and_are_counted(api, sandbox):
    # Each request sleeps 400 ms inside the server, outside the store's lock, so four threads
    # released together are in flight at the same time.
    sandbox.set_faults([{"kind": "latency", "ms": 400}])
    start = threading.Barrier(4)
    codes = []

    def call():
        start.wait()
        codes.append(api.get("customers").status_code)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert codes == [200] * 4
    stats = sandbox.stats()
    assert stats["max_in_flight"] > 1
    assert stats["requests"]["customers-list"] == {"200": 4}


def test_reset_zeroes_the_stats(api, sandbox):
    api.bulk(customer("C-1"))

    sandbox.reset()

    assert sandbox.stats() == {
        "requests": {},
        "rows_inserted": 0,
        "rows_updated": 0,
        "max_in_flight": 0,
        "in_flight": 0,
        "refused_rate": 0,
        "refused_in_flight": 0,
    }


def test_admin_unknown_path_gets_404(sandbox):
    response = requests.get(f"{sandbox.url}/_sandbox/nothing", timeout=30)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
