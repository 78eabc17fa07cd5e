"""Print what target-upwell-check found: a table, a verdict, then the same rows as JSON.

The only part of the check that writes to stdout: the report is the command's output, and a
tool reading it takes the last line as JSON.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING

from target_upwell import encoding
from target_upwell.commands.check_findings import STATES

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from target_upwell.commands.check_findings import Findings


def report(findings: Findings, api_url: str) -> Iterator[str]:
    """The table, a verdict, then the same rows as one JSON line."""
    rows = findings.rows()
    width = max(len(row.name) for row in rows)
    state_width = max(len(state) for state in STATES)
    yield f"target-upwell-check against {api_url}"
    yield f"{'check':<{width}}  {'state':<{state_width}}  seen"
    yield from (f"{row.name:<{width}}  {row.state:<{state_width}}  {row.seen}" for row in rows)
    yield (
        "Nothing breaks: the target can load into this account."
        if findings.ok
        else "Something breaks: fix each 'breaks' row before a first load."
    )
    payload = {
        "target_upwell_check": {
            "rows": [dataclasses.asdict(row) for row in rows],
            "ok": findings.ok,
        }
    }
    yield encoding.dumps(payload).decode()


def write(lines: Iterable[str]) -> None:
    """Print the lines and flush them, so the probe's notice is out before the probe writes."""
    for line in lines:
        print(line)  # noqa: T201 (the report is this command's stdout)
    sys.stdout.flush()
