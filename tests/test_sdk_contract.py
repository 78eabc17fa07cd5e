"""Fails when singer-sdk changes the internals the fast per-record path stands in for.

target-upwell replaces ``Target._process_record_message`` when no stream maps or
flattening are set. That replacement calls these SDK members and assumes the SDK's own
path does what it does today; a new SDK release must pass this before the pin moves.
"""

from __future__ import annotations

import inspect
from importlib import metadata

from packaging.version import Version
from singer_sdk import Target
from singer_sdk.sinks import BatchSink
from singer_sdk.sinks.core import Sink


def test_the_sdk_is_inside_the_pinned_range() -> None:
    version = Version(metadata.version("singer-sdk"))
    assert Version("0.54.9") <= version < Version("0.55"), version


def test_the_members_the_fast_path_calls_still_exist() -> None:
    for owner, name in [
        (Target, "_assert_line_requires"),
        (Target, "_assert_sink_exists"),
        (Target, "_handle_max_record_age"),
        (Target, "drain_one"),
        (Target, "_write_state_message"),
        (Target, "_process_state_message"),
        (Sink, "_singer_validate_message"),
        (Sink, "_parse_timestamps_in_record"),
    ]:
        assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name} is gone"


def test_the_record_path_is_still_the_one_the_fast_path_replaces() -> None:
    source = inspect.getsource(Target._process_record_message)
    steps = [
        "stream_map.transform(",
        "sink._validate_and_parse(",
        "sink.preprocess_record(",
        "sink._singer_validate_message(",
        "sink.process_record(",
        "sink.is_full",
        "self.drain_one(sink)",
        "self._handle_max_record_age()",
    ]
    positions = [source.index(step) for step in steps]
    assert positions == sorted(positions), "the SDK reordered its per-record steps"


def test_state_is_still_written_only_by_drain_all() -> None:
    assert "_write_state_message" in inspect.getsource(Target.drain_all)
    assert "_write_state_message" not in inspect.getsource(Target._process_state_message)
    assert "self.drain" not in inspect.getsource(Target._process_state_message)


def test_a_batch_sink_still_sizes_batches_by_current_size_and_max_size() -> None:
    assert "current_size >= self.max_size" in inspect.getsource(Sink.is_full.fget)  # type: ignore[attr-defined]
    assert "batch_size_rows" in inspect.getsource(Sink.max_size.fget)  # type: ignore[attr-defined]
    assert "current_size == 0" in inspect.getsource(Target.drain_one)
    assert issubclass(BatchSink, Sink)
