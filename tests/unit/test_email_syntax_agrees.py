"""The public-API email check gives the same verdicts as the one it replaced.

Until this change ``email_syntax`` checked unusual local parts with email-validator's private
``validate_email_local_part``. Below is that implementation, frozen: the reference the
rewritten module is held to, on generated addresses of every kind. Only this test may import
the private function; if a new email-validator moves it, retire the reference, not the module.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from typing import TYPE_CHECKING, NamedTuple

import email_validator
from email_validator.syntax import validate_email_local_part  # private: reference only
from hypothesis import example, given, settings
from hypothesis import strategies as st

from target_upwell.mapping import email_syntax

if TYPE_CHECKING:
    from collections.abc import Callable

# ---------------------------------------------------------------------------------------------
# FROZEN REFERENCE: target_upwell/mapping/email_syntax.py as of commit 6cc35ec, copied verbatim
# from its first pattern to its end (docstrings included). Do not edit or "fix" it: its
# answers are what the rewrite must keep. `normalized` and `plain` below are the OLD functions;
# the new ones are always called as `email_syntax.normalized` and `email_syntax.plain`.
# ---------------------------------------------------------------------------------------------

_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
# One whole address of plain ASCII parts: no separator, quote or second "@" can match.
_PLAIN_ADDRESS = re.compile(r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9.-]+)")
# No quoting, no display name, no domain literal: email-validator's local-part rules apply.
_SIMPLE_LOCAL = re.compile(r'[^\s"<>()\[\]\\,;:@]+')
# Letters and digits of any script (\w: what str.isalnum accepts, and _), in dot-atom form.
# email-validator accepts every such local part as it stands once it is in NFC: Unicode
# letters and numbers pass all its character checks.
_WORD_LOCAL = re.compile(r"[\w+-]+(?:\.[\w+-]+)*")
_MAX = 254  # bytes, in each of the forms email-validator measures
_MAX_KNOWN_DOMAINS = 65536
_DOMAINS: dict[str, _Domain | None] = {}  # domain as written -> _domain()


class _Domain(NamedTuple):
    """email-validator's verdict on a domain, kept for every address at it."""

    host: str  # the domain as email-validator normalizes it
    ascii_bytes: int  # the length of its IDNA ASCII form
    plain_room: int  # the longest plain ASCII local part the three length checks allow
    lowers_to_host: bool  # the domain as written, lower-cased, is the host


class InvalidEmailError(ValueError):
    """Not an address email-validator accepts; the message never quotes it."""

    def __init__(self) -> None:
        """The one message every refusal gets."""
        super().__init__("is not a valid email address")


def normalized(address: str) -> str:
    """The address as email-validator normalizes it, lower-cased.

    Raises:
        InvalidEmailError: email-validator refuses it.
    """
    local, at, domain = address.rpartition("@")
    known = (_DOMAINS[domain] if domain in _DOMAINS else _domain(domain)) if at else None
    if known is None:
        return _validated(address).normalized.lower()
    if len(local) <= known.plain_room and address.isascii() and _PLAIN_LOCAL.fullmatch(local):
        return f"{local}@{known.host}".lower()  # the common case: nothing to normalize
    fast = _from_parts(address, local, known)
    return fast if fast is not None else _validated(address).normalized.lower()


def plain(address: str) -> str | None:
    """``normalized(address)`` for one plain ASCII address at a domain already judged valid.

    None when ``normalized`` must decide: the common case costs one match and one lookup.
    """
    match = _PLAIN_ADDRESS.fullmatch(address)
    if match is None:
        return None
    known = _DOMAINS.get(match[2])
    if known is None or match.end(1) > known.plain_room:
        return None
    if known.lowers_to_host:  # the usual domain: nothing but case to change
        return address.lower()
    return f"{match[1]}@{known.host}".lower()


def _from_parts(address: str, local: str, known: _Domain) -> str | None:
    """The address from its checked parts; None when email-validator must decide."""
    host, ascii_host = known.host, known.ascii_bytes
    form = local if _PLAIN_LOCAL.fullmatch(local) else _international_local(local)
    if form is None:
        return None
    # email-validator's three length checks, in UTF-8 bytes: as written, normalized, and
    # with the domain in IDNA ASCII.
    form_bytes = _utf8_length(form)
    written = _utf8_length(address)
    if max(written, form_bytes + 1 + _utf8_length(host), form_bytes + 1 + ascii_host) > _MAX:
        return None
    return f"{form}@{host}".lower()


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())  # isascii() costs nothing


