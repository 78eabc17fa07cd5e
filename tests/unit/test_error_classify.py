"""The status policy as a table, and both error envelopes read into one ApiProblem."""

from __future__ import annotations

import pytest

from target_upwell.errors import (
    AmbiguousError,
    ApiError,
    ApiProblem,
    AuthError,
    ConflictError,
    FatalError,
    RejectedError,
    TooLargeError,
    TransientError,
    WrongPathError,
    classify,
    parse_problem,
)

ROW_PATH = "$.selectionSet.insertCustomers.args.objects[3].x"
HASURA_DUPLICATE = {
    "code": "constraint-violation",
    "error": 'Uniqueness violation. duplicate key value violates unique constraint "customers_pk"',
    "path": ROW_PATH,
}
DOCUMENTED_DUPLICATE = {
    "error": {"code": "BAD_REQUEST", "message": "duplicate key value violates unique constraint"},
    "status": "error",
}
HASURA_INVALID = {"code": "validation-failed", "error": "field 'x' not found", "path": "$"}
DOCUMENTED_INVALID = {
    "error": {"code": "INVALID_INPUT", "message": "name is required", "details": {}},
    "status": "error",
}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, None, AuthError),
        (403, DOCUMENTED_INVALID, AuthError),
        (429, None, TransientError),
        (500, None, TransientError),
        (502, "<html>Bad gateway</html>", AmbiguousError),
        (503, None, TransientError),
        (504, None, AmbiguousError),
        (500, HASURA_DUPLICATE, TransientError),
        (413, None, TooLargeError),
        (409, None, ConflictError),
        (409, DOCUMENTED_INVALID, ConflictError),
        (400, HASURA_DUPLICATE, ConflictError),
        (400, DOCUMENTED_DUPLICATE, ConflictError),
        (400, {"code": "x", "error": "UNIQUENESS VIOLATION"}, ConflictError),
        (400, HASURA_INVALID, RejectedError),
        (400, DOCUMENTED_INVALID, RejectedError),
        (400, None, RejectedError),
        (404, None, WrongPathError),
        (405, DOCUMENTED_INVALID, WrongPathError),
        (422, DOCUMENTED_INVALID, RejectedError),
    ],
)
def test_classify_maps_each_answer_to_what_happens_next(
    status: int, body: object, expected: type[ApiError]
) -> None:
    error = classify(status, body)

    assert type(error) is expected
    assert error.problem.status == status


def test_an_auth_error_stops_the_run() -> None:
    assert isinstance(classify(401, None), FatalError)


def test_a_transient_error_keeps_the_servers_retry_after() -> None:
    error = classify(429, None, retry_after=7.0)

    assert isinstance(error, TransientError)
    assert error.retry_after == 7.0


def test_the_error_message_is_the_one_line_description_without_the_apis_words() -> None:
    error = classify(400, HASURA_INVALID)

    assert str(error) == "HTTP 400 validation-failed at $"
    assert error.problem.message == "field 'x' not found"  # kept for the dead-letter file


def test_parse_problem_reads_hasuras_runtime_envelope() -> None:
    assert parse_problem(400, HASURA_DUPLICATE) == ApiProblem(
        400, "constraint-violation", HASURA_DUPLICATE["error"], ROW_PATH
    )


def test_parse_problem_reads_the_documented_envelope() -> None:
    assert parse_problem(422, DOCUMENTED_INVALID) == ApiProblem(
        422, "INVALID_INPUT", "name is required", ""
    )


def test_parse_problem_reads_graphql_errors() -> None:
    body = {
        "errors": [
            {"message": "first", "extensions": {"code": "validation-failed", "path": "$.a"}},
            {"message": "second"},
        ]
    }

    assert parse_problem(400, body) == ApiProblem(400, "validation-failed", "first", "$.a")


@pytest.mark.parametrize(
    "body",
    [
        None,
        "Bad gateway",
        b"\x00",
        [HASURA_INVALID],
        42,
        {},
        {"status": "error"},
        {"errors": []},
        {"errors": ["text"]},
        {"errors": "text"},
    ],
)
def test_parse_problem_of_an_unknown_body_keeps_only_the_status(body: object) -> None:
    assert parse_problem(502, body) == ApiProblem(502)


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 5, "message": ["m"]}},
        {"error": "", "code": None, "path": 3},
        {"errors": [{"message": None, "extensions": "x"}]},
    ],
)
def test_parse_problem_ignores_fields_that_are_not_text(body: object) -> None:
    assert parse_problem(400, body) == ApiProblem(400)


@pytest.mark.parametrize(
    ("path", "row"),
    [
        (ROW_PATH, 3),
        ("$.selectionSet.insertCustomers.args.objects[12]", 12),
        ("$.args.objects[0].addresses.data[4].country", 0),
        ("$.args.objects", None),
        ("$", None),
        ("", None),
    ],
)
def test_the_row_is_the_index_the_error_path_names(path: str, row: int | None) -> None:
    assert ApiProblem(400, path=path).row == row


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (ApiProblem(503), "HTTP 503"),
        (ApiProblem(400, "constraint-violation", "dup"), "HTTP 400 constraint-violation"),
        (
            ApiProblem(422, message="Failing row contains (a@b.example.com)", path="$.x"),
            "HTTP 422 at $.x",
        ),
    ],
)
def test_describe_is_status_code_and_path_never_the_message(problem: ApiProblem, text: str) -> None:
    assert problem.describe() == text
