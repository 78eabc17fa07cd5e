"""The value cleaners, one table each: None means "no value", errors name the rule only."""

from __future__ import annotations

import decimal

import pytest

from target_upwell.mapping import normalize


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" Acme ", "Acme"), ("\t\n", None), ("", None), (None, None), (0, 0), (False, False)],
)
def test_text_strips_strings_and_blanks_become_none(value: object, expected: object) -> None:
    assert normalize.text(value) == expected


def test_text_leaves_a_list_alone() -> None:
    value = [" a "]

    assert normalize.text(value) is value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, "5"),
        (5.0, "5"),
        (-3, "-3"),
        (12.5, "12.5"),
        (1e20, "100000000000000000000"),
        (decimal.Decimal("5.00"), "5"),
        (decimal.Decimal("1.50"), "1.50"),
        (" A-1 ", "A-1"),
        (True, "true"),
        ("", None),
        (None, None),
    ],
)
def test_identifier_is_a_string(value: object, expected: str | None) -> None:
    assert normalize.identifier(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A@X.example.com", ["a@x.example.com"]),
        (
            " a@x.example.com ;; b@x.example.com,c@x.example.com\td@x.example.com ",
            ["a@x.example.com", "b@x.example.com", "c@x.example.com", "d@x.example.com"],
        ),
        (["a@x.example.com", None, " ", "B@x.example.com"], ["a@x.example.com", "b@x.example.com"]),
        ("", []),
        (None, []),
    ],
)
def test_emails_are_split_trimmed_and_lower_cased(value: object, expected: list[str]) -> None:
    assert normalize.emails(value) == expected


@pytest.mark.parametrize("value", ["a@x.example.com; nobody", [5], "leaky-value"])
def test_an_email_without_an_at_sign_is_refused_by_rule(value: object) -> None:
    with pytest.raises(ValueError, match=r"^is not a valid email address$"):
        normalize.emails(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" us ", "US"),
        ("Gb", "GB"),
        ("", None),
        ("USA", "US"),
        ("United States", "US"),
        ("canada", "CA"),
        ("DEU", "DE"),
        ("UK", "GB"),
    ],
)
def test_country_becomes_an_alpha_2_code(value: object, expected: object) -> None:
    assert normalize.country(value) == expected


# "ß", the "fi" ligature and a dotless-i "it" upper-case to SS, FI and IT: no country.
@pytest.mark.parametrize("value", ["Narnia", 7, "XX", "ß", "\ufb01", "\u0131t"])
def test_an_unknown_country_is_refused_by_rule(value: object) -> None:
    with pytest.raises(ValueError, match=r"^is not a country \(an ISO 3166 code or name\)$"):
        normalize.country(value)


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("Net 30", 30),
        ("NET30", 30),
        (0, 0),
        (decimal.Decimal(15), 15),
        ("Due upon receipt", 0),
        (" cod ", 0),
        ("  ", None),
        (None, None),
    ],
)
def test_due_days_reads_payment_terms(value: object, days: int | None) -> None:
    assert normalize.due_days(value) == days


def test_due_days_of_discount_terms_is_the_net_days() -> None:
    assert normalize.due_days("2% 10 Net 30") == 30


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (True, "must be a number of days or payment-terms text"),
        (7.5, "must be a whole, non-negative number of days"),
        (-5, "must be a whole, non-negative number of days"),
        ("End of month", "is not payment terms in days"),
    ],
)
def test_due_days_refuses_what_is_not_days_naming_the_rule(value: object, rule: str) -> None:
    with pytest.raises(ValueError, match=f"^{rule}$"):
        normalize.due_days(value)
