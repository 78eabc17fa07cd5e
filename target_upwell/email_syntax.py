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

import email_validator
from email_validator.syntax import validate_email_local_part

_PLAIN_LOCAL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*")
# No quoting, no display name, no domain literal: email-validator's local-part rules apply.
_SIMPLE_LOCAL = re.compile(r'[^\s"<>()\[\]\\,;:@]+')
_MAX_ADDRESS = 254
_MAX_KNOWN_DOMAINS = 65536
_DOMAINS: dict[str, str | None] = {}  # domain as written -> email-validator's form, or None


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
    fast = _from_parts(local, domain) if at else None
    return fast if fast is not None else _validated(address)


def _from_parts(local: str, domain: str) -> str | None:
    """The address from its checked parts; None when email-validator must decide."""
    host = _domain(domain)
    if host is None:
        return None
    lowered = local.lower()
    checked = lowered if _PLAIN_LOCAL.fullmatch(lowered) else _international_local(local)
    if checked is None:
        return None
    address = f"{checked}@{host}"
    if len(address) * 4 <= _MAX_ADDRESS:  # four bytes a character at most: short enough
        return address
    return address if len(address.encode()) <= _MAX_ADDRESS else None


def _domain(domain: str) -> str | None:
    """email-validator's form of a domain, asked once per domain (None: not valid alone)."""
    if domain in _DOMAINS:
        return _DOMAINS[domain]
    host: str | None = None
    with contextlib.suppress(InvalidEmailError):
        host = _validated(f"a@{domain}").partition("@")[2]
    if len(_DOMAINS) < _MAX_KNOWN_DOMAINS:
        _DOMAINS[domain] = host
    return host


def _international_local(local: str) -> str | None:
    """A local part beyond plain ASCII, by email-validator's own check (and its NFC form)."""
    if _SIMPLE_LOCAL.fullmatch(local) is None:
        return None
    try:
        checked = validate_email_local_part(local)
        form = unicodedata.normalize("NFC", local)
        if form != local:
            checked = validate_email_local_part(form)
    except email_validator.EmailNotValidError:
        return None  # email-validator says why, in its own words, on the slow path
    return str(checked["local_part"]).lower()


def _validated(address: str) -> str:
    try:
        checked = email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise InvalidEmailError from None
    return checked.normalized.lower()
