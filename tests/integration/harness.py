"""Run target-upwell against the sandbox, in-process or as a command, and read what happened.

In-process runs inject a sleep that records the waits instead of spending them, so fault
tests never wait. Command runs are for what only a process shows: exit codes, stdout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from target_upwell import settings
from target_upwell.run import Run, RunStoppedError
from target_upwell.target import TargetUpwell

STREAM = "erp_customers"
COUNTRIES = ["us", "CA", "GB", " de ", "FR"]

# A foreign shape: nested objects, keys with spaces, numbers, a list, a date-time.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "Cust No": {"type": "integer"},
        "Company Name": {"type": ["string", "null"]},
        "Contact": {
            "type": "object",
            "properties": {"Email": {"type": ["string", "null"]}, "Phone": {"type": "string"}},
        },
        "BillAddr": {
            "type": "object",
            "properties": {
                "Line1": {"type": ["string", "null"]},
                "Line2": {"type": ["string", "null"]},
                "City": {"type": ["string", "null"]},
                "Country": {"type": ["string", "null"]},
            },
        },
        "Terms": {"type": ["string", "null"]},
        "Parent": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "updated": {"type": "string", "format": "date-time"},
    },
}

MAPPING: dict[str, Any] = {
    STREAM: {
        "sourceSystemId": 'to_string("Cust No")',
        "name": '"Company Name"',
        "emailAddress": "Contact.Email",
        "billToCustomerId": "Parent",
        "addresses": [
            {
                "type": "'BILLING'",
                "streetLine1": "BillAddr.Line1",
                "streetLine2": "BillAddr.Line2",
                "city": "BillAddr.City",
                "country": "BillAddr.Country",
            }
        ],
        "customerRule": {"dueOption": "Terms"},
        "metadata": "{tags: join(', ', tags), updated: updated, phone: Contact.Phone}",
    }
}


def record(number: int, *, name: str | None = None) -> dict[str, Any]:
    """One ERP customer, deterministic from its number."""
    return {
        "Cust No": number,
        "Company Name": name if name is not None else f" Customer {number} Ltd ",
        "Contact": {"Email": f"AP.{number}@Example.com ", "Phone": f"+1 555 {number:04d}"},
        "BillAddr": {
            "Line1": f"{number} Main Street",
            "Line2": "",
            "City": "Springfield",
            "Country": COUNTRIES[number % len(COUNTRIES)],
        },
        "Terms": f"Net {30 + 15 * (number % 3)}",
        "Parent": None,
        "tags": ["erp", f"segment-{number % 4}"],
        "updated": "2024-05-01T12:00:00Z",
    }


def singer(records: list[dict[str, Any]], *, state_every: int = 100) -> str:
    """A Singer stream: SCHEMA, the RECORDs, a STATE after every ``state_every`` and at the end."""
    lines = [{"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["Cust No"]}]
    for index, rec in enumerate(records, start=1):
        lines.append({"type": "RECORD", "stream": STREAM, "record": rec})
        if index % state_every == 0 or index == len(records):
            lines.append({"type": "STATE", "value": {"bookmarks": {STREAM: {"seen": index}}}})
    return "".join(json.dumps(line) + "\n" for line in lines)


def config(url: str, api_key: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """A config that loads the ERP stream into the sandbox."""
    return {
        "api_key": api_key,
        "api_url": url,
        "source_system": "ERP",
        "mapping": MAPPING,
        "dead_letter_file": str(tmp_path / "rejected.jsonl"),
        **extra,
    }


@dataclass
class Result:
    """What one run left behind."""

    exit_code: int
    states: list[dict[str, Any]]
    summary: dict[str, Any]
    log: str
    dead_letter: list[dict[str, Any]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def stream(self, name: str = STREAM) -> dict[str, Any]:
        """The summary numbers of one stream."""
        counts: dict[str, Any] = self.summary["streams"][name]
        return counts


def load(config_dict: dict[str, Any], text: str) -> Result:
    """Run the target in this process, with a recording sleep."""
    target = TargetUpwell(config=config_dict)
    sleeps: list[float] = []
    target._run = Run(settings.from_config(dict(target.config)), target.logger, sleeps.append)
    out, err = io.StringIO(), io.StringIO()
    exit_code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            target.listen(io.StringIO(text))
        except RunStoppedError as exc:
            exit_code = exc.exit_code
    return _result(exit_code, out.getvalue(), err.getvalue(), config_dict, sleeps)


def run_command(
    config_dict: dict[str, Any], text: str, tmp_path: Path, env: dict[str, str] | None = None
) -> Result:
    """Run ``target-upwell --config FILE`` as a process, feeding ``text`` on stdin."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config_dict))
    completed = subprocess.run(
        [sys.executable, "-m", "target_upwell", "--config", str(config_file)],
        input=text.encode(),
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )
    return _result(
        completed.returncode,
        completed.stdout.decode(),
        completed.stderr.decode(),
        config_dict,
        [],
    )


def _result(
    exit_code: int, stdout: str, stderr: str, config_dict: dict[str, Any], sleeps: list[float]
) -> Result:
    states = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    summary = next(
        (
            json.loads(line)["target_upwell_summary"]
            for line in stderr.splitlines()
            if line.startswith('{"target_upwell_summary"')
        ),
        {},
    )
    dead_letter_path = Path(config_dict["dead_letter_file"])
    dead = (
        [json.loads(line) for line in dead_letter_path.read_text().splitlines()]
        if dead_letter_path.exists()
        else []
    )
    return Result(exit_code, states, summary, stderr, dead, sleeps)
