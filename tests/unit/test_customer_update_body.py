"""A Customer's wire shapes: the bulk insert input, the update body, the address comparison."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from target_upwell.mapping.customer_input import (
    Customer,
    addresses_differ,
    rule_unsettable,
    update_body,
)

ADDRESS = {"type": "BILLING", "streetLine1": "1 Main St", "city": "Boston", "country": "US"}


def customer(**changes: Any) -> Customer:
    fields: dict[str, Any] = {
        "source_system": "QBO",
        "source_id": "7",
        "scalars": {"name": "Acme", "emailAddress": "ap@acme.example.com"},
        "addresses": [dict(ADDRESS)],
        "due_option": 30,
    }
    return Customer(**{**fields, **changes})


def held(**changes: Any) -> dict[str, Any]:
    """What Upwell holds for the customer above, with extra columns it returns."""
    return {
        "id": "upw-1",
        "sourceSystem": "QBO",
        "sourceSystemId": "7",
        "name": "Acme",
        "emailAddress": "ap@acme.example.com",
        "collectorId": "c-1",
        "customerRule": {"dueOption": 30},
        "addresses": [{"id": "a-1", **ADDRESS}],
        **changes,
    }


def test_the_insert_input_wraps_relationships_in_data() -> None:
    wanted = customer(relations={"contacts": [{"firstName": "Ann"}]})

    assert wanted.insert_input() == {
        "sourceSystem": "QBO",
        "sourceSystemId": "7",
        "name": "Acme",
        "emailAddress": "ap@acme.example.com",
        "addresses": {"data": [ADDRESS]},
        "customerRule": {"data": {"dueOption": 30}},
        "contacts": {"data": [{"firstName": "Ann"}]},
    }


def test_the_insert_input_drops_null_scalars_and_empty_addresses() -> None:
    wanted = customer(scalars={"name": "Acme", "emailAddress": None}, addresses=[], due_option=None)

    assert wanted.insert_input() == {"sourceSystem": "QBO", "sourceSystemId": "7", "name": "Acme"}


def test_the_key_is_the_source_system_and_its_id() -> None:
    assert customer().key == ("QBO", "7")


def test_an_unchanged_customer_needs_no_update() -> None:
    assert update_body(customer(), held()) is None


def test_a_changed_name_updates_only_the_name() -> None:
    wanted = customer(scalars={"name": "Acme Corp", "emailAddress": "ap@acme.example.com"})

    assert update_body(wanted, held()) == {
        "sourceSystem": "QBO",
        "sourceSystemId": "7",
        "input": {"name": "Acme Corp"},
    }


def test_a_mapped_null_email_clears_it() -> None:
    wanted = customer(scalars={"name": "Acme", "emailAddress": None})

    body = update_body(wanted, held())

    assert body is not None
    assert body["input"] == {"emailAddress": None}


def test_a_mapped_null_email_that_upwell_does_not_hold_needs_no_update() -> None:
    wanted = customer(scalars={"name": "Acme", "emailAddress": None})

    assert update_body(wanted, held(emailAddress=None)) is None


def test_a_null_name_is_never_sent() -> None:
    wanted = customer(scalars={"name": None, "emailAddress": "ap@acme.example.com"})

    assert update_body(wanted, held()) is None


def test_a_field_the_mapping_does_not_set_is_left_alone() -> None:
    assert update_body(customer(), held(collectorId="someone-else")) is None


def test_a_changed_due_option_goes_in_the_customer_rules_input() -> None:
    assert update_body(customer(due_option=45), held()) == {
        "sourceSystem": "QBO",
        "sourceSystemId": "7",
        "input": {},
        "customerRulesInput": {"dueOption": 45},
    }


def test_a_due_option_for_a_customer_without_a_rule_cannot_be_set_and_is_no_change() -> None:
    mine = customer()

    assert update_body(mine, held(customerRule=None)) is None
    assert rule_unsettable(mine, held(customerRule=None))
    assert not rule_unsettable(mine, held(customerRule={"dueOption": 60}))


def test_an_unmapped_due_option_is_not_a_change() -> None:
    assert update_body(customer(due_option=None), held(customerRule={"dueOption": 60})) is None


@pytest.mark.parametrize(
    ("wanted", "held_value"),
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00"),
        ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00+00:00"),
        ("2024-01-01T01:00:00+01:00", "2024-01-01T00:00:00Z"),
    ],
)
@pytest.mark.parametrize("field", ["deletedAt", "addressesLastUpdatedAt", "contactsLastUpdatedAt"])
def test_date_times_are_compared_as_instants(field: str, wanted: str, held_value: str) -> None:
    mine = customer(scalars={"name": "Acme", field: wanted})

    assert update_body(mine, held(**{field: held_value})) is None


def test_a_different_instant_is_a_change() -> None:
    mine = customer(scalars={"name": "Acme", "deletedAt": "2024-01-01T00:00:01Z"})

    body = update_body(mine, held(deletedAt="2024-01-01T00:00:00+00:00"))

    assert body is not None
    assert body["input"] == {"deletedAt": "2024-01-01T00:00:01Z"}


def test_a_text_field_is_compared_exactly_even_when_it_looks_like_a_date() -> None:
    mine = customer(scalars={"name": "2024-01-01T00:00:00Z"})

    body = update_body(mine, held(name="2024-01-01T00:00:00+00:00"))

    assert body is not None
    assert body["input"] == {"name": "2024-01-01T00:00:00Z"}


def test_a_datetime_equal_to_the_held_instant_needs_no_update() -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    mine = customer(scalars={"name": "Acme", "deletedAt": when})

    assert update_body(mine, held(deletedAt="2024-01-01T00:00:00+00:00")) is None


def test_unmapped_addresses_never_differ() -> None:
    assert addresses_differ(customer(addresses=None), held(addresses=[])) is False


def test_the_same_addresses_in_another_order_do_not_differ() -> None:
    shipping = {"type": "SHIPPING", "city": "Quincy"}

    mine = customer(addresses=[shipping, ADDRESS])

    assert addresses_differ(mine, held(addresses=[{**ADDRESS, "id": "a-1"}, shipping])) is False


def test_an_address_without_a_type_matches_upwells_default_type() -> None:
    mine = customer(addresses=[{"city": "Boston"}])

    assert addresses_differ(mine, held(addresses=[{"type": "ADDRESS_BOOK", "city": "Boston"}])) is (
        False
    )


@pytest.mark.parametrize(
    "held_addresses",
    [
        pytest.param([{**ADDRESS, "city": "Cambridge"}], id="changed-city"),
        pytest.param([], id="none-held"),
        pytest.param([ADDRESS, {"type": "SHIPPING", "city": "Quincy"}], id="one-more-held"),
        pytest.param(None, id="null-held"),
    ],
)
def test_addresses_differ_when_upwell_holds_other_ones(held_addresses: object) -> None:
    assert addresses_differ(customer(), held(addresses=held_addresses)) is True


def test_no_mapped_addresses_differ_from_held_ones() -> None:
    assert addresses_differ(customer(addresses=[]), held()) is True
