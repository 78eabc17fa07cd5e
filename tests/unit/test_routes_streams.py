"""Which streams load, and with which mapping: named entries, "*", auto-map, the test stream."""

from __future__ import annotations

from typing import Any

import pytest
from stamps import unstamped

from target_upwell.mapping.field_map import MappingConfigError, apply
from target_upwell.mapping.routing import Routes

WILDCARD = {"sourceSystemId": "to_string(id)", "name": "name", "emailAddress": "email"}
CUSTOMERS = {"sourceSystemId": "Id", "name": "DisplayName"}
WITH_SYSTEM = {"sourceSystem": "'QBO'", "sourceSystemId": "Id", "name": "DisplayName"}


def fields_of(routes: Routes, stream: str) -> set[str]:
    field_map = routes.for_stream(stream, ["id", "name", "email"], ["id"])
    assert field_map is not None
    return set(field_map.fields)


def test_a_named_stream_uses_its_own_entry() -> None:
    routes = Routes({"customers": CUSTOMERS, "*": WILDCARD})

    assert routes.for_stream("customers", [], []) is routes.entries["customers"]


def test_other_streams_use_the_wildcard_entry() -> None:
    routes = Routes({"customers": CUSTOMERS, "*": WILDCARD})

    assert routes.for_stream("vendors", [], []) is routes.entries["*"]


def test_a_named_entry_replaces_the_wildcard_and_is_never_merged_with_it() -> None:
    routes = Routes({"customers": CUSTOMERS, "*": WILDCARD})

    assert fields_of(routes, "customers") == {"sourceSystemId", "name"}


def test_a_stream_the_mapping_does_not_name_is_not_loaded() -> None:
    routes = Routes({"customers": CUSTOMERS})

    assert routes.for_stream("vendors", ["id", "name"], ["id"]) is None


@pytest.mark.parametrize("mapping", [None, {}])
def test_without_a_mapping_every_stream_is_auto_mapped(mapping: dict[str, Any] | None) -> None:
    routes = Routes(mapping)

    assert routes.auto is True
    assert fields_of(routes, "anything") == {"sourceSystemId", "name", "emailAddress"}


def test_an_auto_mapped_stream_maps_its_records() -> None:
    field_map = Routes(None).for_stream("contacts", ["id", "name"], ["id"])

    assert field_map is not None
    customer = apply(field_map, {"id": 3, "name": "Ann"}, "CRM")
    assert customer is not None
    assert unstamped(customer.insert_input()) == {
        "sourceSystem": "CRM",
        "sourceSystemId": "3",
        "name": "Ann",
    }


@pytest.mark.parametrize(
    "mapping",
    [None, {"*": WILDCARD}, {"meltano_test_stream": WILDCARD}],
    ids=["auto", "wildcard", "named"],
)
def test_the_meltano_config_test_stream_is_never_loaded(mapping: dict[str, Any] | None) -> None:
    assert Routes(mapping).for_stream("meltano_test_stream", ["id", "name"], ["id"]) is None


@pytest.mark.parametrize(
    ("mapping", "sets_it"),
    [
        (None, False),
        ({"*": WILDCARD}, False),
        ({"*": WITH_SYSTEM}, True),
        ({"customers": WITH_SYSTEM}, True),
        ({"customers": WITH_SYSTEM, "vendors": CUSTOMERS}, False),
        ({"customers": WITH_SYSTEM, "*": WITH_SYSTEM}, True),
    ],
)
def test_sets_source_system_only_when_every_entry_maps_it(
    mapping: dict[str, Any] | None, sets_it: bool
) -> None:
    assert Routes(mapping).sets_source_system() is sets_it


def test_a_bad_entry_fails_at_once_naming_the_stream_and_field() -> None:
    with pytest.raises(MappingConfigError) as caught:
        Routes({"customers": {"nmae": "DisplayName"}})

    assert str(caught.value) == (
        "mapping['customers']: nmae is not a field of CustomersInsertInput"
    )


def test_an_entry_that_is_not_an_object_fails_naming_the_stream() -> None:
    with pytest.raises(MappingConfigError) as caught:
        Routes({"customers": "DisplayName"})

    assert str(caught.value) == (
        "mapping['customers'] must be an object of Upwell field → expression"
    )


def test_the_replay_stream_is_auto_mapped_whatever_the_mapping() -> None:
    routes = Routes({"customers": {"sourceSystemId": "id", "name": "n"}})

    field_map = routes.for_stream("upwell_replay", ["sourceSystemId", "name"], ["sourceSystemId"])

    assert field_map is not None
    assert field_map.fields == {"sourceSystemId", "name"}
