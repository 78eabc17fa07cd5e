"""Check one email address as email-validator does (no DNS), at a fraction of its cost.

email-validator spends about 20 µs an address, mostly on the domain, which a customer list
repeats. So the domain's verdict is kept once email-validator has given it, the part before
the ``@`` is checked by a strict pattern or by email-validator's own local-part check, and
anything unusual (quotes, display names, very long addresses) goes through email-validator
whole. A property test holds this module to email-validator's answers.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from typing import NamedTuple

import email_validator
from email_validator.syntax import validate_email_local_part

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
