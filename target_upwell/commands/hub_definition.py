"""The Meltano Hub-style loader definition, generated from ``target-upwell --about``.

``python -m target_upwell.commands.hub_definition > target-upwell.meltano-hub.yml`` rewrites the
file at the repository's root; a test regenerates it and fails when the two differ, so the
settings are written once, in ``target.py``, and every copy is derived from them. The file
is what ``meltano add --plugin-type loader target-upwell --from-ref FILE`` reads.

Each setting of ``--about``'s schema becomes one entry, named as the schema names it:
``kind`` from its JSON type (``options`` for an enum), ``label`` from its title,
``value`` from its default, and ``sensitive: true`` for a secret (Meltano then keeps it out
of ``meltano.yml``). ``settings_group_validation`` lists the schema's required settings.
``commands`` adds what ``--about`` can't tell: ``target-upwell-check``, the account check.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

PIP_URL = "target-upwell"  # the distribution; until it is published, point pip_url at a clone
LABEL = "Upwell"
# Not in --about: the package's other executable, run as `meltano invoke target-upwell:check`.
COMMANDS = {
    "check": {
        "executable": "target-upwell-check",
        "description": "Check that the Upwell account answers as the target assumes (read-only).",
    },
    "check-write-probe": {
        "executable": "target-upwell-check",
        "args": "--write-probe",
        "description": "The same, and write one probe customer (left marked deleted) to try"
        " the writes.",
    },
}
KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}
# A YAML scalar that needs no quotes: it can't be read as a number, a boolean, null, or syntax.
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/ ()]*[A-Za-z0-9_.)]|[A-Za-z_]")
NOT_PLAIN = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})


def about() -> dict[str, Any]:
    """``target-upwell --about --format json`` of the installed target, as a dict."""
    completed = subprocess.run(
        [sys.executable, "-m", "target_upwell", "--about", "--format", "json"],
        capture_output=True,
        check=True,
    )
    info: dict[str, Any] = json.loads(completed.stdout)
    return info


def definition(info: dict[str, Any]) -> dict[str, Any]:
    """The Hub-style plugin definition of ``--about``'s ``info``."""
    schema = info["settings"]
    name = str(info["name"])
    return {
        "name": name,
        "namespace": name.replace("-", "_"),
        "label": LABEL,
        "description": info["description"],
        "pip_url": PIP_URL,
        "executable": name,
        "capabilities": list(info["capabilities"]),
        "keywords": ["meltano_sdk"],
        "commands": COMMANDS,
        "settings_group_validation": [list(schema.get("required", []))],
        "settings": [setting(key, prop) for key, prop in schema["properties"].items()],
    }


def setting(name: str, prop: dict[str, Any]) -> dict[str, Any]:
    """One Meltano setting from one property of the config schema."""
    entry: dict[str, Any] = {"name": name, "label": prop.get("title", name)}
    if "enum" in prop:
        entry["kind"] = "options"
        entry["options"] = [{"label": str(v), "value": v} for v in prop["enum"]]
    else:
        entry["kind"] = kind(prop)
    if "description" in prop:
        entry["description"] = prop["description"]
    if "default" in prop:
        entry["value"] = prop["default"]
    if prop.get("secret"):
        entry["sensitive"] = True
    return entry


def kind(prop: dict[str, Any]) -> str:
    """Meltano's ``kind`` for a property's JSON type; ``string`` when it has none (anyOf)."""
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else types
    named = [t for t in types if t != "null"]
    return KINDS.get(named[0], "string") if len(named) == 1 else "string"


def to_yaml(value: object, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists and JSON scalars; lists of scalars in flow style.

    Quoted strings are JSON strings, which YAML reads as double-quoted scalars.
    """
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(_entry(f"{pad}{key}:", item, indent) for key, item in value.items())
    if isinstance(value, list):
        return "".join(_item(pad, item, indent) for item in value)
    return f"{pad}{scalar(value)}\n"


def _entry(head: str, item: object, indent: int) -> str:
    if isinstance(item, (dict, list)) and item and not _flow(item):
        return f"{head}\n{to_yaml(item, indent + 2)}"
    return f"{head} {_inline(item)}\n"


def _item(pad: str, item: object, indent: int) -> str:
    if isinstance(item, dict) and item:
        first, *rest = to_yaml(item, indent + 2).splitlines(keepends=True)
        return f"{pad}- {first[indent + 2 :]}" + "".join(rest)
    return f"{pad}- {_inline(item)}\n"


def _flow(item: dict[str, Any] | list[Any]) -> bool:
    return isinstance(item, list) and all(not isinstance(v, (dict, list)) for v in item)


def _inline(item: object) -> str:
    if isinstance(item, list):
        return "[" + ", ".join(_inline(v) for v in item) + "]"
    if isinstance(item, dict):
        return "{}"
    return scalar(item)


def scalar(value: object) -> str:
    """A YAML scalar: plain when that can't be misread, else a JSON (double-quoted) string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if PLAIN.fullmatch(text) and text.lower() not in NOT_PLAIN:
        return text
    return json.dumps(text, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the definition to stdout, or to ``--output``."""
    cli = argparse.ArgumentParser(
        prog="python -m target_upwell.commands.hub_definition",
        description="Write target-upwell's Meltano Hub-style loader definition, generated"
        " from `target-upwell --about --format json`.",
    )
    cli.add_argument("--output", help="write here instead of stdout")
    args = cli.parse_args(argv)
    text = HEADER + to_yaml(definition(about()))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:  # noqa: PTH123 (a path from argv)
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


HEADER = (
    "# Generated by `python -m target_upwell.commands.hub_definition` from `target-upwell --about"
    " --format json`.\n"
    "# Don't edit: change the settings in target_upwell/target.py and regenerate.\n"
)


if __name__ == "__main__":
    sys.exit(main())
