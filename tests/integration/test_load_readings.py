"""The target under every reading the docs leave open (``contract.READINGS``).

Each test runs on the documented answer shape (the sandbox's default) under each alternative
reading on its own, and once under every alternative at once. The mapping is the kind the
presets use: ``collectorId`` and ``deletedAt`` from fields, which Upwell never returns.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from harness import Result, load, run_command

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

ALTERNATIVES: dict[str, dict[str, Any]] = {
    "pages of 10": {"search_max_limit": 10},
    "409 for a duplicate": {"duplicate_status": 409},
    "errors name no row": {"row_error_path": "none"},
    "ADDRESS_BOOK only": {"address_types": "address-book"},
    "search hides deleted": {"deleted_in_search": "hidden"},
}
READINGS: dict[str, dict[str, Any]] = {
    "documented": {},
    **ALTERNATIVES,
    "every alternative": {k: v for r in ALTERNATIVES.values() for k, v in r.items()},
}

STREAM = "accounts"
SCHEMA = {
    "type": "object",
    "properties": {
        "Id": {"type": "integer"},
        "Name": {"type": "string"},
        "Email": {"type": ["string", "null"]},
        "Collector": {"type": ["string", "null"]},
        "Active": {"type": "boolean"},
        "UpdatedAt": {"type": "string"},
        "Tier": {"type": "string"},
        "Street": {"type": "string"},
        "Country": {"type": "string"},
    },
}
MAPPING = {
    STREAM: {
        "sourceSystemId": "to_string(Id)",
        "name": "Name",
        "emailAddress": "Email",
        "collectorId": "Collector",
        "deletedAt": "Active == `false` && UpdatedAt || `null`",
        "metadata": "{tier: Tier}",
        "addresses": [{"streetLine1": "Street", "country": "Country"}],
    }
}
UPDATED_AT = "2024-05-01T12:00:00+00:00"


def account(number: int, **changes: Any) -> dict[str, Any]:
    """One account of a finance system; every tenth is inactive (deleted in Upwell)."""
    return {
        "Id": number,
        "Name": f"Account {number}",
        "Email": f"ar{number}@example.com",
        "Collector": f"col-{number % 3}",
        "Active": number % 10 != 0,
        "UpdatedAt": UPDATED_AT,
        "Tier": "gold" if number % 2 else "silver",
        "Street": f"{number} High Street",
        "Country": "GB",
        **changes,
    }


def stream(records: list[dict[str, Any]]) -> str:
    """SCHEMA, the RECORDs, and a STATE after every 50 and at the end."""
    lines: list[dict[str, Any]] = [
        {"type": "SCHEMA", "stream": STREAM, "schema": SCHEMA, "key_properties": ["Id"]}
    ]
    for index, rec in enumerate(records, start=1):
        lines.append({"type": "RECORD", "stream": STREAM, "record": rec})
        if index % 50 == 0 or index == len(records):
            lines.append({"type": "STATE", "value": {"seen": index}})
    return "".join(json.dumps(line) + "\n" for line in lines)


def config(sandbox: SandboxHandle, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """Load the accounts stream into the sandbox, in batches of 100."""
    return {
        "api_key": sandbox.api_key,
        "api_url": sandbox.url,
        "source_system": "FIN",
        "mapping": MAPPING,
        "batch_size_rows": 100,
        "dead_letter_file": str(tmp_path / "rejected.jsonl"),
        **extra,
    }


def run(
    sandbox: SandboxHandle, tmp_path: Path, records: list[dict[str, Any]], **extra: Any
) -> Result:
    """One load of ``records`` into the sandbox."""
    return load(config(sandbox, tmp_path, **extra), stream(records))


def writes(sandbox: SandboxHandle, since: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """Rows inserted and updated in all, or since an earlier count."""
    stats = sandbox.stats()
    return stats["rows_inserted"] - since[0], stats["rows_updated"] - since[1]


def stored(sandbox: SandboxHandle) -> dict[int, dict[str, Any]]:
    """The stored rows by account number."""
    return {int(c["sourceSystemId"]): c for c in sandbox.customers()}


def hides(reading: dict[str, Any]) -> bool:
    return reading.get("deleted_in_search") == "hidden"


@pytest.fixture(params=READINGS.values(), ids=READINGS.keys())
def reading(request: pytest.FixtureRequest, sandbox: SandboxHandle) -> dict[str, Any]:
    """The sandbox, reset, under one reading."""
    readings: dict[str, Any] = request.param
    if readings:
        sandbox.set_readings(**readings)
    return readings


def test_an_unchanged_rerun_writes_nothing(
    sandbox: SandboxHandle, tmp_path: Path, reading: dict[str, Any]
) -> None:
    records = [account(n) for n in range(1, 151)]
    first = run(sandbox, tmp_path, records)
    assert (first.exit_code, first.stream(STREAM)["created"]) == (0, 150), first.log
    since = writes(sandbox)

    again = run(sandbox, tmp_path, records)

    assert again.exit_code == 0, again.log
    # A customer search can't show must be sent whole: nothing of it can be compared.
    hidden = 15 if hides(reading) else 0
    assert writes(sandbox, since) == (0, hidden)
    assert again.stream(STREAM)["unchanged"] == 150 - hidden
    assert again.dead_letter == []


def test_each_change_is_one_update_and_lands(
    sandbox: SandboxHandle, tmp_path: Path, reading: dict[str, Any]
) -> None:
    run(sandbox, tmp_path, [account(n) for n in range(1, 151)])
    since = writes(sandbox)
    renamed, reactivated, collected, deactivated = [1, 2, 3, 4], [10, 20, 30], [41, 42], [51, 52]
    changes: dict[int, dict[str, Any]] = {
        **{n: {"Name": f"Renamed {n}"} for n in renamed},
        **{n: {"Active": True} for n in reactivated},
        **{n: {"Collector": "col-new"} for n in collected},
        **{n: {"Active": False} for n in deactivated},
    }

    result = run(sandbox, tmp_path, [account(n, **changes.get(n, {})) for n in range(1, 151)])

    assert result.exit_code == 0, result.log
    still_hidden = 15 - len(reactivated) if hides(reading) else 0
    assert writes(sandbox, since) == (0, len(changes) + still_hidden)
    assert result.stream(STREAM)["deleted"] == len(deactivated)
    rows = stored(sandbox)
    assert all(rows[n]["name"] == f"Renamed {n}" for n in renamed)
    assert all(rows[n]["deletedAt"] is None for n in reactivated)
    assert all(rows[n]["collectorId"] == "col-new" for n in collected)
    assert all(rows[n]["deletedAt"] is not None for n in deactivated)
    assert len(rows) == 150


@pytest.mark.usefixtures("reading")
def test_a_taps_deletions_land_once(sandbox: SandboxHandle, tmp_path: Path) -> None:
    live = [account(n, Active=True) for n in range(1, 61)]
    run(sandbox, tmp_path, live)
    deletions = [{**r, "_sdc_deleted_at": "2024-06-01T00:00:00Z"} for r in live]

    result = run(sandbox, tmp_path, deletions)
    since = writes(sandbox)
    again = run(sandbox, tmp_path, deletions)

    assert (result.exit_code, result.stream(STREAM)["deleted"]) == (0, 60), result.log
    assert all(row["deletedAt"] is not None for row in stored(sandbox).values())
    assert again.exit_code == 0
    assert writes(sandbox, since) == (0, 0)
    assert again.stream(STREAM)["deleted"] == 0


FAULTS = {
    "502 after commit, every 5th": {"kind": "gateway_after_commit", "status": 502, "every": 5},
    "504 after commit, every 5th": {"kind": "gateway_after_commit", "status": 504, "every": 5},
    "2xx error body, applied, every 7th": {"kind": "error_body", "applied": True, "every": 7},
    "2xx error body, not applied, every 7th": {"kind": "error_body", "applied": False, "every": 7},
}


@pytest.mark.usefixtures("reading")
@pytest.mark.parametrize("load_method", ["upsert", "append-only"])
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_an_unproven_write_is_reconciled_never_lost_or_doubled(
    sandbox: SandboxHandle, tmp_path: Path, fault: dict[str, Any], load_method: str
) -> None:
    sandbox.set_faults([fault])

    result = run(sandbox, tmp_path, [account(n) for n in range(1, 1001)], load_method=load_method)

    assert result.exit_code == 0, result.log
    assert sorted(stored(sandbox)) == list(range(1, 1001))
    assert result.dead_letter == []
    assert result.stream(STREAM)["created"] == 1000
    assert result.states[-1] == {"seen": 1000}


@pytest.mark.parametrize("load_method", ["upsert", "append-only"])
def test_a_wrong_api_url_path_stops_the_run_at_once(
    sandbox: SandboxHandle, tmp_path: Path, load_method: str
) -> None:
    url = f"{sandbox.url}/not-upwell"
    cfg = config(sandbox, tmp_path, api_url=url, load_method=load_method)

    result = run_command(cfg, stream([account(n) for n in range(1, 301)]), tmp_path)

    assert result.exit_code == 1
    assert sum(sum(c.values()) for c in sandbox.stats()["requests"].values()) <= 3
    (line,) = [x for x in result.log.splitlines() if "Check api_url" in x]
    assert "/api/rest/" in line
    assert url in line
    assert sandbox.api_key not in result.log
    assert result.dead_letter == []
    assert result.states == []
    assert "Traceback" not in result.log


def test_on_50_row_pages_a_rerun_writes_nothing_and_52_changes_are_52_updates(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    sandbox.set_readings(search_max_limit=50)
    records = [account(n) for n in range(1, 601)]
    assert run(sandbox, tmp_path, records).stream(STREAM)["created"] == 600
    since = writes(sandbox)
    assert run(sandbox, tmp_path, records).exit_code == 0
    assert writes(sandbox, since) == (0, 0)
    renamed = [n for n in range(1, 46) if n % 10][:40]
    reactivated = [100, 200, 300, 400, 500]
    collected = list(range(501, 508))
    changes: dict[int, dict[str, Any]] = {
        **{n: {"Name": f"Renamed {n}"} for n in renamed},
        **{n: {"Active": True} for n in reactivated},
        **{n: {"Collector": "col-new"} for n in collected},
    }
    since = writes(sandbox)

    result = run(sandbox, tmp_path, [account(n, **changes.get(n, {})) for n in range(1, 601)])

    assert result.exit_code == 0, result.log
    assert writes(sandbox, since) == (0, 52)
    assert result.stream(STREAM)["updated"] == 52
    rows = stored(sandbox)
    assert all(rows[n]["name"] == f"Renamed {n}" for n in renamed)
    assert all(rows[n]["deletedAt"] is None for n in reactivated)
    assert all(rows[n]["collectorId"] == "col-new" for n in collected)
    assert sum(row["deletedAt"] is not None for row in rows.values()) == 60 - 5


def test_on_20_row_pages_every_deletion_lands(sandbox: SandboxHandle, tmp_path: Path) -> None:
    sandbox.set_readings(search_max_limit=20)
    live = [account(n, Active=True) for n in range(1, 201)]
    run(sandbox, tmp_path, live)
    deletions = [{**r, "_sdc_deleted_at": "2024-06-01T00:00:00Z"} for r in live[:120]]

    result = run(sandbox, tmp_path, deletions, batch_size_rows=500)

    assert (result.exit_code, result.stream(STREAM)["deleted"]) == (0, 120), result.log
    rows = stored(sandbox)
    assert sum(row["deletedAt"] is not None for row in rows.values()) == 120


def test_on_the_documented_reading_a_rerun_costs_one_search_per_batch(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    records = [account(n) for n in range(1, 1001)]
    run(sandbox, tmp_path, records)
    before = sum(sandbox.stats()["requests"]["customers-search"].values())

    again = run(sandbox, tmp_path, records)

    searches = sum(sandbox.stats()["requests"]["customers-search"].values()) - before
    assert (again.exit_code, again.stream(STREAM)["unchanged"]) == (0, 1000)
    assert searches == 10


@pytest.mark.usefixtures("reading")
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_an_unproven_update_is_looked_at_before_it_is_sent_again(
    sandbox: SandboxHandle, tmp_path: Path, fault: dict[str, Any]
) -> None:
    run(sandbox, tmp_path, [account(n, Active=True) for n in range(1, 201)])
    sandbox.set_faults([fault])

    result = run(sandbox, tmp_path, [account(n, Name=f"New {n}") for n in range(1, 201)])

    assert result.exit_code == 0, result.log
    counts = result.stream(STREAM)
    assert (counts["updated"], counts["deleted"], counts["rejected"]) == (180, 20, 0)
    rows = stored(sandbox)
    assert all(rows[n]["name"] == f"New {n}" for n in range(1, 201))
    assert sum(row["deletedAt"] is not None for row in rows.values()) == 20


@pytest.mark.usefixtures("reading")
def test_a_customer_a_tap_deleted_is_undeleted_when_it_comes_back(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    unmapped = {STREAM: {k: v for k, v in MAPPING[STREAM].items() if k != "deletedAt"}}
    live = [account(n, Active=True) for n in range(1, 11)]
    run(sandbox, tmp_path, live, mapping=unmapped)
    gone = [{**r, "_sdc_deleted_at": "2024-06-01T00:00:00Z"} for r in live[:3]]
    run(sandbox, tmp_path, gone, mapping=unmapped)

    result = run(sandbox, tmp_path, live, mapping=unmapped)

    assert result.exit_code == 0, result.log
    assert all(row["deletedAt"] is None for row in stored(sandbox).values())


def test_an_update_by_key_whose_answer_is_unclear_is_sent_again_not_counted(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    sandbox.set_readings(deleted_in_search="hidden")
    run(sandbox, tmp_path, [account(10), account(30)])  # inactive: search hides both from now on
    unclear = {"kind": "error_body", "applied": False, "every": 2}
    sandbox.set_faults([{**unclear, "endpoint": "customers-update-by-source"}])
    renamed = [account(n, Name=f"Renamed {n}") for n in (10, 30)]

    # Each insert is refused (the key is taken) and each customer updated by key; the second
    # update's answer is a 200 with an error body and nothing applied.
    result = run(sandbox, tmp_path, renamed, batch_size_rows=1, max_concurrent_requests=1)

    assert result.exit_code == 0, result.log
    assert {n: row["name"] for n, row in stored(sandbox).items()} == {
        10: "Renamed 10",
        30: "Renamed 30",
    }
