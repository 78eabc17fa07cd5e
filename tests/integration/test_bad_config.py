"""A bad setting, variable or config file stops the command in one line, before any input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from commandline import Ran, environment, run, run_with_stdin_open
from harness import STREAM, config, record, singer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

SECRET_KEY = "sk-live-DO-NOT-LEAK-9090"  # noqa: S105 (a fake key, to prove it never shows)


def requests_made(sandbox: SandboxHandle) -> int:
    return sum(sum(by_status.values()) for by_status in sandbox.stats()["requests"].values())


def write_config(tmp_path: Path, cfg: dict[str, Any]) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    return str(path)


def assert_refused_in_one_line(ran: Ran, line: str, *, hidden: tuple[str, ...] = ()) -> None:
    """Exit 1, that one ERROR line, no traceback, nothing on stdout, no value shown."""
    assert ran.exit_code == 1
    assert ran.lines("ERROR") == [line]
    assert "Traceback" not in ran.log
    assert ran.stdout == ""
    for value in (SECRET_KEY, *hidden):
        assert value not in ran.log


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (
            {"mappings": {STREAM: {"name": "x"}}},
            "unknown setting 'mappings' (did you mean 'mapping'?)",
        ),
        ({"batch_size": 100}, "unknown setting 'batch_size' (did you mean 'batch_size_rows'?)"),
    ],
    ids=["mappings", "batch_size"],
)
def test_a_misspelt_setting_stops_before_reading_input_or_sending(
    sandbox: SandboxHandle, tmp_path: Path, extra: dict[str, Any], line: str
) -> None:
    cfg = {**config(sandbox.url, SECRET_KEY, tmp_path), **extra}

    ran = run_with_stdin_open(["--config", write_config(tmp_path, cfg)])

    assert_refused_in_one_line(ran, line)
    assert requests_made(sandbox) == 0


@pytest.mark.parametrize(
    ("extra", "line", "hidden"),
    [
        ({"max_retries": "eleven"}, "max_retries: must be a whole number", "eleven"),
        (
            {"dead_letter_include_record": "maybe"},
            "dead_letter_include_record: must be true or false",
            "maybe",
        ),
        ({"api_key": 73737373}, "api_key: must be text", "73737373"),
        ({"request_timeout": -5.25}, "request_timeout: must be above 0 (seconds).", "-5.25"),
    ],
    ids=["integer", "boolean", "key", "impossible"],
)
def test_a_wrong_value_in_the_file_names_the_setting_not_the_value(
    sandbox: SandboxHandle, tmp_path: Path, extra: dict[str, Any], line: str, hidden: str
) -> None:
    cfg = {**config(sandbox.url, SECRET_KEY, tmp_path), **extra}

    ran = run_with_stdin_open(["--config", write_config(tmp_path, cfg)])

    assert_refused_in_one_line(ran, line, hidden=(hidden,))
    assert requests_made(sandbox) == 0


@pytest.mark.parametrize(
    "bad",
    [
        (
            "TARGET_UPWELL_MAX_RETRIES",
            "abc",
            "TARGET_UPWELL_MAX_RETRIES: max_retries must be a whole number",
        ),
        (
            "TARGET_UPWELL_DEAD_LETTER_INCLUDE_RECORD",
            "maybe",
            (
                "TARGET_UPWELL_DEAD_LETTER_INCLUDE_RECORD: dead_letter_include_record must be"
                " true or false"
            ),
        ),
    ],
    ids=["integer", "boolean"],
)
@pytest.mark.parametrize("with_file", [False, True], ids=["env-only", "file-and-env"])
def test_a_bad_variable_names_itself_and_its_setting(
    sandbox: SandboxHandle, tmp_path: Path, bad: tuple[str, str, str], *, with_file: bool
) -> None:
    variable, value, line = bad
    cfg = config(sandbox.url, SECRET_KEY, tmp_path)
    if with_file:
        args = ["--config", write_config(tmp_path, cfg), "--config", "ENV"]
        env = environment(**{variable: value})
    else:  # every setting from the environment, as Meltano or a container would give them
        args = ["--config", "ENV"]
        settings = {
            f"TARGET_UPWELL_{name.upper()}": v if isinstance(v, str) else json.dumps(v)
            for name, v in cfg.items()
        }
        env = environment(**settings, **{variable: value})

    ran = run_with_stdin_open(args, env)

    assert_refused_in_one_line(ran, line, hidden=(value,))
    assert requests_made(sandbox) == 0


@pytest.mark.parametrize("with_env", [False, True], ids=["file", "file-and-env"])
def test_an_unknown_variable_is_warned_about_by_name_and_the_run_goes_on(
    sandbox: SandboxHandle, tmp_path: Path, *, with_env: bool
) -> None:
    hidden = "value-never-shown-5150"
    env = environment(
        TARGET_UPWELL_BATCH_SIZE=hidden,
        TARGET_UPWELL_LOGLEVEL="INFO",  # read by the SDK: not a setting, not unknown
        TARGET_UPWELL__DIALECT=hidden,  # a Meltano plugin extra
        TARGET_UPWELL_VALIDATE_RECORDS="true",  # an SDK setting
    )
    path = write_config(tmp_path, config(sandbox.url, sandbox.api_key, tmp_path))
    args = ["--config", path, *(["--config", "ENV"] if with_env else [])]

    ran = run(args, singer([record(n) for n in range(1, 4)]).encode(), env)

    assert ran.exit_code == 0
    assert ran.lines("WARNING") == [
        (
            "TARGET_UPWELL_BATCH_SIZE is not a target-upwell setting and is ignored"
            " (did you mean TARGET_UPWELL_BATCH_SIZE_ROWS?)"
        )
    ]
    assert hidden not in ran.log
    assert len(sandbox.customers()) == 3


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            f'{{"api_key": "{SECRET_KEY}", "source_system": "ERP",}}',
            "is not valid JSON: a trailing comma at line 1, column 63",  # the comma's
        ),
        (f'["{SECRET_KEY}"]', "must hold a JSON object of settings, not an array"),
        (None, "not found"),
    ],
    ids=["trailing-comma", "not-an-object", "missing"],
)
def test_a_bad_config_file_is_named_in_one_line_and_nothing_is_read(
    sandbox: SandboxHandle, tmp_path: Path, text: str | None, problem: str
) -> None:
    path = tmp_path / "config.json"
    if text is not None:
        path.write_text(text)

    ran = run_with_stdin_open(["--config", str(path)])

    assert_refused_in_one_line(ran, f"config file '{path}': {problem}")
    assert requests_made(sandbox) == 0