def _domain(domain: str) -> _Domain | None:
    """email-validator's verdict on a domain not seen before; None if it is invalid.

    Asked once per domain: a customer list repeats its domains.
    """
    known: _Domain | None = None
    with contextlib.suppress(InvalidEmailError):
        checked = _validated(f"a@{domain}")
        ascii_bytes = len(checked.ascii_domain.encode())
        longest = max(_utf8_length(domain), _utf8_length(checked.domain), ascii_bytes)
        room = _MAX - 1 - longest
        known = _Domain(checked.domain, ascii_bytes, room, domain.lower() == checked.domain.lower())
    if len(_DOMAINS) < _MAX_KNOWN_DOMAINS:
        _DOMAINS[domain] = known
    return known


def _international_local(local: str) -> str | None:
    """A local part beyond plain ASCII, by email-validator's own check: its NFC form."""
    if _WORD_LOCAL.fullmatch(local) and unicodedata.is_normalized("NFC", local):
        return local  # e.g. "Chloé.17": email-validator would return it unchanged
    if _SIMPLE_LOCAL.fullmatch(local) is None:
        return None
    try:
        checked = validate_email_local_part(local)
        form = unicodedata.normalize("NFC", local)
        if form != local:
            checked = validate_email_local_part(form)
    except email_validator.EmailNotValidError:
        return None  # email-validator says why, in its own words, on the slow path
    return str(checked["local_part"])


def _validated(address: str) -> email_validator.ValidatedEmail:
    try:
        return email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise InvalidEmailError from None


# ---------------------------------------------------------------------------------------------
# END OF FROZEN REFERENCE
# ---------------------------------------------------------------------------------------------

# Characters email-validator takes unquoted: plain ASCII, the rest of RFC 5322's atext, and
# letters of other scripts, composed and decomposed (so NFC matters) or changed by NFC.
ATOM_CHARS = [
    *"abcXYZ019_+-",
    *"!#$%&'*/=?^`{|}~",
    *["é", "e\u0301", "ü", "ß", "Ω", "я", "中", "😀", "\u212a", "\ufb01"],
]
# Characters it refuses or treats apart: dots, quoting, separators, a combining mark after an
# ASCII character, invisible and control characters, the full-width at-sign.
ODD_CHARS = [*'.."<>() ,;:@\\[]', *"\u0338\u00a0\u200b\u202e\x00\t\x7f\uff20"]


