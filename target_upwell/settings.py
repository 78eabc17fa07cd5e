"""Read the config into typed settings, and name every problem with it in one line.

A problem names the setting and what it must be, never the value it has: the config holds
the API key, and a jsonschema message quotes the value it refuses.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jsonschema

from target_upwell import contract
from target_upwell.mapping.field_map import MappingConfigError
from target_upwell.mapping.routing import Routes
from target_upwell.mapping.validation import describe

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("target-upwell")

# Every setting's default, here alone: the plugin's schema (``target.py``) shows them.
DEFAULTS: dict[str, Any] = {
    "api_url": contract.DEFAULT_BASE_URL,
    "load_method": "upsert",
    "batch_size_rows": 500,
    "request_timeout": 60,
    "max_retries": 8,
    "max_concurrent_requests": 4,
    "dead_letter_file": "upwell-rejected.jsonl",
    "dead_letter_include_record": True,
    "max_rejected_records": 0,
}
OVERWRITE_PROBLEM = (
    "load_method: 'overwrite' is not supported: Upwell has no endpoint to delete customers,"
    " so the target can't replace the list. Use 'upsert' (the default) or 'append-only'."
)


_TYPE_WORDS = {
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "object": "a JSON object",
    "array": "a JSON array",
}
# Impossible values: (setting, the test a value passes, the line when it doesn't). A NaN
# fails every test.
_RANGES: tuple[tuple[str, Callable[[float], bool], str], ...] = (
    ("batch_size_rows", lambda n: n >= 1, "must be at least 1."),
    ("max_concurrent_requests", lambda n: n >= 1, "must be at least 1."),
    ("max_retries", lambda n: n >= 0, "must be 0 or more."),
    ("request_timeout", lambda n: n > 0, "must be above 0 (seconds)."),
    ("max_requests_per_second", lambda n: n > 0, "must be above 0, or unset for no limit."),
    ("max_rejected_records", lambda n: n >= 0, "must be 0 or more."),
)


@dataclass(frozen=True)
class Settings:
    """The settings the run obeys, with defaults applied and cross-field rules checked."""

    api_key: str
    api_url: str
    source_system: str
    routes: Routes
    upsert: bool
    batch_size_rows: int
    request_timeout: float
    max_retries: int
    max_concurrent_requests: int
    max_requests_per_second: float | None
    dead_letter_file: Path
    dead_letter_include_record: bool
    max_rejected_records: int


def schema_problems(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Unknown names, wrong types, and values outside a setting's choices.

    The SDK's own check passes an unknown name in silence (a misspelt ``mappings`` would
    leave every stream auto-mapped), and its messages quote the value they refuse.
    """
    properties: dict[str, Any] = schema.get("properties", {})
    found = [_unknown(name, properties) for name in sorted(set(config) - set(properties))]
    for error in jsonschema.Draft202012Validator(schema).iter_errors(config):
        found.extend(_schema_problem(error, properties))
    return list(dict.fromkeys(found))


def what_it_must_be(schema: dict[str, Any]) -> str:
    """What a setting takes, from its schema: ``a whole number``, ``one of 'upsert', ...``."""
    choices = [repr(choice) for choice in schema.get("enum", []) if choice is not None]
    if choices:
        return f"one of {', '.join(choices)}"
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    words = [_TYPE_WORDS[kind] for kind in kinds if kind in _TYPE_WORDS]
    return " or ".join(words) or "a value its schema allows (see --about)"


def problems(config: dict[str, Any]) -> list[str]:
    """Every impossible value and cross-field problem, each naming the setting to change."""
    config = without_nulls(config)
    found = []
    url_problem = _url_problem(str(config.get("api_url") or DEFAULTS["api_url"]))
    if url_problem:
        found.append(url_problem)
    found.extend(
        f"{name}: {rule}"
        for name, possible, rule in _RANGES
        if name in config and not possible(float(config[name]))
    )
    if config.get("load_method") == "overwrite":
        found.append(OVERWRITE_PROBLEM)
    try:
        routes = Routes(config.get("mapping"), config.get("mapping_preset"))
    except MappingConfigError as exc:
        setting = "mapping_preset" if "is not a preset" in str(exc) else "mapping"
        found.append(f"{setting}: {exc}")
    else:
        if not config.get("source_system") and not routes.sets_source_system():
            found.append(
                "source_system: required, because not every stream's mapping sets"
                " sourceSystem. Set it to the name of your system of record, e.g. 'NETSUITE'."
            )
    return found


def from_config(config: dict[str, Any]) -> Settings:
    """Typed settings from a config that passed ``problems``; an unset one takes its default."""
    config = {**DEFAULTS, **without_nulls(config)}
    rows = int(config["batch_size_rows"])
    if rows > contract.MAX_BATCH_ROWS:
        logger.warning(
            "batch_size_rows=%d is above Upwell's bulk limit this target assumes; using %d.",
            rows,
            contract.MAX_BATCH_ROWS,
        )
        rows = contract.MAX_BATCH_ROWS
    per_second = config.get("max_requests_per_second")
    return Settings(
        api_key=str(config["api_key"]),
        api_url=str(config["api_url"] or DEFAULTS["api_url"]).rstrip("/"),
        source_system=str(config.get("source_system") or ""),
        routes=Routes(config.get("mapping"), config.get("mapping_preset")),
        upsert=config["load_method"] != "append-only",
        batch_size_rows=rows,
        request_timeout=float(config["request_timeout"]),
        max_retries=int(config["max_retries"]),
        max_concurrent_requests=int(config["max_concurrent_requests"]),
        max_requests_per_second=float(per_second) if per_second else None,
        dead_letter_file=Path(config["dead_letter_file"] or DEFAULTS["dead_letter_file"]),
        dead_letter_include_record=bool(config["dead_letter_include_record"]),
        max_rejected_records=int(config["max_rejected_records"]),
    )


def _unknown(name: str, known: dict[str, Any]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown setting '{name}'{hint}"


def _schema_problem(error: jsonschema.ValidationError, properties: dict[str, Any]) -> list[str]:
    """One error as lines naming the setting; only the schema's side of it is quoted."""
    path = list(error.absolute_path)
    name = path[0] if len(path) == 1 else None
    if isinstance(name, str) and name in properties and error.validator in ("type", "enum"):
        if name == "load_method" and error.instance == "overwrite":  # say why, not "one of"
            return [OVERWRITE_PROBLEM]
        return [f"{name}: must be {what_it_must_be(properties[name])}"]
    if not path and error.validator == "required":
        instance: Any = error.instance  # only its keys are read
        required: Any = error.validator_value
        return [f"{missing}: required" for missing in required if missing not in instance]
    return [f"{problem.path or 'the config'}: {problem.rule}" for problem in describe(error)]


def without_nulls(config: dict[str, Any]) -> dict[str, Any]:
    """A null is an unset setting: its default applies."""
    return {name: value for name, value in config.items() if value is not None}


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None
    return (
        "api_url: must be an https:// URL; plain http:// is accepted only for a loopback"
        " host (127.0.0.0/8, ::1, localhost), such as the local sandbox."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
