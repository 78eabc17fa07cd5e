"""(b) A stock singer-sdk target: a BatchSink that does nothing, every setting at its default.

Run as ``python benchmarks/stock_target.py < input.singer``. It pays exactly what the SDK
pays per record (its JSON reader with Decimal numbers, jsonschema validation, date-time
parsing, key checks, batching) and nothing for a destination.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink


class NoopSink(BatchSink):
    """Buffers records like any BatchSink; its batch goes nowhere."""

    def process_batch(self, context: dict[str, Any]) -> None:
        """Drop the batch."""


class TargetStockNoop(Target):
    """A singer-sdk target with a no-op BatchSink and default settings."""

    name = "target-stock-noop"
    default_sink_class = NoopSink
    config_jsonschema = th.PropertiesList().to_dict()


if __name__ == "__main__":
    TargetStockNoop.cli()
