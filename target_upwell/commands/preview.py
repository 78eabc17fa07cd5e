"""Show what a load would send, without sending it: payloads, coverage, unmapped fields, rejects.

``target-upwell-preview --config c.json [--input FILE] [--limit 20] [--show-code]`` reads
Singer messages, routes, validates and maps each record the way the sink does, and prints a
report on stdout; ``--show-code`` adds each routed stream's generated mapping function.
It opens no connection and prints no STATE, so no bookmark moves. Rejected records are named
by stream, key or position, and field path: never by their values.

Exit codes: 0 the preview was printed (also when records would be rejected); 1 a bad config
or unreadable input; 2 a bad command line.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from singer_sdk.exceptions import ConfigValidationError

from target_upwell import config_sources, contract, encoding, settings
from target_upwell.mapping.intake import Verdict, judge, record_key
from target_upwell.mapping.validation import SchemaCheck
from target_upwell.target import TargetUpwell

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from target_upwell.mapping.field_map import FieldMap

EXIT_OK = 0
EXIT_FAILED = 1
DEFAULT_LIMIT = 20
PLACEHOLDER_API_KEY = "preview-sends-nothing"  # not a key: the preview sends nothing
# Always listed in the coverage; relations and the parent only when some record has them.
COVERED_FIELDS = (*contract.SCALAR_FIELDS, "addresses", "customerRule")


class PreviewError(Exception):
    """A bad config or unreadable input; the message names the setting or the line."""


@dataclass(frozen=True)
class StreamRoute:
    """What a stream's SCHEMA decides: its mapping (None: not routed) and its checks."""

    field_map: FieldMap | None
    check: SchemaCheck | None
    key_properties: list[str]
    unmapped: list[str]


@dataclass
class StreamPreview:
    """One stream's route and counts."""

    route: StreamRoute
    read: int = 0
    would_load: int = 0
    would_delete: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    not_routed: int = 0
    filtered: int = 0
    mapped: int = 0
    coverage: Counter[str] = field(default_factory=Counter)


class Preview:
    """Routes, validates and maps every record as the sink would, and keeps the report."""

    def __init__(self, config: dict[str, Any], limit: int) -> None:
        """Take the routes and source system from the checked config."""
        run_settings = settings.from_config(config)
        self.routes = run_settings.routes
        self.source_system = run_settings.source_system
        self.validate = bool(config.get("validate_records", True))
        self.limit = limit
        self.streams: dict[str, StreamPreview] = {}
        self.payloads: list[dict[str, Any]] = []
        self.rejects: list[str] = []  # rendered: stream, key, position, reason, field paths
        self.position = 0

    def take(self, message: dict[str, Any], line: int) -> None:
        """Handle one Singer message; STATE and other types are ignored.

        Raises:
            PreviewError: a SCHEMA or RECORD without what it needs, named by line.
        """
        kind = message.get("type")
        if not isinstance(kind, str):
            msg = f"Input line {line} is not a Singer message: it has no type"
            raise PreviewError(msg)
        if kind == "SCHEMA":
            self._schema(message, line)
        elif kind == "RECORD":
            self.position += 1
            stream = self.streams.get(str(message.get("stream")))
            record = message.get("record")
            if stream is None or not isinstance(record, dict):
                msg = f"Input line {line}: a RECORD needs a record and an earlier SCHEMA"
                raise PreviewError(msg)
            self._record(str(message["stream"]), stream, record)

    def _schema(self, message: dict[str, Any], line: int) -> None:
        name, schema = message.get("stream"), message.get("schema")
        if not isinstance(name, str) or not isinstance(schema, dict):
            msg = f"Input line {line}: a SCHEMA needs a stream name and a schema object"
            raise PreviewError(msg)
        properties = list(schema.get("properties") or {})
        keys = list(message.get("key_properties") or [])
        field_map = self.routes.for_stream(name, properties, keys)
        check = SchemaCheck(schema) if self.validate and field_map is not None else None
        unmapped = field_map.unmapped(properties) if field_map is not None else []
        route = StreamRoute(field_map, check, keys, unmapped)
        if name in self.streams:  # a repeated SCHEMA changes the route, not the counts
            self.streams[name].route = route
        else:
            self.streams[name] = StreamPreview(route)

    def _record(self, name: str, stream: StreamPreview, record: dict[str, Any]) -> None:
        stream.read += 1
        route = stream.route
        if route.field_map is None:
            stream.not_routed += 1
            return
        problems = route.check(record) if route.check is not None else []
        verdict = judge(route.field_map, record, self.source_system, problems)
        customer = verdict.customer
        if customer is not None and not customer.deleted:
            stream.mapped += 1
            stream.coverage.update(list(verdict.payload or {}))  # the keys: fields with a value
            if customer.parent_source_id is not None:
                stream.coverage["billToSourceSystemId"] += 1
        if verdict.reason is not None:
            stream.rejected[verdict.reason.value] += 1
            key = customer.source_id if customer else record_key(record, route.key_properties)
            if len(self.rejects) < self.limit:
                self.rejects.append(_reject_line(name, key, self.position, verdict))
        elif customer is None:
            stream.filtered += 1
        elif customer.deleted:
            stream.would_delete += 1
        else:
            stream.would_load += 1
            if verdict.payload is not None and len(self.payloads) < self.limit:
                self.payloads.append(verdict.payload)


def load_config(paths: Sequence[str]) -> dict[str, Any]:
    """Merge the config files in order, later ones winning, as the SDK does.

    ``ENV`` among them reads ``TARGET_UPWELL_*`` variables, applied after every file.

    Raises:
        PreviewError: a file can't be read or is not a JSON object.
    """
    try:
        config, _ = config_sources.read_files(paths)
    except ConfigValidationError as exc:
        raise PreviewError("; ".join(exc.errors)) from None
    if "ENV" in paths:
        config |= TargetUpwell._env_var_config  # noqa: SLF001 (the SDK's own ENV rules)
    return config


