"""The fast email check gives email-validator's answer: the same address, or a refusal."""

from __future__ import annotations

import email_validator
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from target_upwell.email_syntax import InvalidEmailError, normalized

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
