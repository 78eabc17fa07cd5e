"""Check one email address as email-validator does (no DNS), at a fraction of its cost.

email-validator spends about 20 µs an address, mostly on the domain, which a customer list
repeats. So the domain's verdict is kept once email-validator has given it, and a part before
the ``@`` at a domain already judged needs only a strict pattern when it is plain ASCII, or
letters and digits of any script already in NFC. Everything else (other characters, quotes,
display names, very long addresses) goes whole through email-validator's public
``validate_email``: its private helpers can change in any release.
A property test holds this module to email-validator's answers.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from typing import NamedTuple

import email_validator

# Dot-atom of plain ASCII: email-validator takes such a local part as it stands.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
# Dot-atom of letters and digits of any script (``\w`` is letters, numbers and "_" only, so
# no mark can come first and no control, space or format character can pass): email-validator
# takes such a local part, NFC-normalized, as it stands.
_WORD_LOCAL = re.compile(r"[\w+-]+(?:\.[\w+-]+)*")
# One whole address of plain ASCII parts: no separator, quote or second "@" can match.
_PLAIN_ADDRESS = re.compile(r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9.-]+)")
_MAX = 254  # bytes, in each of the forms email-validator measures
_MAX_KNOWN_DOMAINS = 65536
_DOMAINS: dict[str, _Domain | None] = {}  # domain as written -> _domain()


class _Domain(NamedTuple):
    """email-validator's verdict on a domain, kept for every address at it."""

    host: str  # the domain as email-validator normalizes it
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
    # A plain local part is the same in every form email-validator measures, and the domain's
    # forms are already in plain_room, so an IDN domain needs no slow path either.
    if known is not None and len(local) <= known.plain_room and _PLAIN_LOCAL.fullmatch(local):
        return f"{local}@{known.host}".lower()  # the common case: nothing to normalize
    if known is not None and _word(local, known.plain_room):
        return f"{local}@{known.host}".lower()  # a name beyond ASCII: 1 µs, not 25
    return _validated(address).normalized.lower()


def _word(local: str, room: int) -> bool:
    """True for a local part of letters and digits of any script that fits and needs no NFC.

    email-validator's rules for such a part (dot-atom of internationalized atext, no unsafe
    character, NFC) all hold by construction; a test holds every such character to
    ``validate_email``.
    """
    return (
        _WORD_LOCAL.fullmatch(local) is not None
        and unicodedata.is_normalized("NFC", local)
        and len(local.encode()) <= room
    )


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


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())  # isascii() costs nothing


def _domain(domain: str) -> _Domain | None:
    """email-validator's verdict on a domain not seen before; None if it is invalid.

    Asked once per domain: a customer list repeats its domains.
    """
    known: _Domain | None = None
    with contextlib.suppress(InvalidEmailError):
        checked = _validated(f"a@{domain}")
        # email-validator's three length checks, in UTF-8 bytes: as written, normalized, and
        # with the domain in IDNA ASCII. A plain local part is the same in all three.
        ascii_bytes = len(checked.ascii_domain.encode())
        longest = max(_utf8_length(domain), _utf8_length(checked.domain), ascii_bytes)
        room = _MAX - 1 - longest
        known = _Domain(checked.domain, room, domain.lower() == checked.domain.lower())
    if len(_DOMAINS) < _MAX_KNOWN_DOMAINS:
        _DOMAINS[domain] = known
    return known


def _validated(address: str) -> email_validator.ValidatedEmail:
    """email-validator's verdict on the whole address, through its public API only.

    Every option is spelled out, so a change to email-validator's module-wide defaults
    elsewhere in the process cannot change a verdict here.
    """
    try:
        return email_validator.validate_email(
            address,
            allow_smtputf8=True,  # a local part beyond ASCII is valid
            allow_empty_local=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=False,  # no 64-character limit before the "@": plain_room assumes none
            check_deliverability=False,  # syntax only: no DNS for a row
            test_environment=False,
            globally_deliverable=True,
        )
    except email_validator.EmailNotValidError:
        raise InvalidEmailError from None
