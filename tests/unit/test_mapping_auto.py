"""Auto-map: a mapping entry guessed from a stream's field names, when no mapping applies."""

from __future__ import annotations

import json

import pytest
from stamps import unstamped

from target_upwell.mapping.automap import auto_entry
from target_upwell.mapping.field_map import apply, compile_mapping


def quoted(name: str) -> str:
    return json.dumps(name)


@pytest.mark.parametrize(
    ("source", "upwell"),
    [
        ("id", "sourceSystemId"),
        ("ID", "sourceSystemId"),
        ("email", "emailAddress"),
        ("Email", "emailAddress"),
        ("EMAIL_ADDRESS", "emailAddress"),
        ("name", "name"),
        ("Name", "name"),
        ("company_name", "name"),
        ("Company_Name", "name"),
        ("DISPLAY_NAME", "name"),
    ],
)
def test_synonyms_are_matched_without_regard_to_case(source: str, upwell: str) -> None:
    assert auto_entry([source], []) == {upwell: quoted(source)}


def test_the_first_synonym_in_the_table_wins() -> None:
    entry = auto_entry(["display_name", "email_address", "company_name", "email"], [])

    assert entry == {"emailAddress": quoted("email"), "name": quoted("company_name")}


def test_id_is_the_source_system_id_even_when_the_key_property_differs() -> None:
    assert auto_entry(["id", "customer_no"], ["customer_no"])["sourceSystemId"] == quoted("id")


def test_without_id_the_single_key_property_is_the_source_system_id() -> None:
    assert auto_entry(["customer_no", "name"], ["customer_no"]) == {
        "sourceSystemId": quoted("customer_no"),
        "name": quoted("name"),
    }


def test_a_compound_key_is_not_guessed_as_the_source_system_id() -> None:
    assert "sourceSystemId" not in auto_entry(["region", "number"], ["region", "number"])


@pytest.mark.parametrize(
    "field",
    ["sourceSystem", "sourceSystemId", "emailAddress", "ccEmailAddresses", "metadata", "deletedAt"],
)
def test_fields_already_named_like_upwell_fields_pass_through(field: str) -> None:
    assert auto_entry([field], []) == {field: quoted(field)}


def test_an_upwell_named_field_beats_a_synonym() -> None:
    entry = auto_entry(["email", "emailAddress"], [])

    assert entry["emailAddress"] == quoted("emailAddress")


def test_a_customer_rule_field_passes_through_as_its_due_option() -> None:
    assert auto_entry(["customerRule"], []) == {
        "customerRule": {"dueOption": '"customerRule".dueOption'}
    }


def test_flat_address_fields_become_one_address() -> None:
    entry = auto_entry(["Street", "city", "STATE", "zip", "Country", "name"], [])

    assert entry["addresses"] == [
        {
            "streetLine1": quoted("Street"),
            "city": quoted("city"),
            "stateOrProvince": quoted("STATE"),
            "zipOrPostalCode": quoted("zip"),
            "country": quoted("Country"),
        }
    ]


def test_address_line1_and_postal_code_are_address_synonyms() -> None:
    assert auto_entry(["address_line1", "postal_code"], [])["addresses"] == [
        {"streetLine1": quoted("address_line1"), "zipOrPostalCode": quoted("postal_code")}
    ]


def test_an_addresses_field_is_used_instead_of_flat_address_fields() -> None:
    assert auto_entry(["addresses", "city"], [])["addresses"] == quoted("addresses")


def test_sdc_metadata_fields_are_never_mapped() -> None:
    properties = ["_sdc_extracted_at", "_sdc_deleted_at", "_sdc_table_version", "id", "name"]

    entry = auto_entry(properties, [])

    assert entry == {"sourceSystemId": quoted("id"), "name": quoted("name")}


def test_an_sdc_key_property_is_not_guessed_as_the_source_system_id() -> None:
    entry = auto_entry(["_sdc_source_lineno", "name"], ["_sdc_source_lineno"])

    assert entry == {"name": quoted("name")}
    compile_mapping(entry)


def test_fields_left_unmapped_are_listed_by_name_in_stream_order() -> None:
    properties = ["Notes", "id", "Phone Number", "email", "_sdc_batched_at", "city", "tags"]
    field_map = compile_mapping(auto_entry(properties, ["id"]))

    assert field_map.unmapped(properties) == ["Notes", "Phone Number", "tags"]


def test_an_auto_mapped_record_becomes_the_expected_insert_input() -> None:
    properties = ["ID", "Company_Name", "Email", "street", "City", "zip", "country", "notes"]
    record = {
        "ID": 17,
        "Company_Name": " Acme Ltd ",
        "Email": "AP@Acme.EXAMPLE.COM",
        "street": "1 Main St",
        "City": "Springfield",
        "zip": "12345",
        "country": "us",
        "notes": "never sent",
        "_sdc_extracted_at": "2024-01-01T00:00:00Z",
    }
    field_map = compile_mapping(auto_entry(properties, ["ID"]))

    customer = apply(field_map, record, "CSV")

    assert customer is not None
    assert unstamped(customer.insert_input()) == {
        "sourceSystem": "CSV",
        "sourceSystemId": "17",
        "name": "Acme Ltd",
        "emailAddress": "ap@acme.example.com",
        "addresses": {
            "data": [
                {
                    "streetLine1": "1 Main St",
                    "city": "Springfield",
                    "zipOrPostalCode": "12345",
                    "country": "US",
                }
            ]
        },
    }
