"""What a run learns about the API it uses for its rest, and says once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from target_upwell.delivery.load_state import LoadOptions, RowCap
from target_upwell.delivery.reconcile import Reconciler

if TYPE_CHECKING:
    import pytest


def reconciler() -> Reconciler:
    return Reconciler(cast("Any", None), LoadOptions(upsert=True, max_retries=0), RowCap(10))


def test_a_documented_field_missing_from_answers_is_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    learner = reconciler()
    caplog.set_level(logging.INFO, logger="target-upwell")
    mapped = {"name": "Acme", "emailAddress": "a@example.com", "collectorId": "c"}

    for _ in range(3):
        learner.note_unreturned(mapped, {"name": "Acme"})

    assert [r.message for r in caplog.records] == [
        (
            "Upwell's answers don't carry emailAddress: a change to it is seen through the"
            " fingerprint in metadata."
        )
    ]
    assert learner.knows("unreturned emailAddress")


def test_answers_without_metadata_are_said_to_cost_an_update_a_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="target-upwell")

    reconciler().note_unreturned({"name": "Acme", "metadata": {}}, {"name": "Acme"})

    assert "every customer is updated on every run" in caplog.text


def test_fields_the_docs_never_return_are_not_news(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="target-upwell")

    reconciler().note_unreturned({"collectorId": "c", "deletedAt": None}, {})

    assert caplog.records == []