def strings(chars: list[str], min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    """Strings of these pieces; a piece may be more than one code point, as "e\u0301" is."""
    return st.lists(st.sampled_from(chars), min_size=min_size, max_size=max_size).map("".join)


def dot_atoms(atom: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(atom, min_size=1, max_size=3).map(".".join)


# st.text and st.lists, not st.from_regex: they draw the same shapes several times faster.
PLAIN_LOCAL = dot_atoms(st.text("abcXYZ019_+-", min_size=1, max_size=20))
LOCAL_PART = st.one_of(
    PLAIN_LOCAL,
    dot_atoms(strings(ATOM_CHARS, min_size=1)),
    dot_atoms(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)),
    strings(ATOM_CHARS + ODD_CHARS, max_size=30),
    strings(ATOM_CHARS + ODD_CHARS).map('"{}"'.format),  # quoted
    st.text(max_size=20),
)
ASCII_DOMAIN = st.builds(
    "{}.{}".format,
    dot_atoms(st.text("abcXYZ019-", min_size=1, max_size=10)),
    st.text("abcxyzCOM", min_size=2, max_size=8),
)
IDN_LABELS = ["münchen", "MÜNCHEN", "bücher", "straße", "中国", "пример", "ü", "\ufb01", "a\u0301"]
IDN_DOMAIN = st.builds(
    "{}.{}".format,
    st.sampled_from(
        [*IDN_LABELS, "\uff45\uff58.example", "xn--mnchen-3ya", "xn--tda", "xn--bad", "a\u0338"]
    ),
    st.sampled_from(["de", "COM", "рф", "中国", "xn--p1ai"]),
)
# Domains a customer list repeats, so most examples meet a domain already judged.
COMMON_DOMAINS = ["example.com", "Example.COM", "mail.example.co.uk", "münchen.de", "xn--tda.com"]
ODD_DOMAINS = [
    "localhost",
    "a.test",
    "a.invalid",
    "example.local",
    "example.c",
    "-bad.com",
    "a..b.com",
    "example.com.",
    "a_b.com",
    "exa mple.com",
    "[127.0.0.1]",
    "",
    "com",
    "x" * 64 + ".com",
    "x" * 63 + ".com",
    "x" * 240 + ".com",
]
# st.one_of picks each branch about equally often: most rows are at a common domain.
DOMAIN = st.one_of(
    st.sampled_from(COMMON_DOMAINS),
    ASCII_DOMAIN,
    IDN_DOMAIN,
    st.one_of(st.sampled_from(ODD_DOMAINS), st.text(max_size=12)),
)
_FILL = ["x", "a.", "é", "e\u0301", "中", "\u212a", "+"]


@st.composite
def near_the_length_limit(draw: st.DrawFn) -> str:
    """A local part that, with its domain, is within a few bytes of the 254-byte limit."""
    domain = draw(st.one_of(ASCII_DOMAIN, IDN_DOMAIN))
    unit = draw(st.sampled_from(_FILL))
    room = 253 - len(domain.encode()) + draw(st.integers(-3, 3))
    local = unit * (room // len(unit.encode()))
    return f"{local}{'x' * (room - len(local.encode()))}@{domain}"


LOCAL_AT_DOMAIN = st.builds("{}@{}".format, LOCAL_PART, DOMAIN)
# Not one bare address. Fixed, not built: hypothesis would spend most examples on them.
NOT_ONE_ADDRESS = [
    "Ann <ann@example.com>",
    '"Lee, A" <a@example.com>',
    "<ann@example.com>",
    "ann@example.com>",
    "a@b@example.com",
    "ann@example.com, bob@example.com",
    "ann@",
    "@example.com",
    "ann\uff20example.com",
]
ADDRESS = st.one_of(
    LOCAL_AT_DOMAIN,
    LOCAL_AT_DOMAIN,  # again: most rows are one address
    near_the_length_limit(),
    st.one_of(st.sampled_from(NOT_ONE_ADDRESS), st.text(max_size=40)),
)


def verdict(check: Callable[[str], str], address: str) -> tuple[str, str]:
    """What a ``normalized`` says: the address it returns, or its refusal's class and words."""
    try:
        return ("accepted", check(address))
    except ValueError as refusal:
        return (f"refused: {type(refusal).__name__}", str(refusal))


@settings(max_examples=1500)
@given(address=ADDRESS, judged=st.booleans())
@example(address="Chloé.100047@Example.COM", judged=True)
@example(address="o'brien+news@example.com", judged=True)
@example(address="Ann.Lee@münchen.de", judged=True)  # a plain local part at an IDN domain
@example(address="Chloe\u0301@münchen.de", judged=False)  # NFD: the local part changes
@example(address="\u212a" * 82 + "@x.com", judged=True)  # Kelvin signs: 252 bytes, 88 in NFC
@example(address="\u212a" * 83 + "@x.com", judged=True)  # 255 bytes as written: refused
@example(address="a" * 242 + "@xn--tda.com", judged=True)  # the longest plain local there
@example(address="a" * 243 + "@xn--tda.com", judged=True)
@example(address="a" * 243 + "@ü.com", judged=True)  # 255 bytes with the domain in ASCII
@example(address='"Ann Lee"@example.com', judged=True)
@example(address="Ann <ann@example.com>", judged=True)
@example(address="postmaster@EXAMPLE.com", judged=False)
def test_the_rewrite_gives_the_frozen_references_verdict(address: str, judged: bool) -> None:
    _, at, domain = address.rpartition("@")
    if judged and at:  # both have seen the domain, as they have after a stream's first rows
        for check in (normalized, email_syntax.normalized):
            with contextlib.suppress(ValueError):
                check(f"a@{domain}")
    expected = verdict(normalized, address)
    assert verdict(email_syntax.normalized, address) == expected
    shortcut = email_syntax.plain(address)
    assert shortcut is None or ("accepted", shortcut) == expected
