"""The command line: ``serve`` runs the sandbox, ``show`` prints what a database holds.

The first line ``serve`` prints on stdout is the base URL; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .app import DEFAULT_API_KEY, Sandbox, tenant_id, tenants_for
from .fault_rules import FaultRule, FaultRuleError, parse_rule, parse_spec
from .faults import FaultPlan
from .limits import Limiter, Limits
from .query import Query
from .readings import CHOICES, DEFAULT_SEARCH_MAX_LIMIT, Readings, ReadingsHolder
from .schema import MEMORY
from .server import SandboxServer
from .stats import Stats
from .store import Store

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

logger = logging.getLogger("target_upwell.sandbox")

SAMPLES = 3

_FAULT_HELP = """\
fault rules (--fault SPEC, repeatable) are comma-separated key=value pairs:
  kind=latency,ms=200                          answer each API request 200 ms after it arrived
  kind=status,status=503,every=7               answer 503 to every 7th request
  kind=status,status=429,retry_after=date      429 with Retry-After as an HTTP date
  kind=status,status=429,retry_after=none      429 without Retry-After
  kind=drop_before,every=5,endpoint=bulk-customers   close unanswered, nothing applied
  kind=drop_after,rate=0.1                     commit, then close unanswered (seeded draw)
  kind=max_inputs,max=100                      413 for a bulk request over 100 inputs
  kind=gateway_after_commit,status=504,every=3 commit every 3rd write, then answer 504
  kind=error_body,applied=true                 commit, then answer 200 with a GraphQL error
  kind=error_body,applied=false                answer 200 with a GraphQL error, nothing applied
