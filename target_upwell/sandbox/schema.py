"""The SQLite schema of the sandbox's store, and how to open a database with it."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# Hasura's Postgres constraints, rebuilt in SQLite: the unique key is per tenant, and a
# bill-to parent must be a customer of the same tenant (a composite foreign key). The
# foreign key is deferred to COMMIT; the store also checks it before, so that only rows
# stored before the request count as parents, as in Hasura's one-statement insert.
_DDL = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    sourceSystem TEXT,
    sourceSystemId TEXT,
    emailAddress TEXT,
    ccEmailAddresses TEXT,
    billToCustomerId TEXT,
    collectorId TEXT,
    metadata TEXT,
    deletedAt TEXT,
    addressesLastUpdatedAt TEXT,
    contactsLastUpdatedAt TEXT,
    createdAt TEXT NOT NULL,
    updatedAt TEXT NOT NULL,
    FOREIGN KEY (tenant, billToCustomerId) REFERENCES customers (tenant, id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX IF NOT EXISTS customers_tenant_id_key ON customers (tenant, id);
CREATE UNIQUE INDEX IF NOT EXISTS customers_tenant_source_system_source_system_id_key
    ON customers (tenant, sourceSystem, sourceSystemId);
-- Deleting a customer checks who bills to it; without this index each check scans the table.
CREATE INDEX IF NOT EXISTS customers_tenant_bill_to_customer_id
    ON customers (tenant, billToCustomerId);
CREATE TABLE IF NOT EXISTS addresses (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    streetLine1 TEXT,
    streetLine2 TEXT,
    city TEXT,
    stateOrProvince TEXT,
    zipOrPostalCode TEXT,
    country TEXT
);
CREATE INDEX IF NOT EXISTS addresses_customer_id ON addresses (customer_id);
CREATE TABLE IF NOT EXISTS customer_rules (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL UNIQUE REFERENCES customers (id) ON DELETE CASCADE,
    dueOption INTEGER
);
"""

MEMORY = ":memory:"


def connect(database: str) -> sqlite3.Connection:
    """Open (or create) a sandbox database and make sure the schema exists.

    The connection is in autocommit mode, so callers open transactions explicitly, and it
    may be used from any thread: the store serialises access with its own lock.

    Args:
        database: A file path, or ``:memory:``.

    Returns:
        The open connection.
    """
    db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    if database != MEMORY:
        # WAL lets `show` read a file while a server is writing to it.
        db.execute("PRAGMA journal_mode = WAL")
    db.executescript(_DDL)
    return db


def connect_read_only(database: Path) -> sqlite3.Connection:
    """Open an existing sandbox database without any right to change it.

    Args:
        database: The path of the database file.

    Returns:
        The open connection.
    """
    return sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