def checked(config: dict[str, Any]) -> dict[str, Any]:
    """The config with a placeholder key, once it passes the target's schema and ``problems``.

    Raises:
        PreviewError: one line per problem, each naming the setting to change.
    """
    config = {**config, "api_key": config.get("api_key") or PLACEHOLDER_API_KEY}
    found = [f"config: {p}" for p in SchemaCheck(TargetUpwell.config_jsonschema)(config)]
    if not found:
        found = settings.problems(config)
    if found:
        raise PreviewError("\n".join(found))
    return config


def messages(source: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank input line as a JSON object, with its line number.

    Raises:
        PreviewError: a line is not a JSON object; named by number, never quoted.
    """
    try:
        yield from encoding.objects(source)
    except ValueError as exc:
        msg = f"Input {exc}"
        raise PreviewError(msg) from None


def report(preview: Preview, *, show_code: bool = False) -> Iterator[str]:
    """The report, line by line: payloads, per-stream counts and coverage, then rejects.

    With ``show_code``, each routed stream's part ends with its mapping function's source.
    """
    total = sum(s.would_load for s in preview.streams.values())
    yield f"Would send {_count(total, 'customer')}" + _first(
        len(preview.payloads), "one CustomersInsertInput JSON object per line"
    )
    yield from (encoding.dumps(payload).decode() for payload in preview.payloads)
    for name, stream in sorted(preview.streams.items()):
        yield ""
        yield from _stream_lines(name, stream, show_code=show_code)
    rejected = sum(sum(s.rejected.values()) for s in preview.streams.values())
    yield ""
    yield f"Would reject {_count(rejected, 'record')}" + _first(
        len(preview.rejects), "by key or position and field path (values are never shown)"
    )
    yield from preview.rejects


def _first(shown: int, how: str) -> str:
    return f"; the first {shown} follow, {how}:" if shown else "."


def _stream_lines(name: str, stream: StreamPreview, *, show_code: bool) -> Iterator[str]:
    skipped = stream.not_routed + stream.filtered
    rejected = sum(stream.rejected.values())
    reasons = ", ".join(f"{r}={n}" for r, n in sorted(stream.rejected.items()))
    yield (
        f"Stream '{name}': {stream.read} read: {stream.would_load} would load,"
        f" {stream.would_delete} would mark deleted, {rejected} would be rejected"
        + (f" ({reasons})" if reasons else "")
        + f", {skipped} skipped"
        + (f" ({stream.filtered} by __filter__)" if stream.filtered else "")
    )
    if stream.route.field_map is None:
        yield "  Not routed: no mapping entry applies to it, so its records are skipped."
        return
    yield f"  Coverage, records with a value, of {stream.mapped} mapped:"
    shown = [*COVERED_FIELDS, *sorted(set(stream.coverage) - set(COVERED_FIELDS))]
    width = max(len(name) for name in shown)
    yield from (f"    {name:<{width}}  {stream.coverage[name]}" for name in shown)
    unmapped = ", ".join(stream.route.unmapped) or "(none)"
    yield f"  Source fields left unmapped: {unmapped}"
    if show_code:  # indented, so no line of it starts with '{' as a payload's does
        yield "  Generated mapping code:"
        yield from (f"    {line}" for line in stream.route.field_map.source.splitlines())


def _reject_line(stream: str, key: str | None, position: int, verdict: Verdict) -> str:
    """Names the record and the field paths; the problems never hold a value."""
    who = f"key {key}" if key is not None else "no key"
    reason = verdict.reason.value if verdict.reason else ""
    problems = "; ".join(str(p) for p in verdict.problems)
    return f"  {stream} {who} (record {position}): {reason}: {problems}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(
        prog="target-upwell-preview",
        description="Map and check Singer input as target-upwell would, and send nothing."
        " Prints on stdout the first payloads, one compact JSON object per line, then per"
        " stream the counts, the field coverage and the unmapped source fields, then the"
        " first rejected records by key and field path (never their values).",
    )
    cli.add_argument(
        "--config",
        action="append",
        required=True,
        metavar="FILE",
        help="A config file, as for target-upwell; repeat to merge (later files win)."
        " ENV reads TARGET_UPWELL_* variables. api_key may be left out.",
    )
    cli.add_argument("--input", metavar="FILE", help="Singer input (default: standard input).")
    cli.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help="how many payloads and rejected records to show (default %(default)s)",
    )
    cli.add_argument(
        "--show-code",
        action="store_true",
        help="also print, per routed stream, the Python source of its generated mapping"
        " function, as a traceback through it shows it",
    )
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run the preview; the exit code is 0, or 1 for a bad config or unreadable input."""
    args = parser().parse_args(argv)
    try:
        preview = Preview(checked(load_config(args.config)), max(args.limit, 0))
        _read_into(preview, args.input)
    except PreviewError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_FAILED
    _write(report(preview, show_code=args.show_code))
    return EXIT_OK


def _read_into(preview: Preview, path: str | None) -> None:
    try:
        with Path(path).open("rb") if path else contextlib.nullcontext(sys.stdin.buffer) as source:
            for number, message in messages(source):
                preview.take(message, number)
    except OSError as exc:
        msg = f"--input {path}: can't be read ({exc.strerror or type(exc).__name__})"
        raise PreviewError(msg) from None


def _write(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)  # noqa: T201 (the report is this command's stdout)