keys: kind, every=N | rate=P, endpoint=NAME, and per kind: ms; status, retry_after
(seconds|date|none), retry_after_seconds; max; status (502|504, default 502) of
gateway_after_commit; applied (true|false, required) of error_body. Endpoint names:
bulk-customers, customers-create, customers-list, customers-get, customers-search,
customers-update-by-id, customers-update-by-source. gateway_after_commit and error_body
fire on writes only (bulk-customers, customers-create, customers-update-by-*): without
endpoint= they match every write, and every=N counts writes only. The admin endpoint
PUT /_sandbox/faults takes the same rules as JSON; PUT /_sandbox/readings changes the
readings at runtime, and PUT /_sandbox/limits the server limits. See docs/sandbox.md.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments, without the program name; None reads ``sys.argv``.

    Returns:
        The exit status: 0 on success.
    """
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="sandbox: %(message)s")
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "rate_burst", None) is not None and args.rate_limit is None:
        parser.error("--rate-burst needs --rate-limit")
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="target-upwell-sandbox",
        description="A local emulator of Upwell's customers API.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{serve,show}")
    serve = commands.add_parser(
        "serve",
        help="run the emulator until SIGTERM or SIGINT",
        description="Run the emulator. The first line on stdout is its base URL.",
        epilog=_FAULT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    serve.add_argument("--db", metavar="FILE", help="SQLite file to keep data in (default: memory)")
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted key, one tenant per key; repeatable (default: {DEFAULT_API_KEY})",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log one line per request")
    faults = serve.add_argument_group("fault injection")
    faults.add_argument(
        "--latency-ms",
        type=_count,
        metavar="MS",
        help="answer each request MS after it arrived (its work included)",
    )
    faults.add_argument(
        "--fault", type=_fault, action="append", default=[], dest="faults", metavar="SPEC",
        help="a fault rule, e.g. kind=status,status=503,every=7 (repeatable; see below)",
    )  # fmt: skip
    faults.add_argument("--seed", type=int, default=0, help="seed of rate-based faults (default 0)")
    faults.add_argument(
        "--max-inputs", type=_count, metavar="N", help="answer 413 to bulk requests over N inputs"
    )
    _add_limits(serve)
    _add_readings(serve)
    serve.set_defaults(run=_serve)
    show = commands.add_parser(
        "show",
        help="print the customer count and samples of a database",
        description="Print 'N customers' and three sample customers per tenant.",
    )
    show.add_argument("--db", required=True, metavar="FILE", help="the SQLite file of serve --db")
    show.add_argument("--api-key", metavar="KEY", help="show only this key's tenant")
    show.set_defaults(run=_show)
    return parser


def _add_limits(serve: argparse.ArgumentParser) -> None:
    limits = serve.add_argument_group("server limits", "answered 429 RATE_LIMIT_EXCEEDED")
    limits.add_argument(
        "--rate-limit", type=_rate, metavar="R", help="at most R API requests a second (bucket)"
    )
    limits.add_argument(
        "--rate-burst", type=_positive, metavar="B",
        help="the bucket holds B requests (default: R rounded up, at least 1)",
    )  # fmt: skip
    limits.add_argument(
        "--max-in-flight", type=_positive, metavar="C", help="at most C API requests at once"
    )


def _add_readings(serve: argparse.ArgumentParser) -> None:
    readings = serve.add_argument_group(
        "readings", "where the docs leave a gap: the default is the contract's assumption"
    )
    readings.add_argument(
        "--search-max-limit", type=_positive, default=DEFAULT_SEARCH_MAX_LIMIT, metavar="N",
        help=f"most rows a search or list page answers (default {DEFAULT_SEARCH_MAX_LIMIT})",
    )  # fmt: skip
    helps = {
        "duplicate_status": "a duplicate key: 400 constraint-violation, or 409 documented",
        "row_error_path": "a bulk row's error path: objects[i], or none ($)",
        "address_types": "address types: all three, or address-book (ADDRESS_BOOK only)",
        "deleted_in_search": "soft-deleted customers in search, list and get: shown or hidden",
    }
    for name, choices in CHOICES.items():
        readings.add_argument(
            "--" + name.replace("_", "-"), type=type(choices[0]), choices=choices,
            default=choices[0], help=f"{helps[name]} (default {choices[0]})",
        )  # fmt: skip


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"must be 1 or more, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        msg = f"must be a number above 0, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return int(value) if value.is_integer() else value  # 8, not 8.0, in /_sandbox/limits


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        msg = f"must be 0 or more, got {value}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _fault(text: str) -> FaultRule:
    try:
        return parse_spec(text)
    except FaultRuleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _startup_rules(args: argparse.Namespace) -> list[FaultRule]:
    rules = []
    if args.max_inputs is not None:  # first, so a too-large batch meets 413 before other faults
        rules.append(parse_rule({"kind": "max_inputs", "max": args.max_inputs}))
    if args.latency_ms:
        rules.append(parse_rule({"kind": "latency", "ms": args.latency_ms}))
    return [*rules, *args.faults]


def _serve(args: argparse.Namespace) -> int:
    if args.quiet:
        logging.getLogger("target_upwell.sandbox.requests").setLevel(logging.WARNING)
    if args.db:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(args.db or MEMORY)
    rules = _startup_rules(args)
    readings = Readings(**{name: getattr(args, name) for name in Readings().to_json()})
    limits = Limits(args.rate_limit, args.rate_burst, args.max_in_flight)
    app = Sandbox(
        store,
        Stats(),
        FaultPlan(rules, args.seed),
        tenants_for(args.api_keys or [DEFAULT_API_KEY]),
        ReadingsHolder(readings),
        Limiter(limits),
    )
    try:
        server = SandboxServer((args.host, args.port), app)
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", args.host, args.port, exc)  # noqa: TRY400 - the reason is the message; no traceback wanted
        store.close()
        return 1
    logger.info(
        "listening on %s; %d tenant(s); %d fault rule(s); seed %d; db %s",
        server.url, len(app.tenants), len(rules), args.seed, args.db or MEMORY,
    )  # fmt: skip
    if readings != Readings():
        logger.info("readings: %s", json.dumps(readings.to_json()))
    if limits != Limits():
        logger.info("limits: %s", json.dumps(limits.to_json()))
    return _run(server, app)


def _run(server: SandboxServer, app: Sandbox) -> int:
    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to notice, so it can't run in the main thread;
        # nothing is raised in the middle of whatever the main thread was doing.
        threading.Thread(target=server.shutdown, daemon=True).start()

    # A request whose latency is up waits for the GIL while other threads work; hand it
    # over every 0.5 ms, not every 5, so answers leave close to when they are due.
    sys.setswitchinterval(0.0005)
    # A collection stops every thread. At the default thresholds a load of 20k customers
    # set off about 470 of them, 100 to 160 ms in all and up to 22 ms each, and answers left
    # late by as much: collect far less often, never rescanning what startup made.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        print(server.url, flush=True)  # noqa: T201 - the URL line is the command's stdout contract
        server.serve_forever(poll_interval=0.2)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.server_close()
        app.store.close()
    logger.info("stopped")
    return 0


def _show(args: argparse.Namespace) -> int:
    path = Path(args.db)
    if not path.is_file():
        logger.error("no sandbox database at %s", path)
        return 1
    store = Store.open_read_only(path)
    try:
        tenants = [tenant_id(args.api_key)] if args.api_key else store.tenants()
        lines = _report(store, tenants) if tenants else ["0 customers"]
    except sqlite3.Error as exc:
        logger.error("cannot read %s as a sandbox database: %s", path, exc)  # noqa: TRY400 - the reason is the message; no traceback wanted
        return 1
    finally:
        store.close()
    for line in lines:
        print(line)  # noqa: T201 - show's output is its purpose
    return 0


def _report(store: Store, tenants: list[str]) -> list[str]:
    lines = []
    sample_query = Query(order_by='"createdAt" ASC, "id" ASC', limit=SAMPLES)
    for tenant in tenants:
        lines.append(f"tenant {tenant}")
        lines.append(f"{store.count(tenant)} customers")
        lines.extend(json.dumps(c, indent=2) for c in store.search(tenant, sample_query))
    return lines
