"""Ask an Upwell account, before a first load, whether it answers as the target assumes.

``target-upwell-check [--config FILE] [--write-probe]`` reports one row per reading in
``contract.READINGS``, and rows for the requests the target sends, each in one state:
``confirmed``, ``differs, handled``, ``breaks`` or ``not checked``. A table on stdout, then the
same as one JSON line. Without ``--config`` the settings come from ``TARGET_UPWELL_*``
variables, which is how ``meltano invoke target-upwell:check`` hands them over.

Read-only by default: besides reads, it sends two requests to write endpoints that change
nothing (an empty bulk insert, and a PUT by source key for a key no customer holds).
``--write-probe`` writes one probe customer (``check_probe``). The key and customer values
are never printed.

This module asks the readings and conducts the command; ``check_settings`` reads the flags and
settings, ``check_findings`` holds the rows, and ``check_report`` prints them.

Exit codes: 0 nothing breaks; 1 something breaks, a bad config, or no usable answer;
2 a bad command line.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from target_upwell import contract
from target_upwell.commands import check_probe, check_report, check_settings
from target_upwell.commands.check_findings import ROW_NAMES, Findings, unclear
from target_upwell.delivery.client import Tally, UpwellClient
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.errors import (
    AmbiguousError,
    AuthError,
    RejectedError,
    UpwellError,
    WrongPathError,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from target_upwell.delivery.client import Json

# The command's public names. Findings and its ROW_NAMES live in check_findings, so that the
# probe can note rows without importing this module; they are named here for this module's users.
__all__ = ["ROW_NAMES", "Findings", "examine", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
MISSING_ID = "no-such-customer"  # under the probe's sourceSystem, which no load writes
EMPTY_INSERT = b'{"inputs":[]}'
# What only --write-probe checks: four readings, and the probe's own writes.
PROBE_ROWS = (
    "duplicate_key",
    "row_error_path",
    "address_types",
    "deleted_in_search",
    "probe_insert",
    "probe_update",
)
NEEDS_PROBE = "needs --write-probe (it writes one probe customer)"
UNPROVOKED = (
    "can't be provoked without a fault; the target looks up the keys of any write"
    " whose answer is unclear before sending it again"
)
# Without these in an answer, the target can't match what Upwell holds to a record.
VITAL_FIELDS = frozenset({"metadata", "sourceSystem", "sourceSystemId"})


def examine(client: UpwellClient, api_url: str, *, write_probe: bool) -> Findings:
    """Every check, in the order a load would meet them; a refused key or path stops them.

    Raises:
        UpwellError: no usable answer (retries exhausted, a dropped write): no row is sure.
    """
    findings, tally = Findings(), Tally()
    try:
        _ask(client, tally, findings, write_probe=write_probe)
    except AuthError as exc:
        status = exc.problem.status
        if findings.state("api_key") == "confirmed":
            seen = f"accepted for reading, then refused with HTTP {status}: can it write?"
        else:
            seen = f"refused with HTTP {status}: check api_key (the raw key, no 'Bearer ')"
        findings.note("api_key", "breaks", seen)
        findings.fill("not checked", "the key was refused")
    except WrongPathError as exc:
        findings.note("paths", "breaks", str(exc))
        findings.fill("not checked", "api_url does not serve Upwell's API (see paths)")
    else:
        findings.note("paths", "confirmed", f"every path asked answered under {api_url}")
    return findings


def _ask(client: UpwellClient, tally: Tally, findings: Findings, *, write_probe: bool) -> None:
    client.check_key(tally)
    findings.note("api_key", "confirmed", "accepted as the raw Authorization header")
    _search_request(client, tally, findings)
    page = _page_cap(client, tally, findings)
    _fields(page, findings, "a page of the account's customers")
    _write_paths(client, tally, findings)
    for name in ("gateway_after_commit", "error_body_2xx"):
        findings.note(name, "not checked", UNPROVOKED)
    if not write_probe:
        for name in PROBE_ROWS:
            findings.note(name, "not checked", NEEDS_PROBE)
        return
    probe = check_probe.try_writes(client, tally, findings)
    if not page and probe is not None:
        _fields([probe], findings, "the probe, read back (the account holds no other customer)")


def _search_request(client: UpwellClient, tally: Tally, findings: Findings) -> None:
    """The search the target sends: ``_eq`` and ``_in`` on the key, limit, offset, orderBy."""
    try:
        found = client.find(check_probe.PROBE_SYSTEM, [MISSING_ID], tally)
    except RejectedError as exc:
        seen = f"refused ({exc.problem.describe()}): the target can't look customers up"
        findings.note("search_request", "breaks", seen)
        return
    if found:
        seen = f"a key no customer holds matched {len(found)} rows: the where filter is ignored"
        findings.note("search_request", "breaks", seen)
        return
    seen = "where _eq/_in on the key, limit, offset and orderBy id: answered a customers list"
    findings.note("search_request", "confirmed", seen)


def _page_cap(client: UpwellClient, tally: Tally, findings: Findings) -> list[Json]:
    """One page of every customer; a short one is followed once to tell a cap from the end."""
    asked = contract.SEARCH_PAGE_LIMIT
    page = client.search_page({}, tally, limit=asked)
    rows = len(page)
    if not page:
        findings.note("search_page_cap", "not checked", "the account holds no customers")
    elif rows >= asked:
        seen = f"a page of {_count(rows, 'row')} (asked for {asked})"
        findings.note("search_page_cap", "confirmed", seen)
    elif client.search_page({}, tally, offset=rows, limit=asked):
        seen = f"pages of {_count(rows, 'row')} (asked for {asked}): the target follows them"
        findings.note("search_page_cap", "differs, handled", seen)
    else:
        seen = f"up to {_count(rows, 'row')}: all the account's customers are on one page"
        findings.note("search_page_cap", "confirmed", seen)
    return page


def _fields(customers: Sequence[Json], findings: Findings, source: str) -> None:
    """Compare the fields of the answers with the documented Customer object (names only)."""
    if not customers:
        findings.note("customer_fields", "not checked", "the account holds no customers")
        return
    seen = set().union(*customers)
    missing = sorted(contract.CUSTOMER_FIELDS - seen)
    extra = sorted(seen - contract.CUSTOMER_FIELDS)
    vital = [name for name in missing if name in VITAL_FIELDS]
    if vital:
        text = f"{source} lacks {', '.join(vital)}: the target can't match or fingerprint"
        findings.note("customer_fields", "breaks", text)
    elif missing or extra:
        parts = [f"also {', '.join(extra)} (compared directly)"] if extra else []
        if missing:
            parts.append(f"no {', '.join(missing)} (sent whenever the fingerprint changes)")
        findings.note("customer_fields", "differs, handled", f"{source}: {'; '.join(parts)}")
    else:
        text = f"{source}: exactly the {len(seen)} documented fields"
        findings.note("customer_fields", "confirmed", text)


def _write_paths(client: UpwellClient, tally: Tally, findings: Findings) -> None:
    """Both write endpoints, asked so that neither changes anything."""
    try:
        client.bulk_create(EMPTY_INSERT, [], tally)
        insert = "an empty bulk insert answered no rows"
    except RejectedError as exc:  # the path is there; the target never sends an empty insert
        insert = f"an empty bulk insert was refused ({exc.problem.describe()})"
    except AmbiguousError as exc:
        findings.note("write_paths", *unclear("an empty bulk insert", exc))
        return
    body = {
        "sourceSystem": check_probe.PROBE_SYSTEM,
        "sourceSystemId": MISSING_ID,
        "input": {"name": check_probe.PROBE_NAME},
    }
    try:
        affected = client.update_by_source_id(body, tally)
    except RejectedError as exc:
        seen = f"a PUT by source key was refused ({exc.problem.describe()})"
        findings.note("write_paths", "breaks", seen)
        return
    except AmbiguousError as exc:
        findings.note("write_paths", *unclear("a PUT by source key", exc))
        return
    if affected:
        seen = f"a PUT for a key no customer holds answered affectedRows {affected}, not 0"
        findings.note("write_paths", "breaks", seen)
        return
    seen = (
        f"{insert}; a PUT by source key for a key no customer holds answered affectedRows 0"
        " (two requests to write endpoints that change nothing)"
    )
    findings.note("write_paths", "confirmed", seen)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the account; the exit code is 0 when nothing breaks, else 1."""
    args = check_settings.parser().parse_args(argv)
    try:
        config = check_settings.read_config(args.config, os.environ)
    except check_settings.ConfigError as exc:
        sys.stderr.write(f"target-upwell-check: {exc}\n")
        return EXIT_FAILED
    if args.write_probe:
        check_report.write(check_probe.notice())
    policy = RetryPolicy(config.max_retries, time.sleep)
    client = UpwellClient(
        config.api_url, config.api_key, timeout=config.request_timeout, policy=policy, pool_size=1
    )
    try:
        findings = examine(client, config.api_url, write_probe=args.write_probe)
    except UpwellError as exc:
        sys.stderr.write(f"target-upwell-check: no usable answer from {config.api_url}: {exc}\n")
        return EXIT_FAILED
    finally:
        client.close()
    check_report.write(check_report.report(findings, config.api_url))
    return EXIT_OK if findings.ok else EXIT_FAILED


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
