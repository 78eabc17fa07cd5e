"""Compile JMESPath expressions to Python statements, run without JMESPath where they are simple.

A compiled ``search`` of a plain path costs about ten times a dict lookup, and a mapping
evaluates a dozen expressions per record. Paths, literals, ``@``, multi-select objects and
lists, and the functions ``to_string``, ``to_number`` and ``not_null`` become plain Python
with JMESPath's exact semantics; any other node is handed to JMESPath's own interpreter, so
every expression still means what JMESPath says it means. ``codegen`` joins the statements
of a stream's expressions into one function, so a record costs one call, not one per field.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jmespath
import jmespath.exceptions
from jmespath.visitor import Options, TreeInterpreter

Getter = Callable[[Any], Any]
Node = Mapping[str, Any]

WHOLE_RECORD = "@"
# What a field is read from when its subject is not an object; never written to.
_EMPTY: Mapping[str, Any] = {}
_INTERPRETER = TreeInterpreter(Options())
# Only the left side of these is evaluated against the record; the rest reads its result.
_LEFT_SIDE_ONLY = frozenset(
    {"subexpression", "index_expression", "projection", "value_projection", "filter_projection"}
    | {"flatten", "pipe"}
)


class ExpressionError(ValueError):
    """Not a valid JMESPath expression; the message is JMESPath's."""


class Program:
    """Python statements being generated, and the objects they refer to by name."""

    def __init__(self, objects: frozenset[str] = frozenset()) -> None:
        """Start empty; ``objects`` names variables known to hold a dict."""
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "_EMPTY": _EMPTY,
            "_visit": _INTERPRETER.visit,
            "_to_string": _to_string,
            "_to_number": _to_number,
        }
        self.constants: dict[str, Any] = {}
        self._depth = 1
        self._temps = 0
        # (subject, field) -> its variable; (subject, None) -> the subject as an object
        self._lookups: dict[tuple[str, str | None], str] = {}
        self._objects = set(objects)  # variables known to hold a dict
        self.containers: set[str] = set()  # variables known to hold a dict, a list or None

    def add(self, line: str) -> None:
        """One statement at the current depth."""
        self.lines.append("    " * self._depth + line)

    @contextlib.contextmanager
    def block(self) -> Iterator[None]:
        """Statements added inside are nested one level deeper."""
        self._depth += 1
        outer = dict(self._lookups)  # a variable set in a branch is unset on the other
        try:
            yield
        finally:
            self._depth -= 1
            self._lookups = outer

    def temp(self) -> str:
        """A fresh local variable name."""
        self._temps += 1
        return f"_t{self._temps}"

    def constant(self, value: object) -> str:
        """A name for ``value`` in the generated code."""
        name = f"_k{len(self.names)}"
        self.names[name] = self.constants[name] = value
        return name

    def lookup(self, subject: str, field: str) -> str:
        """``subject[field]`` as JMESPath reads it, evaluated once however often it is read."""
        if subject not in self._objects:
            subject = self._as_object(subject)
        key = (subject, field)
        if key not in self._lookups:
            self._lookups[key] = _assign(self, f"{subject}.get({field!r})")
        return self._lookups[key]

    def _as_object(self, subject: str) -> str:
        """A variable holding ``subject`` if it is a dict, else an empty one.

        JMESPath reads a field of anything but an object as null; this checks once,
        however many fields are read.
        """
        key = (subject, None)
        if key not in self._lookups:
            alias = _assign(self, f"{subject} if isinstance({subject}, dict) else _EMPTY")
            self._objects.add(alias)
            self._lookups[key] = alias
        return self._lookups[key]

    def known_object(self, name: str) -> None:
        """The variable ``name`` always holds a dict."""
        self._objects.add(name)

    def is_object(self, name: str) -> bool:
        """True when the variable ``name`` is known to hold a dict."""
        return name in self._objects

    def function(self, name: str, params: str, result: str) -> Callable[..., Any]:
        """Compile the statements so far as ``def name(params)`` returning ``result``."""
        source = "\n".join([f"def {name}({params}):", *self.lines, f"    return {result}"])
        namespace = dict(self.names)
        exec(compile(source, f"<mapping {name}>", "exec"), namespace)  # noqa: S102 (our own code)
        function: Callable[..., Any] = namespace[name]
        return function


def parse(expression: str) -> Node:
    """JMESPath's tree for ``expression``.

    Raises:
        ExpressionError: the text is not a JMESPath expression.
    """
    try:
        parsed: Node = jmespath.compile(expression).parsed
    except jmespath.exceptions.JMESPathError as exc:
        raise ExpressionError(str(exc)) from None
    _check_arity(parsed)
    return parsed


def _check_arity(node: Node) -> None:
    """The functions compiled here take their arguments as JMESPath's do; say so up front."""
    if node["type"] == "function_expression" and node["value"] in _FUNCTIONS:
        name, given = node["value"], len(node["children"])
        wanted = "at least 1 argument" if name == "not_null" else "1 argument"
        if given == 0 or (given > 1 and name != "not_null"):
            msg = f"{name}() takes {wanted}, not {given}"
            raise ExpressionError(msg)
    for child in node["children"]:
        _check_arity(child)


