"""The benchmark's input: customers as an ERP exports them, and the mapping that reads them.

The shape is deliberately foreign to Upwell: keys with spaces and punctuation, nested
objects, numbers (an integer key, decimal amounts), a date-time, an array, a nullable
ship-to address. Generation is deterministic for a given seed and record count.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from pathlib import Path

STREAM = "customers"
SOURCE_SYSTEM = "BENCH_ERP"
FIRST_CUSTOMER_NO = 100_000
STATE_EVERY = 1000

_ADDRESS = {
    "type": ["object", "null"],
    "properties": {
        "Address": {"type": ["string", "null"]},
        "Address 2": {"type": ["string", "null"]},
        "City": {"type": ["string", "null"]},
        "County": {"type": ["string", "null"]},
        "Post Code": {"type": ["string", "null"]},
        "Country/Region Code": {"type": ["string", "null"]},
    },
}

#: The tap's SCHEMA for the stream (what the SDK's validate_records checks against).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Customer No": {"type": "integer"},
        "Company Name": {"type": "string"},
        "Search Name": {"type": ["string", "null"]},
        "Contact": {
            "type": ["object", "null"],
            "properties": {
                "Name": {"type": ["string", "null"]},
                "E-Mail": {"type": ["string", "null"]},
                "Phone No.": {"type": ["string", "null"]},
            },
        },
        "Bill-to Address": _ADDRESS,
        "Ship-to Address": _ADDRESS,
        "Payment Terms": {
            "type": ["object", "null"],
            "properties": {
                "Code": {"type": ["string", "null"]},
                "Due Days": {"type": ["integer", "null"]},
            },
        },
        "Currency Code": {"type": ["string", "null"]},
        "Credit Limit (LCY)": {"type": ["number", "null"]},
        "Balance (LCY)": {"type": ["number", "null"]},
        "Blocked": {"type": ["boolean", "null"]},
        "Salesperson Code": {"type": ["string", "null"]},
        "Tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "Last Date Modified": {"type": "string", "format": "date-time"},
    },
    "required": ["Customer No", "Company Name"],
}
KEY_PROPERTIES = ["Customer No"]


def _address(prefix: str) -> dict[str, str]:
    return {
        "type": "'BILLING'" if prefix == "Bill-to Address" else "'SHIPPING'",
        "streetLine1": f'"{prefix}".Address',
        "streetLine2": f'"{prefix}"."Address 2"',
        "city": f'"{prefix}".City',
        "stateOrProvince": f'"{prefix}".County',
        "zipOrPostalCode": f'"{prefix}"."Post Code"',
        "country": f'"{prefix}"."Country/Region Code"',
    }


#: target-upwell's mapping for the stream, in the target's grammar (JMESPath per field).
#: Quoted keys with spaces, nested paths, a to_string(), constants, a multiselect hash.
MAPPING: dict[str, Any] = {
    STREAM: {
        "sourceSystemId": 'to_string("Customer No")',
        "name": '"Company Name"',
        "emailAddress": 'Contact."E-Mail"',
        "addresses": [_address("Bill-to Address"), _address("Ship-to Address")],
        "customerRule": {"dueOption": '"Payment Terms"."Due Days"'},
        "metadata": (
            '{erpCustomerNo: "Customer No", currency: "Currency Code",'
            ' creditLimit: "Credit Limit (LCY)", balance: "Balance (LCY)",'
            ' salesperson: "Salesperson Code", tags: Tags, lastModified: "Last Date Modified"}'
        ),
    }
}

_FIRST = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Adatum", "Litware",
          "Proseware", "Lucerne", "Alpine", "Coho", "Humongous", "Margie's", "Trey")  # fmt: skip
_SECOND = ("Traders", "Supplies", "Logistics", "Foods", "Outfitters", "Engineering", "Media",
           "Winery", "Airlines", "Insurance", "Bank", "Research", "Toys", "Travel")  # fmt: skip
_LEGAL = ("GmbH", "Ltd", "Inc.", "S.A.", "B.V.", "AG", "LLC", "Oy", "AB", "S.r.l.")
_PEOPLE = ("Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Greta", "Hiro", "Ines",
           "Jonas", "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa")  # fmt: skip
_SURNAMES = ("Müller", "Smith", "García", "Rossi", "Novak", "Kowalski", "Jansen", "Dubois",
             "Silva", "Nilsson", "O'Brien", "Tanaka", "Kim", "Okafor", "Larsen")  # fmt: skip
_STREETS = ("Main St", "Hauptstraße", "Rue de la Paix", "Via Roma", "Kerkstraat", "High Street",
            "Calle Mayor", "Storgatan", "Industrial Way", "Harbour Rd")  # fmt: skip
_PLACES = (
    ("Berlin", "BE", "de"), ("München", "BY", "DE"), ("London", "LND", "gb"),
    ("Paris", "IDF", "FR"), ("Amsterdam", "NH", "nl"), ("Milano", "MI", "IT"),
    ("Madrid", "MD", "es"), ("Stockholm", "AB", "SE"), ("Austin", "TX", "us"),
    ("Toronto", "ON", "CA"), ("Sydney", "NSW", "au"), ("Dublin", "D", "IE"),
)  # fmt: skip
_TERMS = (("COD", 0), ("14 DAYS", 14), ("30 DAYS", 30), ("1M(8D)", 38), ("60 DAYS", 60))
_CURRENCIES = ("EUR", "USD", "GBP", "SEK", None)
_TAGS = ("wholesale", "retail", "key-account", "export", "eu", "priority", "dunning-stop")


def _address_value(rng: random.Random, number: int) -> dict[str, Any]:
    city, county, country = rng.choice(_PLACES)
    return {
        "Address": f"{rng.randint(1, 250)} {rng.choice(_STREETS)}",
        "Address 2": f"Suite {rng.randint(1, 40)}" if rng.random() < 0.3 else None,
        "City": city,
        "County": county,
        "Post Code": f"{(number * 7919) % 100_000:05d}",
        "Country/Region Code": country,
    }


def record(rng: random.Random, index: int) -> dict[str, Any]:
    """One customer as the ERP exports it; index 0 is the first customer."""
    number = FIRST_CUSTOMER_NO + index
    company = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {number} {rng.choice(_LEGAL)}"
    first, last = rng.choice(_PEOPLE), rng.choice(_SURNAMES)
    code, days = rng.choice(_TERMS)
    bill_to = _address_value(rng, number)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    millis = rng.randint(0, 999)
    return {
        "Customer No": number,
        "Company Name": f"  {company} " if rng.random() < 0.05 else company,
        "Search Name": company.upper(),
        "Contact": {
            "Name": f"{first} {last}",
            "E-Mail": f"{first}.{number}@Example.COM",
            "Phone No.": f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1, 10**6)}",
        },
        "Bill-to Address": bill_to,
        "Ship-to Address": _address_value(rng, number + 1) if rng.random() < 0.4 else None,
        "Payment Terms": {"Code": code, "Due Days": days},
        "Currency Code": rng.choice(_CURRENCIES),
        "Credit Limit (LCY)": float(rng.randint(0, 500) * 100),
        "Balance (LCY)": round(rng.uniform(-500, 90_000), 2),
        "Blocked": rng.random() < 0.02,
        "Salesperson Code": f"{first[0]}{last[0]}".upper(),
        "Tags": rng.sample(_TAGS, rng.randint(0, 3)),
        "Last Date Modified": (
            f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"
        ),
    }


def write_singer_file(path: Path, records: int, seed: int, *, first_index: int = 0) -> int:
    """Write SCHEMA, the RECORDs and a STATE every 1000 records (and one at the end).

    Returns the file's size in bytes.
    """
    rng = random.Random(seed)  # noqa: S311 (test data, not security)
    schema = {
        "type": "SCHEMA",
        "stream": STREAM,
        "schema": SCHEMA,
        "key_properties": KEY_PROPERTIES,
    }
    with path.open("wb") as out:
        out.write(orjson.dumps(schema) + b"\n")
        chunk: list[bytes] = []
        for i in range(first_index, first_index + records):
            message = {"type": "RECORD", "stream": STREAM, "record": record(rng, i)}
            chunk.append(orjson.dumps(message))
            done = i - first_index + 1
            if done % STATE_EVERY == 0 or done == records:
                bookmark = {"bookmarks": {STREAM: {"Customer No": FIRST_CUSTOMER_NO + i}}}
                chunk.append(orjson.dumps({"type": "STATE", "value": bookmark}))
            if len(chunk) >= 4096:
                out.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")
    return path.stat().st_size
