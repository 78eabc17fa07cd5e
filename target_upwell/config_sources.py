"""Read the settings' sources, config files and ``TARGET_UPWELL_*`` variables, one line a problem.

The SDK reads both, but a config file with a trailing comma, a missing file, or ``abc`` in an
integer variable ends in its traceback, and ``maybe`` in a boolean variable silently becomes
false. Here each is a ``ConfigValidationError`` whose lines name the file or the variable and
what it must hold, never the value: a config holds the API key.
"""

from __future__ import annotations

import decimal
import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from singer_sdk.configuration._dict_config import parse_environment_config
from singer_sdk.exceptions import ConfigValidationError

from target_upwell.settings import what_it_must_be

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

ENV_CONFIG = "ENV"  # the SDK's ``--config ENV``: read settings from variables too
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})  # the SDK's words for true
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
# Variables under the prefix that are not settings: the log level the SDK reads, the name
# Meltano users reach for, and Meltano's plugin extras (``TARGET_UPWELL__DIALECT``, ...).
NOT_SETTINGS = frozenset({"LOGLEVEL", "LOG_LEVEL"})
EXTRAS_MARK = "_"
UNREAD: Final = object()  # what ``typed`` returns for text none of a setting's types reads


def read_files(paths: Iterable[str]) -> tuple[dict[str, Any], bool]:
    """The ``--config`` files merged in order (a later one wins), and whether ENV was named.

    Raises:
        ConfigValidationError: one line naming the first file that can't be used, and why.
    """
    config: dict[str, Any] = {}
    parse_env = False
    for path in paths:
        if path == ENV_CONFIG:
            parse_env = True
        else:
            config |= read_file(path)
    return config, parse_env


def read_file(path: str) -> dict[str, Any]:
    """One config file: UTF-8 JSON holding an object.

    Raises:
        ConfigValidationError: naming the file and the problem; never a line of it.
    """
    settings_or_problem = _load(Path(path))
    if isinstance(settings_or_problem, str):
        summary = "Config file can't be used"
        problem = f"config file '{path}': {settings_or_problem}"
        raise ConfigValidationError(summary, errors=[problem])
    return settings_or_problem


def from_environment(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Every setting a ``<prefix><SETTING>`` variable sets, typed by the setting's schema.

    The SDK's reader runs first, with every setting taken as text: it loads a ``.env`` file
    and logs each variable's name, as it always does. The typing is done here, so a bad
    value is refused instead of crashing (an integer) or turning false (a boolean).

    Raises:
        ConfigValidationError: a line per variable whose value its setting can't take.
    """
    properties: dict[str, Any] = schema.get("properties", {})
    as_text = {"properties": {name: {"type": ["string"]} for name in properties}}
    values: dict[str, Any] = {}
    problems = []
    for name, text in parse_environment_config(as_text, prefix).items():
        value = typed(text, properties[name])
        if value is UNREAD:
            variable = prefix + name.upper().replace("-", "_")
            problems.append(f"{variable}: {name} must be {what_it_must_be(properties[name])}")
        else:
            values[name] = value
    if problems:
        summary = "Config validation failed"
        raise ConfigValidationError(summary, errors=problems, schema=schema)
    return values


def typed(text: str, schema: dict[str, Any]) -> Any:  # noqa: ANN401 (whatever the schema says)
    """A variable's text as the first of the setting's types that reads it, else ``UNREAD``."""
    kinds = [kind for kind in _PARSERS if kind in _types(schema)] or ["string"]
    for kind in kinds:
        value = _PARSERS[kind](text)
        if value is not UNREAD:
            return value
    return UNREAD


def unknown_variables(schema: dict[str, Any], prefix: str, environ: Mapping[str, str]) -> list[str]:
    """A warning for each ``<prefix>*`` variable that names no setting; names only.

    A misspelt variable is otherwise ignored without a word. The log level and Meltano's
    plugin extras share the prefix and are not settings, so they are left alone.
    """
    known = sorted(name.upper().replace("-", "_") for name in schema.get("properties", {}))
    warnings = []
    for variable in sorted(environ):
        rest = variable.removeprefix(prefix)
        if rest == variable or rest in known or rest in NOT_SETTINGS:
            continue
        if rest.startswith(EXTRAS_MARK):
            continue
        close = difflib.get_close_matches(rest, known, n=1)  # the shared prefix would match all
        hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
        warnings.append(f"{variable} is not a target-upwell setting and is ignored{hint}")
    return warnings


def _load(path: Path) -> dict[str, Any] | str:
    """The file's settings, or what is wrong with it."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        return "not found" if missing else f"can't be read ({exc.strerror or type(exc).__name__})"
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text (an invalid byte at offset {exc.start})"
    if not text.strip():
        return "is empty; it must hold a JSON object of settings"
    try:
        loaded = json.loads(text, parse_float=decimal.Decimal)  # as the SDK reads it
    except json.JSONDecodeError as exc:
        return f"is not valid JSON: {_json_problem(exc)}"
    if not isinstance(loaded, dict):
        kind = "an array" if isinstance(loaded, list) else "a single value"
        return f"must hold a JSON object of settings, not {kind}"
    return loaded


def _types(schema: dict[str, Any]) -> set[str]:
    kinds = schema.get("type", [])
    return {kinds} if isinstance(kinds, str) else set(kinds)


def _boolean(text: str) -> object:
    word = text.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    return UNREAD


def _integer(text: str) -> object:
    try:
        return int(text.strip())
    except ValueError:
        return UNREAD


def _number(text: str) -> object:
    try:
        number = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        return UNREAD
    return number if number.is_finite() else UNREAD


def _json_of(kind: type) -> Callable[[str], object]:
    def parse(text: str) -> object:
        try:
            value = json.loads(text, parse_float=decimal.Decimal)
        except json.JSONDecodeError:
            return UNREAD
        return value if isinstance(value, kind) else UNREAD

    return parse


# In the order a value is tried when a setting allows several types; text takes anything.
_PARSERS: dict[str, Callable[[str], object]] = {
    "boolean": _boolean,
    "integer": _integer,
    "number": _number,
    "object": _json_of(dict),
    "array": _json_of(list),
    "string": str,
}


def _json_problem(exc: json.JSONDecodeError) -> str:
    """What the parser found and where; a trailing comma is named, as it is the usual slip."""
    before = exc.doc[: exc.pos].rstrip()
    if before.endswith(",") and exc.doc[exc.pos : exc.pos + 1] in ("}", "]"):
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1)
        return f"a trailing comma at line {line}, column {column}"
    return f"{exc.msg.lower()} at line {exc.lineno}, column {exc.colno}"