def compile_expression(expression: str) -> tuple[Getter, set[str]]:
    """A getter for ``expression``, and the record's top-level fields it reads.

    Raises:
        ExpressionError: the text is not a JMESPath expression.
    """
    node = parse(expression)
    program = Program()
    result = emit(program, node, "record")
    getter: Getter = program.function("get", "record", result)
    return getter, fields(node)


def emit(program: Program, node: Node, subject: str) -> str:  # noqa: PLR0911 (a branch per kind)
    """Add statements evaluating ``node`` on the value named ``subject``; name the result."""
    kind = node["type"]
    if kind == "field":
        return program.lookup(subject, node["value"])
    if kind == "subexpression":
        for child in node["children"]:
            subject = emit(program, child, subject)
        return subject
    if kind == "literal":
        return program.constant(node["value"])
    if kind == "current":
        return subject
    if kind in {"multi_select_dict", "multi_select_list"}:
        return _emit_select(program, node, subject)
    if kind == "function_expression" and node["value"] in _FUNCTIONS:
        return _emit_function(program, node, subject)
    tree = program.constant(node)  # JMESPath's own tree node, handed to its interpreter
    return _assign(program, f"_visit({tree}, {subject})")


def _assign(program: Program, value: str) -> str:
    name = program.temp()
    program.add(f"{name} = {value}")
    return name


def _emit_select(program: Program, node: Node, subject: str) -> str:
    """``{a: x, b: y}`` and ``[x, y]``: None on None, as JMESPath has it."""
    result = program.temp()
    program.containers.add(result)
    if program.is_object(subject):
        _emit_selected(program, node, subject, result)
        if node["type"] == "multi_select_dict":
            program.known_object(result)
        return result
    program.add(f"if {subject} is None:")
    with program.block():
        program.add(f"{result} = None")
    program.add("else:")
    with program.block():
        _emit_selected(program, node, subject, result)
    return result


def _emit_selected(program: Program, node: Node, subject: str, result: str) -> None:
    if node["type"] == "multi_select_dict":
        pairs = [
            (pair["value"], emit(program, pair["children"][0], subject))
            for pair in node["children"]
        ]
        program.add(f"{result} = {{{', '.join(f'{k!r}: {v}' for k, v in pairs)}}}")
    else:
        items = [emit(program, child, subject) for child in node["children"]]
        program.add(f"{result} = [{', '.join(items)}]")


def _emit_function(program: Program, node: Node, subject: str) -> str:
    name, args = node["value"], node["children"]  # their number was checked by parse()
    if name == "not_null":
        return _emit_first_not_null(program, args, subject)
    found = emit(program, args[0], subject)
    if name == "to_string":
        return _assign(
            program,
            f"{found} if {found}.__class__ is str else str({found}) if {found}.__class__ is int"
            f" else _to_string({found})",
        )
    return _assign(program, f"_to_number({found})")


def _emit_first_not_null(program: Program, args: list[Node], subject: str) -> str:
    """Evaluate the arguments in turn, stopping at the first that is not null."""
    result = program.temp()
    program.add(f"{result} = {emit(program, args[0], subject)}")
    for arg in args[1:]:
        program.add(f"if {result} is None:")
        with program.block():
            program.add(f"{result} = {emit(program, arg, subject)}")
    return result


def _to_string(found: object) -> str:
    if isinstance(found, str):  # generated code has already handled a plain str and int
        return found
    return json.dumps(found, separators=(",", ":"), default=str)


def _to_number(found: object) -> object:
    if found is None or isinstance(found, (list, dict, bool)):
        return None
    if isinstance(found, (int, float)):
        return found
    try:
        return int(found)  # type: ignore[call-overload]
    except ValueError:
        try:
            return float(found)  # type: ignore[arg-type]
        except ValueError:
            return None


_FUNCTIONS = frozenset({"to_string", "to_number", "not_null"})
_SAFE = frozenset(
    {"field", "subexpression", "literal", "current", "multi_select_dict", "multi_select_list"}
    | {"key_val_pair"}
)


def can_fail(node: Node) -> bool:
    """False for plain paths and literals, which read as None rather than fail."""
    return node["type"] not in _SAFE or any(can_fail(child) for child in node["children"])


def fields(node: Node) -> set[str]:
    """Top-level source fields an expression reads; ``@`` at the top reads them all."""
    kind = node["type"]
    if kind == "current":
        return {WHOLE_RECORD}
    if kind == "field":
        return {node["value"]}
    children = node.get("children", [])
    if kind == "subexpression" and children[0]["type"] == "current":
        return fields(children[1])  # `@.x` reads the record's field x
    if kind in _LEFT_SIDE_ONLY:
        children = children[:1]
    return set().union(*(fields(child) for child in children))
