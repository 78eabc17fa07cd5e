"""Cross-field config checks, each naming the setting to change, and the typed settings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from target_upwell.settings import from_config, problems

VALID: dict[str, Any] = {"api_key": "test-key", "source_system": "QBO"}
HTTPS_ONLY = (
    "api_url: must be an https:// URL; plain http:// is accepted only for a loopback"
    " host (127.0.0.0/8, ::1, localhost), such as the local sandbox."
)


def test_a_minimal_config_has_no_problems() -> None:
    assert problems(VALID) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://api.upwell.com",
        "https://sandbox.example.com:8443/base",
        "http://127.0.0.1:8080",
        "http://127.9.9.9",
        "http://[::1]:9000",
        "http://localhost:8000",
        "http://LOCALHOST",
    ],
)
def test_https_and_loopback_http_urls_are_accepted(url: str) -> None:
    assert problems({**VALID, "api_url": url}) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://api.upwell.com",
        "http://10.0.0.1",
        "http://0.0.0.0:8080",
        "http://128.0.0.1",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "ftp://localhost",
        "https://",
        "api.upwell.com",
    ],
)
def test_other_urls_are_refused_with_the_rule(url: str) -> None:
    assert problems({**VALID, "api_url": url}) == [HTTPS_ONLY]


def test_overwrite_is_refused_with_an_explanation() -> None:
    (problem,) = problems({**VALID, "load_method": "overwrite"})

    assert problem.startswith("load_method: 'overwrite' is not supported")
    assert "no endpoint to delete customers" in problem
    assert "'upsert'" in problem
    assert "'append-only'" in problem


@pytest.mark.parametrize("method", ["upsert", "append-only"])
def test_upsert_and_append_only_are_accepted(method: str) -> None:
    assert problems({**VALID, "load_method": method}) == []


@pytest.mark.parametrize(
    "mapping",
    [None, {"*": {"sourceSystemId": "id", "name": "name"}}],
    ids=["auto", "wildcard-without-it"],
)
def test_source_system_is_required_unless_every_entry_maps_it(
    mapping: dict[str, Any] | None,
) -> None:
    (problem,) = problems({"api_key": "test-key", "mapping": mapping})

    assert problem.startswith("source_system: required, because not every stream's mapping")


def test_source_system_is_optional_when_every_entry_maps_it() -> None:
    entry = {"sourceSystem": "'QBO'", "sourceSystemId": "Id", "name": "DisplayName"}

    assert problems({"api_key": "test-key", "mapping": {"customers": entry, "*": entry}}) == []


def test_a_bad_mapping_is_reported_naming_the_stream_and_field() -> None:
    config = {**VALID, "mapping": {"customers": {"nmae": "DisplayName"}}}

    assert problems(config) == [
        "mapping: mapping['customers']: nmae is not a field of CustomersInsertInput"
    ]


def test_every_problem_is_reported_at_once() -> None:
    config = {"api_key": "k", "api_url": "http://upwell.test", "load_method": "overwrite"}

    assert [problem.split(":")[0] for problem in problems(config)] == [
        "api_url",
        "load_method",
        "source_system",
    ]


def test_batch_size_rows_above_1000_is_lowered_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="target-upwell"):
        settings = from_config({**VALID, "batch_size_rows": 5000})

    assert settings.batch_size_rows == 1000
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert "batch_size_rows=5000" in caplog.records[0].getMessage()


@pytest.mark.parametrize(("rows", "expected"), [(None, 500), (1000, 1000), (1, 1), (250, 250)])
def test_batch_size_rows_up_to_1000_is_kept_without_a_warning(
    caplog: pytest.LogCaptureFixture, rows: int | None, expected: int
) -> None:
    config = VALID if rows is None else {**VALID, "batch_size_rows": rows}
    with caplog.at_level(logging.WARNING, logger="target-upwell"):
        settings = from_config(config)

    assert settings.batch_size_rows == expected
    assert caplog.records == []


def test_from_config_applies_the_documented_defaults() -> None:
    settings = from_config(VALID)

    assert (
        settings.api_url,
        settings.upsert,
        settings.request_timeout,
        settings.max_retries,
        settings.dead_letter_file,
        settings.dead_letter_include_record,
        settings.max_rejected_records,
    ) == ("https://api.upwell.com", True, 60.0, 8, Path("upwell-rejected.jsonl"), True, 0)


def test_append_only_turns_upsert_off() -> None:
    assert from_config({**VALID, "load_method": "append-only"}).upsert is False


def test_a_trailing_slash_on_the_api_url_is_dropped() -> None:
    assert from_config({**VALID, "api_url": "http://localhost:8080/"}).api_url == (
        "http://localhost:8080"
    )
