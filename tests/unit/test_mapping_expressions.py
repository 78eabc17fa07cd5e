"""Mapping entries: the expression grammar, nested addresses, the customer rule, config errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from stamps import unstamped

from target_upwell.mapping.field_map import MappingConfigError, MappingError, apply, compile_mapping

if TYPE_CHECKING:
    from target_upwell.mapping.customer_input import Customer

BASE_ENTRY = {"sourceSystemId": "id", "name": "DisplayName"}
BASE_RECORD: dict[str, Any] = {"id": "C-1", "DisplayName": "Acme"}


def mapped(entry: dict[str, Any], record: dict[str, Any]) -> Customer:
    customer = apply(compile_mapping({**BASE_ENTRY, **entry}), {**BASE_RECORD, **record}, "QBO")
    assert customer is not None
    return customer


@pytest.mark.parametrize(
    ("field", "expression", "record", "expected"),
    [
        pytest.param("name", "BillAddr.City", {"BillAddr": {"City": "Oslo"}}, "Oslo", id="path"),
        pytest.param("sourceSystemId", "to_string(num)", {"num": 42}, "42", id="to_string"),
        pytest.param("name", "join(', ', tags)", {"tags": ["a", "b"]}, "a, b", id="join"),
        pytest.param("name", "'Walk-in customer'", {}, "Walk-in customer", id="raw-string"),
        pytest.param("collectorId", '`"c-9"`', {}, "c-9", id="json-literal"),
        pytest.param(
            "name", '"Company Name"', {"Company Name": "Acme Ltd"}, "Acme Ltd", id="space"
        ),
        pytest.param(
            "name", '"Bill To"."Company Name"', {"Bill To": {"Company Name": "X"}}, "X", id="nested"
        ),
        pytest.param("name", "Names[1]", {"Names": ["a", "b"]}, "b", id="index"),
        pytest.param("name", "Nick || DisplayName", {"Nick": None}, "Acme", id="or"),
    ],
)
def test_an_expression_is_evaluated_on_the_record_as_the_tap_sent_it(
    field: str, expression: str, record: dict[str, Any], expected: object
) -> None:
    customer = mapped({field: expression}, record)

    assert customer.insert_input()[field] == expected


def test_a_json_literal_sets_a_number() -> None:
    customer = mapped({"customerRule": {"dueOption": "`30`"}}, {})

    assert customer.insert_input()["customerRule"] == {"data": {"dueOption": 30}}


def test_a_path_through_a_missing_parent_is_null() -> None:
    customer = mapped({"emailAddress": "Contact.Email"}, {"Contact": None})

    assert unstamped(customer.scalars) == {"name": "Acme", "emailAddress": None}


def test_addresses_as_a_list_of_objects_of_expressions() -> None:
    entry = {
        "addresses": [
            {
                "type": "'BILLING'",
                "streetLine1": "BillAddr.Line1",
                "city": "BillAddr.City",
                "country": "BillAddr.Country",
            },
            {"type": "'SHIPPING'", "city": "ShipAddr.City"},
        ]
    }
    record = {
        "BillAddr": {"Line1": "1 Main St", "City": "Boston", "Country": "US"},
        "ShipAddr": {"City": "Quincy"},
    }

    customer = mapped(entry, record)

    assert customer.insert_input()["addresses"] == {
        "data": [
            {"type": "BILLING", "streetLine1": "1 Main St", "city": "Boston", "country": "US"},
            {"type": "SHIPPING", "city": "Quincy"},
        ]
    }


def test_an_address_entry_whose_values_are_all_null_is_dropped() -> None:
    entry = {"addresses": [{"city": "BillAddr.City"}, {"city": "ShipAddr.City"}]}

    customer = mapped(entry, {"BillAddr": {"City": "Boston"}})

    assert customer.addresses == [{"city": "Boston"}]


def test_an_address_entry_with_only_a_constant_type_is_dropped() -> None:
    entry = {"addresses": [{"type": "'SHIPPING'", "city": "ShipAddr.City"}]}

    customer = mapped(entry, {})

    assert customer.addresses == []
    assert "addresses" not in customer.insert_input()


def test_addresses_as_one_expression_yielding_a_list() -> None:
    record = {
        "Locations": [
            {"city": " Oslo ", "country": "no", "zipOrPostalCode": None},
            {"city": None, "country": ""},
        ]
    }

    customer = mapped({"addresses": "Locations"}, record)

    assert customer.insert_input()["addresses"] == {"data": [{"city": "Oslo", "country": "NO"}]}


def test_an_addresses_expression_yielding_null_means_no_addresses() -> None:
    customer = mapped({"addresses": "Locations"}, {})

    assert customer.addresses == []
    assert "addresses" not in customer.insert_input()


@pytest.mark.parametrize("value", ["Oslo", {"city": "Oslo"}, ["Oslo"]])
def test_an_addresses_expression_yielding_no_list_of_objects_fails_the_record(
    value: object,
) -> None:
    with pytest.raises(MappingError, match=r"^field addresses: must yield a list of objects$"):
        mapped({"addresses": "Locations"}, {"Locations": value})


def test_an_address_country_is_upper_cased() -> None:
    customer = mapped({"addresses": [{"country": "Country"}]}, {"Country": " gb "})

    assert customer.addresses == [{"country": "GB"}]


def test_the_customer_rule_is_an_object_of_expressions() -> None:
    customer = mapped(
        {"customerRule": {"dueOption": "SalesTermRef.name"}}, {"SalesTermRef": {"name": "Net 45"}}
    )

    assert customer.insert_input()["customerRule"] == {"data": {"dueOption": 45}}


def test_a_null_due_option_sends_no_customer_rule() -> None:
    customer = mapped({"customerRule": {"dueOption": "Terms"}}, {"Terms": None})

    assert customer.due_option is None
    assert "customerRule" not in customer.insert_input()


def test_metadata_is_any_expression_that_yields_an_object() -> None:
    customer = mapped(
        {"metadata": "{source: 'qbo', terms: Terms, tags: Tags}"},
        {
            "Terms": "Net 30",
            "Tags": ["vip"],
        },
    )

    assert unstamped(customer.insert_input())["metadata"] == {
        "source": "qbo",
        "terms": "Net 30",
        "tags": ["vip"],
    }


def test_a_relationship_is_wrapped_in_data() -> None:
    contacts = [{"firstName": "Ann"}]

    customer = mapped({"contacts": "People"}, {"People": contacts})

    assert customer.insert_input()["contacts"] == {"data": contacts}


def test_a_null_relationship_is_left_out() -> None:
    customer = mapped({"contacts": "People"}, {})

    assert "contacts" not in customer.insert_input()


def test_the_parent_source_id_is_a_string() -> None:
    customer = mapped({"billToSourceSystemId": "ParentRef.value"}, {"ParentRef": {"value": 5}})

    assert customer.parent_source_id == "5"


def test_a_record_the_filter_leaves_out_maps_to_none() -> None:
    field_map = compile_mapping({**BASE_ENTRY, "__filter__": "Active"})

    assert apply(field_map, {**BASE_RECORD, "Active": False}, "QBO") is None
    assert apply(field_map, {**BASE_RECORD, "Active": True}, "QBO") is not None


def test_a_failing_expression_names_the_field_and_the_error_type() -> None:
    with pytest.raises(MappingError) as caught:
        mapped({"collectorId": "abs(DisplayName)"}, {})

    assert str(caught.value) == "field collectorId: expression failed (JMESPathTypeError)"
    assert caught.value.field_path == "collectorId"


def test_unmapped_lists_the_source_fields_no_expression_reads() -> None:
    field_map = compile_mapping(
        {
            "sourceSystemId": "to_string(id)",
            "name": '"Company Name"',
            "addresses": [{"city": "BillAddr.City"}],
            "metadata": "{tags: join(', ', tags)}",
        }
    )
    properties = ["id", "Company Name", "BillAddr", "tags", "notes", "_sdc_batched_at", "Fax"]

    assert field_map.unmapped(properties) == ["notes", "Fax"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        pytest.param(
            {"nmae": "x"}, "nmae is not a field of CustomersInsertInput", id="unknown-field"
        ),
        pytest.param(
            {"name": 5}, "name must be a JMESPath expression (a string)", id="not-a-string"
        ),
        pytest.param(
            {"sourceSystemId": "_sdc_table_version"},
            "sourceSystemId reads _sdc_ metadata, which is never mapped",
            id="sdc-field",
        ),
        pytest.param(
            {"metadata": "{seq: to_string(_sdc_sequence)}"},
            "metadata reads _sdc_ metadata, which is never mapped",
            id="sdc-in-function",
        ),
        pytest.param(
            {"addresses": [{"city": '"_sdc_city"'}]},
            "addresses[0].city reads _sdc_ metadata, which is never mapped",
            id="sdc-in-address",
        ),
        pytest.param(
            {"addresses": [{"zip": "zip"}]}, "addresses[0].zip is not an address field", id="addr"
        ),
        pytest.param(
            {"addresses": {"city": "c"}},
            "addresses must be an expression or a list of objects of expressions",
            id="addresses-object",
        ),
        pytest.param(
            {"customerRule": {"terms": "t"}},
            "customerRule.terms is not a field of customerRule",
            id="rule-field",
        ),
        pytest.param(
            {"customerRule": "Terms"}, "customerRule must be an object of expressions", id="rule"
        ),
    ],
)
def test_a_mapping_that_cannot_compile_says_which_field(
    entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(MappingConfigError) as caught:
        compile_mapping(entry)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    "expression",
    ["BillAddr..City", "join(', ', tags", "'unterminated", "to_string(n, id)", "not_null()"],
)
def test_an_invalid_expression_is_a_config_error_naming_the_field(expression: str) -> None:
    with pytest.raises(MappingConfigError, match=r"^name is not a valid JMESPath expression: "):
        compile_mapping({"name": expression})


@pytest.mark.parametrize(
    ("entry", "scalars"),
    [
        ({"emailAddress": "'AP@Example.com'"}, {"emailAddress": "ap@example.com"}),
        (
            {"emailAddress": "'a@x.example.com; b@x.example.com'", "ccEmailAddresses": "`null`"},
            {"emailAddress": "a@x.example.com", "ccEmailAddresses": ["b@x.example.com"]},
        ),
    ],
)
def test_a_literal_email_is_checked_like_a_read_one(
    entry: dict[str, Any], scalars: dict[str, Any]
) -> None:
    customer = mapped(entry, {})

    assert {k: v for k, v in unstamped(customer.scalars).items() if k != "name"} == scalars


def test_not_null_takes_many_arguments() -> None:
    expression = f"not_null({', '.join(f'a{i}' for i in range(150))}, DisplayName)"

    assert mapped({"name": expression}, {}).scalars["name"] == "Acme"


def test_an_expression_reading_sdc_fields_through_the_current_node_is_refused() -> None:
    with pytest.raises(MappingConfigError, match="reads _sdc_ metadata"):
        compile_mapping({"deletedAt": "@._sdc_deleted_at"})
