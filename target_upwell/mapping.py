"""Turn a tap's record into a Customer, by a per-stream map of Upwell field → JMESPath expression.

A mapping is compiled once per stream (see ``expressions``): plain paths become lookups,
and JMESPath's interpreter runs only where an expression needs it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jmespath.exceptions

from target_upwell import contract, expressions, normalize
from target_upwell.customer_input import Customer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from target_upwell.expressions import Getter

PARENT_FIELD = "billToSourceSystemId"
FILTER_KEY = "__filter__"
TERMS_KEY = "__terms__"  # payment-terms text; dueOption when it reads as days
_RELATIONS = (*contract.PASSTHROUGH_ARRAY_RELATIONS, *contract.PASSTHROUGH_OBJECT_RELATIONS)
_KNOWN = frozenset(
    {
        *contract.SCALAR_FIELDS,
        "addresses",
        "customerRule",
        PARENT_FIELD,
        FILTER_KEY,
        TERMS_KEY,
        *_RELATIONS,
    }
)

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
        self.rule = rule


@dataclass(frozen=True)
class FieldMap:
    """A compiled mapping for one stream."""

    scalars: dict[str, Getter]
    addresses: tuple[dict[str, Getter], ...] | Getter | None = None
    rule: dict[str, Getter] | None = None
    relations: dict[str, Getter] = field(default_factory=dict)
    parent: Getter | None = None
    record_filter: Getter | None = None
    terms: Getter | None = None
    referenced: frozenset[str] = frozenset()

    def getters(self) -> Iterator[tuple[str, Getter]]:
        """Every compiled expression, named by the field it fills."""
        if self.record_filter is not None:
            yield FILTER_KEY, self.record_filter
        yield from self.scalars.items()
        if callable(self.addresses):
            yield "addresses", self.addresses
        elif self.addresses is not None:
            for i, address in enumerate(self.addresses):
                yield from ((f"addresses[{i}].{n}", get) for n, get in address.items())
        yield from ((f"customerRule.{n}", get) for n, get in (self.rule or {}).items())
        if self.terms is not None:
            yield TERMS_KEY, self.terms
        yield from self.relations.items()
        if self.parent is not None:
            yield PARENT_FIELD, self.parent

    def unmapped(self, properties: Sequence[str]) -> list[str]:
        """Source fields no expression reads (``_sdc_*`` metadata aside)."""
        if expressions.WHOLE_RECORD in self.referenced:
            return []
        return [p for p in properties if p not in self.referenced and not p.startswith("_sdc_")]


def compile_mapping(entry: Mapping[str, Any]) -> FieldMap:
    """Compile one stream's mapping entry, or raise ``MappingConfigError`` naming the field."""
    unknown = sorted(set(entry) - _KNOWN)
    if unknown:
        msg = f"{', '.join(unknown)} is not a field of CustomersInsertInput"
        raise MappingConfigError(msg)
    referenced: set[str] = set()

    def getter(name: str, expression: object) -> Getter:
        compiled, fields = compile_expression(name, expression)
        referenced.update(fields)
        return compiled

    scalars = {n: getter(n, e) for n, e in entry.items() if n in contract.SCALAR_FIELDS}
    return FieldMap(
        scalars=scalars,
        addresses=_compile_addresses(entry.get("addresses"), getter),
        rule=_compile_object("customerRule", entry.get("customerRule"), getter),
        relations={n: getter(n, e) for n, e in entry.items() if n in _RELATIONS},
        parent=getter(PARENT_FIELD, entry[PARENT_FIELD]) if PARENT_FIELD in entry else None,
        record_filter=getter(FILTER_KEY, entry[FILTER_KEY]) if FILTER_KEY in entry else None,
        terms=getter(TERMS_KEY, entry[TERMS_KEY]) if TERMS_KEY in entry else None,
        referenced=frozenset(referenced),
    )


def _compile_addresses(
    spec: object, getter: Callable[[str, object], Getter]
) -> tuple[dict[str, Getter], ...] | Getter | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        return getter("addresses", spec)
    if not isinstance(spec, list) or not all(isinstance(a, dict) for a in spec):
        msg = "addresses must be an expression or a list of objects of expressions"
        raise MappingConfigError(msg)
    compiled = []
    for i, address in enumerate(spec):
        unknown = sorted(set(address) - set(contract.ADDRESS_FIELDS))
        if unknown:
            msg = f"addresses[{i}].{unknown[0]} is not an address field"
            raise MappingConfigError(msg)
        compiled.append({n: getter(f"addresses[{i}].{n}", e) for n, e in address.items()})
    return tuple(compiled)


def _compile_object(
    name: str, spec: object, getter: Callable[[str, object], Getter]
) -> dict[str, Getter] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        msg = f"{name} must be an object of expressions"
        raise MappingConfigError(msg)
    unknown = sorted(set(spec) - set(contract.RULE_FIELDS))
    if unknown:
        msg = f"{name}.{unknown[0]} is not a field of {name}"
        raise MappingConfigError(msg)
    return {n: getter(f"{name}.{n}", e) for n, e in spec.items()}


