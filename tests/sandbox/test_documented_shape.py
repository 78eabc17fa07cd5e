"""Every answer carries the documented Customer object, exactly; the admin endpoint, whole rows."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import (
    TIMEOUT,
    UNDOCUMENTED_KEYS,
    assert_documented,
    customer,
    documented,
)

# Every column the docs leave out set, and the relationships the docs show filled.
EVERYTHING = customer(
    "C-1",
    emailAddress="ap@acme.example",
    ccEmailAddresses=["controller@acme.example"],
    collectorId="usr_1",
    metadata={"segment": "A"},
    deletedAt="2024-03-01T00:00:00Z",
    addressesLastUpdatedAt="2024-01-15T10:30:00Z",
    contactsLastUpdatedAt="2024-01-15T10:30:00Z",
    addresses={"data": [{"type": "BILLING", "city": "Austin", "country": "US"}]},
    customerRule={"data": {"dueOption": 30}},
    contacts={"data": [{"name": "Ann"}]},
)
KEY = {"sourceSystem": "ERP", "sourceSystemId": "C-1"}


@pytest.fixture
def created(api):
    (one,) = api.bulk(EVERYTHING)
    return one


def answered(response, *keys):
    assert response.status_code == 200, response.text
    body = response.json()
    for key in keys:
        body = body[key]
    return body


def test_bulk_returning_is_documented(api):
    response = api.post("bulk-customers", {"inputs": [EVERYTHING, customer("C-2")]})

    for found in answered(response, "createCustomers", "returning"):
        assert_documented(found)


def test_create_one_is_documented(api):
    assert_documented(answered(api.post("customers", {"input": EVERYTHING}), "createCustomer"))


@pytest.mark.usefixtures("created")
def test_search_is_documented(api):
    where = {"collectorId": {"_eq": "usr_1"}}  # a stored column still filters
    (found,) = answered(api.post("customers/search", {"where": where}), "customers")

    assert_documented(found)


@pytest.mark.usefixtures("created")
def test_list_is_documented(api):
    (found,) = answered(api.get("customers"), "customers")

    assert_documented(found)


def test_get_is_documented(api, created):
    assert_documented(answered(api.get(f"customers/{created['id']}"), "customer"))


def test_update_by_id_is_documented(api, created):
    response = api.put(f"customers/{created['id']}", {"input": {"collectorId": "usr_2"}})

    assert_documented(answered(response, "updateCustomer"))


@pytest.mark.usefixtures("created")
def test_update_by_source_returning_is_documented(api):
    response = api.put("customers", {**KEY, "input": {"deletedAt": None}})

    (found,) = answered(response, "updateCustomer", "returning")
    assert_documented(found)


def test_every_answer_agrees_with_the_first(api, created):
    # Built from what was written, or read back: the same object either way.
    assert api.search() == [created]
    assert api.get(f"customers/{created['id']}").json() == {"customer": created}


def get_stored(sandbox, **headers):
    return requests.get(f"{sandbox.url}/_sandbox/customers", headers=headers, timeout=TIMEOUT)


def test_admin_customers_are_the_stored_rows_whole(sandbox, created):
    (row,) = sandbox.customers()

    assert documented(row) == created
    assert {key: row[key] for key in UNDOCUMENTED_KEYS} == {
        "collectorId": "usr_1",
        "deletedAt": "2024-03-01T00:00:00+00:00",
        "addressesLastUpdatedAt": "2024-01-15T10:30:00+00:00",
        "contactsLastUpdatedAt": "2024-01-15T10:30:00+00:00",
    }
    assert row["customerRule"]["dueOption"] == 30
    assert row["addresses"][0]["type"] == "BILLING"


def test_admin_customers_are_every_row_in_id_order_soft_deleted_too(api, sandbox):
    created = api.bulk(*(customer(f"C-{i:04}") for i in range(1010)))
    api.bulk(customer("GONE", deletedAt="2024-03-01T00:00:00Z"))
    sandbox.set_readings(deleted_in_search="hidden")

    rows = sandbox.customers()

    assert len(rows) == 1011
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    assert {c["id"] for c in created} < {row["id"] for row in rows}
    assert "GONE" in {row["sourceSystemId"] for row in rows}


def test_admin_customers_are_one_tenants(api, sandbox):
    api.bulk(customer("MINE"))
    api.as_key(sandbox.other_key).bulk(customer("THEIRS"))

    assert [row["sourceSystemId"] for row in sandbox.customers()] == ["MINE"]
    assert [row["sourceSystemId"] for row in sandbox.customers(sandbox.other_key)] == ["THEIRS"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({}, "MISSING_AUTHORIZATION", id="missing"),
        pytest.param({"Authorization": "nobody"}, "INVALID_API_KEY", id="unknown"),
    ],
)
def test_admin_customers_need_a_tenants_key(sandbox, headers, code):
    response = get_stored(sandbox, **headers)

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert response.json()["error"]["code"] == code


def test_admin_customers_are_never_faulted_or_counted(sandbox, created):
    sandbox.set_faults([{"kind": "status", "status": 503}])

    assert [row["id"] for row in sandbox.customers()] == [created["id"]]
    assert sandbox.stats()["requests"] == {"bulk-customers": {"200": 1}}
