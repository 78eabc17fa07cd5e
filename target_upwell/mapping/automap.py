"""Guess a mapping entry from a stream's field names, for streams the mapping doesn't name.

The entry is in the mapping's own grammar, so it is compiled and checked like any other.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from target_upwell import contract

if TYPE_CHECKING:
    from collections.abc import Sequence

# Auto-map: source names (any case) recognised as Upwell fields, first match wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sourceSystemId": ("id",),
    "emailAddress": ("email", "email_address"),
    "name": ("name", "company_name", "display_name"),
}
ADDRESS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "streetLine1": ("street", "address_line1"),
    "city": ("city",),
    "stateOrProvince": ("state",),
    "zipOrPostalCode": ("postal_code", "zip"),
    "country": ("country",),
}


def auto_entry(properties: Sequence[str], key_properties: Sequence[str]) -> dict[str, Any]:
    """A mapping entry, in the same grammar, guessed from the stream's field names."""
    by_lower: dict[str, str] = {}
    for prop in properties:
        if not prop.startswith("_sdc_"):
            by_lower.setdefault(_synonym_form(prop), prop)
    entry: dict[str, Any] = {}
    for upwell in (*contract.SCALAR_FIELDS, "addresses"):
        if upwell.lower() in by_lower:
            entry[upwell] = _quoted(by_lower[upwell.lower()])
    if "customerrule" in by_lower:
        entry["customerRule"] = {"dueOption": f"{_quoted(by_lower['customerrule'])}.dueOption"}
    for upwell, names in SYNONYMS.items():
        found = next((by_lower[n] for n in names if n in by_lower), None)
        if found and upwell not in entry:
            entry[upwell] = _quoted(found)
    keys = [k for k in key_properties if not k.startswith("_sdc_")]
    if "sourceSystemId" not in entry and len(keys) == 1:
        entry["sourceSystemId"] = _quoted(keys[0])
    address = {
        upwell: _quoted(found)
        for upwell, names in ADDRESS_SYNONYMS.items()
        if (found := next((by_lower[n] for n in names if n in by_lower), None))
    }
    if address and "addresses" not in entry:
        entry["addresses"] = [address]
    return entry


def _synonym_form(name: str) -> str:
    """``Company Name`` and ``company-name`` match the synonym ``company_name``."""
    return re.sub(r"[\s\-]+", "_", name.strip()).lower()


def _quoted(name: str) -> str:
    return json.dumps(name)
