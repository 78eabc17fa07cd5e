"""The store: customers per tenant in SQLite, where every public method is one transaction.

A lock guards the single connection because the server is threaded. Callers must not hold
it while sleeping: injected latency happens outside, so concurrent requests really overlap.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .errors import (
    FOREIGN_KEY_VIOLATION,
    ApiError,
    constraint_violation,
    not_null_violation_message,
    unique_violation,
)
from .rows import COLUMNS, chunks, load, marks, new_rows, to_sql
from .rules import ADDRESS_FIELDS
from .schema import connect, connect_read_only
from .timestamps import now

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    from .query import Query
    from .rows import NewRows
    from .rules import NewCustomer

# Identifiers in SQL text come from fixed tuples, never from a request; values are bound.
_CUSTOMER_COLUMNS = ", ".join(f'"{c}"' for c in COLUMNS)
_INSERT_CUSTOMER = (
    f"INSERT INTO customers (id, tenant, {_CUSTOMER_COLUMNS}, createdAt, updatedAt) "  # noqa: S608
    f"VALUES ({marks(range(len(COLUMNS) + 4))})"
)
_ADDRESS_COLUMNS = ", ".join(f'"{c}"' for c in ADDRESS_FIELDS)
_INSERT_ADDRESS = (
    f"INSERT INTO addresses (id, customer_id, {_ADDRESS_COLUMNS}) "  # noqa: S608
    f"VALUES ({marks(range(len(ADDRESS_FIELDS) + 2))})"
)
_INSERT_RULE = "INSERT INTO customer_rules (id, customer_id, dueOption) VALUES (?, ?, ?)"
_COUNT = "SELECT COUNT(*) FROM customers WHERE tenant = ?"
_COUNT_WHERE = "SELECT COUNT(*) FROM customers WHERE tenant = ? AND ({})"
_PAGE = "SELECT id FROM customers WHERE tenant = ? AND ({}) ORDER BY {} LIMIT ? OFFSET ?"


@dataclasses.dataclass(frozen=True)
class Updated:
    """What an update did.

    Attributes:
        customers: The matched customers, as documented objects, after the update.
        rules_affected: How many ``customer_rules`` rows the rules update matched.
        rows_written: Customer rows whose columns were set plus rule rows set.
    """

    customers: list[dict[str, object]]
    rules_affected: int
    rows_written: int


class Store:
    """Customers, their addresses and their rules, per tenant."""

    def __init__(self, db: sqlite3.Connection) -> None:
        """Wrap an open connection.

        Args:
            db: A connection from `schema.connect` or `schema.connect_read_only`.
        """
        self._db = db
        self._lock = threading.Lock()

    @classmethod
    def open(cls, database: str) -> Store:
        """Open a database file, or ``:memory:``, creating the schema as needed.

        Args:
            database: The path, or ``:memory:``.

        Returns:
            The store.
        """
        return cls(connect(database))

    @classmethod
    def open_read_only(cls, database: Path) -> Store:
        """Open an existing database file for reading.

        Args:
            database: The path.

        Returns:
            The store.
        """
        return cls(connect_read_only(database))

    def close(self) -> None:
        """Close the connection once no request is using it."""
        with self._lock:
            self._db.close()

    def insert(self, tenant: str, customers: Sequence[NewCustomer]) -> list[dict[str, object]]:
        """Insert customers with their addresses and rules, all or nothing.

        Args:
            tenant: The tenant id.
            customers: Checked and cast inputs.

        Returns:
            The new customers in input order, as documented Customer objects.

        Raises:
            ApiError: ``constraint-violation`` for a NOT NULL, unique or foreign key error;
                nothing is stored then.
        """
        rows = new_rows(tenant, customers, now())
        with self._transaction(write=True) as db:
            # Hasura inserts a batch in one statement, so only rows stored before it are parents.
            parents = _existing(db, tenant, (c.columns.get("billToCustomerId") for c in customers))
            _write(db, rows, customers)
            # Postgres checks foreign keys at the end of the statement, after NOT NULL and unique.
            if any(_parent(c) not in parents for c in customers if _parent(c) is not None):
                raise constraint_violation(FOREIGN_KEY_VIOLATION)
            return rows.created

    def rows(self, tenant: str) -> list[dict[str, object]]:
        """Every customer of the tenant whole, every stored column, in id order."""
        with self._transaction() as db:
            return load(db, _ids(db, tenant, "1", ()), whole=True)

    def search(self, tenant: str, query: Query) -> list[dict[str, object]]:
        """One page of the tenant's customers that match the query, as documented objects.

        A search by source key must use the unique index: left alone, SQLite walks the
        (tenant, id) index to skip the sort and scans every customer of the tenant.
        """
        order_by = query.order_by
        if '"sourceSystemId"' in query.where:
            order_by = order_by.replace('"id"', '+"id"')  # unary +: no index for the order
        sql = _PAGE.format(query.where, order_by)
        with self._transaction() as db:
            rows = db.execute(sql, (tenant, *query.params, query.limit, query.offset))
            return load(db, [row[0] for row in rows])

    def page(self, tenant: str, query: Query) -> tuple[list[dict[str, object]], int]:
        """One page of the tenant's customers that match the query, and how many match.

        Args:
            tenant: The tenant id.
            query: The filter, limit, offset and order.

        Returns:
            The page, and the count of matches regardless of limit and offset.
        """
        with self._transaction() as db:
            count_sql = _COUNT_WHERE.format(query.where)
            total = int(db.execute(count_sql, (tenant, *query.params)).fetchone()[0])
            sql = _PAGE.format(query.where, query.order_by)
            rows = db.execute(sql, (tenant, *query.params, query.limit, query.offset))
            return load(db, [row[0] for row in rows]), total

    def count(self, tenant: str) -> int:
        """How many customers the tenant has."""
        with self._transaction() as db:
            return int(db.execute(_COUNT, (tenant,)).fetchone()[0])

    def tenants(self) -> list[str]:
        """Every tenant that has a customer, sorted."""
        with self._transaction() as db:
            rows = db.execute("SELECT DISTINCT tenant FROM customers ORDER BY tenant")
            return [str(row[0]) for row in rows]

    def update_by_id(
        self,
        tenant: str,
        customer_id: str,
        columns: dict[str, object],
        rules: dict[str, int | None] | None,
    ) -> Updated:
        """Set columns of one customer, and of its rule when ``rules`` is given."""
        return self._update(tenant, ("id = ?", (customer_id,)), columns, rules)

    def update_by_source(
        self,
        tenant: str,
        source: tuple[str, str],
        columns: dict[str, object],
        rules: dict[str, int | None] | None,
    ) -> Updated:
        """Set columns of the customer with this (sourceSystem, sourceSystemId), if any."""
        return self._update(
            tenant, ("sourceSystem = ? AND sourceSystemId = ?", source), columns, rules
        )

    def reset(self) -> None:
        """Delete every row of every tenant."""
        with self._transaction(write=True) as db:
            db.execute("DELETE FROM customer_rules")
            db.execute("DELETE FROM addresses")
            db.execute("DELETE FROM customers")

    def _update(
        self,
        tenant: str,
        match: tuple[str, tuple[str, ...]],
        columns: dict[str, object],
        rules: dict[str, int | None] | None,
    ) -> Updated:
        with self._transaction(write=True) as db:
            ids = _ids(db, tenant, *match)
            parent = columns.get("billToCustomerId")
            if ids and isinstance(parent, str) and parent not in _existing(db, tenant, [parent]):
                raise constraint_violation(FOREIGN_KEY_VIOLATION)
            written = _set_columns(db, ids, columns, "customers", "id") if columns else 0
            rules_affected = 0
            if rules is not None:
                rules_affected = _count_rules(db, ids)
                # Hasura's `update customer_rules where customerId = X` touches existing rows only.
                written += (
                    _set_columns(db, ids, rules, "customer_rules", "customer_id") if rules else 0
                )
            return Updated(load(db, ids), rules_affected, written)

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                self._rollback()
                raise _translate(exc) from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _parent(customer: NewCustomer) -> str | None:
    parent = customer.columns.get("billToCustomerId")
    return parent if isinstance(parent, str) else None


def _write(db: sqlite3.Connection, rows: NewRows, customers: Sequence[NewCustomer]) -> None:
    """Insert the rows table by table, failing with the error Hasura would report first.

    Hasura writes customer by customer (the row, its addresses, its rule) and stops at the
    first failure. Only a customer's NOT NULL name or unique key and an address's NOT NULL
    type can fail, so customers after the first one with an untyped address stay out: that
    address's error comes before theirs.
    """
    end = next(
        (i + 1 for i, c in enumerate(customers) if any(a["type"] is None for a in c.addresses)),
        len(customers),
    )
    db.executemany(_INSERT_CUSTOMER, rows.customers[:end])
    db.executemany(_INSERT_ADDRESS, rows.addresses)
    db.executemany(_INSERT_RULE, rows.rules)


def _ids(db: sqlite3.Connection, tenant: str, condition: str, params: tuple[str, ...]) -> list[str]:
    sql = f"SELECT id FROM customers WHERE tenant = ? AND {condition} ORDER BY id"  # noqa: S608
    return [row[0] for row in db.execute(sql, (tenant, *params))]


def _existing(db: sqlite3.Connection, tenant: str, ids: Iterable[object]) -> set[str]:
    wanted = sorted({i for i in ids if isinstance(i, str)})
    found: set[str] = set()
    for chunk in chunks(wanted):
        sql = f"SELECT id FROM customers WHERE tenant = ? AND id IN ({marks(chunk)})"  # noqa: S608
        found.update(row[0] for row in db.execute(sql, (tenant, *chunk)))
    return found


def _set_columns(
    db: sqlite3.Connection, ids: list[str], columns: Mapping[str, object], table: str, key: str
) -> int:
    assignments = [f'"{column}" = ?' for column in columns]
    values = [to_sql(column, value) for column, value in columns.items()]
    if table == "customers":
        assignments.append("updatedAt = ?")
        values.append(now())
    sql = f"UPDATE {table} SET {', '.join(assignments)} WHERE {key} IN ({marks(ids)})"  # noqa: S608
    return db.execute(sql, (*values, *ids)).rowcount if ids else 0


def _count_rules(db: sqlite3.Connection, ids: list[str]) -> int:
    sql = f"SELECT COUNT(*) FROM customer_rules WHERE customer_id IN ({marks(ids)})"  # noqa: S608
    return int(db.execute(sql, ids).fetchone()[0]) if ids else 0


def _translate(exc: sqlite3.IntegrityError) -> ApiError:
    message = str(exc)
    if message.startswith("UNIQUE constraint failed: customers."):
        return unique_violation()
    if message.startswith("NOT NULL constraint failed: "):
        relation, _, column = message.removeprefix("NOT NULL constraint failed: ").partition(".")
        return constraint_violation(not_null_violation_message(column, relation))
    if message.startswith("FOREIGN KEY constraint failed"):
        return constraint_violation(FOREIGN_KEY_VIOLATION)
    return constraint_violation(f"sandbox store: {message}")