def compile_expression(name: str, expression: object) -> tuple[Getter, set[str]]:
    """Compile one expression; return its getter and the source fields it reads."""
    if not isinstance(expression, str):
        msg = f"{name} must be a JMESPath expression (a string)"
        raise MappingConfigError(msg)
    try:
        getter, fields = expressions.compile_expression(expression)
    except expressions.ExpressionError as exc:
        msg = f"{name} is not a valid JMESPath expression: {exc}"
        raise MappingConfigError(msg) from None
    if any(f.startswith("_sdc_") for f in fields):
        msg = f"{name} reads _sdc_ metadata, which is never mapped"
        raise MappingConfigError(msg)
    return getter, fields


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


def apply(field_map: FieldMap, record: Mapping[str, Any], source_system: str) -> Customer | None:
    """Map one record; None when the mapping's filter leaves it out.

    Raises:
        MappingError: an expression failed, or a value can't take Upwell's shape.
    """
    try:
        return _apply(field_map, record, source_system)
    except MappingError:
        raise
    except _EXPRESSION_FAILURES:
        raise _failed_expression(field_map, record) from None


def _apply(field_map: FieldMap, record: Mapping[str, Any], source_system: str) -> Customer | None:
    """The mapping itself; getters run bare here, and a failure is named afterwards."""
    if field_map.record_filter is not None and not field_map.record_filter(record):
        return None
    scalars = {n: get(record) for n, get in field_map.scalars.items()}
    mapped_system = scalars.pop("sourceSystem", None)
    customer = Customer(
        source_system=_normalized("sourceSystem", normalize.identifier, mapped_system)
        or source_system,
        source_id=_source_id(scalars.pop("sourceSystemId", None)),
    )
    customer.scalars = _clean_scalars(scalars)
    customer.addresses = _addresses(field_map.addresses, record)
    if field_map.rule is not None and "dueOption" in field_map.rule:
        raw = field_map.rule["dueOption"](record)
        customer.due_option = _normalized("customerRule.dueOption", normalize.due_days, raw)
    elif field_map.terms is not None:
        customer.due_option = _lenient_days(field_map.terms(record))
    customer.relations = {
        n: v for n, get in field_map.relations.items() if (v := get(record)) is not None
    }
    if field_map.parent is not None:
        parent = field_map.parent(record)
        customer.parent_source_id = _normalized(PARENT_FIELD, normalize.identifier, parent)
    return customer


def _failed_expression(field_map: FieldMap, record: Mapping[str, Any]) -> MappingError:
    """Run each expression alone, to name the one that failed (a rare, slow path)."""
    for name, get in field_map.getters():
        try:
            get(record)
        except _EXPRESSION_FAILURES as exc:  # noqa: PERF203 (a rare path, after a failure)
            return MappingError(name, f"expression failed ({type(exc).__name__})")
    return MappingError("(record)", "an expression failed")


def _source_id(value: object) -> str:
    source_id: str | None = _normalized("sourceSystemId", normalize.identifier, value)
    if source_id is None:
        raise MappingError("sourceSystemId", "is required")  # noqa: EM101
    return source_id


def _clean_scalars(scalars: dict[str, Any]) -> dict[str, Any]:
    cleaned = {n: normalize.text(v) for n, v in scalars.items()}
    if "ccEmailAddresses" in cleaned:
        found = _normalized("ccEmailAddresses", normalize.emails, cleaned["ccEmailAddresses"])
        cleaned["ccEmailAddresses"] = found or None
    if "emailAddress" in cleaned:
        found = _normalized("emailAddress", normalize.emails, cleaned["emailAddress"])
        cleaned["emailAddress"] = found[0] if found else None
        if len(found) > 1:  # one field with several addresses: the rest are copied
            cleaned["ccEmailAddresses"] = [*found[1:], *(cleaned.get("ccEmailAddresses") or [])]
    return cleaned


def _addresses(
    spec: tuple[dict[str, Getter], ...] | Getter | None, record: Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    if spec is None:
        return None
    if callable(spec):
        raw = spec(record)
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
            raise MappingError("addresses", "must yield a list of objects")  # noqa: EM101
        rows = raw
    else:
        rows = [{n: get(record) for n, get in address.items()} for address in spec]
    cleaned = []
    for i, row in enumerate(rows):
        values = {n: v for n, raw in row.items() if (v := normalize.text(raw)) is not None}
        if "country" in values:
            values["country"] = _normalized(
                f"addresses[{i}].country", normalize.country, values["country"]
            )
        # A constant type alone is not an address: an entry needs one real value.
        if len(values) > ("type" in values):
            cleaned.append(values)
    return cleaned


def _lenient_days(terms: object) -> int | None:
    """Terms text that reads as no number of days leaves dueOption unset, not the record."""
    try:
        return normalize.due_days(terms)
    except ValueError:
        return None


def _normalized(name: str, rule: Callable[[Any], Any], value: object) -> Any:  # noqa: ANN401
    try:
        return rule(value)
    except ValueError as exc:
        raise MappingError(name, str(exc)) from None
    except ArithmeticError:  # e.g. an infinite number, from to_number("1e999")
        raise MappingError(name, "is not a finite number") from None
