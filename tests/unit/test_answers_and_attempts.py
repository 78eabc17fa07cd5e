"""What the client decides without a socket: which answers prove a write, when retries end."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from target_upwell.delivery.answers import (
    Answer,
    Returns,
    counts_affected_rows,
    lists_customers,
    read_answer,
)
from target_upwell.delivery.attempts import Retries, Tally
from target_upwell.delivery.paging import PageCap
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.errors import (
    AmbiguousError,
    ApiProblem,
    RetriesExhaustedError,
    TransientError,
    UnreachableError,
    WrongPathError,
)

KEYS = [("ERP", "1"), ("ERP", "2")]
ROWS = [
    {"sourceSystem": "ERP", "sourceSystemId": "1"},
    {"sourceSystem": "ERP", "sourceSystemId": "2"},
]


@pytest.mark.parametrize(
    ("answer", "proved"),
    [
        ({"createCustomers": {"returning": ROWS}}, True),
        ({"createCustomers": {"returning": ROWS[::-1]}}, True),
        ({"createCustomers": {"returning": ROWS[:1]}}, False),
        ({"createCustomers": {"returning": [*ROWS, ROWS[0]]}}, False),
        ({"createCustomers": {"returning": ["not a customer", 1]}}, False),
        ({"createCustomers": None}, False),
        ({"createCustomers": [1]}, False),
        ({}, False),
    ],
)
def test_a_bulk_insert_is_proved_by_one_returned_row_per_key(answer, proved):
    assert (Returns(KEYS)(answer) is None) is proved
    assert Returns(KEYS).shown_in(orjson.dumps(answer)) is proved


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_IDS = st.sampled_from(["1", "2", "3", "4"])


@st.composite
def _insert_answers(draw):
    """Keys sent, and an answer: their rows (extra fields, any order), perhaps spoilt once."""
    keys = draw(st.sets(st.tuples(st.just("ERP"), _IDS)))
    rows: list = [
        {"sourceSystem": system, "sourceSystemId": source_id, "metadata": draw(_JSON)}
        for system, source_id in draw(st.permutations(sorted(keys)))
    ]
    spoil = draw(st.sampled_from(["none", "drop", "twice", "other", "field", "junk", "shape"]))
    if rows and spoil in {"drop", "twice", "other", "field", "junk"}:
        at = draw(st.integers(0, len(rows) - 1))
        if spoil == "drop":
            del rows[at]
        elif spoil == "twice":
            rows.append(rows[at])
        elif spoil == "other":
            rows[at] = {**rows[at], "sourceSystemId": draw(_IDS | _JSON)}
        elif spoil == "field":
            rows[at] = {k: v for k, v in rows[at].items() if k != draw(st.sampled_from(_FIELDS))}
        else:
            rows[at] = draw(_JSON)
    answer = {"createCustomers": {"returning": rows}}
    if spoil == "shape":
        answer = draw(st.dictionaries(st.sampled_from(["createCustomers", "errors"]), _JSON))
    return answer, keys


_FIELDS = ["sourceSystem", "sourceSystemId"]


@given(_insert_answers())
def test_reading_an_insert_answer_for_its_keys_alone_agrees_with_reading_it_whole(sent):
    answer, keys = sent
    proof = Returns(keys)

    assert proof.shown_in(orjson.dumps(answer)) is (proof(answer) is None)


_ROW = b'{"sourceSystem":"ERP","sourceSystemId":"%s","metadata":%s}'


def _insert_answer(skipped: bytes) -> bytes:
    """Both rows of KEYS, the first with ``skipped`` (raw JSON text) in a field not read."""
    rows = _ROW % (b"1", skipped) + b"," + _ROW % (b"2", b"{}")
    return b'{"createCustomers":{"returning":[' + rows + b"]}}"


@pytest.mark.parametrize(
    ("skipped", "proved", "whole_reading"),
    [
        (b"[" * 1100 + b"]" * 1100, False, "refused"),  # too deep for either: no RecursionError
        (b'"\xff\xfe"', True, "refused"),
        (b"1e400", True, "refused"),
        (b"123456789012345678901234567890", True, "proves"),
    ],
    ids=["nested-1100-deep", "not-utf8", "past-a-float", "past-64-bits"],
)
def test_an_insert_answer_is_proved_by_its_keys_whatever_the_fields_skipped_hold(
    skipped, proved, whole_reading
):
    content = _insert_answer(skipped)
    _, error = read_answer("POST /x", Answer(200, content, None), Returns(KEYS), "")

    assert Returns(KEYS).shown_in(content) is proved
    assert (error is None) is (proved or whole_reading == "proves")


@pytest.mark.parametrize(
    ("proof", "answer", "proved"),
    [
        (counts_affected_rows, {"updateCustomer": {"affectedRows": 0}}, True),
        (counts_affected_rows, {"updateCustomer": {"affectedRows": True}}, False),
        (counts_affected_rows, {"updateCustomer": {}}, False),
        (counts_affected_rows, {"updateCustomer": [1]}, False),
        (lists_customers, {"customers": []}, True),
        (lists_customers, {"customers": None}, False),
    ],
)
def test_an_update_and_a_search_are_proved_by_their_shape(proof, answer, proved):
    assert (proof(answer) is None) is proved


def test_a_2xx_that_does_not_prove_the_write_is_ambiguous():
    body, error = read_answer("PUT /x", Answer(200, b"{}", None), counts_affected_rows, "http://h")

    assert body == {}
    assert isinstance(error, AmbiguousError)
    assert error.problem.message == "the answer has no updateCustomer.affectedRows"


def test_a_404_names_the_request_and_api_url():
    _, error = read_answer("GET /x", Answer(404, b"not json", None), None, "http://h/api")

    assert isinstance(error, WrongPathError)
    assert "GET /x" in str(error)
    assert "http://h/api" in str(error)


def test_an_answer_without_a_proof_to_meet_is_its_body():
    assert read_answer("GET /x", Answer(200, b'{"a": 1}', None), None, "") == ({"a": 1}, None)


def failure(code: str, *, absorbed: bool = False) -> TransientError:
    error = TransientError(ApiProblem(0, code))
    error.absorbed = absorbed
    return error


def test_retries_end_after_max_retries_having_slept_between():
    slept: list[float] = []
    retries, tally = Retries(RetryPolicy(2, slept.append), "GET /x to h:443"), Tally()

    retries.after(failure("dropped"), tally)
    retries.after(failure("dropped"), tally)
    with pytest.raises(RetriesExhaustedError, match="still failing after 2 retries"):
        retries.after(failure("dropped"), tally)

    assert len(slept) == 2
    assert tally == Tally(retries=2)


def test_dns_failing_twice_ends_the_call_before_max_retries():
    retries, tally = Retries(RetryPolicy(5, lambda _: None), "GET /x to h:443"), Tally()

    retries.after(failure("DNS"), tally)
    with pytest.raises(UnreachableError, match="gave up after 2 attempts"):
        retries.after(failure("DNS"), tally)


def test_an_absorbed_refusal_is_sent_again_without_a_retry_or_a_wait():
    slept: list[float] = []
    retries, tally = Retries(RetryPolicy(0, slept.append), "POST /x to h:443"), Tally()

    retries.after(failure("", absorbed=True), tally)

    assert (slept, tally) == ([], Tally(refusals=1))


def test_pages_are_followed_until_a_short_page_after_a_longer_one():
    pages = {0: [1, 2], 2: [3, 4], 4: [5]}
    asked: list[int] = []

    def search(_where, _tally, *, offset=0):
        asked.append(offset)
        return pages.get(offset, [])

    cap = PageCap()
    rows = cap.follow(search, {}, 10, Tally())

    assert rows == [1, 2, 3, 4, 5]
    assert asked == [0, 2, 4]
    assert (cap.floor, cap.learned) == (2, 2)
