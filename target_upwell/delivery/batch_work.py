"""The steps one batch's work is built from: search what Upwell holds, send one insert, reject."""

from __future__ import annotations

from typing import TYPE_CHECKING

from target_upwell.delivery.batching import kept_record
from target_upwell.errors import (
    AmbiguousError,
    ApiError,
    ConflictError,
    RejectedError,
    TooLargeError,
)
from target_upwell.outcomes import Outcome, Reason, Rejection

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from target_upwell.delivery.batching import Batch, Item
    from target_upwell.delivery.client import Json
    from target_upwell.delivery.load_state import Key, LoadState, Report


class BatchWork:
    """The work of one batch; holds its report so the recursion stays readable."""

    def __init__(self, reconciler: LoadState, batch: Batch, report: Report) -> None:
        """Work on ``batch`` with the run's ``reconciler``; outcomes go into ``report``."""
        self.batch = batch
        self.client = reconciler.client
        self.options = reconciler.options
        self.cap = reconciler.cap
        self.reconciler = reconciler
        self.report = report

    def send_insert(self, body: bytes, keys: Collection[Key]) -> ApiError | None:
        """One bulk insert: its rows count as created, or the failure says what to do."""
        try:
            self.client.bulk_create(body, keys, self.report.tally)
        except (AmbiguousError, ConflictError, TooLargeError, RejectedError) as exc:
            return exc
        self.report.outcomes[Outcome.CREATED] += len(keys)
        return None

    def find(self, items: Sequence[Item]) -> dict[Key, Json]:
        """What Upwell holds for these items' keys, by key (never by position)."""
        return self.find_keys({item.customer.key for item in items})

    def find_keys(self, keys: set[Key]) -> dict[Key, Json]:
        """What Upwell holds for these keys, by key."""
        by_system: dict[str, list[str]] = {}
        for system, source_id in keys:
            by_system.setdefault(system, []).append(source_id)
        held: dict[Key, Json] = {}
        for system, ids in by_system.items():
            for row in self.client.find(system, ids, self.report.tally):
                held[(row.get("sourceSystem", ""), row.get("sourceSystemId", ""))] = row
        return held

    def reject(self, item: Item, reason: Reason, exc: ApiError | None = None) -> None:
        """Settle the item as rejected, carrying the API's own words when there are some."""
        if not self.options.upsert and reason is not Reason.ALREADY_EXISTS:
            self.reconciler.forget(item.customer.key)
        self.report.rejections.append(
            Rejection(
                stream=self.report.stream,
                key=item.customer.source_id,
                position=item.position,
                reason=reason,
                api=None if exc is None else exc.problem,
                customer=item.customer,
                record=kept_record(item.record),
            )
        )
