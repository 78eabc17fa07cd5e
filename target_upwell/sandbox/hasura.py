"""Hasura's input parsers: check one JSON value against a GraphQL type, or fail with its words.

Each function raises ``validation-failed`` with Hasura's message and the JSON path of the value,
so the rules for customers and for searches read as a list of types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import validation_failed

if TYPE_CHECKING:
    from collections.abc import Container

_INT32 = 2**31


def describe(value: object) -> str:
    """Name a JSON value's type the way Hasura's messages do.

    Args:
        value: Any decoded JSON value.

    Returns:
        ``null``, ``a boolean``, ``a string``, ``a number``, ``a list`` or ``an object``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def expect_object(
    value: object, type_name: str, path: str, fields: Container[str] | None
) -> dict[str, object]:
    """Check an input object and reject any field its type does not have.

    Args:
        value: The JSON value.
        type_name: The GraphQL input type, e.g. ``customers_insert_input``.
        path: The JSON path of the value.
        fields: The field names of the type; None for one without a schema (jsonb), which
            takes any field.

    Returns:
        The object.

    Raises:
        ApiError: ``validation-failed`` for a non-object or an unknown field.
    """
    if not isinstance(value, dict):
        msg = f"expected an object for type '{type_name}', but found {describe(value)}"
        raise validation_failed(msg, path)
    if fields is not None:
        for key in value:
            if key not in fields:
                msg = f"field '{key}' not found in type: '{type_name}'"
                raise validation_failed(msg, f"{path}.{key}")
    return value


def expect_list(value: object, path: str) -> list[object]:
    """Check a list value (no single-value coercion: a lone object is rejected).

    Args:
        value: The JSON value.
        path: Its JSON path.

    Returns:
        The list.

    Raises:
        ApiError: ``validation-failed`` for anything but a list.
    """
    if not isinstance(value, list):
        msg = f"expected a list, but found {describe(value)}"
        raise validation_failed(msg, path)
    return value


def expect_string(value: object, type_name: str, path: str) -> str:
    """Check a string scalar.

    Args:
        value: The JSON value.
        type_name: The GraphQL scalar, e.g. ``String`` or ``timestamptz``.
        path: Its JSON path.

    Returns:
        The string.

    Raises:
        ApiError: ``validation-failed`` for anything but a string.
    """
    if not isinstance(value, str):
        msg = f"expected a string for type '{type_name}', but found {describe(value)}"
        raise validation_failed(msg, path)
    return value


def expect_int(value: object, path: str) -> int:
    """Check an ``Int``: a 32-bit integer; an integral float such as ``30.0`` passes.

    Args:
        value: The JSON value.
        path: Its JSON path.

    Returns:
        The integer.

    Raises:
        ApiError: ``validation-failed`` for a non-number, a fraction or an overflow.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"expected a 32-bit integer for type 'Int', but found {describe(value)}"
        raise validation_failed(msg, path)
    if value != int(value) or not -_INT32 <= value < _INT32:
        msg = (
            f"The value {value} lies outside the bounds or is not an integer. "
            "Maybe it is a float, or is there integer overflow?"
        )
        raise validation_failed(msg, path)
    return int(value)


def expect_enum(value: object, values: Container[str], type_name: str, path: str) -> str:
    """Check an enum value.

    Args:
        value: The JSON value.
        values: The members of the enum.
        type_name: The GraphQL enum, e.g. ``CountryCodeEnum``.
        path: Its JSON path.

    Returns:
        The member.

    Raises:
        ApiError: ``validation-failed`` for a non-string or a value outside the enum.
    """
    if not isinstance(value, str):
        msg = f"expected an enum value for type '{type_name}', but found {describe(value)}"
        raise validation_failed(msg, path)
    if value not in values:
        msg = f"unexpected value \"{value}\" for enum: '{type_name}'"
        raise validation_failed(msg, path)
    return value


def required(obj: dict[str, object], key: str, path: str) -> object:
    """Get a field a type marks as required.

    Args:
        obj: The checked input object.
        key: The required field.
        path: The JSON path of the object.

    Returns:
        The field's value.

    Raises:
        ApiError: ``validation-failed`` when the field is absent.
    """
    if key not in obj:
        msg = f"missing required field '{key}'"
        raise validation_failed(msg, path)
    return obj[key]
