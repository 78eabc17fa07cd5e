"""The run's counts per stream, as text for people and as a dict for the JSON line."""

from __future__ import annotations

import re
from collections import Counter

from target_upwell.outcomes import Outcome, Reason, Rejection, Summary


def rejection(stream: str, reason: Reason) -> Rejection:
    return Rejection(stream, "7", 1, reason)


def a_run() -> Summary:
    summary = Summary()
    summary.add("customers", received=5, batches=1, requests=3, retries=1)
    summary.add("customers", addresses_not_updated=1)
    summary.count("customers", Outcome.CREATED, 2)
    summary.count("customers", Outcome.UPDATED)
    summary.reject(rejection("customers", Reason.API_REJECTED))
    summary.reject(rejection("customers", Reason.INVALID_PAYLOAD))
    return summary


def test_as_dict_has_every_outcome_and_counter_per_stream() -> None:
    assert a_run().as_dict() == {
        "customers": {
            "received": 5,
            "created": 2,
            "updated": 1,
            "unchanged": 0,
            "deleted": 0,
            "merged": 0,
            "skipped": 0,
            "rejected": 2,
            "rejected_by_reason": {"api_rejected": 1, "invalid_payload": 1},
            "addresses_not_updated": 1,
            "rules_not_updated": 0,
            "batches": 1,
            "requests": 3,
            "retries": 1,
            "refusals": 0,
        }
    }


def test_text_is_one_line_per_stream_with_rejects_by_reason() -> None:
    line = (
        "Stream 'customers': 5 received: 2 created, 1 updated, 0 unchanged, 0 deleted,"
        " 0 merged, 0 skipped, 2 rejected (api_rejected=1, invalid_payload=1);"
        " 1 addresses and 0 payment terms not updated; 1 batches, 3 requests, 1 retries,"
        " 0 refusals absorbed"
    )

    assert a_run().text() == [line]


def test_text_without_rejects_names_no_reasons() -> None:
    summary = Summary()
    summary.count("customers", Outcome.UNCHANGED, 4)

    line = (
        "Stream 'customers': 0 received: 0 created, 0 updated, 4 unchanged, 0 deleted,"
        " 0 merged, 0 skipped, 0 rejected; 0 addresses and 0 payment terms not updated;"
        " 0 batches, 0 requests, 0 retries, 0 refusals absorbed"
    )

    assert summary.text() == [line]


def test_streams_are_reported_in_name_order() -> None:
    summary = Summary()
    for name in ("zeta", "alpha", "mid"):
        summary.stream(name)

    assert [line.split("'")[1] for line in summary.text()] == ["alpha", "mid", "zeta"]
    assert list(summary.as_dict()) == ["alpha", "mid", "zeta"]


def test_reasons_add_up_over_streams() -> None:
    summary = a_run()
    summary.count("vendors", Outcome.CREATED, 3)
    summary.reject(rejection("vendors", Reason.API_REJECTED))
    assert summary.rejected_by_reason() == Counter({"api_rejected": 2, "invalid_payload": 1})


def test_progress_is_due_only_after_its_interval() -> None:
    assert Summary(progress_every=3600).progress_due() is False
    assert Summary(progress_every=0).progress_due() is True


def test_the_progress_line_counts_received_and_settled_records() -> None:
    line = a_run().progress_line()

    assert re.fullmatch(
        r"Progress: 5 received, 5 settled \(2 created, 1 updated, 2 rejected\) in \d+ s", line
    )
