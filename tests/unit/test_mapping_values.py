"""Mapped values take Upwell's shapes: ids as strings, trimmed text, emails, nulls."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pytest
from stamps import unstamped

from target_upwell.mapping.customer_input import check
from target_upwell.mapping.field_map import MappingError, apply, compile_mapping

if TYPE_CHECKING:
    from target_upwell.mapping.customer_input import Customer

ENTRY = {
    "sourceSystemId": "id",
    "name": "name",
    "emailAddress": "email",
    "ccEmailAddresses": "cc",
    "collectorId": "collector",
}


def mapped(record: dict[str, Any], entry: dict[str, Any] | None = None) -> Customer:
    field_map = compile_mapping(entry or ENTRY)
    customer = apply(field_map, {"id": 1, "name": "Acme", **record}, "QBO")
    assert customer is not None
    return customer


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, "5"), (5.0, "5"), (0, "0"), (12.5, "12.5"), ("  A-17 ", "A-17"), ("007", "007")],
)
def test_the_source_system_id_is_a_string(value: object, expected: str) -> None:
    customer = mapped({"id": value})

    assert customer.source_id == expected
    assert customer.insert_input()["sourceSystemId"] == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_record_without_a_source_system_id_fails_mapping(value: object) -> None:
    with pytest.raises(MappingError, match=r"^field sourceSystemId: is required$"):
        mapped({"id": value})


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2]])
def test_an_object_or_list_source_system_id_fails_mapping(value: object) -> None:
    with pytest.raises(MappingError, match="sourceSystemId"):
        mapped({"id": value})


def test_the_config_source_system_is_used_when_the_mapping_does_not_set_it() -> None:
    assert mapped({}).key == ("QBO", "1")


def test_a_mapped_source_system_overrides_the_config() -> None:
    customer = mapped({"sys": " XERO "}, {**ENTRY, "sourceSystem": "sys"})

    assert customer.key == ("XERO", "1")


def test_a_blank_mapped_source_system_falls_back_to_the_config() -> None:
    customer = mapped({"sys": " "}, {**ENTRY, "sourceSystem": "sys"})

    assert customer.source_system == "QBO"


def test_stray_whitespace_is_trimmed() -> None:
    customer = mapped({"name": "  Acme Ltd \n", "collector": "\tc-1 "})

    assert customer.scalars["name"] == "Acme Ltd"
    assert customer.scalars["collectorId"] == "c-1"


@pytest.mark.parametrize("value", ["", "   ", None])
def test_an_empty_or_null_scalar_is_dropped_from_the_insert_but_kept_in_scalars(
    value: object,
) -> None:
    customer = mapped({"collector": value})

    assert customer.scalars["collectorId"] is None
    assert "collectorId" not in customer.insert_input()


def test_a_field_missing_from_the_record_is_a_null_scalar() -> None:
    customer = mapped({})

    assert unstamped(customer.scalars) == {
        "name": "Acme",
        "emailAddress": None,
        "ccEmailAddresses": None,
        "collectorId": None,
    }
    assert unstamped(customer.insert_input()) == {
        "sourceSystem": "QBO",
        "sourceSystemId": "1",
        "name": "Acme",
    }


def test_an_email_is_trimmed_and_lower_cased() -> None:
    assert (
        mapped({"email": "  AP@Acme.EXAMPLE.COM "}).scalars["emailAddress"] == "ap@acme.example.com"
    )


@pytest.mark.parametrize(
    ("value", "first", "others"),
    [
        ("a@x.example.com; B@x.example.com", "a@x.example.com", ["b@x.example.com"]),
        (
            "a@x.example.com, b@x.example.com c@x.example.com",
            "a@x.example.com",
            ["b@x.example.com", "c@x.example.com"],
        ),
        (["a@x.example.com", " b@x.example.com "], "a@x.example.com", ["b@x.example.com"]),
    ],
)
def test_a_field_with_several_emails_is_split_into_email_and_cc(
    value: object, first: str, others: list[str]
) -> None:
    customer = mapped({"email": value})

    assert customer.scalars["emailAddress"] == first
    assert customer.scalars["ccEmailAddresses"] == others


def test_extra_emails_come_before_the_mapped_cc_list() -> None:
    customer = mapped({"email": "a@x.example.com;b@x.example.com", "cc": ["C@x.example.com"]})

    assert customer.scalars["ccEmailAddresses"] == ["b@x.example.com", "c@x.example.com"]


def test_split_emails_are_cc_even_when_cc_is_not_mapped() -> None:
    customer = mapped(
        {"email": "a@x.example.com b@x.example.com"},
        {"sourceSystemId": "id", "name": "name", "emailAddress": "email"},
    )

    assert customer.insert_input()["ccEmailAddresses"] == ["b@x.example.com"]


def test_extra_emails_join_a_cc_field_that_holds_one_address_as_text() -> None:
    customer = mapped({"email": "a@x.example.com;b@x.example.com", "cc": "c@x.example.com"})

    assert customer.scalars["ccEmailAddresses"] == ["b@x.example.com", "c@x.example.com"]


def test_a_cc_string_with_several_addresses_becomes_a_list() -> None:
    assert mapped({"cc": "c@x.example.com; D@x.example.com"}).scalars["ccEmailAddresses"] == [
        "c@x.example.com",
        "d@x.example.com",
    ]


def test_a_blank_email_is_null() -> None:
    customer = mapped({"email": "  ", "cc": " ; "})

    assert customer.scalars["emailAddress"] is None
    assert customer.scalars["ccEmailAddresses"] is None


@pytest.mark.parametrize(
    ("field", "source"), [("emailAddress", "email"), ("ccEmailAddresses", "cc")]
)
def test_a_value_that_is_not_an_email_fails_mapping_without_quoting_it(
    field: str, source: str
) -> None:
    with pytest.raises(MappingError) as caught:
        mapped({source: "leaky-not-an-email"})

    assert str(caught.value) == f"field {field}: is not a valid email address"
    assert caught.value.field_path == field


@pytest.mark.parametrize(
    ("value", "days"),
    [("Net 30", 30), ("net45", 45), (60, 60), (15.0, 15), ("Due on receipt", 0), ("COD", 0)],
)
def test_a_due_option_is_payment_terms_in_days(value: object, days: int) -> None:
    customer = mapped({"terms": value}, {**ENTRY, "customerRule": {"dueOption": "terms"}})

    assert customer.due_option == days


@pytest.mark.parametrize("value", ["whenever", 2.5, True])
def test_a_due_option_that_is_not_days_fails_mapping(value: object) -> None:
    with pytest.raises(MappingError) as caught:
        mapped({"terms": value}, {**ENTRY, "customerRule": {"dueOption": "terms"}})

    assert caught.value.field_path == "customerRule.dueOption"


@pytest.mark.parametrize("value", [[30], {"days": 30}])
def test_a_due_option_that_is_a_list_or_an_object_fails_mapping(value: object) -> None:
    with pytest.raises(MappingError):
        mapped({"terms": value}, {**ENTRY, "customerRule": {"dueOption": "terms"}})


def test_a_datetime_value_is_sent_as_an_iso_8601_string() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    customer = mapped({"closed": when}, {**ENTRY, "deletedAt": "closed"})

    assert check(customer.insert_input()) == []
