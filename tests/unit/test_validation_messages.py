"""Payload and record checks name the field path and the rule, never the value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from target_upwell.mapping.customer_input import check
from target_upwell.mapping.validation import Problem, RecordValidator, SchemaCheck, field_path

LEAKY_EMAIL = "leaky.value@example.com"
LEAKY_NAME = "Zebulon Quillfeather Holdings"
LEAKY_VALUES = (LEAKY_EMAIL, LEAKY_NAME, "Zebulon", "leaky")

VALID: dict[str, Any] = {
    "sourceSystem": "QBO",
    "sourceSystemId": "A-1",
    "name": LEAKY_NAME,
    "emailAddress": LEAKY_EMAIL,
}


def without(*names: str) -> dict[str, Any]:
    return {k: v for k, v in VALID.items() if k not in names}


def with_addresses(*addresses: dict[str, Any]) -> dict[str, Any]:
    return {**VALID, "addresses": {"data": list(addresses)}}


NOT_A_COUNTRY = "is not an ISO 3166-1 alpha-2 country code"
BAD_PAYLOADS = [
    pytest.param(
        {**VALID, "favouriteColour": LEAKY_EMAIL},
        [Problem("favouriteColour", "is not an allowed field")],
        id="unknown-key",
    ),
    pytest.param(
        with_addresses({"city": LEAKY_NAME, "zip": LEAKY_EMAIL}),
        [Problem("addresses.data[0].zip", "is not an allowed field")],
        id="unknown-address-key",
    ),
    pytest.param(
        {**VALID, "ccEmailAddresses": LEAKY_EMAIL},
        [Problem("ccEmailAddresses", "must be of type array")],
        id="wrong-type",
    ),
    pytest.param(
        with_addresses({"city": [LEAKY_NAME]}),
        [Problem("addresses.data[0].city", "must be of type string")],
        id="wrong-nested-type",
    ),
    pytest.param(
        {**VALID, "customerRule": {"data": {"dueOption": LEAKY_NAME}}},
        [Problem("customerRule.data.dueOption", "must be of type integer")],
        id="wrong-rule-type",
    ),
    pytest.param(
        with_addresses({"streetLine1": LEAKY_NAME, "country": "XX"}),
        [Problem("addresses.data[0].country", NOT_A_COUNTRY)],
        id="country-XX",
    ),
    pytest.param(
        with_addresses({"country": "US"}, {"city": LEAKY_NAME, "country": "USA"}),
        [Problem("addresses.data[1].country", NOT_A_COUNTRY)],
        id="country-USA",
    ),
    pytest.param(
        with_addresses({"type": LEAKY_NAME}),
        [Problem("addresses.data[0].type", "must be one of ADDRESS_BOOK, BILLING, SHIPPING")],
        id="address-type",
    ),
    pytest.param(without("name"), [Problem("name", "is required")], id="missing-name"),
    pytest.param(
        without("sourceSystemId"), [Problem("sourceSystemId", "is required")], id="missing-id"
    ),
    pytest.param({**VALID, "name": ""}, [Problem("name", "must not be empty")], id="empty-name"),
]


@pytest.mark.parametrize(("payload", "problems"), BAD_PAYLOADS)
def test_each_problem_names_the_field_path_and_the_rule(
    payload: dict[str, Any], problems: list[Problem]
) -> None:
    assert check(payload) == problems


@pytest.mark.parametrize(("payload", "problems"), BAD_PAYLOADS)
def test_no_problem_quotes_a_value(payload: dict[str, Any], problems: list[Problem]) -> None:
    texts = [str(problem) for problem in check(payload)]

    assert len(texts) == len(problems)
    for leaky in LEAKY_VALUES:
        assert not [text for text in texts if leaky in text]


def test_a_payload_missing_both_name_and_id_names_both() -> None:
    assert {problem.path for problem in check(without("name", "sourceSystemId"))} == {
        "name",
        "sourceSystemId",
    }


def test_a_valid_payload_has_no_problems() -> None:
    payload = {
        **with_addresses({"type": "BILLING", "city": "Boston", "country": "US"}),
        "ccEmailAddresses": ["b@x.example.com"],
        "metadata": {"any": ["thing"]},
        "customerRule": {"data": {"dueOption": 30}},
        "contacts": {"data": [{"firstName": "Ann"}]},
        "deletedAt": "2024-01-01T00:00:00Z",
    }

    assert check(payload) == []


def test_a_value_that_is_not_an_object_is_one_problem_for_the_whole_record() -> None:
    problems = SchemaCheck({"type": "object"})([LEAKY_EMAIL])

    assert [str(p) for p in problems] == ["field (record): must be of type object"]


def test_a_problem_reads_as_one_line() -> None:
    problem = Problem("addresses.data[0].country", NOT_A_COUNTRY)

    assert str(problem) == "field addresses.data[0].country: " + NOT_A_COUNTRY


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        (["addresses", "data", 0, "country"], "addresses.data[0].country"),
        (["name"], "name"),
        ([], ""),
        ([0], "[0]"),
        ([0, "city"], "[0].city"),
        (["a", 1, 2], "a[1][2]"),
    ],
)
def test_field_path_joins_keys_with_dots_and_indexes_in_brackets(
    parts: list[str | int], text: str
) -> None:
    assert field_path(parts) == text


TAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "integer"},
        "name": {"type": ["string", "null"]},
        "billing": {"type": "object", "properties": {"zip": {"type": "string"}}},
    },
    "required": ["id"],
}
BAD_RECORD = {"id": 1, "email": LEAKY_EMAIL, "name": LEAKY_NAME, "billing": {"zip": 90210}}


def test_the_record_validator_names_each_bad_field_path() -> None:
    validator = RecordValidator(TAP_SCHEMA)

    validator.validate(BAD_RECORD)

    assert sorted(validator.problems, key=str) == [
        Problem("billing.zip", "must be of type string"),
        Problem("email", "must be of type integer"),
    ]


def test_the_record_validator_never_quotes_a_value() -> None:
    validator = RecordValidator(TAP_SCHEMA)

    validator.validate({**BAD_RECORD, "name": 5, "id": LEAKY_NAME})

    text = "\n".join(str(problem) for problem in validator.problems)
    assert {problem.path for problem in validator.problems} == {
        "id",
        "email",
        "name",
        "billing.zip",
    }
    for leaky in (*LEAKY_VALUES, "90210"):
        assert leaky not in text


def test_the_record_validator_names_a_missing_required_field() -> None:
    validator = RecordValidator(TAP_SCHEMA)

    validator.validate({"email": 5})

    assert validator.problems == [Problem("id", "is required")]


def test_the_record_validator_forgets_the_previous_records_problems() -> None:
    validator = RecordValidator(TAP_SCHEMA)
    validator.validate(BAD_RECORD)

    validator.validate({"id": 2, "email": 3})

    assert validator.problems == []


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@given(record=st.dictionaries(st.sampled_from(["id", "email", "name", "billing", "x"]), VALUES))
def test_the_record_validator_never_raises_and_always_returns_value_free_problems(
    record: dict[str, Any],
) -> None:
    validator = RecordValidator(TAP_SCHEMA)

    validator.validate(record)

    assert all(isinstance(problem, Problem) for problem in validator.problems)
    assert {problem.path for problem in validator.problems} <= {
        "id",
        "email",
        "name",
        "billing",
        "billing.zip",
    }


def test_the_compiled_check_agrees_with_the_full_check_on_long_enums_and_formats() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"enum": [f"C{i:02d}" for i in range(40)]},
            "when": {"type": "string", "format": "date-time"},
            "format": {"type": "integer"},
        },
    }
    check = SchemaCheck(schema)

    assert check({"code": "C07", "when": "not a date", "format": 3}) == []
    assert [str(p) for p in check({"code": "ZZ"})] == [
        "field code: must be one of " + ", ".join(f"C{i:02d}" for i in range(40))
    ]
    assert [str(p) for p in check({"format": "x"})] == ["field format: must be of type integer"]
