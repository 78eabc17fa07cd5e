"""Turn a tap's record into a Customer, by a per-stream map of Upwell field → JMESPath expression.

A mapping is compiled once per stream (see ``expressions``): plain paths become lookups,
and JMESPath's interpreter runs only where an expression needs it. ``codegen`` writes the
one function a stream's records go through; this module holds what that function calls,
how its failures are named, and the entry points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jmespath.exceptions

from target_upwell import contract
from target_upwell.mapping import codegen, customer_input, email_syntax, expressions, normalize
from target_upwell.mapping.codegen import FILTER_KEY, PARENT_FIELD, TERMS_KEY
from target_upwell.mapping.customer_input import Customer

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from target_upwell.mapping.codegen import MapRecord
    from target_upwell.mapping.expressions import Getter

_KNOWN = frozenset(
    {
        *contract.SCALAR_FIELDS,
        "addresses",
        "customerRule",
        PARENT_FIELD,
        FILTER_KEY,
        TERMS_KEY,
        *contract.PASSTHROUGH_RELATIONS,
    }
)

# What a getter raises when an expression can't be evaluated on a record.
_EXPRESSION_FAILURES = (
    jmespath.exceptions.JMESPathError,
    TypeError,
    ValueError,
    ArithmeticError,
)


class MappingConfigError(ValueError):
    """A mapping that can't be compiled; the message names the stream entry and field."""


class MappingError(ValueError):
    """A record the mapping can't turn into a customer; names the field, never the value."""

    def __init__(self, field_path: str, rule: str) -> None:
        """Keep the Upwell field path and the rule it broke."""
        super().__init__(f"field {field_path}: {rule}")
        self.field_path = field_path
        self.rule = rule


@dataclass(frozen=True)
class FieldMap:
    """A compiled mapping for one stream: one generated function, and what the entry names."""

    # Maps one record: (customer, insert input, whether the input needs the schema check),
    # or None when the filter leaves it out. Raises MappingError.
    apply: MapRecord
    fields: frozenset[str]  # the entry's Upwell fields
    scalars: tuple[str, ...]  # the scalar fields every customer it makes sets, None or not
    addresses: bool  # whether every customer it makes sets its addresses
    referenced: frozenset[str] = frozenset()  # the source fields its expressions read
    source: str = field(kw_only=True)  # the Python source of ``apply``, as tracebacks show it

    def unmapped(self, properties: Sequence[str]) -> list[str]:
        """Source fields no expression reads (``_sdc_*`` metadata aside)."""
        if expressions.WHOLE_RECORD in self.referenced:
            return []
        return [p for p in properties if p not in self.referenced and not p.startswith("_sdc_")]


def compile_mapping(entry: Mapping[str, Any], stream: str | None = None) -> FieldMap:
    """Compile one stream's mapping entry, or raise ``MappingConfigError`` naming the field.

    ``stream`` names the entry in the file name tracebacks give the generated source.
    """
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        msg = f"{', '.join(unknown)} is not a field of CustomersInsertInput"
        raise MappingConfigError(msg)
    try:
        code = codegen.generate(entry, _HELPERS, stream)
    except codegen.EntryError as exc:
        raise MappingConfigError(str(exc)) from None
    return FieldMap(
        code.function,
        frozenset(entry),
        code.scalars,
        entry.get("addresses") is not None,
        code.referenced,
        source=code.source,
    )


def compile_expression(name: str, expression: object) -> tuple[Getter, set[str]]:
    """Compile one expression alone; return its getter and the source fields it reads."""
    try:
        codegen.parse(name, expression)
    except codegen.EntryError as exc:
        raise MappingConfigError(str(exc)) from None
    return expressions.compile_expression(str(expression))


def apply(field_map: FieldMap, record: Mapping[str, Any], source_system: str) -> Customer | None:
    """Map one record; None when the mapping's filter leaves it out.

    Raises:
        MappingError: an expression failed, or a value can't take Upwell's shape.
    """
    mapped = field_map.apply(record, source_system)
    return None if mapped is None else mapped[0]


def _failure(at: tuple[str, bool], exc: Exception) -> MappingError:
    """Name what failed: the field, and whether its expression or its cleaning refused it."""
    name, cleaning = at
    if not cleaning:
        return MappingError(name, f"expression failed ({type(exc).__name__})")
    if isinstance(exc, ArithmeticError):  # e.g. an infinite number, from to_number("1e999")
        return MappingError(name, "is not a finite number")
    if isinstance(exc, ValueError):  # normalize's messages name the rule, never the value
        return MappingError(name, str(exc))
    return MappingError(name, "has a value of the wrong type")


def _address_rows(raw: object) -> list[dict[str, Any]]:
    """Addresses from one expression that yields a list of objects of address fields."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise MappingError("addresses", "must yield a list of objects")  # noqa: EM101
    cleaned = []
    for i, row in enumerate(raw):
        values = {n: v for n, raw in row.items() if (v := normalize.text(raw)) is not None}
        if "country" in values:
            values["country"] = _normalized(
                f"addresses[{i}].country", normalize.country, values["country"]
            )
        if len(values) > ("type" in values):  # a constant type alone is not an address
            cleaned.append(values)
    return cleaned


def _lenient_days(terms: object) -> int | None:
    """Terms text that reads as no number of days leaves dueOption unset, not the record."""
    try:
        return normalize.due_days(terms)
    except (ValueError, ArithmeticError):  # e.g. an infinite number of days
        return None


def _normalized(name: str, rule: Callable[[Any], Any], value: object) -> Any:  # noqa: ANN401
    try:
        return rule(value)
    except ValueError as exc:
        raise MappingError(name, str(exc)) from None


# What the generated functions call, by the names they use.
_HELPERS: dict[str, object] = {
    "_MappingError": MappingError,
    "_FAILURES": _EXPRESSION_FAILURES,
    "_failure": _failure,
    "_Customer": Customer,
    "_stamp": customer_input.stamp,
    "_identifier": normalize.identifier,
    "_text": normalize.text,
    "_country": normalize.country,
    "_countries": normalize.KNOWN_COUNTRIES,
    "_due_days": normalize.due_days,
    "_lenient_days": _lenient_days,
    "_emails": normalize.emails,
    "_plain_email": email_syntax.plain,
    "_address_rows": _address_rows,
}
