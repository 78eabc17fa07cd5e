"""Loading through the sandbox's fault schedules: everything lands exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from harness import STREAM, config, load, record, singer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import SandboxHandle

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxProcess

BULK = "bulk-customers"
SCHEDULES = {
    "503 on every 3rd request": [{"kind": "status", "status": 503, "every": 3}],
    "429 with Retry-After seconds": [
        {"kind": "status", "status": 429, "every": 4, "retry_after": "seconds"}
    ],
    "429 with Retry-After as a date": [
        {"kind": "status", "status": 429, "every": 4, "retry_after": "date"}
    ],
    "429 without Retry-After": [
        {"kind": "status", "status": 429, "every": 4, "retry_after": "none"}
    ],
    "drop before the write": [{"kind": "drop_before", "every": 2, "endpoint": BULK}],
    "drop after the write": [{"kind": "drop_after", "every": 2, "endpoint": BULK}],
    "drop after an update": [
        {"kind": "drop_after", "every": 2, "endpoint": "customers-update-by-source"}
    ],
    "everything at once": [
        {"kind": "status", "status": 503, "every": 5},
        {"kind": "status", "status": 429, "every": 7, "retry_after": "seconds"},
        {"kind": "drop_after", "every": 3, "endpoint": BULK},
        {"kind": "drop_before", "every": 4, "endpoint": "customers-search"},
    ],
}


@pytest.mark.parametrize("rules", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_every_customer_lands_exactly_once(
    sandbox: SandboxHandle, tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(n) for n in range(1, 201)]))
    sandbox.set_faults(rules)
    records = [record(n, name=f"New name {n}" if n % 2 else None) for n in range(1, 1001)]
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=100)

    result = load(cfg, singer(records))

    sandbox.set_faults([])
    assert result.exit_code == 0, result.log
    stored = sandbox.customers()
    assert sorted(int(c["sourceSystemId"]) for c in stored) == list(range(1, 1001))
    names = {c["sourceSystemId"]: c["name"] for c in stored}
    assert names["1"] == "New name 1"
    assert names["2"] == "Customer 2 Ltd"
    assert result.states[-1] == {"bookmarks": {STREAM: {"seen": 1000}}}
    counts = result.stream()
    assert (counts["created"], counts["updated"]) == (800, 100)


def test_retry_after_is_honoured(sandbox: SandboxHandle, tmp_path: Path) -> None:
    sandbox.set_faults(
        [
            {
                "kind": "status",
                "status": 429,
                "every": 2,
                "retry_after": "seconds",
                "retry_after_seconds": 7,
            }
        ]
    )

    result = load(config(sandbox.url, sandbox.api_key, tmp_path), singer([record(1)]))

    assert result.exit_code == 0
    assert result.sleeps == [pytest.approx(7.0, abs=0.1)]  # the pace's pause, to its end


def test_exhausted_retries_stop_the_run_without_passing_unsettled_records(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    sandbox.set_faults([{"kind": "status", "status": 500, "every": 3, "endpoint": BULK}])
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=50, max_retries=0)
    cfg["max_concurrent_requests"] = 1

    result = load(cfg, singer([record(n) for n in range(1, 301)], state_every=10))

    sandbox.set_faults([])
    assert result.exit_code == 1
    stored = {int(c["sourceSystemId"]) for c in sandbox.customers()}
    assert stored == set(range(1, 101))  # batches 1 and 2; the 3rd failed, nothing after it ran
    assert result.states, "the settled batches' STATE still goes out"
    assert result.states[-1]["bookmarks"][STREAM]["seen"] <= 100


# -- the property: any stream, any fault schedule -------------------------------------------

POISON_NAME, POISON_COUNTRY = "null name", "bad country"
fault_rule = st.one_of(
    st.fixed_dictionaries(
        {"kind": st.just("status"), "status": st.sampled_from([429, 500, 502, 503, 504])},
        optional={"every": st.integers(2, 6)},
    ).map(lambda rule: {"every": 3, "retry_after": "none", **rule}),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["drop_before", "drop_after"]),
            "every": st.integers(2, 6),
            "endpoint": st.sampled_from([BULK, "customers-search", "customers-update-by-source"]),
        }
    ),
)
stream_item = st.tuples(
    st.integers(1, 40),  # the key: duplicates are likely
    st.sampled_from(["Alpha", "Beta", "Gamma", POISON_NAME, POISON_COUNTRY]),
)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=15,
)
@given(
    items=st.lists(stream_item, min_size=1, max_size=80),
    rules=st.lists(fault_rule, max_size=3),
    batch=st.integers(3, 30),
)
def test_any_stream_and_fault_schedule_ends_in_the_expected_customers(
    sandbox_process: SandboxProcess,
    tmp_path_factory: pytest.TempPathFactory,
    items: list[tuple[int, str]],
    rules: list[dict[str, Any]],
    batch: int,
) -> None:
    sandbox = SandboxHandle(sandbox_process.url)
    sandbox.reset()
    sandbox.set_faults(rules)
    tmp_path = tmp_path_factory.mktemp("property")
    records, expected, poisoned = _stream(items)
    cfg = config(sandbox.url, sandbox.api_key, tmp_path, batch_size_rows=batch)

    cfg = {**cfg, "max_rejected_records": len(items)}
    result = load(cfg, singer(records, state_every=7))

    sandbox.set_faults([])
    if result.exit_code == 1:
        # The schedule failed every attempt until retries ran out (e.g. a 429 and a drop taking
        # turns on each insert). The run stops; re-run once the API is healthy, and the two
        # runs together must still end in exactly the expected customers.
        event("retries ran out; re-run")
        result = load(cfg, singer(records, state_every=7))
    assert result.exit_code == 0, result.log
    stored = sandbox.customers()
    keys = [c["sourceSystemId"] for c in stored]
    assert len(keys) == len(set(keys)), "no key is stored twice"
    assert {c["sourceSystemId"]: c["name"] for c in stored} == expected
    dead = {(line["key"], line["reason"]) for line in result.dead_letter}
    assert dead == poisoned


def _stream(
    items: list[tuple[int, str]],
) -> tuple[list[dict[str, Any]], dict[str, str], set[tuple[str, str]]]:
    """The records, the names the sandbox should end with, and the rejects expected."""
    records, expected, poisoned = [], {}, set()
    for number, (key, kind) in enumerate(items):
        rec = record(key, name=f"{kind} {number}")
        if kind == POISON_NAME:
            rec["Company Name"] = None
            poisoned.add((str(key), "invalid_payload"))
        elif kind == POISON_COUNTRY:
            rec["BillAddr"]["Country"] = "Narnia"
            poisoned.add((str(key), "mapping_failed"))
        else:
            expected[str(key)] = f"{kind} {number}"
        records.append(rec)
    return records, expected, poisoned
