"""Faults of writes only: a gateway error after the commit, and a 200 whose body is an error."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import TIMEOUT, Api, customer, run_cli

ERROR_BODY = {
    "errors": [{"message": "unexpected error", "extensions": {"code": "unexpected", "path": "$"}}]
}
KEY = {"sourceSystem": "ERP", "sourceSystemId": "C-1"}


def plan(url):
    return requests.get(f"{url}/_sandbox/faults", timeout=TIMEOUT).json()


@pytest.mark.parametrize(
    ("rule", "status", "code"),
    [
        ({"kind": "gateway_after_commit"}, 502, "BAD_GATEWAY"),
        ({"kind": "gateway_after_commit", "status": 504}, 504, "GATEWAY_TIMEOUT"),
    ],
)
def test_gateway_after_commit_commits_then_answers_the_gateway_error(
    api, sandbox, rule, status, code
):
    sandbox.set_faults([rule])

    response = api.post("bulk-customers", {"inputs": [customer("C-1"), customer("C-2")]})

    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert response.json()["error"]["code"] == code
    assert "sandbox fault rule 0" in response.json()["error"]["message"]
    assert "Retry-After" not in response.headers
    assert sorted(row["sourceSystemId"] for row in sandbox.customers()) == ["C-1", "C-2"]
    assert sandbox.stats()["rows_inserted"] == 2
    assert sandbox.stats()["requests"] == {"bulk-customers": {str(status): 1}}
    # A retry of the same POST meets the key it committed.
    sandbox.set_faults([])
    retried = api.post("bulk-customers", {"inputs": [customer("C-1")]})
    assert retried.json()["code"] == "constraint-violation"


def test_gateway_after_commit_applies_an_update(api, sandbox):
    api.bulk(customer("C-1"))
    sandbox.set_faults([{"kind": "gateway_after_commit", "endpoint": "customers-update-by-source"}])

    response = api.put("customers", {**KEY, "input": {"name": "Renamed"}})

    assert response.status_code == 502
    assert [row["name"] for row in sandbox.customers()] == ["Renamed"]


def test_gateway_after_commit_answers_even_a_write_that_failed(api, sandbox):
    sandbox.set_faults([{"kind": "gateway_after_commit", "status": 504}])

    response = api.post("customers", {"input": customer("C-1", colour="red")})

    assert response.status_code == 504
    assert sandbox.customers() == []


def test_error_body_applied_commits_then_answers_200_with_an_error(api, sandbox):
    sandbox.set_faults([{"kind": "error_body", "applied": True}])

    response = api.post("bulk-customers", {"inputs": [customer("C-1")]})

    assert response.status_code == 200
    assert response.json() == ERROR_BODY
    assert [row["sourceSystemId"] for row in sandbox.customers()] == ["C-1"]
    assert sandbox.stats()["rows_inserted"] == 1


def test_error_body_not_applied_answers_200_with_an_error_and_stores_nothing(api, sandbox):
    api.bulk(customer("C-1"))
    before = sandbox.customers()
    sandbox.set_faults([{"kind": "error_body", "applied": False}])

    answers = [
        api.post("bulk-customers", {"inputs": [customer("C-2")]}),
        api.post("customers", {"input": customer("C-3")}),
        api.put("customers", {**KEY, "input": {"name": "Renamed"}}),
        api.put(f"customers/{before[0]['id']}", {"input": {"name": "Renamed"}}),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [(200, ERROR_BODY)] * 4
    assert sandbox.customers() == before
    assert sandbox.stats()["rows_updated"] == 0


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "gateway_after_commit"},
        {"kind": "error_body", "applied": False},
    ],
)
def test_reads_never_meet_them(api, sandbox, rule):
    (created,) = api.bulk(customer("C-1"))
    sandbox.set_faults([rule])

    assert api.get("customers").status_code == 200
    assert api.get(f"customers/{created['id']}").json() == {"customer": created}
    assert api.search() == [created]
    assert plan(sandbox.url)["counts"] == [{"matched": 0, "fired": 0}]


def test_every_counts_the_writes_only(api, sandbox):
    (created,) = api.bulk(customer("C-0"))
    sandbox.set_faults([{"kind": "gateway_after_commit", "every": 2}])

    statuses = []
    for n in range(1, 5):
        statuses.append(api.post("customers", {"input": customer(f"C-{n}")}).status_code)
        api.get("customers")
        api.post("customers/search", {})
        api.get(f"customers/{created['id']}")
    statuses.append(api.put("customers", {**KEY, "input": {"name": "x"}}).status_code)
    statuses.append(api.put(f"customers/{created['id']}", {"input": {"name": "y"}}).status_code)

    assert statuses == [200, 502, 200, 502, 200, 502]
    assert plan(sandbox.url)["counts"] == [{"matched": 6, "fired": 3}]
    assert len(sandbox.customers()) == 5  # every write was committed, answered or not


def test_with_an_endpoint_every_counts_that_endpoint_only(api, sandbox):
    sandbox.set_faults(
        [{"kind": "error_body", "applied": True, "every": 2, "endpoint": "bulk-customers"}]
    )

    answers = []
    for n in range(4):
        api.post("customers", {"input": customer(f"ONE-{n}")})
        answers.append(api.post("bulk-customers", {"inputs": [customer(f"BULK-{n}")]}).json())

    assert [answer == ERROR_BODY for answer in answers] == [False, True, False, True]
    assert len(sandbox.customers()) == 8


def test_the_plan_shows_them_with_their_defaults(sandbox):
    sandbox.set_faults(
        [
            {"kind": "gateway_after_commit"},
            {"kind": "error_body", "applied": False, "endpoint": "customers-create", "rate": 0.5},
        ]
    )

    assert plan(sandbox.url)["rules"] == [
        {"kind": "gateway_after_commit", "every": 1, "status": 502},
        {"kind": "error_body", "rate": 0.5, "endpoint": "customers-create", "applied": False},
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "gateway_after_commit", "status": 503}, "status must be one of [502, 504]"),
        ({"kind": "gateway_after_commit", "ms": 5}, "unknown key 'ms'"),
        ({"kind": "error_body"}, "applied is required"),
        ({"kind": "error_body", "applied": "yes"}, "applied is required"),
        (
            {"kind": "gateway_after_commit", "endpoint": "customers-search"},
            "applies to write endpoints only",
        ),
        (
            {"kind": "error_body", "applied": True, "endpoint": "customers-get"},
            "applies to write endpoints only",
        ),
    ],
)
def test_a_bad_write_fault_is_refused_with_a_reason(sandbox, rule, message):
    response = requests.put(f"{sandbox.url}/_sandbox/faults", json={"rules": [rule]}, timeout=30)

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("fault rule 0: ")
    assert message in response.json()["error"]["message"]


def test_fault_flags_take_the_new_kinds(start_sandbox):
    process = start_sandbox(
        "--fault", "kind=gateway_after_commit,status=504,every=2",
        "--fault", "kind=error_body,applied=true,endpoint=customers-create",
        "--fault", "kind=error_body,applied=false",
    )  # fmt: skip
    api = Api(process.url, "sandbox-key")

    assert plan(process.url)["rules"] == [
        {"kind": "gateway_after_commit", "every": 2, "status": 504},
        {"kind": "error_body", "every": 1, "endpoint": "customers-create", "applied": True},
        {"kind": "error_body", "every": 1, "applied": False},
    ]
    assert api.post("customers", {"input": customer("C-1")}).json() == ERROR_BODY  # applied
    assert api.post("bulk-customers", {"inputs": [customer("C-2")]}).status_code == 504
    assert api.post("bulk-customers", {"inputs": [customer("C-3")]}).json() == ERROR_BODY
    assert sorted(c["sourceSystemId"] for c in api.search()) == ["C-1", "C-2"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("kind=error_body,applied=maybe", "applied is required"),
        ("kind=gateway_after_commit,status=503", "status must be one of"),
        ("kind=gateway_after_commit,endpoint=customers-list", "write endpoints only"),
    ],
)
def test_a_bad_write_fault_flag_is_refused_before_serving(spec, message):
    result = run_cli("serve", "--fault", spec)

    assert result.returncode == 2
    assert message in result.stderr


def test_serve_help_documents_the_new_kinds():
    result = run_cli("serve", "--help")

    assert "kind=gateway_after_commit" in result.stdout
    assert "kind=error_body,applied=true" in result.stdout
