"""What Upwell rejects, the sandbox rejects, with Hasura's envelope, and stores none of it.

Each bad batch holds a valid new customer first, so "nothing stored" proves the batch is one
transaction and not a row-by-row load.
"""

from __future__ import annotations

import pytest
from sandbox_helpers import customer

OBJECTS = "$.selectionSet.insertCustomers.args.objects"
UNIQUE = (
    "Uniqueness violation. duplicate key value violates unique constraint "
    '"customers_tenant_source_system_source_system_id_key"'
)
NOT_NULL_NAME = (
    'Not-NULL violation. null value in column "name" of relation "customers" '
    "violates not-null constraint"
)
FOREIGN_KEY = (
    'Foreign key violation. insert or update on table "customers" violates foreign key '
    'constraint "customers_bill_to_customer_id_fkey"'
)
STORED = customer("STORED-1")


def invalid(message, path):
    return {"code": "validation-failed", "error": message, "path": f"{OBJECTS}{path}"}


def violation(message):
    return {"code": "constraint-violation", "error": message, "path": "$"}


BAD_BATCHES = [
    pytest.param(
        [customer("C-2", bogus=1)],
        invalid("field 'bogus' not found in type: 'customers_insert_input'", "[1].bogus"),
        id="unknown-field",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": [{"city": "Paris", "line3": "x"}]})],
        invalid(
            "field 'line3' not found in type: 'addresses_insert_input'",
            "[1].addresses.data[0].line3",
        ),
        id="unknown-address-field",
    ),
    pytest.param(
        [customer("C-2", customerRule={"data": {"dueOption": 30, "net": True}})],
        invalid(
            "field 'net' not found in type: 'customer_rules_insert_input'",
            "[1].customerRule.data.net",
        ),
        id="unknown-rule-field",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": [{"country": "XX"}]})],
        invalid(
            "unexpected value \"XX\" for enum: 'CountryCodeEnum'", "[1].addresses.data[0].country"
        ),
        id="unassigned-country",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": [{"country": "us"}]})],
        invalid(
            "unexpected value \"us\" for enum: 'CountryCodeEnum'", "[1].addresses.data[0].country"
        ),
        id="lower-case-country",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": [{"country": "USA"}]})],
        invalid(
            "unexpected value \"USA\" for enum: 'CountryCodeEnum'", "[1].addresses.data[0].country"
        ),
        id="alpha-3-country",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": [{"type": "HOME"}]})],
        invalid(
            "unexpected value \"HOME\" for enum: 'AddressTypeEnum'", "[1].addresses.data[0].type"
        ),
        id="bad-address-type",
    ),
    pytest.param(
        [customer("C-2"), customer("C-2", name="Twin")],
        violation(UNIQUE),
        id="duplicate-within-batch",
    ),
    pytest.param([customer("STORED-1", name="Again")], violation(UNIQUE), id="duplicate-of-stored"),
    pytest.param([customer("C-2", name=None)], violation(NOT_NULL_NAME), id="null-name"),
    pytest.param(
        [{"sourceSystem": "ERP", "sourceSystemId": "C-2"}],
        violation(NOT_NULL_NAME),
        id="missing-name",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": [{"type": None}]})],
        violation(
            'Not-NULL violation. null value in column "type" of relation "addresses" '
            "violates not-null constraint"
        ),
        id="null-address-type",
    ),
    pytest.param(
        [customer("C-2", name=42)],
        invalid("expected a string for type 'String', but found a number", "[1].name"),
        id="number-for-string",
    ),
    pytest.param(
        [customer("C-2", sourceSystemId=1002)],
        invalid("expected a string for type 'String', but found a number", "[1].sourceSystemId"),
        id="number-for-source-id",
    ),
    pytest.param(
        [customer("C-2", emailAddress=True)],
        invalid("expected a string for type 'String', but found a boolean", "[1].emailAddress"),
        id="boolean-for-string",
    ),
    pytest.param(
        [customer("C-2", ccEmailAddresses="a@example.com")],
        invalid("expected a list, but found a string", "[1].ccEmailAddresses"),
        id="string-for-list",
    ),
    pytest.param(
        [customer("C-2", ccEmailAddresses=["a@example.com", 7])],
        invalid(
            "expected a string for type 'String', but found a number", "[1].ccEmailAddresses[1]"
        ),
        id="number-in-list",
    ),
    pytest.param(
        [customer("C-2", metadata="segment A")],
        invalid("expected an object for type 'jsonb', but found a string", "[1].metadata"),
        id="string-for-metadata",
    ),
    pytest.param(
        [customer("C-2", deletedAt=1700000000)],
        invalid("expected a string for type 'timestamptz', but found a number", "[1].deletedAt"),
        id="number-for-timestamp",
    ),
    pytest.param(
        [customer("C-2", customerRule={"data": {"dueOption": "30"}})],
        invalid(
            "expected a 32-bit integer for type 'Int', but found a string",
            "[1].customerRule.data.dueOption",
        ),
        id="string-for-int",
    ),
    pytest.param(
        [customer("C-2", customerRule={"data": {"dueOption": 30.5}})],
        invalid(
            "The value 30.5 lies outside the bounds or is not an integer. "
            "Maybe it is a float, or is there integer overflow?",
            "[1].customerRule.data.dueOption",
        ),
        id="float-for-int",
    ),
    pytest.param(
        [customer("C-2", addresses=[{"city": "Paris"}])],
        invalid(
            "expected an object for type 'addresses_arr_rel_insert_input', but found a list",
            "[1].addresses",
        ),
        id="addresses-without-data-wrapper",
    ),
    pytest.param(
        [customer("C-2", addresses={"data": {"city": "Paris"}})],
        invalid("expected a list, but found an object", "[1].addresses.data"),
        id="addresses-data-not-a-list",
    ),
    pytest.param(
        [customer("C-2", customerRule={"dueOption": 30})],
        invalid(
            "field 'dueOption' not found in type: 'customer_rules_obj_rel_insert_input'",
            "[1].customerRule.dueOption",
        ),
        id="rule-without-data-wrapper",
    ),
    pytest.param(
        [customer("C-2", contacts=[{"name": "x"}])],
        invalid(
            "expected an object for type 'contacts_arr_rel_insert_input', but found a list",
            "[1].contacts",
        ),
        id="contacts-without-data-wrapper",
    ),
    pytest.param(
        ["not a customer"],
        invalid("expected an object for type 'customers_insert_input', but found a string", "[1]"),
        id="input-not-an-object",
    ),
    pytest.param(
        [customer("C-2", deletedAt="yesterday")],
        {
            "code": "data-exception",
            "error": 'invalid input syntax for type timestamp with time zone: "yesterday"',
            "path": "$",
        },
        id="unreadable-timestamp",
    ),
    pytest.param(
        [customer("C-2", billToCustomerId="cus_does_not_exist")],
        violation(FOREIGN_KEY),
        id="bad-foreign-key",
    ),
]


