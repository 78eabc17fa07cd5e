"""Upwell's CustomersInsertInput: the mapped customer, its wire shapes, and its pre-flight check."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from target_upwell import contract, encoding
from target_upwell.mapping.validation import Problem, SchemaCheck

_SCHEMA: dict[str, Any] = json.loads(
    resources.files("target_upwell.mapping")
    .joinpath("customers_insert_input.schema.json")
    .read_text()
)
_CHECK = SchemaCheck(_SCHEMA)
_ADDRESS: dict[str, Any] = _SCHEMA["$defs"]["address"]["properties"]
# The ISO 3166-1 alpha-2 codes an address may carry, as the schema lists them.
COUNTRY_CODES: frozenset[str] = frozenset(_ADDRESS["country"]["enum"])
ADDRESS_TYPES: frozenset[str] = frozenset(_ADDRESS["type"]["enum"])
# Fields any string is valid for (an empty name aside), and those any object is valid for.
STRING_FIELDS = frozenset(n for n, s in _SCHEMA["properties"].items() if s.get("type") == "string")
OBJECT_FIELDS = frozenset(n for n, s in _SCHEMA["properties"].items() if s.get("type") == "object")
ADDRESS_STRING_FIELDS = frozenset(n for n, s in _ADDRESS.items() if s.get("type") == "string")
_DATE_TIME_FIELDS = frozenset({"deletedAt", "addressesLastUpdatedAt", "contactsLastUpdatedAt"})


@dataclass(slots=True)
class Customer:
    """One record after mapping: what we want Upwell to hold for one key.

    ``scalars`` keeps mapped fields whose value is None: an insert drops them, an
    update clears them in Upwell. ``addresses`` and ``due_option`` are None when the
    mapping does not set them at all. A deletion (``deleted``) only sets ``deletedAt``
    on a customer that exists.
    """

    source_system: str
    source_id: str
    scalars: dict[str, Any] = field(default_factory=dict)
    addresses: list[dict[str, Any]] | None = None
    due_option: int | None = None
    relations: dict[str, Any] = field(default_factory=dict)
    parent_source_id: str | None = None
    deleted: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """The pair Upwell keeps unique per tenant."""
        return (self.source_system, self.source_id)

    def insert_input(self) -> dict[str, Any]:
        """The CustomersInsertInput for a bulk insert, relationships wrapped in ``data``."""
        payload: dict[str, Any] = {
            "sourceSystem": self.source_system,
            "sourceSystemId": self.source_id,
        }
        for name, value in self.scalars.items():
            if value is not None:
                payload[name] = value  # noqa: PERF403 (measured: cheaper than update() here)
        if self.addresses:
            payload["addresses"] = {"data": self.addresses}
        if self.due_option is not None:
            payload["customerRule"] = {"data": {"dueOption": self.due_option}}
        for name, value in self.relations.items():
            payload[name] = {"data": value}
        return payload


def check(payload: dict[str, Any]) -> list[Problem]:
    """Every reason the payload breaks the shipped CustomersInsertInput schema."""
    return _CHECK(payload)


def stamp(customer: Customer, payload: dict[str, Any]) -> None:
    """Put the fingerprint of the mapped scalars in ``metadata``, the customer's and the input's.

    It covers what an update can set: the scalars, ``metadata`` as mapped included. It sits
    under ``contract.STAMP_KEY`` beside what the user maps to ``metadata`` (a stamp already
    there, as in a replayed payload, is replaced), and says whether the customer is deleted,
    so that a deletion counts once. A ``metadata`` that is not an object is left for the
    schema check to refuse.
    """
    scalars = customer.scalars
    mapped = scalars.get("metadata")
    if mapped is not None and mapped.__class__ is not dict:
        return
    if mapped and contract.STAMP_KEY in mapped:
        mapped = scalars["metadata"] = {k: v for k, v in mapped.items() if k != contract.STAMP_KEY}
    mark = {"fingerprint": encoding.fingerprint(scalars), "deleted": bool(scalars.get("deletedAt"))}
    scalars["metadata"] = payload["metadata"] = {**(mapped or {}), contract.STAMP_KEY: mark}


def update_body(customer: Customer, held: dict[str, Any]) -> dict[str, Any] | None:
    """The PUT-by-source-id body that makes Upwell hold what was mapped, or None if it does.

    A field Upwell returns is compared; one it doesn't is sent whenever the fingerprint
    differs from the one held. A mapped scalar that is null clears the field, except the
    ones Upwell needs; a customer that came back after a tap's deletion is undeleted.
    """
    held_mark = _mark(held.get("metadata"))
    stale = held_mark is None or held_mark != _mark(customer.scalars.get("metadata"))
    changes = {
        name: value
        for name, value in customer.scalars.items()
        if name in contract.COMPARED_FIELDS
        and not (value is None and name in contract.NEVER_CLEARED)
        and (not _same(name, value, held[name]) if name in held else stale)
    }
    if stale and held_mark and held_mark.get("deleted") and "deletedAt" not in customer.scalars:
        changes["deletedAt"] = None
    held_rule = held.get("customerRule")
    rule_changed = held_rule is not None and customer.due_option not in (
        None,
        held_rule.get("dueOption"),
    )
    if not changes and not rule_changed:
        return None
    body: dict[str, Any] = {
        "sourceSystem": customer.source_system,
        "sourceSystemId": customer.source_id,
        "input": changes,
    }
    if rule_changed:
        body["customerRulesInput"] = {"dueOption": customer.due_option}
    return body


def deletion_body(customer: Customer, held: dict[str, Any]) -> dict[str, Any] | None:
    """The PUT that marks a held customer deleted (a tap's deletion), or None if it is.

    The held fingerprint is kept, marked deleted, so a deletion counts once and the
    customer's return is seen; the user's ``metadata`` is kept as it is held.
    """
    held_mark = _mark(held.get("metadata")) or {}
    if held.get("deletedAt") or held_mark.get("deleted"):
        return None
    metadata = held.get("metadata")
    mark = {"fingerprint": held_mark.get("fingerprint"), "deleted": True}
    changes = {
        "deletedAt": customer.scalars.get("deletedAt"),
        "metadata": {**(metadata if isinstance(metadata, dict) else {}), contract.STAMP_KEY: mark},
    }
    return {
        "sourceSystem": customer.source_system,
        "sourceSystemId": customer.source_id,
        "input": changes,
    }


def marks_deleted(customer: Customer, held: dict[str, Any]) -> bool:
    """True when the update deletes a customer Upwell holds as not deleted (counted once)."""
    wanted = _mark(customer.scalars.get("metadata")) or {}
    return bool(wanted.get("deleted")) and not (_mark(held.get("metadata")) or {}).get("deleted")


def _mark(metadata: object) -> dict[str, Any] | None:
    """The target's mark in a ``metadata`` object, if it holds one."""
    mark = metadata.get(contract.STAMP_KEY) if isinstance(metadata, dict) else None
    return mark if isinstance(mark, dict) else None


def rule_unsettable(customer: Customer, held: dict[str, Any]) -> bool:
    """True when payment terms are mapped but Upwell holds no rule row to update.

    The update endpoint changes an existing rule only, so those terms can't be set.
    """
    return customer.due_option is not None and held.get("customerRule") is None


def addresses_differ(customer: Customer, held: dict[str, Any]) -> bool:
    """True when the mapped addresses differ from Upwell's, which an update can't change."""
    if customer.addresses is None:
        return False
    return _address_set(customer.addresses) != _address_set(held.get("addresses") or [])


def _address_set(addresses: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows = [
        tuple(
            a.get(name) or (contract.DEFAULT_ADDRESS_TYPE if name == "type" else None)
            for name in contract.ADDRESS_FIELDS
        )
        for a in addresses
    ]
    return sorted(rows, key=repr)


def _same(name: str, wanted: object, held: object) -> bool:
    if name in _DATE_TIME_FIELDS:
        return _instant(wanted) == _instant(held)
    return wanted == held


def _instant(value: object) -> object:
    """Date-times compare as instants: Upwell may answer ``Z`` as ``+00:00``."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value
