"""Creating customers: bulk and one at a time, with their addresses and rule."""

from __future__ import annotations

import json

from sandbox_helpers import ADDRESS_KEYS, assert_documented, customer, documented

FULL_INPUT = customer(
    "C-1",
    emailAddress="ap@acme.example",
    ccEmailAddresses=["controller@acme.example"],
    collectorId="usr_1",
    metadata={"erpSegment": "A", "tags": [1, 2]},
    deletedAt=None,
    addressesLastUpdatedAt="2024-01-15T10:30:00Z",
    contactsLastUpdatedAt="2024-01-15T12:30:00+02:00",
    addresses={
        "data": [
            {"streetLine1": "1 Main St", "streetLine2": None, "city": "Austin", "country": "US"},
            {"type": "BILLING", "city": "Toronto", "stateOrProvince": "ON", "country": "CA"},
            {"type": "SHIPPING", "zipOrPostalCode": "10115", "country": "DE"},
        ]
    },
    customerRule={"data": {"dueOption": 30}},
)


def test_bulk_create_returns_every_customer_in_the_api_shape(api, sandbox):
    response = api.post("bulk-customers", {"inputs": [FULL_INPUT, customer("C-2")]})

    assert response.status_code == 200, response.text
    first, second = response.json()["createCustomers"]["returning"]
    assert_documented(first)
    assert_documented(second)
    assert first["id"].startswith("cus_")
    assert first["sourceSystemId"] == "C-1"
    assert second["sourceSystemId"] == "C-2"
    assert first["ccEmailAddresses"] == ["controller@acme.example"]
    assert first["metadata"] == {"erpSegment": "A", "tags": [1, 2]}
    assert (first["balance"], first["overdueBalance"], first["overdueInvoiceCount"]) == (0, 0, 0)
    assert first["createdAt"] == first["updatedAt"]
    assert first["customerRule"]["id"]
    assert first["customerRule"]["dueOption"] == 30
    assert second["customerRule"] is None
    assert second["addresses"] == []
    stored = sandbox.customers()
    assert [documented(row) for row in stored] == sorted([first, second], key=lambda c: c["id"])


def test_the_undocumented_columns_are_stored_but_never_returned(api, sandbox):
    (created,) = api.bulk(FULL_INPUT)

    (stored,) = sandbox.customers()

    assert "collectorId" not in created
    assert "deletedAt" not in created
    assert stored["collectorId"] == "usr_1"
    assert stored["deletedAt"] is None
    assert documented(stored) == created


def test_the_answer_is_exactly_what_a_read_returns(api):
    # The answer is built from what was written, not read back: it must not differ, not even
    # in key order, float spelling or the order of addresses.
    created = api.bulk(
        FULL_INPUT,
        customer(
            "C-2",
            name="Zürich \u2603 😀",
            ccEmailAddresses=[],
            metadata={"z": 1, "a": [1.5, -0.0, 1e300, 14300.0, 10**30, None, True], "é": {}},
            addresses={"data": [{"city": f"City {n}"} for n in range(4)]},
            customerRule={"data": {"dueOption": None}},
        ),
        customer("C-3", metadata={}, customerRule={"data": {}}),
    )

    read = api.search(limit=10)

    assert json.dumps(read) == json.dumps(sorted(created, key=lambda c: c["id"]))


def test_timestamps_are_stored_in_utc_as_postgres_would(api, sandbox):
    api.bulk(FULL_INPUT)

    (stored,) = sandbox.customers()

    assert stored["addressesLastUpdatedAt"] == "2024-01-15T10:30:00+00:00"
    assert stored["contactsLastUpdatedAt"] == "2024-01-15T10:30:00+00:00"
    assert stored["deletedAt"] is None


def test_addresses_keep_their_order_and_default_to_address_book(api):
    (created,) = api.bulk(FULL_INPUT)

    addresses = created["addresses"]
    assert all(set(address) == ADDRESS_KEYS for address in addresses)
    assert [a["type"] for a in addresses] == ["ADDRESS_BOOK", "BILLING", "SHIPPING"]
    assert [a["country"] for a in addresses] == ["US", "CA", "DE"]
    assert addresses[0]["streetLine2"] is None
    assert len({a["id"] for a in addresses}) == 3


def test_undocumented_relationships_are_accepted_and_ignored(api):
    (created,) = api.bulk(
        customer(
            "C-1",
            contacts={"data": [{"anything": "goes"}]},
            customerEmailSettings={"data": {"enabled": True}},
            customerIntegrationSettings={"data": {}},
            paymentLineItems={"data": []},
            remittanceLineItems={"data": []},
        )
    )

    assert created["sourceSystemId"] == "C-1"
    assert "contacts" not in created


def test_an_empty_batch_stores_nothing(api, sandbox):
    response = api.post("bulk-customers", {"inputs": []})

    assert response.status_code == 200
    assert response.json() == {"createCustomers": {"returning": []}}
    assert sandbox.customers() == []
    assert sandbox.stats()["rows_inserted"] == 0


def test_bill_to_may_name_a_customer_stored_before(api):
    (parent,) = api.bulk(customer("P-1"))

    (child,) = api.bulk(customer("C-1", billToCustomerId=parent["id"]))

    assert child["billToCustomerId"] == parent["id"]


def test_customers_without_a_source_key_never_collide(api, sandbox):
    api.bulk({"name": "No key 1"}, {"name": "No key 2"})
    api.bulk({"name": "No key 3", "sourceSystem": "ERP"})

    # NULLs are distinct in a Postgres unique index, as in SQLite.
    assert len(sandbox.customers()) == 3


def test_create_one_answers_create_customer(api, sandbox):
    response = api.post("customers", {"input": FULL_INPUT})

    assert response.status_code == 200, response.text
    created = response.json()["createCustomer"]
    assert_documented(created)
    assert len(created["addresses"]) == 3
    assert [documented(row) for row in sandbox.customers()] == [created]


def test_create_one_reports_paths_under_insert_customer(api, sandbox):
    response = api.post("customers", {"input": customer("C-1", colour="red")})

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation-failed",
        "error": "field 'colour' not found in type: 'customers_insert_input'",
        "path": "$.selectionSet.insertCustomer.args.object.colour",
    }
    assert sandbox.customers() == []


def test_create_one_rejects_a_duplicate_key(api, sandbox):
    api.bulk(customer("C-1"))

    response = api.post("customers", {"input": customer("C-1", name="Again")})

    assert response.status_code == 400
    assert response.json()["code"] == "constraint-violation"
    assert [c["name"] for c in sandbox.customers()] == ["Customer C-1"]
