"""Input rules: which fields a customer insert or update may carry, and of which types.

Checking happens in two stages, as in Hasura. ``check_*`` parses the JSON against the
schema (unknown fields, wrong JSON types, enums) and fails with ``validation-failed`` and the
path of the field. ``cast_*`` then converts values the way Postgres would, and fails with
``data-exception``. Constraint errors (unique, NOT NULL, foreign key) come later, from the store.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING

from .countries import COUNTRY_CODES
from .hasura import (
    expect_enum,
    expect_int,
    expect_list,
    expect_object,
    expect_string,
    required,
)
from .timestamps import cast_timestamp

if TYPE_CHECKING:
    from collections.abc import Mapping


class Kind(enum.Enum):
    """The GraphQL type of a scalar customer column."""

    STRING = "String"
    TIMESTAMP = "timestamptz"
    STRING_LIST = "[String!]"
    JSON_OBJECT = "jsonb"


#: The scalar columns of ``customers`` a client may set, on insert and on update.
SCALAR_COLUMNS: Mapping[str, Kind] = {
    "name": Kind.STRING,
    "sourceSystem": Kind.STRING,
    "sourceSystemId": Kind.STRING,
    "emailAddress": Kind.STRING,
    "ccEmailAddresses": Kind.STRING_LIST,
    "billToCustomerId": Kind.STRING,
    "collectorId": Kind.STRING,
    "metadata": Kind.JSON_OBJECT,
    "deletedAt": Kind.TIMESTAMP,
    "addressesLastUpdatedAt": Kind.TIMESTAMP,
    "contactsLastUpdatedAt": Kind.TIMESTAMP,
}
# Kinds whose every string passes the schema check (timestamps are read later, when cast).
_TEXT_KINDS = (Kind.STRING, Kind.TIMESTAMP)
_TIMESTAMP_COLUMNS = frozenset(k for k, kind in SCALAR_COLUMNS.items() if kind is Kind.TIMESTAMP)

ADDRESS_TYPES = frozenset({"ADDRESS_BOOK", "BILLING", "SHIPPING"})
#: ``AddressTypeEnum`` as the docs show it, under the ``address_types`` reading ``address-book``.
ADDRESS_BOOK_ONLY = frozenset({"ADDRESS_BOOK"})
ADDRESS_TEXT_FIELDS = ("streetLine1", "streetLine2", "city", "stateOrProvince", "zipOrPostalCode")
ADDRESS_FIELDS = ("type", *ADDRESS_TEXT_FIELDS, "country")

# Relationships whose fields the docs leave out: accepted as {"data": ...}, content ignored.
# Each maps to (Hasura's wrapper type name, whether it is an array relationship).
_IGNORED_RELATIONSHIPS: Mapping[str, tuple[str, bool]] = {
    "contacts": ("contacts_arr_rel_insert_input", True),
    "customerEmailSettings": ("customer_email_settings_obj_rel_insert_input", False),
    "customerIntegrationSettings": ("customer_integration_settings_obj_rel_insert_input", False),
    "paymentLineItems": ("payment_line_items_arr_rel_insert_input", True),
    "remittanceLineItems": ("remittance_line_items_arr_rel_insert_input", True),
}
_INSERT_FIELDS = frozenset({*SCALAR_COLUMNS, "addresses", "customerRule", *_IGNORED_RELATIONSHIPS})


@dataclasses.dataclass(frozen=True)
class NewCustomer:
    """One checked ``customers_insert_input``.

    Attributes:
        columns: Scalar column name to value, as JSON types (timestamps normalised once cast).
        addresses: The nested addresses, each with every address field present.
        rule: The nested ``customerRule`` data, or None when the input has none.
    """

    columns: dict[str, object]
    addresses: tuple[dict[str, str | None], ...] = ()
    rule: dict[str, int | None] | None = None


def check_insert(
    value: object, path: str, address_types: frozenset[str] = ADDRESS_TYPES
) -> NewCustomer:
    """Check one ``customers_insert_input`` against the schema.

    Args:
        value: The JSON value of the input.
        path: Its JSON path, e.g. ``$.selectionSet.insertCustomers.args.objects[0]``.
        address_types: The values of ``AddressTypeEnum``.

    Returns:
        The checked input.

    Raises:
        ApiError: ``validation-failed`` with the path of the first offending field.
    """
    obj = expect_object(value, "customers_insert_input", path, _INSERT_FIELDS)
    columns = {
        key: _scalar(SCALAR_COLUMNS[key], item, f"{path}.{key}")
        for key, item in obj.items()
        if key in SCALAR_COLUMNS
    }
    addresses = _addresses(obj.get("addresses"), f"{path}.addresses", address_types)
    rule = _customer_rule(obj.get("customerRule"), f"{path}.customerRule")
    for key, (type_name, is_array) in _IGNORED_RELATIONSHIPS.items():
        if key in obj:  # most inputs have none: skip building paths for them
            _ignored_relationship(obj[key], type_name, path=f"{path}.{key}", is_array=is_array)
    return NewCustomer(columns, addresses, rule)


def check_set(value: object, path: str) -> dict[str, object]:
    """Check a ``customers_set_input``: scalar columns only, no relationships.

    Args:
        value: The JSON value of ``input``.
        path: Its JSON path, e.g. ``$.selectionSet.updateCustomer.args._set``.

    Returns:
        Column name to value.

    Raises:
        ApiError: ``validation-failed`` for an unknown or relationship key or a wrong type.
    """
    obj = expect_object(value, "customers_set_input", path, SCALAR_COLUMNS)
    return {key: _scalar(SCALAR_COLUMNS[key], item, f"{path}.{key}") for key, item in obj.items()}


def check_rules_set(value: object, path: str) -> dict[str, int | None]:
    """Check a ``customer_rules_set_input`` (``customerRulesInput``).

    Args:
        value: The JSON value of ``customerRulesInput``.
        path: Its JSON path.

    Returns:
        Column name to value (only ``dueOption`` exists).

    Raises:
        ApiError: ``validation-failed`` for an unknown key or a wrong type.
    """
    obj = expect_object(value, "customer_rules_set_input", path, {"dueOption"})
    return {key: _optional_int(item, f"{path}.{key}") for key, item in obj.items()}


def cast_columns(columns: Mapping[str, object]) -> dict[str, object]:
    """Convert values as Postgres would on insert or update.

    Args:
        columns: Checked column values.

    Returns:
        The values with timestamps normalised to UTC ISO-8601.

    Raises:
        ApiError: ``data-exception`` for a timestamp Postgres could not read.
    """
    return {
        key: cast_timestamp(item)
        if SCALAR_COLUMNS[key] is Kind.TIMESTAMP and isinstance(item, str)
        else item
        for key, item in columns.items()
    }


def cast_customer(customer: NewCustomer) -> NewCustomer:
    """Apply `cast_columns` to a checked insert input.

    Args:
        customer: The checked input.

    Returns:
        A copy with cast columns, or the input itself when it has no timestamp to cast.
    """
    if _TIMESTAMP_COLUMNS.isdisjoint(customer.columns):
        return customer
    return dataclasses.replace(customer, columns=cast_columns(customer.columns))


def _scalar(kind: Kind, value: object, path: str) -> object:
    if value is None or (isinstance(value, str) and kind in _TEXT_KINDS):
        return value
    if kind is Kind.STRING_LIST:
        items = expect_list(value, path)
        return [
            expect_string(item, "String", f"{path}[{index}]") for index, item in enumerate(items)
        ]
    if kind is Kind.JSON_OBJECT:
        # jsonb takes any JSON in Hasura; the contract narrows metadata to an object.
        return expect_object(value, "jsonb", path, None)
    return expect_string(value, kind.value, path)


def _optional_int(value: object, path: str) -> int | None:
    return None if value is None else expect_int(value, path)


def _addresses(
    value: object, path: str, types: frozenset[str]
) -> tuple[dict[str, str | None], ...]:
    if value is None:
        return ()
    wrapper = expect_object(value, "addresses_arr_rel_insert_input", path, {"data"})
    data = expect_list(required(wrapper, "data", path), f"{path}.data")
    return tuple(_address(item, f"{path}.data[{index}]", types) for index, item in enumerate(data))


def _address(value: object, path: str, types: frozenset[str]) -> dict[str, str | None]:
    obj = expect_object(value, "addresses_insert_input", path, ADDRESS_FIELDS)
    # The column default applies only when the key is absent; an explicit null reaches the
    # NOT NULL column and fails there, as in Postgres.
    kind = obj.get("type", "ADDRESS_BOOK")
    address: dict[str, str | None] = {
        "type": None
        if kind is None
        else expect_enum(kind, types, "AddressTypeEnum", f"{path}.type")
    }
    for key in ADDRESS_TEXT_FIELDS:
        item = obj.get(key)
        address[key] = None if item is None else expect_string(item, "String", f"{path}.{key}")
    country = obj.get("country")
    address["country"] = (
        None
        if country is None
        else expect_enum(country, COUNTRY_CODES, "CountryCodeEnum", f"{path}.country")
    )
    return address


def _customer_rule(value: object, path: str) -> dict[str, int | None] | None:
    if value is None:
        return None
    wrapper = expect_object(value, "customer_rules_obj_rel_insert_input", path, {"data"})
    data_path = f"{path}.data"
    data = expect_object(
        required(wrapper, "data", path), "customer_rules_insert_input", data_path, {"dueOption"}
    )
    return {"dueOption": _optional_int(data.get("dueOption"), f"{data_path}.dueOption")}


def _ignored_relationship(value: object, type_name: str, *, path: str, is_array: bool) -> None:
    if value is None:
        return
    data = required(expect_object(value, type_name, path, {"data"}), "data", path)
    if is_array:
        expect_list(data, f"{path}.data")
    else:
        expect_object(data, type_name.replace("_obj_rel", ""), f"{path}.data", None)
