"""target-upwell-check against the sandbox: a state per reading, exit codes, no unasked write."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from target_upwell import contract
from target_upwell.commands import check
from target_upwell.commands.check_probe import PROBE_ID, PROBE_SYSTEM
from tests.conftest import TIMEOUT, SandboxHandle

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import SandboxProcess

SECRET_KEY = "sk-live-DO-NOT-LEAK-4242"  # noqa: S105 (a fake key, to prove it never shows)
PRIVATE_NAME = "Jane Private-Person Ltd"
ALTERNATIVES = (
    "--deleted-in-search", "hidden",
    "--address-types", "address-book",
    "--duplicate-status", "409",
    "--row-error-path", "none",
)  # fmt: skip


@dataclass
class Result:
    exit_code: int
    out: str
    err: str

    @property
    def rows(self) -> dict[str, dict[str, str]]:
        line = self.out.strip().splitlines()[-1]
        return {row["name"]: row for row in json.loads(line)["target_upwell_check"]["rows"]}

    def state(self, name: str) -> str:
        return self.rows[name]["state"]


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    code = check.main(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def config_file(tmp_path: Path, url: str, key: str, **extra: Any) -> str:
    path = tmp_path / "check.json"
    path.write_text(json.dumps({"api_key": key, "api_url": url, **extra}))
    return str(path)


def seed(url: str, key: str, count: int) -> None:
    """Customers stored through the API, as a load would store them."""
    inputs = [
        {"name": f"{PRIVATE_NAME} {n}", "sourceSystem": "ERP", "sourceSystemId": f"C-{n}"}
        for n in range(count)
    ]
    response = requests.post(
        f"{url}/api/rest/bulk-customers",
        json={"inputs": inputs},
        headers={"Authorization": key},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text


def probes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [c for c in sandbox.customers() if c["sourceSystem"] == PROBE_SYSTEM]


def assert_nothing_leaked(result: Result, *secrets: str) -> None:
    for secret in (*secrets, PRIVATE_NAME):
        assert secret not in result.out
        assert secret not in result.err
    assert "Traceback" not in result.err


def test_the_default_reading_is_confirmed_and_exits_0(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(sandbox.url, sandbox.api_key, 3)

    result = run_check(capsys, "--config", config_file(tmp_path, sandbox.url, sandbox.api_key))

    assert result.exit_code == 0
    rows = result.rows
    assert list(rows) == list(check.ROW_NAMES)
    for name in ("api_key", "paths", "customer_fields", "search_request", "write_paths"):
        assert rows[name]["state"] == "confirmed", rows[name]
    assert rows["search_page_cap"] == {
        "name": "search_page_cap",
        "state": "confirmed",
        "seen": "up to 3 rows: all the account's customers are on one page",
    }
    assert "change nothing" in rows["write_paths"]["seen"]
    for name in ("duplicate_key", "row_error_path", "address_types", "deleted_in_search"):
        assert rows[name]["state"] == "not checked"
        assert "--write-probe" in rows[name]["seen"]
    assert "search_page_cap       confirmed" in result.out  # the table, before the JSON line
    assert_nothing_leaked(result, sandbox.api_key)


def test_pages_of_5_rows_differ_and_are_handled(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_readings(search_max_limit=5)
    seed(sandbox.url, sandbox.api_key, 6)

    result = run_check(capsys, "--config", config_file(tmp_path, sandbox.url, sandbox.api_key))

    assert result.exit_code == 0
    assert result.state("search_page_cap") == "differs, handled"
    assert "pages of 5 rows" in result.rows["search_page_cap"]["seen"]


def test_a_wrong_key_breaks_and_exits_1_without_showing_it(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_check(capsys, "--config", config_file(tmp_path, sandbox.url, SECRET_KEY))

    assert result.exit_code == 1
    assert result.state("api_key") == "breaks"
    assert "HTTP 401" in result.rows["api_key"]["seen"]
    assert {row["state"] for name, row in result.rows.items() if name != "api_key"} == {
        "not checked"
    }
    assert_nothing_leaked(result, SECRET_KEY)


def test_a_wrong_path_breaks_naming_the_request_and_api_url(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api_url = f"{sandbox.url}/nope"

    result = run_check(capsys, "--config", config_file(tmp_path, api_url, sandbox.api_key))

    assert result.exit_code == 1
    assert result.state("paths") == "breaks"
    seen = result.rows["paths"]["seen"]
    assert "GET /api/rest/customers" in seen
    assert "HTTP 404" in seen
    assert api_url in seen
    assert_nothing_leaked(result, sandbox.api_key)


def test_without_write_probe_nothing_is_written(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(sandbox.url, sandbox.api_key, 4)
    before, stats = sandbox.customers(), sandbox.stats()

    result = run_check(capsys, "--config", config_file(tmp_path, sandbox.url, sandbox.api_key))

    after = sandbox.stats()
    assert result.exit_code == 0
    assert sandbox.customers() == before
    assert (after["rows_inserted"], after["rows_updated"]) == (stats["rows_inserted"], 0)
    # The two write requests: an empty insert and a PUT for a key no customer holds.
    assert after["requests"]["bulk-customers"] == {"200": 2}  # the seed's, and the empty one
    assert after["requests"]["customers-update-by-source"] == {"200": 1}


def test_an_empty_account_leaves_what_needs_customers_not_checked(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_check(capsys, "--config", config_file(tmp_path, sandbox.url, sandbox.api_key))

    assert result.exit_code == 0
    for name in ("search_page_cap", "customer_fields"):
        assert result.rows[name] == {
            "name": name,
            "state": "not checked",
            "seen": "the account holds no customers",
        }


def test_write_probe_twice_leaves_one_probe_marked_deleted(
    sandbox: SandboxHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(sandbox.url, sandbox.api_key, 2)
    others = [c for c in sandbox.customers() if c["sourceSystem"] != PROBE_SYSTEM]
    config = config_file(tmp_path, sandbox.url, sandbox.api_key)

    first = run_check(capsys, "--config", config, "--write-probe")
    second = run_check(capsys, "--config", config, "--write-probe")

    for result in (first, second):
        assert result.exit_code == 0, result.out
        # Said before anything is written, so before the table.
        assert result.out.index("no endpoint to delete") < result.out.index("check against")
        for name in (
            "duplicate_key",
            "row_error_path",
            "address_types",
            "deleted_in_search",
            "probe_insert",
            "probe_update",
        ):
            assert result.state(name) == "confirmed", result.rows[name]
        assert_nothing_leaked(result, sandbox.api_key)
    assert first.rows["row_error_path"]["seen"] == "the error named objects[1]; nothing stored"
    [probe] = probes(sandbox)
    assert probe["sourceSystemId"] == PROBE_ID
    assert probe["deletedAt"] is not None
    assert sorted(a["type"] for a in probe["addresses"]) == ["ADDRESS_BOOK", "BILLING", "SHIPPING"]
    assert [c for c in sandbox.customers() if c["sourceSystem"] != PROBE_SYSTEM] == others


def test_write_probe_twice_under_every_alternative_reading(
    start_sandbox: Callable[..., SandboxProcess], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process: SandboxProcess = start_sandbox("--api-key", SECRET_KEY, *ALTERNATIVES)
    sandbox = SandboxHandle(process.url, api_key=SECRET_KEY)
    config = config_file(tmp_path, sandbox.url, SECRET_KEY)

    first = run_check(capsys, "--config", config, "--write-probe")
    second = run_check(capsys, "--config", config, "--write-probe")

    for result in (first, second):
        assert result.exit_code == 0, result.out
        for name in ("duplicate_key", "row_error_path", "address_types", "deleted_in_search"):
            assert result.state(name) == "differs, handled", result.rows[name]
        assert "409" in result.rows["duplicate_key"]["seen"]
        assert "only ADDRESS_BOOK" in result.rows["address_types"]["seen"]
        assert result.state("probe_update") == "confirmed"
        assert_nothing_leaked(result, SECRET_KEY)
    [probe] = probes(sandbox)
    assert probe["deletedAt"] is not None
    assert [a["type"] for a in probe["addresses"]] == ["ADDRESS_BOOK"]
    assert process.stop() == 0


def test_settings_come_from_the_environment_without_config(
    sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TARGET_UPWELL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TARGET_UPWELL_API_URL", sandbox.url)
    monkeypatch.setenv("TARGET_UPWELL_MAX_RETRIES", "1")

    result = run_check(capsys)

    assert result.exit_code == 0
    assert result.state("api_key") == "confirmed"
    assert sandbox.url in result.rows["paths"]["seen"]


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ([], {}, "TARGET_UPWELL_API_KEY"),
        (["--config", "/no/such/check.json"], {}, "'/no/such/check.json': not found"),
        ([], {"TARGET_UPWELL_API_KEY": "k", "TARGET_UPWELL_API_URL": "http://x.test"}, "api_url"),
    ],
    ids=["no-key", "unreadable-config", "plain-http-url"],
)
def test_a_bad_config_exits_1_in_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str],
    named: str,
) -> None:
    for name in ("API_KEY", "API_URL", "REQUEST_TIMEOUT", "MAX_RETRIES"):
        monkeypatch.delenv(f"TARGET_UPWELL_{name}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = run_check(capsys, *args)

    assert result.exit_code == 1
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert named in result.err


def test_no_answer_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as unused:  # a port nothing listens on once it is closed
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    result = run_check(capsys, "--config", config_file(tmp_path, url, SECRET_KEY, max_retries=0))

    assert result.exit_code == 1
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert url in result.err
    assert_nothing_leaked(result, SECRET_KEY)


def test_the_installed_command_exits_1_on_a_wrong_key(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    installed = Path(sys.executable).parent / "target-upwell-check"
    command = str(installed) if installed.exists() else shutil.which("target-upwell-check")
    assert command is not None, "pip install -e . installs target-upwell-check"

    done = subprocess.run(
        [command, "--config", config_file(tmp_path, sandbox.url, SECRET_KEY)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert done.returncode == 1
    assert json.loads(done.stdout.splitlines()[-1])["target_upwell_check"]["ok"] is False
    assert SECRET_KEY not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


DOCUMENTED = dict.fromkeys(sorted(contract.CUSTOMER_FIELDS), None)


@pytest.mark.parametrize(
    ("customer", "state", "named"),
    [
        (DOCUMENTED, "confirmed", "exactly the 15 documented fields"),
        ({**DOCUMENTED, "deletedAt": None}, "differs, handled", "also deletedAt"),
        ({k: v for k, v in DOCUMENTED.items() if k != "balance"}, "differs, handled", "no balance"),
        ({k: v for k, v in DOCUMENTED.items() if k != "metadata"}, "breaks", "lacks metadata"),
    ],
    ids=["documented", "extra", "missing-balance", "missing-metadata"],
)
def test_customer_fields_are_judged_by_name(
    customer: dict[str, Any], state: str, named: str
) -> None:
    findings = check.Findings()

    check._fields([customer], findings, "a page")

    [row] = findings.rows()
    assert (row.name, row.state) == ("customer_fields", state)
    assert named in row.seen
