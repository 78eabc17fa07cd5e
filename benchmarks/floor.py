"""(c) The floor: read the Singer lines, parse with orjson, map, serialize batches of 500.

Run as ``python benchmarks/floor.py < input.singer``. The mapping is the benchmark mapping
(``shape.MAPPING``) written by hand as direct dict lookups, with the same cleaning: names
stripped, emails lower-cased, countries upper-cased, empty values dropped. No validation,
no HTTP: this is the least any loader must spend per record in Python.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

BATCH = 500
SOURCE_SYSTEM = "BENCH_ERP"
_ADDRESS_KEYS = (
    ("streetLine1", "Address"),
    ("streetLine2", "Address 2"),
    ("city", "City"),
    ("stateOrProvince", "County"),
    ("zipOrPostalCode", "Post Code"),
)


def _address(kind: str, source: dict[str, Any] | None) -> dict[str, Any] | None:
    if not source:
        return None
    address = {name: value for name, key in _ADDRESS_KEYS if (value := source.get(key))}
    country = source.get("Country/Region Code")
    if country:
        address["country"] = country.upper()
    if not address:
        return None
    address["type"] = kind
    return address


def to_customer(record: dict[str, Any]) -> dict[str, Any]:
    """The bulk insert input for one ERP record."""
    customer: dict[str, Any] = {
        "sourceSystem": SOURCE_SYSTEM,
        "sourceSystemId": str(record["Customer No"]),
        "name": record["Company Name"].strip(),
    }
    contact = record.get("Contact") or {}
    email = contact.get("E-Mail")
    if email:
        customer["emailAddress"] = email.lower()
    addresses = [
        a
        for a in (
            _address("BILLING", record.get("Bill-to Address")),
            _address("SHIPPING", record.get("Ship-to Address")),
        )
        if a
    ]
    if addresses:
        customer["addresses"] = {"data": addresses}
    terms = record.get("Payment Terms") or {}
    days = terms.get("Due Days")
    if days is not None:
        customer["customerRule"] = {"data": {"dueOption": days}}
    customer["metadata"] = {
        "erpCustomerNo": record.get("Customer No"),
        "currency": record.get("Currency Code"),
        "creditLimit": record.get("Credit Limit (LCY)"),
        "balance": record.get("Balance (LCY)"),
        "salesperson": record.get("Salesperson Code"),
        "tags": record.get("Tags"),
        "lastModified": record.get("Last Date Modified"),
    }
    return customer


def main() -> None:
    """Read stdin to the end; report counts on stderr."""
    loads, dumps = orjson.loads, orjson.dumps
    batch: list[dict[str, Any]] = []
    records = batches = body_bytes = 0
    state = None
    for line in sys.stdin.buffer:
        message = loads(line)
        kind = message["type"]
        if kind == "RECORD":
            batch.append(to_customer(message["record"]))
            records += 1
            if len(batch) == BATCH:
                body_bytes += len(dumps({"inputs": batch}))
                batches += 1
                batch = []
        elif kind == "STATE":
            state = message["value"]
    if batch:
        body_bytes += len(dumps({"inputs": batch}))
        batches += 1
    if state is not None:
        sys.stdout.buffer.write(dumps(state) + b"\n")
    sys.stderr.write(f"floor: {records} records, {batches} batches, {body_bytes} bytes\n")


if __name__ == "__main__":
    main()
