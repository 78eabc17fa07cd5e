"""Updating customers: by Upwell id and by source-system key, with customerRulesInput."""

from __future__ import annotations

import pytest
from sandbox_helpers import customer

SET_PATH = "$.selectionSet.updateCustomer.args._set"


def by_source(source_id, **body):
    return {"sourceSystem": "ERP", "sourceSystemId": source_id, **body}


@pytest.fixture
def stored(api):
    """C-1 with a rule (dueOption 30), C-2 without."""
    return api.bulk(customer("C-1", customerRule={"data": {"dueOption": 30}}), customer("C-2"))


def test_update_by_source_sets_columns_and_the_rule(api, stored):
    response = api.put(
        "customers",
        by_source(
            "C-1",
            input={"name": "Renamed", "emailAddress": "ap@x.example"},
            customerRulesInput={"dueOption": 45},
        ),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["updateCustomerRules"] == {"affectedRows": 1}
    assert body["updateCustomer"]["affectedRows"] == 1
    (updated,) = body["updateCustomer"]["returning"]
    assert updated["id"] == stored[0]["id"]
    assert (updated["name"], updated["emailAddress"]) == ("Renamed", "ap@x.example")
    assert updated["customerRule"] == {"id": stored[0]["customerRule"]["id"], "dueOption": 45}
    assert updated["createdAt"] == stored[0]["createdAt"]
    assert updated["updatedAt"] > stored[0]["updatedAt"]


@pytest.mark.usefixtures("stored")
def test_update_by_source_without_rules_input_leaves_the_rule(api):
    response = api.put("customers", by_source("C-1", input={"collectorId": "usr_9"}))

    body = response.json()
    assert body["updateCustomerRules"] == {"affectedRows": 0}
    assert body["updateCustomer"]["returning"][0]["customerRule"]["dueOption"] == 30


@pytest.mark.usefixtures("stored")
def test_update_by_source_of_an_unknown_key_affects_nothing(api, sandbox):
    before = sandbox.customers()

    response = api.put(
        "customers",
        by_source("C-404", input={"name": "Ghost"}, customerRulesInput={"dueOption": 1}),
    )

    assert response.status_code == 200
    assert response.json() == {
        "updateCustomer": {"affectedRows": 0, "returning": []},
        "updateCustomerRules": {"affectedRows": 0},
    }
    assert sandbox.customers() == before


@pytest.mark.usefixtures("stored")
def test_rules_input_updates_existing_rule_rows_only(api):
    response = api.put(
        "customers", by_source("C-2", input={}, customerRulesInput={"dueOption": 60})
    )

    body = response.json()
    assert body["updateCustomer"]["affectedRows"] == 1
    assert body["updateCustomerRules"] == {"affectedRows": 0}
    assert body["updateCustomer"]["returning"][0]["customerRule"] is None


@pytest.mark.usefixtures("stored")
def test_update_by_source_takes_the_key_from_the_query_string_too(api):
    response = api.call(
        "PUT",
        "customers",
        params={"sourceSystem": "ERP", "sourceSystemId": "C-2"},
        json={"input": {"name": "Q"}},
    )

    assert response.json()["updateCustomer"]["returning"][0]["name"] == "Q"


def test_update_by_id_answers_the_customer_itself(api, stored):
    response = api.put(
        f"customers/{stored[0]['id']}",
        {"input": {"name": "By id"}, "customerRulesInput": {"dueOption": 7}},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["updateCustomer"]["name"] == "By id"
    assert body["updateCustomer"]["customerRule"]["dueOption"] == 7
    assert body["updateCustomerRules"] == {"affectedRows": 1}


@pytest.mark.usefixtures("stored")
def test_update_by_id_of_an_unknown_id_is_null(api):
    response = api.put(
        "customers/cus_unknown",
        {"input": {"name": "Ghost"}, "customerRulesInput": {"dueOption": 7}},
    )

    assert response.json() == {"updateCustomer": None, "updateCustomerRules": {"affectedRows": 0}}


def test_update_can_point_bill_to_at_a_stored_customer(api, stored):
    response = api.put("customers", by_source("C-2", input={"billToCustomerId": stored[0]["id"]}))

    assert response.json()["updateCustomer"]["returning"][0]["billToCustomerId"] == stored[0]["id"]


BAD_UPDATES = [
    pytest.param(
        by_source("C-1", input={"addresses": {"data": []}}),
        {
            "code": "validation-failed",
            "error": "field 'addresses' not found in type: 'customers_set_input'",
            "path": f"{SET_PATH}.addresses",
        },
        id="relationship-in-input",
    ),
    pytest.param(
        by_source("C-1", input={"customerRule": {"data": {"dueOption": 1}}}),
        {
            "code": "validation-failed",
            "error": "field 'customerRule' not found in type: 'customers_set_input'",
            "path": f"{SET_PATH}.customerRule",
        },
        id="rule-relationship-in-input",
    ),
    pytest.param(
        by_source("C-1", input={"colour": "red"}),
        {
            "code": "validation-failed",
            "error": "field 'colour' not found in type: 'customers_set_input'",
            "path": f"{SET_PATH}.colour",
        },
        id="unknown-field",
    ),
    pytest.param(
        by_source("C-1", input={"name": 5}),
        {
            "code": "validation-failed",
            "error": "expected a string for type 'String', but found a number",
            "path": f"{SET_PATH}.name",
        },
        id="wrong-type",
    ),
    pytest.param(
        by_source("C-1", input={"name": "ok"}, customerRulesInput={"dueOption": 1, "grace": 2}),
        {
            "code": "validation-failed",
            "error": "field 'grace' not found in type: 'customer_rules_set_input'",
            "path": "$.selectionSet.updateCustomerRules.args._set.grace",
        },
        id="unknown-rule-field",
    ),
    pytest.param(
        by_source("C-1", input={"name": None}),
        {
            "code": "constraint-violation",
            "error": 'Not-NULL violation. null value in column "name" of relation "customers" '
            "violates not-null constraint",
            "path": "$",
        },
        id="null-name",
    ),
    pytest.param(
        by_source("C-1", input={"sourceSystemId": "C-2"}),
        {
            "code": "constraint-violation",
            "error": "Uniqueness violation. duplicate key value violates unique constraint "
            '"customers_tenant_source_system_source_system_id_key"',
            "path": "$",
        },
        id="key-taken",
    ),
    pytest.param(
        by_source("C-1", input={"billToCustomerId": "cus_missing"}),
        {
            "code": "constraint-violation",
            "error": 'Foreign key violation. insert or update on table "customers" violates '
            'foreign key constraint "customers_bill_to_customer_id_fkey"',
            "path": "$",
        },
        id="bad-foreign-key",
    ),
]


@pytest.mark.parametrize(("body", "expected"), BAD_UPDATES)
@pytest.mark.usefixtures("stored")
def test_a_bad_update_changes_nothing(api, sandbox, body, expected):
    before = sandbox.customers()

    response = api.put(
        "customers",
        {**body, "customerRulesInput": body.get("customerRulesInput", {"dueOption": 99})},
    )

    assert response.status_code == 400
    assert response.json() == expected
    assert sandbox.customers() == before


@pytest.mark.parametrize("missing", ["sourceSystem", "sourceSystemId"])
@pytest.mark.usefixtures("stored")
def test_update_by_source_needs_both_halves_of_the_key(api, missing):
    body = by_source("C-1", input={"name": "x"})
    del body[missing]

    response = api.put("customers", body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "VALIDATION_ERROR",
        "message": f"{missing} is required and must be a string",
        "details": {"field": missing},
    }
