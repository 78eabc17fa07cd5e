"""The fast email check gives email-validator's answer: the same address, or a refusal."""

from __future__ import annotations

import contextlib
import re

import email_validator
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from target_upwell.mapping.email_syntax import InvalidEmailError, normalized, plain

# Plain ASCII, the rest of RFC 5322's atext, quoting and separators, accented letters
# (composed and decomposed, so NFC matters), other scripts, and controls.
LOCAL_CHARS = st.sampled_from(
    [*"abcXYZ019._+-", *"!#$%&'*/=?^`{|}~", *'"<>() ,;:@\\', "é", "e\u0301", "ü", "中", "\u200b"]
)
LOCAL_PART = st.lists(LOCAL_CHARS, max_size=70).map("".join)
DOMAIN = st.one_of(
    st.from_regex(r"([a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?\.){1,3}[a-z]{2,8}", fullmatch=True),
    st.sampled_from(
        [
            "Example.COM",
            "example.com",
            "localhost",
            "test",
            "a.invalid",
            "münchen.de",
            "xn--mnchen-3ya.de",
            "-bad.com",
            "a..b.com",
            "[127.0.0.1]",
            "",
            "x" * 250 + ".com",
        ]
    ),
)


@given(local=LOCAL_PART, domain=DOMAIN)
@example(local="Chloé.100047", domain="Example.COM")
@example(local="Ann.Lee", domain="münchen.de")  # a plain local part at an IDN domain
@example(local="x" * 64, domain="example.org")
@example(local="x" * 65, domain="example.org")
@example(local="a" * 243, domain="ü.com")  # 250 bytes, 255 with the domain in IDNA ASCII
@example(local="a" * 243, domain="xn--tda.com")  # 255 bytes as written
@example(local="a" * 242, domain="xn--tda.com")  # 254: the longest plain local part there
@example(local="\u1112\u1161\u11ab" * 55, domain="x.com")  # NFD: 501 bytes as written
@example(local="\u212a" * 240, domain="x.com")  # the Kelvin sign: 3 bytes, NFC K
def test_an_address_gets_email_validators_answer(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    try:
        expected = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        with pytest.raises(InvalidEmailError, match=r"^is not a valid email address$"):
            normalized(address)
    else:
        assert normalized(address) == expected.normalized.lower()


PLAIN_LOCAL = st.from_regex(r"[A-Za-z0-9_+-]{1,70}(\.[A-Za-z0-9_+-]{1,70}){0,3}", fullmatch=True)


@given(local=st.one_of(LOCAL_PART, PLAIN_LOCAL), domain=DOMAIN, judged=st.booleans())
@example(local="Ann.Lee", domain="Example.COM", judged=True)
@example(local="x" * 242, domain="xn--tda.com", judged=True)  # the longest plain local there
@example(local="x" * 243, domain="xn--tda.com", judged=True)
@example(local="a,b", domain="example.com", judged=True)
def test_the_plain_shortcut_gives_normalizeds_answer_or_leaves_it_to_normalized(
    local: str, domain: str, judged: bool
) -> None:
    address = f"{local}@{domain}"
    if judged:  # normalized has seen the domain, as it has after a stream's first rows
        with contextlib.suppress(InvalidEmailError):
            normalized(f"a@{domain}")
    shortcut = plain(address)
    if shortcut is not None:
        assert shortcut == normalized(address)


@pytest.mark.parametrize(
    ("setting", "address"),
    [
        ("ALLOW_QUOTED_LOCAL", '"ann lee"@quoted.example.com'),
        ("ALLOW_DISPLAY_NAME", "Ann <ann@named.example.com>"),
        ("ALLOW_DOMAIN_LITERAL", "ann@[192.0.2.1]"),
        ("ALLOW_EMPTY_LOCAL", "@empty.example.com"),
        ("TEST_ENVIRONMENT", "ann@local.test"),
    ],
)
def test_email_validators_process_wide_defaults_do_not_change_a_verdict(
    setting: str, address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any library in the process may set these; the target's verdict must stay the same.
    monkeypatch.setattr(email_validator, setting, True)
    with pytest.raises(InvalidEmailError):
        normalized(address)


WORD_CHARACTERS = [c for c in map(chr, range(0x80, 0x110000)) if re.fullmatch(r"\w", c)]


def test_every_word_character_beyond_ascii_gets_email_validators_answer() -> None:
    # The shortcut for local parts of letters and digits of any script rests on email-validator
    # taking each such character, first or later in the part; each is asked, once.
    normalized("a@example.com")  # the domain judged: the shortcut is open
    differing = []
    for c in WORD_CHARACTERS:
        address = f"{c}x.y{c}@example.com"
        try:
            expected = email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError:
            with contextlib.suppress(InvalidEmailError):
                differing.append((hex(ord(c)), normalized(address)))
        else:
            if normalized(address) != expected.normalized.lower():
                differing.append((hex(ord(c)), expected.normalized))

    assert differing == []
