"""Tenants: each API key sees, collides with and points to only its own customers."""

from __future__ import annotations

import pytest
from sandbox_helpers import customer, documented


@pytest.fixture
def other(api, sandbox):
    return api.as_key(sandbox.other_key)


def test_the_same_source_key_lives_once_in_each_tenant(api, other, sandbox):
    (mine,) = api.bulk(customer("C-1", name="Mine"))
    (theirs,) = other.bulk(customer("C-1", name="Theirs"))

    assert [documented(row) for row in sandbox.customers()] == [mine]
    assert [documented(row) for row in sandbox.customers(sandbox.other_key)] == [theirs]


def test_reads_never_cross_tenants(api, other):
    (theirs,) = other.bulk(customer("C-1"))

    assert api.get(f"customers/{theirs['id']}").json() == {"customer": None}
    listed = api.get("customers").json()
    assert listed == {"customers": [], "customersAggregate": {"aggregate": {"count": 0}}}
    assert api.post("customers/search", {"where": {"id": {"_eq": theirs["id"]}}}).json() == {
        "customers": []
    }


def test_updates_never_cross_tenants(api, other, sandbox):
    (theirs,) = other.bulk(customer("C-1", customerRule={"data": {"dueOption": 30}}))
    before = sandbox.customers(sandbox.other_key)

    by_source = api.put(
        "customers",
        {
            "sourceSystem": "ERP",
            "sourceSystemId": "C-1",
            "input": {"name": "Hijack"},
            "customerRulesInput": {"dueOption": 1},
        },
    )
    by_id = api.put(
        f"customers/{theirs['id']}",
        {"input": {"name": "Hijack"}, "customerRulesInput": {"dueOption": 1}},
    )

    assert by_source.json()["updateCustomer"]["affectedRows"] == 0
    assert by_source.json()["updateCustomerRules"]["affectedRows"] == 0
    assert by_id.json() == {"updateCustomer": None, "updateCustomerRules": {"affectedRows": 0}}
    assert sandbox.customers(sandbox.other_key) == before


def test_bill_to_cannot_point_at_another_tenants_customer(api, other, sandbox):
    (theirs,) = other.bulk(customer("P-1"))

    response = api.post(
        "bulk-customers", {"inputs": [customer("C-1", billToCustomerId=theirs["id"])]}
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("Foreign key violation.")
    assert sandbox.customers() == []
