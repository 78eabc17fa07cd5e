"""The customers sink: map each record, buffer it, and hand full batches to the loader."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import BatchSink

from target_upwell import customer_input
from target_upwell.batching import Batch, Item
from target_upwell.mapping import MappingError, apply
from target_upwell.outcomes import Outcome, Reason, Rejection
from target_upwell.routing import CONFIG_TEST_STREAM
from target_upwell.validation import Problem, RecordValidator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_upwell.customer_input import Customer
    from target_upwell.target import TargetUpwell

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

_tokens = itertools.count(1)


class CustomersSink(BatchSink):
    """One per stream. Records become customers here; requests happen in the loader."""

    def __init__(
        self,
        target: TargetUpwell,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: Sequence[str] | None,
    ) -> None:
        """Pick the stream's mapping, and say once what will happen to the stream."""
        super().__init__(target, stream_name, schema, key_properties)
        self._run = target.run
        settings = self._run.settings
        properties = list(schema.get("properties", {}))
        self._field_map = settings.routes.for_stream(stream_name, properties, self.key_properties)
        self._source_system = settings.source_system
        self._keep_record = settings.dead_letter_include_record
        self._counts = self._run.summary.stream(stream_name)
        self._buffer: list[Item] = []
        self._token = next(_tokens)
        self._run.announce(stream_name, self._field_map, properties)
        if stream_name == CONFIG_TEST_STREAM:
            self._run.check_key()

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """Validate against the tap's schema without ever quoting a value."""
        return RecordValidator(self.schema) if self.validate_schema else None

    @property
    @override
    def max_size(self) -> int:
        """``batch_size_rows``, already capped at Upwell's bulk limit by the settings."""
        return self._run.settings.batch_size_rows

    @property
    @override
    def current_size(self) -> int:
        """Records buffered and not yet handed on."""
        return len(self._buffer)

    def accept(self, record: dict[str, Any], position: int) -> None:
        """The fast path: validate, map and buffer one record."""
        validator = self._validator
        problems = validator.check(record) if isinstance(validator, RecordValidator) else []
        self._take(record, position, problems)

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """The SDK's path (stream maps or flattening on): the SDK has validated already."""
        validator = self._validator
        problems = validator.problems if isinstance(validator, RecordValidator) else []
        self._take(record, self._run.position, problems)

    @override
    def _parse_timestamps_in_record(
        self, record: dict[str, Any], schema: dict[str, Any], treatment: Any
    ) -> None:
        """Keep date-times as the tap sent them, as the fast path does: they go out as text."""

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        """Hand the buffer to the loader; returns once the batch has a place in the window."""
        if not self._buffer:
            return
        batch = Batch(self.stream_name, self._buffer, token=self._token)
        self._buffer = []
        self._token = next(_tokens)
        self._run.loader.submit(batch)

    def _take(self, record: dict[str, Any], position: int, problems: list[Problem]) -> None:
        self._counts.received += 1
        if self._field_map is None:
            self._run.summary.count(self.stream_name, Outcome.SKIPPED)
            return
        if problems:
            self._reject(record, position, Reason.INVALID_RECORD, problems)
            return
        try:
            customer = apply(self._field_map, record, self._source_system)
        except MappingError as exc:
            problem = Problem(exc.field_path, str(exc).split(": ", 1)[-1])
            self._reject(record, position, Reason.MAPPING_FAILED, [problem])
            return
        if customer is None:
            self._run.summary.count(self.stream_name, Outcome.SKIPPED)
            return
        deleted_at = record.get("_sdc_deleted_at")
        if deleted_at:
            _mark_deleted(customer, deleted_at)
        payload = customer.insert_input()
        problems = [] if customer.deleted else customer_input.check(payload)
        if problems:
            self._reject(record, position, Reason.INVALID_PAYLOAD, problems, customer)
            return
        if not self._buffer:
            self._run.checkpoints.open(self._token, position)
        self._buffer.append(
            Item(customer, position, payload, record if self._keep_record else None)
        )
        self._run.tick()

    def _reject(
        self,
        record: dict[str, Any],
        position: int,
        reason: Reason,
        problems: list[Problem],
        customer: Customer | None = None,
    ) -> None:
        key = customer.source_id if customer else self._record_key(record)
        self._run.loader.reject(
            Rejection(self.stream_name, key, position, reason, problems, None, customer, record)
        )

    def _record_key(self, record: dict[str, Any]) -> str | None:
        values = [record.get(k) for k in self.key_properties]
        if not values or any(v is None for v in values):
            return None
        return "|".join(str(v) for v in values)


def _mark_deleted(customer: Customer, deleted_at: object) -> None:
    """A deletion only sets ``deletedAt``; the rest of the record is not loaded."""
    when = deleted_at.isoformat() if isinstance(deleted_at, dt.datetime) else deleted_at
    customer.deleted = True
    customer.scalars = {"deletedAt": when}
