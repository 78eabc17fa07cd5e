"""Write a stream's mapping as the Python source of one function, and compile it.

``field_map`` says what a mapping means and supplies the helpers the source calls by name;
this module turns an entry into statements (see ``expressions``) and execs them. The source
is registered with ``linecache``, so a traceback through the function shows its lines.
"""

from __future__ import annotations

import itertools
import linecache
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from target_upwell import contract
from target_upwell.mapping import customer_input, expressions, normalize

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from target_upwell.mapping.customer_input import Customer

    # (customer, insert input, whether the input needs the schema check), or None
    MapRecord = Callable[[Mapping[str, Any], str], tuple[Customer, dict[str, Any], bool] | None]

# The entry's keys beyond Upwell's fields; what they mean is told in ``field_map``.
PARENT_FIELD = "billToSourceSystemId"
FILTER_KEY = "__filter__"
TERMS_KEY = "__terms__"  # payment-terms text; dueOption when it reads as days
_SERIAL = itertools.count(1)  # each compiled source gets its own file name in tracebacks


class EntryError(ValueError):
    """An entry no code can be written for; ``field_map`` raises it as ``MappingConfigError``."""


@dataclass(frozen=True)
class Generated:
    """One stream's compiled mapping function, its source, and what the entry's code sets."""

    function: MapRecord
    source: str
    scalars: tuple[str, ...]  # the customer's scalars, set even when None
    referenced: frozenset[str]  # the source fields its expressions read


def generate(
    entry: Mapping[str, Any], helpers: Mapping[str, object], stream: str | None = None
) -> Generated:
    """Write and compile ``entry``'s function, which calls ``helpers`` by their names.

    ``entry`` names only fields ``field_map`` knows; ``stream`` labels the source's file name.

    Raises:
        EntryError: a part of the entry with the wrong shape, or an expression that is not
            valid, naming the field.
    """
    writer = _Writer(helpers)
    writer.program.add("if not isinstance(r, dict):")
    writer.program.add("    raise _MappingError('(record)', 'is not a JSON object')")
    writer.program.add("try:")
    with writer.program.block():
        writer.body(entry)
    writer.program.add("except _MappingError:")
    writer.program.add("    raise")
    writer.program.add("except _FAILURES as exc:")
    writer.program.add("    raise _failure(_at, exc) from None")
    # The same source as Program.function would write; only its file name is our own.
    source = "\n".join(
        ["def map_record(r, _source_system):", *writer.program.lines, "    return _mapped"]
    )
    function = _compiled(source, writer.program.names, stream)
    return Generated(function, source, tuple(writer.scalars), frozenset(writer.referenced))


def _compiled(source: str, names: Mapping[str, object], stream: str | None) -> MapRecord:
    """Exec ``source`` under a file name of its own, whose lines ``linecache`` holds.

    The entry has no modification time, so ``linecache.checkcache`` keeps it; it is
    dropped with the function, as auto-mapped streams compile a function per SCHEMA.
    """
    where = f": {stream}" if stream is not None else ""
    filename = f"<target-upwell mapping{where} #{next(_SERIAL)}>"
    namespace: dict[str, Any] = dict(names)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 (our own code)
    function: MapRecord = namespace["map_record"]
    lines = [f"{line}\n" for line in source.splitlines()]
    linecache.cache[filename] = (len(source), None, lines, filename)
    weakref.finalize(function, linecache.cache.pop, filename, None).atexit = False
    return function


