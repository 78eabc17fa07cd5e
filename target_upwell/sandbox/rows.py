"""Rows: read customers out of SQLite into the object the API returns, and back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .rules import ADDRESS_FIELDS, SCALAR_COLUMNS

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator, Sequence

COLUMNS = tuple(SCALAR_COLUMNS)
_JSON_COLUMNS = frozenset({"ccEmailAddresses", "metadata"})
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def to_sql(column: str, value: object) -> object:
    """Encode a column value for SQLite: arrays and objects are stored as JSON text.

    Args:
        column: The customers column.
        value: Its JSON value.

    Returns:
        A value SQLite can bind.
    """
    if column in _JSON_COLUMNS and value is not None:
        return json.dumps(value, separators=(",", ":"))
    return value


def marks(items: Sequence[object]) -> str:
    """The placeholders of an ``IN (...)`` list.

    Args:
        items: The values that will be bound.

    Returns:
        ``?, ?, ...``, one per item.
    """
    return ", ".join("?" * len(items))


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    """Split ids into lists short enough for one ``IN (...)``.

    Args:
        items: The ids.

    Yields:
        Consecutive slices of at most 500 ids.
    """
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def load(db: sqlite3.Connection, ids: Sequence[str]) -> list[dict[str, object]]:
    """Customers by id with their addresses and rule, shaped as the API returns them.

    Args:
        db: The connection, inside a transaction.
        ids: Customer ids that exist; the result keeps their order.

    Returns:
        One customer object per id.
    """
    found: dict[str, sqlite3.Row] = {}
    addresses: dict[str, list[dict[str, object]]] = {i: [] for i in ids}
    rules: dict[str, dict[str, object]] = {}
    for chunk in chunks(ids):
        where = f"IN ({marks(chunk)})"
        for row in db.execute(f"SELECT * FROM customers WHERE id {where}", chunk):  # noqa: S608
            found[row["id"]] = row
        sql = f"SELECT * FROM addresses WHERE customer_id {where} ORDER BY rowid"  # noqa: S608
        for row in db.execute(sql, chunk):
            address = {"id": row["id"], **{field: row[field] for field in ADDRESS_FIELDS}}
            addresses[row["customer_id"]].append(address)
        sql = f"SELECT * FROM customer_rules WHERE customer_id {where}"  # noqa: S608
        for row in db.execute(sql, chunk):
            rules[row["customer_id"]] = {"id": row["id"], "dueOption": row["dueOption"]}
    return [_shape(found[i], addresses[i], rules.get(i)) for i in ids]


def _shape(
    row: sqlite3.Row, addresses: list[dict[str, object]], rule: dict[str, object] | None
) -> dict[str, object]:
    customer: dict[str, object] = {"id": row["id"]}
    for column in COLUMNS:
        value = row[column]
        customer[column] = json.loads(value) if column in _JSON_COLUMNS and value else value
    customer.update(
        createdAt=row["createdAt"],
        updatedAt=row["updatedAt"],
        # Computed from invoices in Upwell; the sandbox has no invoices.
        balance=0,
        overdueBalance=0,
        overdueInvoiceCount=0,
        addresses=addresses,
        customerRule=rule,
    )
    return customer
