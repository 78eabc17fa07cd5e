"""Search queries: translate Hasura's ``where``, ``orderBy``, ``limit`` and ``offset`` into SQL.

Column names reach SQL only from the fixed table below; values always travel as parameters.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .errors import bad_request, validation_failed
from .hasura import expect_enum, expect_list, expect_object, expect_string
from .timestamps import cast_timestamp

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_LIMIT = 10
# Customers whose soft delete is unset: what reads show when soft-deleted ones are hidden.
_LIVE = '"deletedAt" IS NULL'

_ARGS = "$.selectionSet.customers.args"

#: Columns a search may filter or sort on, with the GraphQL scalar of each.
COMPARABLE: Mapping[str, str] = {
    "id": "String",
    "name": "String",
    "sourceSystem": "String",
    "sourceSystemId": "String",
    "emailAddress": "String",
    "billToCustomerId": "String",
    "collectorId": "String",
    "deletedAt": "timestamptz",
    "addressesLastUpdatedAt": "timestamptz",
    "contactsLastUpdatedAt": "timestamptz",
    "createdAt": "timestamptz",
    "updatedAt": "timestamptz",
}
_BOOL_FIELDS = frozenset({*COMPARABLE, "_and", "_or"})
_OPERATORS = frozenset({"_eq", "_neq", "_in"})
# Postgres puts NULLs last in ascending order and first in descending order.
_DIRECTIONS: Mapping[str, str] = {
    "ASC": "ASC NULLS LAST",
    "ASC_NULLS_FIRST": "ASC NULLS FIRST",
    "ASC_NULLS_LAST": "ASC NULLS LAST",
    "DESC": "DESC NULLS FIRST",
    "DESC_NULLS_FIRST": "DESC NULLS FIRST",
    "DESC_NULLS_LAST": "DESC NULLS LAST",
}


@dataclasses.dataclass(frozen=True)
class Query:
    """A search, ready for SQL.

    Attributes:
        where: A SQL boolean expression over ``customers`` columns.
        params: The values of its ``?`` placeholders.
        order_by: A SQL ORDER BY list, always ending with ``id`` so pages are stable.
        limit: Rows per page, at most the server's cap (the ``search_max_limit`` reading).
        offset: Rows to skip.
    """

    where: str = "1"
    params: tuple[object, ...] = ()
    order_by: str = '"id" ASC'
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def page_query(query_string: Mapping[str, str], max_limit: int) -> Query:
    """Build the query of ``GET /customers?limit=&offset=``.

    Args:
        query_string: The decoded query parameters.
        max_limit: The most rows a page may hold, whatever ``limit`` asks.

    Returns:
        All customers of the tenant in id order, one page of them.

    Raises:
        ApiError: ``VALIDATION_ERROR`` for a limit or offset that is not a non-negative integer.
    """
    return Query(
        limit=min(_page_number(query_string, {}, "limit"), max_limit),
        offset=_page_number(query_string, {}, "offset"),
    )


def search_query(
    body: Mapping[str, object], query_string: Mapping[str, str], max_limit: int
) -> Query:
    """Build the query of ``POST /customers/search``.

    Args:
        body: The JSON body; ``limit`` and ``offset`` there win over the query string.
        query_string: The decoded query parameters.
        max_limit: The most rows a page may hold, whatever ``limit`` asks.

    Returns:
        The query.

    Raises:
        ApiError: ``validation-failed`` for a bad ``where`` or ``orderBy``;
            ``VALIDATION_ERROR`` for a bad limit or offset.
    """
    params: list[object] = []
    where = body.get("where")
    where_sql = "1" if where is None else _bool_exp(where, f"{_ARGS}.where", params)
    order = body.get("orderBy")
    return Query(
        where=where_sql,
        params=tuple(params),
        order_by=_order_by(order),
        limit=min(_page_number(query_string, body, "limit"), max_limit),
        offset=_page_number(query_string, body, "offset"),
    )


def by_id(customer_id: str) -> Query:
    """Build the query of ``GET /customers/{id}``.

    Args:
        customer_id: The Upwell id.

    Returns:
        The customer of that id, if the tenant has one.
    """
    return Query(where='"id" = ?', params=(customer_id,), limit=1)


def live_only(query: Query) -> Query:
    """Narrow a query to customers whose ``deletedAt`` is null.

    Args:
        query: Any query.

    Returns:
        The same query, leaving out soft-deleted customers.
    """
    return dataclasses.replace(query, where=f"({query.where}) AND {_LIVE}")


def _page_number(query_string: Mapping[str, str], body: Mapping[str, object], name: str) -> int:
    value: object = body.get(name)
    if value is None:
        value = query_string.get(name)
    if value is None:
        return DEFAULT_LIMIT if name == "limit" else 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{name} must be a non-negative integer"
        raise bad_request(msg, name)
    return value


def _bool_exp(value: object, path: str, params: list[object]) -> str:
    obj = expect_object(value, "customers_bool_exp", path, _BOOL_FIELDS)
    parts = []
    for key, item in obj.items():
        item_path = f"{path}.{key}"
        if key in {"_and", "_or"}:
            parts.append(_combine(item, key, item_path, params))
        else:
            parts.append(_comparison(key, item, item_path, params))
    # Top-level keys combine with AND, as the docs say of CustomersBoolExp.
    return " AND ".join(parts) or "1"


def _combine(value: object, key: str, path: str, params: list[object]) -> str:
    items = expect_list(value, path)
    parts = [_bool_exp(item, f"{path}[{index}]", params) for index, item in enumerate(items)]
    if not parts:
        return "1" if key == "_and" else "0"
    joiner = " AND " if key == "_and" else " OR "
    return "(" + joiner.join(f"({part})" for part in parts) + ")"


def _comparison(column: str, value: object, path: str, params: list[object]) -> str:
    scalar = COMPARABLE[column]
    obj = expect_object(value, f"{scalar}_comparison_exp", path, _OPERATORS)
    parts = []
    for operator, operand in obj.items():
        operand_path = f"{path}.{operator}"
        if operator == "_in":
            items = expect_list(operand, operand_path)
            values = [
                _operand(scalar, item, f"{operand_path}[{i}]") for i, item in enumerate(items)
            ]
            params.extend(values)
            placeholders = ", ".join("?" for _ in values)
            parts.append(f'"{column}" IN ({placeholders})' if values else "0")
        else:
            params.append(_operand(scalar, operand, operand_path))
            parts.append(f'"{column}" {"=" if operator == "_eq" else "<>"} ?')
    return " AND ".join(parts) or "1"


def _operand(scalar: str, value: object, path: str) -> str:
    if value is None:
        # Hasura 2 refuses null in a comparison rather than silently dropping the filter.
        msg = f"unexpected null value for type '{scalar}'"
        raise validation_failed(msg, path)
    text = expect_string(value, scalar, path)
    return cast_timestamp(text) if scalar == "timestamptz" else text


def _order_by(value: object) -> str:
    path = f"{_ARGS}.orderBy"
    if value is None:
        return '"id" ASC'
    # The docs' own example sends a lone object, so accept one as a list of one.
    items = [value] if isinstance(value, dict) else expect_list(value, path)
    terms = []
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        obj = expect_object(item, "customers_order_by", item_path, COMPARABLE)
        for column, direction in obj.items():
            sql = _DIRECTIONS[
                expect_enum(direction, _DIRECTIONS, "order_by", f"{item_path}.{column}")
            ]
            terms.append(f'"{column}" {sql}')
    terms.append('"id" ASC')  # the tiebreak that makes offset paging stable
    return ", ".join(terms)