@pytest.mark.parametrize(("bad_inputs", "expected"), BAD_BATCHES)
def test_a_bad_batch_is_rejected_whole(api, sandbox, bad_inputs, expected):
    api.bulk(STORED)
    before = sandbox.customers()
    inserted = sandbox.stats()["rows_inserted"]

    response = api.post("bulk-customers", {"inputs": [customer("NEW-1"), *bad_inputs]})

    assert response.status_code == 400
    assert response.json() == expected
    assert sandbox.customers() == before
    assert sandbox.stats()["rows_inserted"] == inserted


UNTYPED_ADDRESS = {"data": [{"city": "Paris"}, {"type": None}]}
NOT_NULL_TYPE = (
    'Not-NULL violation. null value in column "type" of relation "addresses" '
    "violates not-null constraint"
)
# Hasura writes customer by customer (the row, then its addresses), so the earliest failure
# in input order is the one reported; the foreign key is checked after every row.
FIRST_FAILURE_WINS = [
    pytest.param(
        [customer("C-2", addresses=UNTYPED_ADDRESS), customer("C-3", name=None)],
        NOT_NULL_TYPE,
        id="address-before-a-later-null-name",
    ),
    pytest.param(
        [customer("C-2", name=None), customer("C-3", addresses=UNTYPED_ADDRESS)],
        NOT_NULL_NAME,
        id="null-name-before-a-later-address",
    ),
    pytest.param(
        [customer("C-2", addresses=UNTYPED_ADDRESS), customer("STORED-1")],
        NOT_NULL_TYPE,
        id="address-before-a-later-duplicate",
    ),
    pytest.param(
        [customer("STORED-1"), customer("C-3", addresses=UNTYPED_ADDRESS)],
        UNIQUE,
        id="duplicate-before-a-later-address",
    ),
    pytest.param(
        [
            customer("C-2", billToCustomerId="cus_missing"),
            customer("C-3", addresses=UNTYPED_ADDRESS),
        ],
        NOT_NULL_TYPE,
        id="foreign-key-after-every-row",
    ),
]