class _Writer:
    """Writes one stream's mapping as the statements of one function.

    ``_at`` always names the field being worked on, and whether its expression or its
    cleaning runs, so a failure is named without running anything again.

    The function also says whether its insert input needs the schema check. When every
    field the entry maps can only hold what the schema allows once cleaned as a string
    (``proven``), only a record whose cleaning met something else (``_unproven``) or that
    has no name needs it. Any other entry has every input checked.
    """

    def __init__(self, helpers: Mapping[str, object]) -> None:
        self.program = expressions.Program(objects=frozenset({"r"}))
        self.program.names.update(helpers)
        self.referenced: set[str] = set()
        self.proven = True
        self.scalars: list[str] = []  # the customer's scalars, set even when None

    def body(self, entry: Mapping[str, Any]) -> None:
        add = self.program.add
        add("_unproven = False")
        if FILTER_KEY in entry:
            add(f"if not {self.value(FILTER_KEY, entry[FILTER_KEY])}:")
            add("    return None")
        raw = {n: self.value(n, e) for n, e in entry.items() if n in contract.SCALAR_FIELDS}
        if "sourceSystem" in raw:
            self.cleaning("sourceSystem")
            add(f"_system = _identifier({raw.pop('sourceSystem')}) or _source_system")
        else:
            add("_system = _source_system")
        self.cleaning("sourceSystemId")
        given = raw.pop("sourceSystemId", "None")
        add(f"_id = {given}.strip() if {given}.__class__ is str else _identifier({given})")
        add("if not _id:")
        add("    raise _MappingError('sourceSystemId', 'is required')")
        cleaned = {n: self.text(v) for n, v in raw.items()}
        for name, value in cleaned.items():
            self.prove(name, value, customer_input.STRING_FIELDS)
        self.proven = self.proven and "name" in cleaned
        extra_cc = self.emails(cleaned)
        self.scalars = list(cleaned)
        add(f"_scalars = {{{', '.join(f'{n!r}: {v}' for n, v in cleaned.items())}}}")
        if extra_cc:
            add(f"if {extra_cc} is not None:")
            add(f"    _scalars['ccEmailAddresses'] = {extra_cc}")
        self.addresses(entry.get("addresses"))
        self.due_option(entry)
        wrapped = contract.PASSTHROUGH_RELATIONS
        relations = {n: self.value(n, entry[n]) for n in entry if n in wrapped}
        self.proven = self.proven and not relations  # their fields are not Upwell's documented ones
        add("_relations = {}")
        for name, value in relations.items():
            add(f"if {value} is not None:")
            add(f"    _relations[{name!r}] = {value}")
        parent = "None"
        if PARENT_FIELD in entry:
            parent = self.program.temp()
            value = self.value(PARENT_FIELD, entry[PARENT_FIELD])
            self.cleaning(PARENT_FIELD)
            add(f"{parent} = _identifier({value})")
        self.payload({**cleaned, **({"ccEmailAddresses": extra_cc} if extra_cc else {})}, relations)
        if "metadata" not in self.scalars:  # the fingerprint always sets it
            self.scalars.append("metadata")
        check = "_unproven or 'name' not in _payload" if self.proven else "True"
        add(f"_customer = _Customer(_system, _id, _scalars, _addresses, _due, _relations,{parent})")
        add("_stamp(_customer, _payload)")
        add(f"_mapped = _customer, _payload, {check}")

    def prove(self, name: str, value: str, strings: frozenset[str]) -> None:
        """Note whether ``name``'s cleaned value (a variable) can only be one the schema allows.

        A string field's cleaning marks ``_unproven`` whenever the value is not a string;
        an object field holds a dict when it is built from the record's fields. The email
        fields are always lists of strings or a string.
        """
        if name in {"emailAddress", "ccEmailAddresses"}:
            return
        kind = str if name in strings else dict if name in customer_input.OBJECT_FIELDS else None
        if value in self.program.constants:
            constant = self.program.constants[value]
            ok = constant is None or (kind is not None and isinstance(constant, kind))
        elif kind is str:
            ok = value not in self.program.containers  # a select is not cleaned, nor a string
        else:
            ok = kind is dict and self.program.is_object(value)
        self.proven = self.proven and ok

    def emails(self, cleaned: dict[str, str]) -> str | None:
        """Check the email fields; a field with several addresses fills cc.

        Returns the variable of cc addresses found in ``emailAddress`` when cc itself is
        not mapped (None when it is, or when email isn't mapped either).
        """
        add = self.program.add
        cc = cleaned.get("ccEmailAddresses")
        if cc is not None:
            self.cleaning("ccEmailAddresses")
            checked = self.program.temp()  # a new variable: the value may be a literal's name
            add(f"{checked} = _emails({cc}) or None")
            cleaned["ccEmailAddresses"] = cc = checked
        email = cleaned.get("emailAddress")
        if email is None:
            return None
        found, first = self.program.temp(), self.program.temp()
        extra = None if cc is not None else self.program.temp()
        self.cleaning("emailAddress")
        if extra is not None:
            add(f"{extra} = None")
        # One plain address at a known domain skips the split: see email_syntax.plain.
        add(f"{first} = _plain_email({email}) if {email}.__class__ is str else None")
        add(f"if {first} is None:")
        add(f"    {found} = _emails({email})")
        add(f"    {first} = {found}[0] if {found} else None")
        cleaned["emailAddress"] = first
        if extra is not None:
            add(f"    {extra} = {found}[1:] or None")
        else:  # the other addresses go first in cc
            add(f"    if len({found}) > 1:")
            add(f"        {cc} = [*{found}[1:], *({cc} or [])]")
        return extra

    def payload(self, scalars: dict[str, str], relations: dict[str, str]) -> None:
        """The insert input, built with the customer: ``Customer.insert_input`` unrolled."""
        add = self.program.add
        add("_payload = {'sourceSystem': _system, 'sourceSystemId': _id}")
        for name, value in [*scalars.items(), *relations.items()]:
            wrapped = f"{{'data': {value}}}" if name in relations else value
            add(f"if {value} is not None:")
            add(f"    _payload[{name!r}] = {wrapped}")
        add("if _addresses:")
        add("    _payload['addresses'] = {'data': _addresses}")
        add("if _due is not None:")
        add("    _payload['customerRule'] = {'data': {'dueOption': _due}}")

    def value(self, name: str, expression: object) -> str:
        """Statements evaluating one expression on the record ``r``; names the result."""
        node, reads = parse(name, expression)
        self.referenced.update(reads)
        if expressions.can_fail(node):
            self.program.add(f"_at = ({name!r}, False)")
        return expressions.emit(self.program, node, "r")

    def cleaning(self, name: str) -> None:
        """What follows cleans ``name``'s value: its ValueError says why it is refused."""
        self.program.add(f"_at = ({name!r}, True)")

    def text(self, value: str) -> str:
        """``normalize.text``, inline for the common cases: strings and nulls."""
        if value in self.program.constants:  # a literal is cleaned once, here
            return self.program.constant(normalize.text(self.program.constants[value]))
        if value in self.program.containers:  # nothing to clean in a dict or a list
            return value
        cleaned = self.program.temp()
        self.program.add(
            f"{cleaned} = ({value}.strip() or None) if {value}.__class__ is str"
            f" else ({value} if {value} is None else ((_unproven := True) and _text({value})))"
        )
        return cleaned

    def addresses(self, spec: object) -> None:
        add = self.program.add
        if spec is None:
            add("_addresses = None")
            return
        if isinstance(spec, str):
            add(f"_addresses = _address_rows({self.value('addresses', spec)})")
            self.proven = False  # rows of any fields, cleaned by _address_rows
            return
        if not isinstance(spec, list) or not all(isinstance(a, dict) for a in spec):
            msg = "addresses must be an expression or a list of objects of expressions"
            raise EntryError(msg)
        add("_addresses = []")
        for i, address in enumerate(spec):
            unknown = sorted(set(address) - set(contract.ADDRESS_FIELDS))
            if unknown:
                msg = f"addresses[{i}].{unknown[0]} is not an address field"
                raise EntryError(msg)
            add("_address = {}")
            for name, expression in address.items():
                value = self.text(self.value(f"addresses[{i}].{name}", expression))
                if name == "type":
                    types = customer_input.ADDRESS_TYPES
                    self.proven = self.proven and self.program.constants.get(value) in types
                elif name != "country":  # a country is a valid code once cleaned
                    self.prove(name, value, customer_input.ADDRESS_STRING_FIELDS)
                if name == "country":
                    self.cleaning(f"addresses[{i}].country")
                    value = self.country(value)
                add(f"if {value} is not None:")
                add(f"    _address[{name!r}] = {value}")
            # A constant type alone is not an address: an entry needs one real value.
            add("if len(_address) > ('type' in _address):")
            add("    _addresses.append(_address)")

    def country(self, value: str) -> str:
        """``normalize.country``, called only for a spelling not looked up before."""
        add = self.program.add
        code = self.program.temp()
        add(f"{code} = _countries.get({value}) if {value}.__class__ is str else None")
        add(f"if {code} is None and {value} is not None:")
        add(f"    {code} = _country({value})")
        return code

    def due_option(self, entry: Mapping[str, Any]) -> None:
        add = self.program.add
        rule = entry.get("customerRule")
        if rule is not None and not isinstance(rule, dict):
            msg = "customerRule must be an object of expressions"
            raise EntryError(msg)
        unknown = sorted(set(rule or {}) - set(contract.RULE_FIELDS))
        if unknown:
            msg = f"customerRule.{unknown[0]} is not a field of customerRule"
            raise EntryError(msg)
        if rule and "dueOption" in rule:
            days = self.value("customerRule.dueOption", rule["dueOption"])
            self.cleaning("customerRule.dueOption")
            add(f"_due = {days} if {days}.__class__ is int and {days} >= 0 else _due_days({days})")
        elif TERMS_KEY in entry:
            add(f"_due = _lenient_days({self.value(TERMS_KEY, entry[TERMS_KEY])})")
        else:
            add("_due = None")


def parse(name: str, expression: object) -> tuple[expressions.Node, set[str]]:
    """JMESPath's tree for one of the entry's expressions, and the source fields it reads."""
    if not isinstance(expression, str):
        msg = f"{name} must be a JMESPath expression (a string)"
        raise EntryError(msg)
    try:
        node = expressions.parse(expression)
    except expressions.ExpressionError as exc:
        msg = f"{name} is not a valid JMESPath expression: {exc}"
        raise EntryError(msg) from None
    reads = expressions.fields(node)
    if any(f.startswith("_sdc_") for f in reads):
        msg = f"{name} reads _sdc_ metadata, which is never mapped"
        raise EntryError(msg)
    return node, reads
