"""Check values against a JSON Schema and describe what is wrong by field path, never by value.

The SDK's own validator quotes the bad value and logs the whole record with its traceback;
for customer data that is a leak, so ``RecordValidator`` replaces it through ``get_validator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema
import jsonschema_rs
from singer_sdk.sinks.core import BaseJSONSchemaValidator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


@dataclass(frozen=True)
class Problem:
    """One reason a value is refused: the field path and the rule, never the value."""

    path: str
    rule: str

    def __str__(self) -> str:
        """``field addresses.data[0].country: is not an ISO 3166-1 alpha-2 country code``."""
        return f"field {self.path or '(record)'}: {self.rule}"


class SchemaCheck:
    """A compiled check for the common case, and a full one to name every bad field.

    The compiled check is jsonschema-rs (about 1 µs a customer, against 8 for
    fastjsonschema's generated Python); ``jsonschema`` runs only on a failure, to say why.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        """Compile ``schema``; formats are not checked, as the SDK does not check them."""
        self._full = jsonschema.Draft202012Validator(schema)
        try:
            compiled = jsonschema_rs.validator_for(schema, validate_formats=False)
        except ValueError:  # a schema jsonschema-rs can't compile: the full check decides
            self.passes: Callable[[object], bool] = self._full.is_valid
        else:
            # The compiled test alone: True when ``value`` is valid. It raises ValueError on
            # a Python type JSON has no name for, never on what a JSON parser returned.
            self.passes = compiled.is_valid

    def __call__(self, value: object) -> list[Problem]:
        """Every problem with ``value``; empty when it passes."""
        try:
            if self.passes(value):
                return []
        except ValueError:  # a Python type JSON has no name for (a date on the SDK's path)
            pass
        problems = (p for error in self._full.iter_errors(value) for p in describe(error))
        return list(dict.fromkeys(problems))  # one line per field and rule


class RecordValidator(BaseJSONSchemaValidator):
    """Validates records against the tap's schema for the SDK; never raises.

    Raising would make the SDK log the record and stop the run; instead the sink reads
    ``problems`` and sends the record to the dead-letter file.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        """Compile the tap's schema once per sink."""
        super().__init__(schema)
        self.check = SchemaCheck(schema)
        self.problems: list[Problem] = []

    def validate(self, record: dict[str, Any]) -> None:
        """Remember the record's problems for the sink to act on."""
        self.problems = self.check(record)


# Each takes the rule's value from the schema (never the instance's value).
_SIMPLE_RULES: dict[str, Callable[[Any], str]] = {
    "type": lambda expected: f"must be of type {expected}",
    "minLength": lambda _: "must not be empty",
    "enum": lambda allowed: f"must be one of {', '.join(map(str, allowed))}",
}


def describe(error: jsonschema.ValidationError) -> list[Problem]:
    """Describe a jsonschema error by path and rule, using only the schema's side."""
    path = field_path(error.absolute_path)
    kind = str(error.validator)
    rule_value: Any = error.validator_value
    instance: Any = error.instance  # only its keys are read: field names, not values
    if kind == "additionalProperties":
        schema: Any = error.schema
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        names = ", ".join(field_path([*error.absolute_path, name]) for name in extra)
        return [Problem(names, "is not an allowed field")]
    if kind == "required":
        missing = [n for n in rule_value if n not in instance]
        return [Problem(field_path([*error.absolute_path, n]), "is required") for n in missing]
    if kind == "enum" and path.endswith("country"):
        return [Problem(path, "is not an ISO 3166-1 alpha-2 country code")]
    rule = _SIMPLE_RULES.get(kind)
    return [Problem(path, rule(rule_value) if rule else f"breaks the '{kind}' rule")]


def field_path(parts: Iterable[str | int]) -> str:
    """``["addresses", "data", 0, "country"]`` → ``addresses.data[0].country``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
