"""Reading customers: get one, get many with the aggregate count, and search."""

from __future__ import annotations

import pytest
from sandbox_helpers import customer

SEARCH_ARGS = "$.selectionSet.customers.args"


def source_ids(customers):
    return [c["sourceSystemId"] for c in customers]


def search(api, **body):
    response = api.post("customers/search", body)
    assert response.status_code == 200, response.text
    return response.json()["customers"]


@pytest.fixture
def five(api):
    """Five customers: C-1 .. C-5, two of them without an email address."""
    return api.bulk(
        customer("C-1", emailAddress="one@example.com", collectorId="usr_a"),
        customer("C-2", emailAddress="two@example.com", collectorId="usr_b"),
        customer("C-3", collectorId="usr_a"),
        customer("C-4", emailAddress="four@example.com", sourceSystem="CRM"),
        customer("C-5"),
    )


def test_get_one_returns_the_customer(api, five):
    response = api.get(f"customers/{five[2]['id']}")

    assert response.status_code == 200
    assert response.json() == {"customer": five[2]}


def test_get_one_of_an_unknown_id_is_null(api):
    response = api.get("customers/cus_unknown")

    assert response.status_code == 200
    assert response.json() == {"customer": None}


def test_get_many_defaults_to_ten_and_counts_everything(api):
    api.bulk(*(customer(f"C-{i:02}") for i in range(12)))

    response = api.get("customers")

    assert response.status_code == 200
    body = response.json()
    assert len(body["customers"]) == 10
    assert body["customersAggregate"] == {"aggregate": {"count": 12}}


def test_get_many_pages_with_limit_and_offset_in_a_stable_order(api, five):
    pages = [api.get("customers", limit=2, offset=offset).json() for offset in (0, 2, 4)]

    ids = [c["id"] for page in pages for c in page["customers"]]
    assert ids == sorted(c["id"] for c in five)
    assert {page["customersAggregate"]["aggregate"]["count"] for page in pages} == {5}


@pytest.mark.parametrize("params", [{"limit": "ten"}, {"limit": -1}, {"offset": "1.5"}])
def test_get_many_rejects_a_bad_limit_or_offset(api, params):
    response = api.get("customers", **params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_search_by_eq_on_the_external_key(api, five):
    found = search(api, where={"sourceSystem": {"_eq": "ERP"}, "sourceSystemId": {"_eq": "C-2"}})

    assert found == [five[1]]


def test_search_by_in_returns_full_customers(api, five):
    found = search(api, where={"sourceSystemId": {"_in": ["C-5", "C-1", "missing"]}})

    assert found == sorted([five[0], five[4]], key=lambda c: c["id"])


@pytest.mark.usefixtures("five")
def test_search_with_an_empty_in_finds_nothing(api):
    assert search(api, where={"sourceSystemId": {"_in": []}}) == []


@pytest.mark.usefixtures("five")
def test_search_neq_skips_nulls_as_sql_does(api):
    found = search(api, where={"emailAddress": {"_neq": "one@example.com"}})

    assert sorted(source_ids(found)) == ["C-2", "C-4"]


@pytest.mark.usefixtures("five")
def test_search_combines_and_or_nested(api):
    where = {
        "_or": [
            {"_and": [{"collectorId": {"_eq": "usr_a"}}, {"emailAddress": {"_neq": "x"}}]},
            {"sourceSystem": {"_eq": "CRM"}},
        ]
    }

    assert sorted(source_ids(search(api, where=where))) == ["C-1", "C-4"]


@pytest.mark.usefixtures("five")
def test_search_top_level_keys_combine_with_and(api):
    found = search(api, where={"collectorId": {"_eq": "usr_a"}, "sourceSystemId": {"_neq": "C-1"}})

    assert source_ids(found) == ["C-3"]


@pytest.mark.usefixtures("five")
def test_search_orders_by_the_given_column_then_id(api):
    found = search(api, orderBy=[{"collectorId": "DESC"}, {"sourceSystemId": "ASC"}])

    # Postgres puts NULLs first in descending order.
    assert source_ids(found) == ["C-4", "C-5", "C-2", "C-1", "C-3"]


def test_search_defaults_to_ten_in_id_order(api):
    created = api.bulk(*(customer(f"C-{i:02}") for i in range(12)))

    found = search(api)

    assert [c["id"] for c in found] == sorted(c["id"] for c in created)[:10]


def test_search_pages_cover_every_row_once(api, five):
    pages = [
        search(api, limit=2, offset=offset, orderBy=[{"id": "ASC"}]) for offset in (0, 2, 4, 6)
    ]

    assert [len(page) for page in pages] == [2, 2, 1, 0]
    assert sorted(c["id"] for page in pages for c in page) == sorted(c["id"] for c in five)


def test_search_limit_is_capped_at_1000(api, sandbox):
    api.bulk(*(customer(f"C-{i:04}") for i in range(1005)))

    assert len(search(api, limit=5000)) == 1000
    assert len(search(api, limit=5000, offset=1000)) == 5
    assert len(api.get("customers", limit=5000).json()["customers"]) == 1000
    assert len(sandbox.customers()) == 1005


@pytest.mark.usefixtures("five")
def test_search_takes_limit_from_the_query_string_too(api):
    response = api.call("POST", "customers/search", params={"limit": 2}, json={})

    assert len(response.json()["customers"]) == 2


@pytest.mark.parametrize(
    ("body", "error", "path"),
    [
        pytest.param(
            {"where": {"colour": {"_eq": "red"}}},
            "field 'colour' not found in type: 'customers_bool_exp'",
            ".where.colour",
            id="unknown-column",
        ),
        pytest.param(
            {"where": {"name": {"_like": "A%"}}},
            "field '_like' not found in type: 'String_comparison_exp'",
            ".where.name._like",
            id="unsupported-operator",
        ),
        pytest.param(
            {"where": {"name": {"_eq": None}}},
            "unexpected null value for type 'String'",
            ".where.name._eq",
            id="null-operand",
        ),
        pytest.param(
            {"where": {"name": {"_in": "A"}}},
            "expected a list, but found a string",
            ".where.name._in",
            id="in-not-a-list",
        ),
        pytest.param(
            {"where": {"_or": [{"name": {"_eq": 1}}]}},
            "expected a string for type 'String', but found a number",
            ".where._or[0].name._eq",
            id="nested-wrong-type",
        ),
        pytest.param(
            {"orderBy": [{"name": "UP"}]},
            "unexpected value \"UP\" for enum: 'order_by'",
            ".orderBy[0].name",
            id="bad-direction",
        ),
        pytest.param(
            {"orderBy": [{"colour": "ASC"}]},
            "field 'colour' not found in type: 'customers_order_by'",
            ".orderBy[0].colour",
            id="unknown-order-column",
        ),
    ],
)
def test_a_bad_search_gets_validation_failed(api, body, error, path):
    response = api.post("customers/search", body)

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation-failed",
        "error": error,
        "path": SEARCH_ARGS + path,
    }


def test_search_compares_timestamps_as_instants(api):
    (created,) = api.bulk(customer("C-1", deletedAt="2024-01-15T12:30:00+02:00"))

    found = search(api, where={"deletedAt": {"_eq": "2024-01-15T10:30:00Z"}})

    assert found == [created]
