"""The command line: serve's flags and lifecycle, and show's report."""

from __future__ import annotations

import http.client
import json
import re
import signal
from urllib.parse import urlsplit

import pytest
import requests
from sandbox_helpers import TIMEOUT, Api, customer, run_cli


def test_serve_help_documents_the_fault_flags():
    result = run_cli("serve", "--help")

    assert result.returncode == 0
    for flag in (
        "--host",
        "--port",
        "--db",
        "--api-key",
        "--latency-ms",
        "--fault",
        "--seed",
        "--max-inputs",
        "--rate-limit",
        "--rate-burst",
        "--max-in-flight",
    ):
        assert flag in result.stdout
    assert "kind=status,status=503,every=7" in result.stdout


def test_a_bad_fault_spec_is_refused_before_serving():
    result = run_cli("serve", "--fault", "kind=status,status=418")

    assert result.returncode == 2
    assert "status must be one of" in result.stderr
    assert result.stdout == ""


def test_without_keys_it_accepts_the_documented_default_key(start_sandbox):
    process = start_sandbox()
    api = Api(process.url, "sandbox-key")

    assert api.get("customers").status_code == 200
    assert api.as_key("test-key").get("customers").status_code == 401


def test_sigint_stops_it_cleanly(start_sandbox):
    process = start_sandbox()

    assert process.stop(signal.SIGINT) == 0
    assert "Traceback" not in process.log_text()
    assert "stopped" in process.log_text()


def test_the_url_is_the_only_stdout_and_the_log_never_shows_the_key(start_sandbox):
    process = start_sandbox("--api-key", "secret-key-123")
    Api(process.url, "secret-key-123").post(
        "bulk-customers", {"inputs": [customer("C-1", name="Visible Co")]}
    )

    process.process.terminate()
    status = process.process.wait(timeout=TIMEOUT)
    # The URL line was read at start-up; whatever else the sandbox printed is still in the pipe.
    after_the_url = process.process.stdout.read().decode()

    assert status == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", process.url)
    assert after_the_url == ""
    log = process.log_text()
    assert "POST /api/rest/bulk-customers -> 200 (bulk-customers)" in log
    assert "secret-key-123" not in log
    assert "Visible Co" not in log


def test_startup_flags_become_the_initial_fault_plan(start_sandbox):
    process = start_sandbox(
        "--max-inputs", "2", "--latency-ms", "1", "--seed", "7",
        "--fault", "kind=status,status=503,every=2,endpoint=customers-list",
        "--fault", "kind=drop_after,rate=0.25",
    )  # fmt: skip
    api = Api(process.url, "sandbox-key")

    plan = requests.get(f"{process.url}/_sandbox/faults", timeout=TIMEOUT).json()

    assert plan["seed"] == 7
    assert plan["rules"] == [
        {"kind": "max_inputs", "endpoint": "bulk-customers", "max": 2},
        {"kind": "latency", "every": 1, "ms": 1},
        {
            "kind": "status",
            "every": 2,
            "endpoint": "customers-list",
            "status": 503,
            "retry_after": "none",
            "retry_after_seconds": 1,
        },
        {"kind": "drop_after", "rate": 0.25},
    ]
    assert (
        api.post("bulk-customers", {"inputs": [customer(f"C-{i}") for i in range(3)]}).status_code
        == 413
    )
    assert "seed 7" in process.log_text()


def test_keep_alive_carries_several_requests_on_one_connection(sandbox):
    address = urlsplit(sandbox.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
    try:
        answers = []
        for body in (b'{"inputs": []}', b"{broken", b'{"inputs": []}'):
            connection.request(
                "POST",
                "/api/rest/bulk-customers",
                body=body,
                headers={"Authorization": sandbox.api_key},
            )
            response = connection.getresponse()
            answers.append((response.version, response.status, response.read()))
            connection.request(
                "GET", "/api/rest/customers", headers={"Authorization": sandbox.api_key}
            )
            response = connection.getresponse()
            answers.append((response.version, response.status, len(response.read())))
    finally:
        connection.close()

    assert [(version, status) for version, status, _ in answers] == [
        (11, 200),
        (11, 200),
        (11, 400),
        (11, 200),
        (11, 200),
        (11, 200),
    ]


def test_a_database_file_outlives_the_process_and_show_reports_it(start_sandbox, tmp_path):
    database = tmp_path / "data" / "sandbox.db"
    first = start_sandbox("--db", str(database), "--api-key", "key-a", "--api-key", "key-b")
    Api(first.url, "key-a").bulk(*(customer(f"A-{i}") for i in range(5)))
    Api(first.url, "key-b").bulk(customer("B-1"))
    assert first.stop() == 0

    second = start_sandbox("--db", str(database), "--api-key", "key-a")
    assert len(Api(second.url, "key-a").get("customers").json()["customers"]) == 5
    result = run_cli("show", "--db", str(database))  # while a server has the file open
    assert second.stop() == 0

    assert result.returncode == 0, result.stderr
    counts = re.findall(r"^(\d+) customers$", result.stdout, flags=re.MULTILINE)
    assert sorted(counts) == ["1", "5"]


def test_show_prints_the_count_and_three_samples_of_one_tenant(start_sandbox, tmp_path):
    database = tmp_path / "sandbox.db"
    process = start_sandbox("--db", str(database), "--api-key", "key-a", "--api-key", "key-b")
    created = Api(process.url, "key-a").bulk(
        *(customer(f"A-{i}", addresses={"data": [{"country": "FR"}]}) for i in range(5))
    )
    Api(process.url, "key-b").bulk(customer("B-1"))
    assert process.stop() == 0

    result = run_cli("show", "--db", str(database), "--api-key", "key-a")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("tenant ten_")
    assert lines[1] == "5 customers"
    decoder = json.JSONDecoder()
    rest, samples = "\n".join(lines[2:]), []
    while rest.strip():
        sample, end = decoder.raw_decode(rest.strip())
        samples.append(sample)
        rest = rest.strip()[end:]
    assert len(samples) == 3
    assert all(sample in created for sample in samples)


def test_show_of_an_unknown_tenant_says_zero(tmp_path, start_sandbox):
    database = tmp_path / "sandbox.db"
    assert start_sandbox("--db", str(database)).stop() == 0

    assert run_cli("show", "--db", str(database)).stdout == "0 customers\n"
    assert (
        run_cli("show", "--db", str(database), "--api-key", "nobody").stdout.splitlines()[1]
        == "0 customers"
    )


def test_show_of_a_missing_file_fails_clearly(tmp_path):
    result = run_cli("show", "--db", str(tmp_path / "nothing.db"))

    assert result.returncode == 1
    assert "no sandbox database at" in result.stderr
    assert not (tmp_path / "nothing.db").exists()


@pytest.mark.parametrize("args", [[], ["serve", "--port", "x"], ["show"]])
def test_usage_errors_exit_2(args):
    assert run_cli(*args).returncode == 2
