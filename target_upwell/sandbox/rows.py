"""Rows: read customers out of SQLite into the object the API returns, and back.

A customer is read in one of two shapes: the documented Customer object, exactly the fields
the docs show, which every API answer carries; or whole, every stored column, for the admin
endpoint. The columns the docs leave out can be written but never read back through the API.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import os
from typing import TYPE_CHECKING

from .rules import ADDRESS_FIELDS, SCALAR_COLUMNS

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator, Sequence

    from .rules import NewCustomer

COLUMNS = tuple(SCALAR_COLUMNS)
_JSON_COLUMNS = frozenset({"ccEmailAddresses", "metadata"})
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit

# Identifiers in SQL text come from fixed tuples, never from a request; values are bound.
_QUOTED_COLUMNS = ", ".join(f'"{c}"' for c in COLUMNS)
_SELECT_CUSTOMERS = f"SELECT id, {_QUOTED_COLUMNS}, createdAt, updatedAt FROM customers"  # noqa: S608
_SELECT_ADDRESSES = "SELECT customer_id, id, {} FROM addresses".format(  # noqa: S608
    ", ".join(f'"{f}"' for f in ADDRESS_FIELDS)
)
_SELECT_RULES = "SELECT customer_id, id, dueOption FROM customer_rules"
# Positions in `COLUMNS` of the columns stored as JSON text.
_JSON_POSITIONS = tuple(i for i, c in enumerate(COLUMNS) if c in _JSON_COLUMNS)
_WHOLE_KEYS = (
    "id",
    *COLUMNS,
    "createdAt",
    "updatedAt",
    "balance",
    "overdueBalance",
    "overdueInvoiceCount",
    "addresses",
    "customerRule",
)
#: Stored columns the documented Customer object leaves out.
UNDOCUMENTED = frozenset(
    {"collectorId", "deletedAt", "addressesLastUpdatedAt", "contactsLastUpdatedAt"}
)
#: The fields of the documented Customer object, in the order of an answer.
DOCUMENTED_KEYS = tuple(k for k in _WHOLE_KEYS if k not in UNDOCUMENTED)
_documented_values = operator.itemgetter(
    *(i for i, k in enumerate(_WHOLE_KEYS) if k not in UNDOCUMENTED)
)
_ADDRESS_KEYS = ("id", *ADDRESS_FIELDS)
_NO_INVOICES = (0, 0, 0)  # balances are computed from invoices in Upwell; the sandbox has none
# uuid4's fixed bits: version 4 in the time_hi field, variant 10 in clock_seq.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4 = (0x4000 << 64) | (0x8000 << 48)

_to_json = json.JSONEncoder(separators=(",", ":")).encode


@dataclasses.dataclass(frozen=True)
class NewRows:
    """The rows one insert writes, table by table, and the customers it answers with.

    Attributes:
        customers: ``customers`` rows: id, tenant, `COLUMNS`, createdAt, updatedAt.
        addresses: ``addresses`` rows: id, customer_id, the address fields.
        rules: ``customer_rules`` rows: id, customer_id, dueOption.
        created: The documented customers, as `load` would read them back once stored.
    """

    customers: list[tuple[object, ...]]
    addresses: list[tuple[object, ...]]
    rules: list[tuple[object, ...]]
    created: list[dict[str, object]]


def to_sql(column: str, value: object) -> object:
    """Encode a column value for SQLite: arrays and objects are stored as JSON text.

    Args:
        column: The customers column.
        value: Its JSON value.

    Returns:
        A value SQLite can bind.
    """
    if column in _JSON_COLUMNS and value is not None:
        return _to_json(value)
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


def new_rows(tenant: str, customers: Sequence[NewCustomer], stamp: str) -> NewRows:
    """Assign ids to new customers, their addresses and rules, and lay them out as rows.

    The answer is built here rather than read back after the insert: SQLite returns values as
    they were bound, and JSON text decodes to the value it was encoded from.

    Args:
        tenant: The tenant id.
        customers: Checked and cast inputs, in input order.
        stamp: Their ``createdAt`` and ``updatedAt``.

    Returns:
        The rows, in input order.
    """
    customer_ids = iter(_new_ids("cus", len(customers)))
    address_ids = iter(_new_ids("adr", sum(len(c.addresses) for c in customers)))
    rule_ids = iter(_new_ids("cr", sum(c.rule is not None for c in customers)))
    rows = NewRows([], [], [], [])
    for customer in customers:
        customer_id = next(customer_ids)
        values = list(map(customer.columns.get, COLUMNS))
        rows.customers.append((customer_id, tenant, *_encoded(values), stamp, stamp))
        addresses: list[dict[str, object]] = []
        for address in customer.addresses:
            address_id, fields = next(address_ids), list(map(address.get, ADDRESS_FIELDS))
            rows.addresses.append((address_id, customer_id, *fields))
            addresses.append(dict(zip(_ADDRESS_KEYS, (address_id, *fields), strict=True)))
        rule: dict[str, object] | None = None
        if customer.rule is not None:
            rule_id, due_option = next(rule_ids), customer.rule.get("dueOption")
            rows.rules.append((rule_id, customer_id, due_option))
            rule = {"id": rule_id, "dueOption": due_option}
        row = (customer_id, *values, stamp, stamp)
        rows.created.append(_customer_object(row, addresses, rule, whole=False))
    return rows


def load(
    db: sqlite3.Connection, ids: Sequence[str], *, whole: bool = False
) -> list[dict[str, object]]:
    """Customers by id with their addresses and rule.

    Args:
        db: The connection, inside a transaction.
        ids: Customer ids that exist; the result keeps their order.
        whole: Every stored column; otherwise the documented Customer object.

    Returns:
        One customer object per id.
    """
    found: dict[str, list[object]] = {}
    addresses: dict[str, list[dict[str, object]]] = {i: [] for i in ids}
    rules: dict[str, dict[str, object]] = {}
    for chunk in chunks(ids):
        where = f"IN ({marks(chunk)})"
        for row in db.execute(f"{_SELECT_CUSTOMERS} WHERE id {where}", chunk):
            found[row[0]] = list(row)
        sql = f"{_SELECT_ADDRESSES} WHERE customer_id {where} ORDER BY rowid"
        for row in db.execute(sql, chunk):
            addresses[row[0]].append(dict(zip(_ADDRESS_KEYS, row[1:], strict=True)))
        sql = f"{_SELECT_RULES} WHERE customer_id {where}"
        for customer_id, rule_id, due_option in db.execute(sql, chunk):
            rules[customer_id] = {"id": rule_id, "dueOption": due_option}
    rows = [found[i] for i in ids]
    _decode_json(rows)
    return [
        _customer_object(row, addresses[i], rules.get(i), whole=whole)
        for i, row in zip(ids, rows, strict=True)
    ]


def _customer_object(
    row: Sequence[object],
    addresses: list[dict[str, object]],
    rule: dict[str, object] | None,
    *,
    whole: bool,
) -> dict[str, object]:
    """A customer, whole or as the documented Customer object.

    Args:
        row: id, the `COLUMNS` as JSON values, createdAt and updatedAt.
        addresses: Its addresses, as the API returns them.
        rule: Its customer rule, or None.
        whole: Every stored column; otherwise only the `DOCUMENTED_KEYS`.

    Returns:
        The customer object, its keys in the API's order.
    """
    values = (*row, *_NO_INVOICES, addresses, rule)
    if whole:
        return dict(zip(_WHOLE_KEYS, values, strict=True))
    return dict(zip(DOCUMENTED_KEYS, _documented_values(values), strict=True))


def _encoded(values: list[object]) -> list[object]:
    """`to_sql` of every column value, in `COLUMNS` order."""
    encoded = values.copy()
    for position in _JSON_POSITIONS:
        if encoded[position] is not None:
            encoded[position] = _to_json(encoded[position])
    return encoded


def _decode_json(rows: list[list[object]]) -> None:
    """Decode, in place, the JSON text columns of customer rows (id first), in one parse.

    Every text is a JSON value this store wrote, so joined by commas they make one array.
    """
    cells = [(row, 1 + p) for row in rows for p in _JSON_POSITIONS if row[1 + p]]
    texts = [str(row[i]) for row, i in cells]
    for (row, i), value in zip(cells, json.loads(f"[{','.join(texts)}]"), strict=True):
        row[i] = value


def _new_ids(prefix: str, count: int) -> list[str]:
    """Ids such as ``cus_`` and a random UUID (version 4) in hex; one read of randomness."""
    raw = os.urandom(16 * count)
    return [
        f"{prefix}_{int.from_bytes(raw[i : i + 16], 'big') & _UUID_CLEAR | _UUID4:032x}"
        for i in range(0, len(raw), 16)
    ]
