"""Config files and TARGET_UPWELL_* variables: one line per problem, naming it, never a value."""

from __future__ import annotations

import copy
import json
import os
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from target_upwell.config_sources import (
    UNREAD,
    from_environment,
    read_file,
    read_files,
    typed,
    unknown_variables,
)
from target_upwell.target import TargetUpwell

if TYPE_CHECKING:
    from pathlib import Path

PREFIX = "TARGET_UPWELL_"
SECRET = "sk-live-never-shown-7731"  # noqa: S105 (a fake key, to prove it never shows)


def schema() -> dict[str, Any]:
    """The target's final schema: its own settings and the SDK's."""
    final = copy.deepcopy(TargetUpwell.config_jsonschema)
    TargetUpwell.append_builtin_config(final)
    return final


def refusal(call: Any, *args: Any) -> list[str]:
    with pytest.raises(ConfigValidationError) as caught:
        call(*args)
    return caught.value.errors


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


# --- config files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f'{{"api_key": "{SECRET}",}}', "is not valid JSON: a trailing comma at line 1, column 39"),
        (f'{{\n  "api_key": "{SECRET}",\n  "mapping": {{}},\n}}\n', "a trailing comma at line 3"),
        (f'["{SECRET}"]', "must hold a JSON object of settings, not an array"),
        (f'"{SECRET}"', "must hold a JSON object of settings, not a single value"),
        ("  \n", "is empty; it must hold a JSON object of settings"),
        (f'{{"api_key": "{SECRET}"', "is not valid JSON: expecting ',' delimiter at line 1"),
    ],
    ids=["trailing-comma", "trailing-comma-multiline", "array", "string", "empty", "unclosed"],
)
def test_a_bad_config_file_is_one_line_naming_it_never_its_content(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)

    (line,) = refusal(read_file, str(path))

    assert line.startswith(f"config file '{path}': ")
    assert problem in line
    assert SECRET not in line


def test_a_missing_or_unreadable_config_file_is_named(tmp_path: Path) -> None:
    assert refusal(read_file, str(tmp_path / "nope.json")) == [
        f"config file '{tmp_path / 'nope.json'}': not found"
    ]
    assert refusal(read_file, str(tmp_path)) == [
        f"config file '{tmp_path}': can't be read (Is a directory)"
    ]


def test_a_config_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"api_key": "caf\xe9"}')

    assert refusal(read_file, str(path)) == [
        f"config file '{path}': is not UTF-8 text (an invalid byte at offset 16)"
    ]


def test_files_merge_in_order_and_env_is_a_flag(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"api_key": "k", "request_timeout": 1.5}))
    second.write_text(json.dumps({"request_timeout": 30}))

    assert read_files([str(first), "ENV", str(second)]) == (
        {"api_key": "k", "request_timeout": 30},
        True,
    )
    assert read_file(str(first))["request_timeout"] == Decimal("1.5")  # as the SDK reads it
    assert read_files([]) == ({}, False)


# --- TARGET_UPWELL_* values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("max_retries", " 3 ", 3),
        ("dead_letter_include_record", "Yes", True),
        ("dead_letter_include_record", "off", False),
        ("dead_letter_include_record", "0", False),
        ("request_timeout", "12.5", Decimal("12.5")),
        ("request_timeout", "30", Decimal(30)),
        ("mapping", '{"*": {"name": "n"}}', {"*": {"name": "n"}}),
        ("source_system", " QBO ", " QBO "),
    ],
)
def test_a_variable_is_read_as_its_settings_type(name: str, text: str, value: object) -> None:
    assert typed(text, schema()["properties"][name]) == value


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("max_retries", "abc"),
        ("max_retries", "2.5"),
        ("dead_letter_include_record", "maybe"),
        ("request_timeout", "NaN"),
        ("request_timeout", "soon"),
        ("mapping", "[1, 2]"),
        ("mapping", "{not json"),
    ],
)
def test_a_value_no_type_of_the_setting_reads_is_unread(name: str, text: str) -> None:
    assert typed(text, schema()["properties"][name]) is UNREAD


def test_bad_variables_are_refused_one_line_each_without_their_values(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TARGET_UPWELL_API_KEY", SECRET)
    clean_env.setenv("TARGET_UPWELL_MAX_RETRIES", "abc")
    clean_env.setenv("TARGET_UPWELL_DEAD_LETTER_INCLUDE_RECORD", "maybe")

    lines = refusal(from_environment, schema(), PREFIX)

    assert sorted(lines) == [
        (
            "TARGET_UPWELL_DEAD_LETTER_INCLUDE_RECORD: dead_letter_include_record must be"
            " true or false"
        ),
        "TARGET_UPWELL_MAX_RETRIES: max_retries must be a whole number",
    ]
    assert not any(value in line for line in lines for value in (SECRET, "abc", "maybe"))


def test_good_variables_are_typed_settings(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TARGET_UPWELL_API_KEY", SECRET)
    clean_env.setenv("TARGET_UPWELL_MAX_RETRIES", "2")
    clean_env.setenv("TARGET_UPWELL_REQUEST_TIMEOUT", "7.5")
    clean_env.setenv("TARGET_UPWELL_VALIDATE_RECORDS", "false")

    assert from_environment(schema(), PREFIX) == {
        "api_key": SECRET,
        "max_retries": 2,
        "request_timeout": Decimal("7.5"),
        "validate_records": False,
    }


def test_the_target_refuses_a_bad_variable_with_the_sdks_env_flag(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TARGET_UPWELL_MAX_RETRIES", "abc")
    config = {"api_key": SECRET, "source_system": "QBO"}

    lines = refusal(lambda: TargetUpwell(config=config, parse_env_config=True))

    assert lines == ["TARGET_UPWELL_MAX_RETRIES: max_retries must be a whole number"]


def test_the_target_takes_a_typed_number_from_a_variable(clean_env: pytest.MonkeyPatch) -> None:
    # The SDK alone leaves a number setting as text, which its own check then refuses.
    clean_env.setenv("TARGET_UPWELL_REQUEST_TIMEOUT", "45")
    target = TargetUpwell(config={"api_key": SECRET, "source_system": "QBO"}, parse_env_config=True)

    assert target.config["request_timeout"] == 45


# --- unknown variable names -----------------------------------------------------------------


def test_an_unknown_variable_gets_one_warning_by_name_with_the_closest_setting() -> None:
    environ = {
        "TARGET_UPWELL_BATCH_SIZE": SECRET,
        "TARGET_UPWELL_API_KEY": SECRET,
        "TARGET_UPWELL_ZZZ": "1",
        "OTHER_BATCH_SIZE": "1",
    }

    assert unknown_variables(schema(), PREFIX, environ) == [
        (
            "TARGET_UPWELL_BATCH_SIZE is not a target-upwell setting and is ignored"
            " (did you mean TARGET_UPWELL_BATCH_SIZE_ROWS?)"
        ),
        "TARGET_UPWELL_ZZZ is not a target-upwell setting and is ignored",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "TARGET_UPWELL_LOGLEVEL",
        "TARGET_UPWELL_LOG_LEVEL",
        "TARGET_UPWELL__DIALECT",
        "TARGET_UPWELL__TARGET_SCHEMA",
        "TARGET_UPWELL_STREAM_MAPS",
        "TARGET_UPWELL_FLATTENING_ENABLED",
        "TARGET_UPWELL_ADD_RECORD_METADATA",
        "TARGET_UPWELL_VALIDATE_RECORDS",
    ],
)
def test_known_names_and_non_settings_are_not_warned_about(name: str) -> None:
    assert unknown_variables(schema(), PREFIX, {name: "x"}) == []
