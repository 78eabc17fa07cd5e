"""Unknown settings, wrong types and impossible values stop the target before it reads a line."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from target_upwell.settings import OVERWRITE_PROBLEM, from_config, problems, schema_problems
from target_upwell.target import TargetUpwell

SECRET = "sk-live-never-shown-7731"  # noqa: S105 (a fake key, to prove it never shows)
VALID: dict[str, Any] = {"api_key": SECRET, "source_system": "QBO"}


def schema() -> dict[str, Any]:
    final = copy.deepcopy(TargetUpwell.config_jsonschema)
    TargetUpwell.append_builtin_config(final)
    return final


def refused(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigValidationError) as caught:
        TargetUpwell(config=config)
    return caught.value.errors


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ({"mappings": {"*": {}}}, "unknown setting 'mappings' (did you mean 'mapping'?)"),
        ({"batch_size": 100}, "unknown setting 'batch_size' (did you mean 'batch_size_rows'?)"),
        (
            {"flatening_enabled": True},
            "unknown setting 'flatening_enabled' (did you mean 'flattening_enabled'?)",
        ),
        ({"zzz": 1}, "unknown setting 'zzz'"),
    ],
    ids=["mappings", "batch_size", "sdk-setting", "no-close-name"],
)
def test_an_unknown_setting_is_refused_naming_the_closest_one(
    extra: dict[str, Any], line: str
) -> None:
    assert refused({**VALID, **extra}) == [line]


def test_every_sdk_setting_in_the_final_schema_is_known() -> None:
    sdk_settings = {
        "add_record_metadata": True,
        "validate_records": False,
        "stream_maps": {},
        "stream_map_config": {},
        "faker_config": {"seed": 1},
        "flattening_enabled": False,
        "flattening_max_depth": 1,
        "flattening_max_key_length": 30,
        "flattening_separator": "__",
    }

    assert set(sdk_settings) <= set(schema()["properties"])
    assert schema_problems({**VALID, **sdk_settings}, schema()) == []


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ({"max_retries": "abc"}, "max_retries: must be a whole number"),
        ({"max_retries": 2.5}, "max_retries: must be a whole number"),
        ({"batch_size_rows": True}, "batch_size_rows: must be a whole number"),
        (
            {"dead_letter_include_record": "maybe"},
            "dead_letter_include_record: must be true or false",
        ),
        ({"request_timeout": "60"}, "request_timeout: must be a number"),
        ({"mapping": ["customers"]}, "mapping: must be a JSON object"),
        ({"load_method": "merge"}, "load_method: must be one of 'upsert', 'append-only'"),
        ({"mapping_preset": "sage"}, "mapping_preset: must be one of 'hubspot', 'quickbooks'"),
        ({"load_method": "overwrite"}, OVERWRITE_PROBLEM),
    ],
)
def test_a_wrong_type_names_the_setting_and_what_it_must_be(
    extra: dict[str, Any], line: str
) -> None:
    (problem,) = refused({**VALID, **extra})

    assert problem.startswith(line)


def test_the_key_is_never_quoted_even_when_wrong() -> None:
    assert refused({"api_key": 4242424242, "source_system": "QBO"}) == ["api_key: must be text"]
    assert refused({"source_system": "QBO"}) == ["api_key: required"]


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ({"request_timeout": 0}, "request_timeout: must be above 0 (seconds)."),
        ({"request_timeout": float("nan")}, "request_timeout: must be above 0 (seconds)."),
        ({"max_requests_per_second": 0}, "max_requests_per_second: must be above 0"),
        ({"max_rejected_records": -1}, "max_rejected_records: must be 0 or more."),
        ({"max_retries": -1}, "max_retries: must be 0 or more."),
        ({"batch_size_rows": 0}, "batch_size_rows: must be at least 1."),
    ],
)
def test_an_impossible_value_is_refused(extra: dict[str, Any], line: str) -> None:
    (problem,) = refused({**VALID, **extra})

    assert problem.startswith(line)


def test_a_null_setting_is_unset_and_takes_its_default() -> None:
    config = {**VALID, "max_retries": None, "load_method": None, "request_timeout": None}

    target = TargetUpwell(config=config)

    assert target.config["max_retries"] == 8
    assert target.config["load_method"] == "upsert"
    assert problems(config) == []
    assert from_config(config).request_timeout == 60.0


def test_every_problem_is_one_line_and_all_are_reported_at_once() -> None:
    lines = refused({**VALID, "mappings": {}, "max_retries": "abc", "api_key": 7})

    assert lines == [
        "unknown setting 'mappings' (did you mean 'mapping'?)",
        "api_key: must be text",
        "max_retries: must be a whole number",
    ]
