"""Readings: each gap in the docs has a default answer and an alternative, at start or runtime."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import TIMEOUT, Api, customer, run_cli

DEFAULTS = {
    "search_max_limit": 1000,
    "duplicate_status": 400,
    "row_error_path": "objects",
    "address_types": "all",
    "deleted_in_search": "shown",
}
ALREADY_EXISTS = {
    "error": {
        "code": "RESOURCE_ALREADY_EXISTS",
        "message": "A customer with this sourceSystem and sourceSystemId already exists",
    },
    "status": "error",
}
UNIQUE = (
    "Uniqueness violation. duplicate key value violates unique constraint "
    '"customers_tenant_source_system_source_system_id_key"'
)
OBJECTS = "$.selectionSet.insertCustomers.args.objects"
DELETED = "2024-03-01T00:00:00Z"


def put_readings(url, body):
    return requests.put(f"{url}/_sandbox/readings", json=body, timeout=TIMEOUT)


def get_readings(url):
    response = requests.get(f"{url}/_sandbox/readings", timeout=TIMEOUT)
    assert response.status_code == 200
    return response.json()


def test_the_readings_default_to_the_contracts_assumptions(sandbox):
    assert sandbox.readings() == DEFAULTS


def test_set_readings_changes_only_those_given_and_answers_all(sandbox):
    answer = sandbox.set_readings(duplicate_status=409, search_max_limit=100)

    assert answer == {**DEFAULTS, "duplicate_status": 409, "search_max_limit": 100}
    assert sandbox.readings() == answer
    assert sandbox.set_readings() == answer


def test_reset_restores_the_startup_readings(sandbox):
    sandbox.set_readings(address_types="address-book", deleted_in_search="hidden")

    sandbox.reset()

    assert sandbox.readings() == DEFAULTS


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param({"colour": "red"}, "colour", "unknown reading 'colour'", id="unknown"),
        pytest.param({"search_max_limit": 0}, "search_max_limit", "at least 1", id="limit-0"),
        pytest.param({"search_max_limit": "10"}, "search_max_limit", "integer", id="limit-text"),
        pytest.param({"search_max_limit": True}, "search_max_limit", "integer", id="limit-bool"),
        pytest.param({"duplicate_status": 418}, "duplicate_status", "one of 400, 409", id="418"),
        pytest.param({"duplicate_status": "409"}, "duplicate_status", "one of", id="status-text"),
        pytest.param({"duplicate_status": 409.0}, "duplicate_status", "one of", id="status-float"),
        pytest.param({"row_error_path": "rows"}, "row_error_path", "'objects', 'none'", id="path"),
        pytest.param({"address_types": "BILLING"}, "address_types", "'address-book'", id="types"),
        pytest.param({"deleted_in_search": True}, "deleted_in_search", "'hidden'", id="deleted"),
        pytest.param(
            {"duplicate_status": 409, "row_error_path": "rows"},
            "row_error_path",
            "row_error_path must be",
            id="all-or-none",
        ),
    ],
)
def test_a_bad_reading_is_refused_by_name_and_changes_nothing(sandbox, body, field, message):
    response = put_readings(sandbox.url, body)

    assert response.status_code == 400
    error = response.json()
    assert error["status"] == "error"
    assert error["error"]["code"] == "VALIDATION_ERROR"
    assert error["error"]["details"] == {"field": field}
    assert field in error["error"]["message"]
    assert message in error["error"]["message"]
    assert sandbox.readings() == DEFAULTS


def test_readings_must_come_as_an_object(sandbox):
    response = put_readings(sandbox.url, [["duplicate_status", 409]])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_search_max_limit_caps_search_and_list_pages(api, sandbox):
    api.bulk(*(customer(f"C-{i}") for i in range(5)))
    sandbox.set_readings(search_max_limit=3)

    assert len(api.search(limit=5)) == 3
    assert len(api.search()) == 3  # the default 10, capped
    assert len(api.search(limit=2)) == 2
    assert len(api.search(limit=5, offset=3)) == 2
    listed = api.get("customers", limit=5).json()
    assert len(listed["customers"]) == 3
    assert listed["customersAggregate"] == {"aggregate": {"count": 5}}


@pytest.fixture
def conflict(api, sandbox):
    """Duplicate keys answer 409; C-1 and C-2 are stored."""
    api.bulk(customer("C-1"), customer("C-2"))
    sandbox.set_readings(duplicate_status=409)
    return sandbox.customers()


@pytest.mark.parametrize(
    "inputs",
    [
        pytest.param([customer("NEW"), customer("C-1")], id="of-a-stored-key"),
        pytest.param([customer("NEW"), customer("NEW", name="Twin")], id="within-the-batch"),
    ],
)
def test_duplicate_status_409_in_bulk(api, sandbox, conflict, inputs):
    response = api.post("bulk-customers", {"inputs": inputs})

    assert response.status_code == 409
    assert response.json() == ALREADY_EXISTS
    assert sandbox.customers() == conflict


def test_duplicate_status_409_in_create_one(api, sandbox, conflict):
    response = api.post("customers", {"input": customer("C-1")})

    assert response.status_code == 409
    assert response.json() == ALREADY_EXISTS
    assert sandbox.customers() == conflict


@pytest.mark.parametrize("by", ["source", "id"])
def test_duplicate_status_409_in_an_update_that_takes_a_stored_key(api, sandbox, conflict, by):
    (first,) = (row for row in conflict if row["sourceSystemId"] == "C-1")
    body = {"input": {"sourceSystemId": "C-2"}}

    if by == "id":
        response = api.put(f"customers/{first['id']}", body)
    else:
        response = api.put("customers", {"sourceSystem": "ERP", "sourceSystemId": "C-1", **body})

    assert response.status_code == 409
    assert response.json() == ALREADY_EXISTS
    assert sandbox.customers() == conflict


@pytest.mark.usefixtures("conflict")
def test_duplicate_status_409_leaves_other_errors_as_they_were(api):
    response = api.post("bulk-customers", {"inputs": [customer("NEW", name=None)]})

    assert response.status_code == 400
    assert response.json()["code"] == "constraint-violation"


ROW_ERRORS = [
    pytest.param(customer("C-2", bogus=1), "validation-failed", id="unknown-field"),
    pytest.param(
        customer("C-2", addresses={"data": [{"country": "XX"}]}), "validation-failed", id="enum"
    ),
    pytest.param(customer("C-2", deletedAt="yesterday"), "data-exception", id="timestamp"),
    pytest.param(customer("C-2", name=None), "constraint-violation", id="not-null"),
    pytest.param(customer("C-1"), "constraint-violation", id="duplicate"),
]


@pytest.mark.parametrize(("bad", "code"), ROW_ERRORS)
def test_row_error_path_none_names_no_row(api, sandbox, bad, code):
    api.bulk(customer("C-1"))
    sandbox.set_readings(row_error_path="none")

    response = api.post("bulk-customers", {"inputs": [customer("NEW"), bad]})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["path"] == "$"
    assert "objects" not in response.text
    assert len(sandbox.customers()) == 1


def test_row_error_path_objects_names_the_row(api):
    response = api.post("bulk-customers", {"inputs": [customer("NEW"), customer("C-2", bogus=1)]})

    assert response.json()["path"] == f"{OBJECTS}[1].bogus"


@pytest.mark.parametrize("kind", ["BILLING", "SHIPPING"])
def test_address_types_address_book_refuses_the_other_types(api, sandbox, kind):
    sandbox.set_readings(address_types="address-book")
    addresses = {"data": [{"city": "Austin"}, {"type": kind, "city": "Austin"}]}

    bulk = api.post("bulk-customers", {"inputs": [customer("C-1", addresses=addresses)]})
    one = api.post("customers", {"input": customer("C-1", addresses=addresses)})

    message = f"unexpected value \"{kind}\" for enum: 'AddressTypeEnum'"
    assert bulk.status_code == one.status_code == 400
    assert bulk.json() == {
        "code": "validation-failed",
        "error": message,
        "path": f"{OBJECTS}[0].addresses.data[1].type",
    }
    assert one.json()["error"] == message
    assert sandbox.customers() == []


def test_address_types_address_book_takes_address_book(api, sandbox):
    sandbox.set_readings(address_types="address-book")
    addresses = {"data": [{"city": "Austin"}, {"type": "ADDRESS_BOOK", "city": "Paris"}]}

    (created,) = api.bulk(customer("C-1", addresses=addresses))

    assert [a["type"] for a in created["addresses"]] == ["ADDRESS_BOOK", "ADDRESS_BOOK"]


@pytest.fixture
def one_deleted(api):
    """LIVE, and GONE with deletedAt set."""
    return api.bulk(customer("LIVE"), customer("GONE", deletedAt=DELETED))


def visible(api, gone):
    """Which reads show GONE: search by key, list, get by id."""
    return {
        "search": bool(api.search(where={"sourceSystemId": {"_eq": "GONE"}})),
        "list": "GONE" in {c["sourceSystemId"] for c in api.get("customers").json()["customers"]},
        "get": api.get(f"customers/{gone['id']}").json()["customer"] is not None,
    }


def test_deleted_in_search_shown_returns_soft_deleted_customers(api, one_deleted):
    assert visible(api, one_deleted[1]) == {"search": True, "list": True, "get": True}


def test_deleted_in_search_hidden_leaves_them_out_of_every_read(api, sandbox, one_deleted):
    sandbox.set_readings(deleted_in_search="hidden")

    assert visible(api, one_deleted[1]) == {"search": False, "list": False, "get": False}
    listed = api.get("customers").json()
    assert [c["sourceSystemId"] for c in listed["customers"]] == ["LIVE"]
    assert listed["customersAggregate"] == {"aggregate": {"count": 1}}
    assert [c["sourceSystemId"] for c in api.search()] == ["LIVE"]


@pytest.mark.parametrize(("status", "code"), [(400, "constraint-violation"), (409, None)])
@pytest.mark.usefixtures("one_deleted")
def test_a_hidden_customers_key_still_blocks_an_insert(api, sandbox, status, code):
    sandbox.set_readings(deleted_in_search="hidden", duplicate_status=status)

    response = api.post("bulk-customers", {"inputs": [customer("GONE")]})

    assert response.status_code == status
    assert response.json() == (
        {"code": code, "error": UNIQUE, "path": "$"} if code else ALREADY_EXISTS
    )
    assert len(sandbox.customers()) == 2


def test_a_hidden_customer_is_found_by_source_key_and_reactivated(api, sandbox, one_deleted):
    sandbox.set_readings(deleted_in_search="hidden")
    body = {"sourceSystem": "ERP", "sourceSystemId": "GONE", "input": {"deletedAt": None}}

    response = api.put("customers", body)

    assert response.status_code == 200
    assert response.json()["updateCustomer"]["affectedRows"] == 1
    assert visible(api, one_deleted[1]) == {"search": True, "list": True, "get": True}
    assert {row["sourceSystemId"]: row["deletedAt"] for row in sandbox.customers()} == {
        "LIVE": None,
        "GONE": None,
    }


FLAGS = (
    "--search-max-limit", "2",
    "--duplicate-status", "409",
    "--row-error-path", "none",
    "--address-types", "address-book",
    "--deleted-in-search", "hidden",
)  # fmt: skip


def test_serve_flags_set_the_startup_readings_and_reset_returns_to_them(start_sandbox):
    process = start_sandbox(*FLAGS)
    api = Api(process.url, "sandbox-key")
    started = {
        "search_max_limit": 2,
        "duplicate_status": 409,
        "row_error_path": "none",
        "address_types": "address-book",
        "deleted_in_search": "hidden",
    }
    assert get_readings(process.url) == started
    api.bulk(*(customer(f"C-{i}") for i in range(3)), customer("GONE", deletedAt=DELETED))

    assert len(api.search(limit=10)) == 2
    assert api.post("customers", {"input": customer("C-1")}).status_code == 409
    bad_type = customer("C-9", addresses={"data": [{"type": "BILLING"}]})
    answer = api.post("bulk-customers", {"inputs": [bad_type]}).json()
    assert answer["path"] == "$"
    assert "AddressTypeEnum" in answer["error"]
    assert api.search(where={"sourceSystemId": {"_eq": "GONE"}}) == []

    assert put_readings(process.url, DEFAULTS).json() == DEFAULTS
    requests.post(f"{process.url}/_sandbox/reset", timeout=TIMEOUT).raise_for_status()
    assert get_readings(process.url) == started
    assert "readings: " in process.log_text()


def test_serve_help_documents_the_reading_flags():
    result = run_cli("serve", "--help")

    assert result.returncode == 0
    for flag in FLAGS[::2]:
        assert flag in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--duplicate-status", "418"],
        ["--row-error-path", "rows"],
        ["--search-max-limit", "0"],
        ["--address-types", "billing"],
        ["--deleted-in-search", "gone"],
    ],
)
def test_a_bad_reading_flag_is_refused_before_serving(args):
    result = run_cli("serve", *args)

    assert result.returncode == 2
    assert result.stdout == ""