@pytest.mark.parametrize(("bad_inputs", "message"), FIRST_FAILURE_WINS)
def test_the_first_failure_in_input_order_is_reported(api, sandbox, bad_inputs, message):
    api.bulk(STORED)
    before = sandbox.customers()

    response = api.post("bulk-customers", {"inputs": [customer("NEW-1"), *bad_inputs]})

    assert response.status_code == 400
    assert response.json() == violation(message)
    assert sandbox.customers() == before


BAD_BODIES = [
    pytest.param(b'{"inputs": [{"name": "x",', "Request body is not valid JSON", id="broken-json"),
    pytest.param(b"\xff\xfe\x00garbage", "Request body is not valid JSON", id="not-utf8"),
    pytest.param(b'{"inputs": [{"name": NaN}]}', "Request body is not valid JSON", id="nan"),
    pytest.param(b'[{"name": "x"}]', "Request body must be a JSON object", id="body-a-list"),
    pytest.param(
        b'{"input": {"name": "x"}}',
        "inputs is required and must be a list of customers",
        id="no-inputs",
    ),
    pytest.param(
        b'{"inputs": {"name": "x"}}',
        "inputs is required and must be a list of customers",
        id="inputs-an-object",
    ),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_a_malformed_body_gets_the_documented_envelope(api, sandbox, body, message):
    response = api.call(
        "POST", "bulk-customers", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    error = response.json()
    assert error["status"] == "error"
    assert error["error"]["code"] == "VALIDATION_ERROR"
    assert error["error"]["message"] == message
    assert sandbox.customers() == []


@pytest.mark.parametrize(
    ("key", "code", "message"),
    [
        pytest.param(
            None, "MISSING_AUTHORIZATION", "Authorization header is required", id="missing"
        ),
        pytest.param("", "MISSING_AUTHORIZATION", "Authorization header is required", id="empty"),
        pytest.param("wrong-key", "INVALID_API_KEY", "The provided API key is invalid", id="wrong"),
        pytest.param(
            "Bearer test-key", "INVALID_API_KEY", "The provided API key is invalid", id="bearer"
        ),
    ],
)
def test_a_bad_key_gets_401_and_stores_nothing(api, sandbox, key, code, message):
    response = api.as_key(key).post("bulk-customers", {"inputs": [customer("C-1")]})

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"] == message
    assert sandbox.customers() == []


def test_a_bearer_prefix_gets_a_hint(api):
    response = api.as_key("Bearer test-key").get("customers")

    assert "without the 'Bearer ' prefix" in response.json()["error"]["details"]["hint"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "no-such-thing"),
        ("DELETE", "customers"),
        ("POST", "bulk-invoices"),
        ("PATCH", "customers/x"),
    ],
)
def test_an_unknown_endpoint_gets_404(api, method, path):
    response = api.call(method, path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
