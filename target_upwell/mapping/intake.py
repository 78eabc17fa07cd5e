"""Judge one record: the customer it becomes, or why it can't be loaded. Pure, no I/O.

The sink buffers what this accepts; the preview command reports it. Both read records the
same way because both call this (the sink through ``accepted``, ``judge`` less its Verdict).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from target_upwell.mapping import customer_input
from target_upwell.mapping.field_map import MappingError
from target_upwell.mapping.validation import Problem
from target_upwell.outcomes import Reason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from target_upwell.mapping.customer_input import Customer
    from target_upwell.mapping.field_map import FieldMap


# A mapped customer, its insert input, and whether that input needed the schema check.
Mapped = tuple["Customer", dict[str, Any], bool]


@dataclass(slots=True)  # one per record: not frozen, whose __init__ costs a setattr a field
class Verdict:
    """A customer to load (with its insert input), or a reason and the problems behind it.

    Neither a customer nor a reason: the mapping's filter left the record out.
    """

    reason: Reason | None = None
    problems: list[Problem] = field(default_factory=list)
    customer: Customer | None = None
    payload: dict[str, Any] | None = None


def judge(
    field_map: FieldMap, record: dict[str, Any], source_system: str, problems: list[Problem]
) -> Verdict:
    """Map a record already checked against the tap's schema (``problems``), and check it."""
    if problems:
        return Verdict(Reason.INVALID_RECORD, problems)
    mapped = accepted(field_map, record, source_system)
    return mapped if isinstance(mapped, Verdict) else Verdict(None, [], mapped[0], mapped[1])


def accepted(field_map: FieldMap, record: dict[str, Any], source_system: str) -> Mapped | Verdict:
    """Map a record the tap's schema passed; ``judge`` without building a Verdict.

    The mapping's result when nothing more is to be said of it (the usual case), else
    the verdict: a failure, a filtered record, a deletion or an invalid insert input.
    """
    try:
        mapped = field_map.apply(record, source_system)
    except MappingError as exc:
        return Verdict(Reason.MAPPING_FAILED, [Problem(exc.field_path, exc.rule)])
    if mapped is None:
        return Verdict()
    customer, payload, unproven = mapped
    deleted_at = record.get("_sdc_deleted_at")
    if deleted_at:
        mark_deleted(customer, deleted_at)
        return Verdict(None, [], customer, customer.insert_input())
    found = customer_input.check(payload) if unproven else []
    return Verdict(Reason.INVALID_PAYLOAD, found, customer, payload) if found else mapped


def mark_deleted(customer: Customer, deleted_at: object) -> None:
    """A deletion (``_sdc_deleted_at``) only sets ``deletedAt``; the rest is not loaded."""
    when = deleted_at.isoformat() if isinstance(deleted_at, dt.datetime) else deleted_at
    customer.deleted = True
    customer.scalars = {"deletedAt": when}
    customer.parent_source_id = None  # a deletion needs no parent


def record_key(record: object, key_properties: Sequence[str]) -> str | None:
    """How a record that never became a customer is named: its key values joined by ``|``."""
    if not isinstance(record, dict):
        return None
    values = [record.get(k) for k in key_properties]
    if not values or any(v is None for v in values):
        return None
    return "|".join(str(v) for v in values)
