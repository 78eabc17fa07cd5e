"""The customers sink: map each record, buffer it, and hand full batches to the window.

The sink is handed its collaborators (``SinkParts``) when it is made; it never reaches into
the target. The buffer is the fast path's (``delivery.packing``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import BatchSink

from target_upwell.delivery.batching import Item, Line
from target_upwell.delivery.packing import Buffer
from target_upwell.mapping.intake import Verdict, accepted, judge, record_key
from target_upwell.mapping.validation import Problem, RecordValidator
from target_upwell.outcomes import Outcome, Reason, Rejection

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from singer_sdk import Target
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_upwell.delivery.checkpoint import Checkpoints
    from target_upwell.delivery.reconcile import Reconciler
    from target_upwell.delivery.window import Window
    from target_upwell.mapping.customer_input import Customer
    from target_upwell.mapping.field_map import FieldMap
    from target_upwell.outcomes import Summary

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

NOT_AN_OBJECT = Problem("", "must be a JSON object")


@dataclass(frozen=True)
class SinkParts:
    """What a sink works with, handed over by the target when it makes the sink."""

    field_map: FieldMap | None  # the stream's mapping; None when the stream isn't loaded
    source_system: str
    keep_record: bool  # ``dead_letter_include_record``
    max_rows: int
    summary: Summary
    checkpoints: Checkpoints
    window: Window
    reconciler: Reconciler
    position: Callable[[], int]  # the input line count, for the SDK's own record path


class CustomersSink(BatchSink):
    """One per stream. Records become customers here; requests happen in the window."""

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: Sequence[str] | None,
        *,
        parts: SinkParts,
    ) -> None:
        """The SDK's sink, with the stream's mapping and the run's collaborators."""
        super().__init__(target, stream_name, schema, key_properties)
        self._field_map = parts.field_map
        self._source_system = parts.source_system
        self._keep_record = parts.keep_record
        self._max_rows = parts.max_rows
        self._summary = parts.summary
        self._counts = parts.summary.stream(stream_name)
        self._checkpoints = parts.checkpoints
        self._window = parts.window
        self._position = parts.position
        self._buffer = Buffer(stream_name, parts.field_map, parts.reconciler)
        validator = self._validator
        self._check = validator.check if isinstance(validator, RecordValidator) else None
        # The SDK's record_count metric: its own path counts each record; the fast path
        # counts a batch at once, and the records no batch took (rejected, skipped) with it.
        self._unbatched = 0
        self._sdk_counts = False

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """Validate against the tap's schema without ever quoting a value."""
        return RecordValidator(self.schema) if self.validate_schema else None

    @property
    @override
    def max_size(self) -> int:
        """``batch_size_rows``, already capped at Upwell's bulk limit by the settings."""
        return self._max_rows

    @property
    @override
    def current_size(self) -> int:
        """Records buffered and not yet handed on."""
        return self._buffer.size

    def accept(self, record: dict[str, Any], position: int, line: Line | None) -> bool:
        """The fast path: validate, map and buffer one record; True once the batch is full.

        ``line``, the JSON the record came in under ``"record"``, is kept in its place.
        """
        if record.__class__ is not dict:
            self._take(record, position, [NOT_AN_OBJECT])
            return self._buffer.size >= self._max_rows
        for key in self._key_properties:
            if key not in record:
                self._singer_validate_message(record)  # the SDK's error for a missing key
        check = self._check  # its compiled test first: the record was parsed from JSON
        if check is not None and not check.passes(record):
            self._take(record, position, check(record))
        elif self._field_map is None:
            self._take(record, position, [])
        else:
            self._counts.received += 1
            mapped = accepted(self._field_map, record, self._source_system)
            if isinstance(mapped, Verdict):
                self._settle(record, position, mapped)
            else:
                self._keep(mapped[0], position, mapped[1], record if line is None else line)
        return self._buffer.size >= self._max_rows

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """The SDK's path (stream maps or flattening on): the SDK has validated already."""
        self._sdk_counts = True
        validator = self._validator
        problems = validator.problems if isinstance(validator, RecordValidator) else []
        self._take(record, self._position(), problems)

    @override
    def _parse_timestamps_in_record(
        self, record: dict[str, Any], schema: dict[str, Any], treatment: Any
    ) -> None:
        """Keep date-times as the tap sent them, as the fast path does: they go out as text."""

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        """Hand the batch to the window; returns once it has a place in the window's queue."""
        size = self._buffer.size
        self._count_records(size)
        if size:
            self._window.submit(self._buffer.take())

    @override
    def clean_up(self) -> None:
        """Count the records no batch took before the SDK logs ``record_count`` a last time."""
        self._count_records(0)
        super().clean_up()

    def _count_records(self, batched: int) -> None:
        """Add a batch's records, and those rejected or skipped since, to ``record_count``.

        The fast path never reaches the SDK's increment a record; a call a batch costs
        nothing a record. On the SDK's path the SDK has counted them already.
        """
        if self._sdk_counts:
            return
        counted = batched + self._unbatched
        self._unbatched = 0
        if counted:
            self.record_counter_metric.increment(counted)

    def _take(self, record: dict[str, Any], position: int, problems: list[Problem]) -> None:
        self._counts.received += 1
        if self._field_map is None:
            self._unbatched += 1
            self._summary.count(self.stream_name, Outcome.SKIPPED)
            return
        self._settle(
            record, position, judge(self._field_map, record, self._source_system, problems)
        )

    def _settle(self, record: dict[str, Any], position: int, verdict: Verdict) -> None:
        if verdict.reason is not None:
            self._unbatched += 1
            self._reject(record, position, verdict.reason, verdict)
        elif verdict.customer is None or verdict.payload is None:  # left out by the filter
            self._unbatched += 1
            self._summary.count(self.stream_name, Outcome.SKIPPED)
        else:
            self._keep(verdict.customer, position, verdict.payload, record)

    def _keep(
        self,
        customer: Customer,
        position: int,
        payload: dict[str, Any],
        record: dict[str, Any] | Line,
    ) -> None:
        buffer = self._buffer
        if not buffer.size:
            self._checkpoints.open(buffer.token, position)
        buffer.add(Item(customer, position, payload, record if self._keep_record else None))

    def _reject(
        self, record: dict[str, Any], position: int, reason: Reason, verdict: Verdict
    ) -> None:
        customer = verdict.customer
        key = customer.source_id if customer else record_key(record, self.key_properties)
        self._window.reject(
            Rejection(
                self.stream_name, key, position, reason, verdict.problems, None, customer, record
            )
        )
