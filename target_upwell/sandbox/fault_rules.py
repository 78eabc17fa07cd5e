"""Fault rules: what each kind of fault does, and reading rules from JSON or from a flag."""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING

from .endpoints import BULK_CUSTOMERS, ENDPOINT_NAMES, WRITE_ENDPOINTS

if TYPE_CHECKING:
    from collections.abc import Callable


class FaultKind(str, enum.Enum):
    """What a fault rule does when it fires."""

    LATENCY = "latency"  # answer `ms` after the request arrived, its work included
    STATUS = "status"  # answer `status` instead of handling; nothing is applied
    DROP_BEFORE = "drop_before"  # close the connection unanswered; nothing is applied
    DROP_AFTER = "drop_after"  # apply and commit, then close the connection unanswered
    MAX_INPUTS = "max_inputs"  # answer 413 when a bulk request has more than `max` inputs
    GATEWAY_AFTER_COMMIT = "gateway_after_commit"  # apply and commit, then answer 502 or 504
    ERROR_BODY = "error_body"  # answer 200 with a GraphQL error body; `applied`: commit first


STATUSES = frozenset({429, 500, 502, 503, 504})
GATEWAY_STATUSES = frozenset({502, 504})
RETRY_AFTER_FORMS = ("seconds", "date", "none")
#: Kinds that fire on writes only: without an endpoint they match every write and no read.
WRITE_ONLY_KINDS = frozenset({FaultKind.GATEWAY_AFTER_COMMIT, FaultKind.ERROR_BODY})
_KIND_KEYS: dict[FaultKind, frozenset[str]] = {
    FaultKind.LATENCY: frozenset({"ms"}),
    FaultKind.STATUS: frozenset({"status", "retry_after", "retry_after_seconds"}),
    FaultKind.DROP_BEFORE: frozenset(),
    FaultKind.DROP_AFTER: frozenset(),
    FaultKind.MAX_INPUTS: frozenset({"max"}),
    FaultKind.GATEWAY_AFTER_COMMIT: frozenset({"status"}),
    FaultKind.ERROR_BODY: frozenset({"applied"}),
}
_COMMON_KEYS = frozenset({"kind", "every", "rate", "endpoint"})
_INT_KEYS = frozenset({"every", "ms", "status", "retry_after_seconds", "max"})
_BOOLEANS = {"true": True, "false": False}


class FaultRuleError(ValueError):
    """A fault rule that cannot be understood; the message says what to change."""


@dataclasses.dataclass(frozen=True)
class FaultRule:
    """One rule of a fault plan; the README lists the kinds with examples.

    Attributes:
        kind: What the rule does.
        every: Fire on every Nth matching request (default 1: every one).
        rate: Or fire when a seeded draw is below this probability.
        endpoint: Only requests to this endpoint match; None matches every API request.
        ms: Latency to add, for ``latency``.
        status: The status to answer, for ``status``.
        retry_after: ``seconds``, ``date`` or ``none``: the form of ``Retry-After``.
        retry_after_seconds: The delay that ``Retry-After`` announces.
        max_inputs: The largest accepted number of inputs, for ``max_inputs``.
        applied: Whether an ``error_body`` answer follows a committed write.
    """

    kind: FaultKind
    every: int | None = None
    rate: float | None = None
    endpoint: str | None = None
    ms: int = 0
    status: int = 0
    retry_after: str = "none"
    retry_after_seconds: int = 1
    max_inputs: int = 0
    applied: bool = False

    @property
    def applies(self) -> bool:
        """Whether the request is handled, and committed if valid, before the rule answers."""
        return self.kind in {FaultKind.DROP_AFTER, FaultKind.GATEWAY_AFTER_COMMIT} or (
            self.kind is FaultKind.ERROR_BODY and self.applied
        )

    def matches(self, endpoint: str) -> bool:
        """Whether a request to this endpoint counts for the rule (and may meet it).

        Args:
            endpoint: The endpoint name of the request.

        Returns:
            True for the rule's endpoint; without one, for every request, or every write
            for the kinds in `WRITE_ONLY_KINDS`.
        """
        if self.endpoint is not None:
            return endpoint == self.endpoint
        return self.kind not in WRITE_ONLY_KINDS or endpoint in WRITE_ENDPOINTS

    def to_json(self) -> dict[str, object]:
        """The rule in the JSON form `parse_rule` reads, with defaults filled in."""
        rule: dict[str, object] = {"kind": self.kind.value}
        if self.rate is not None:
            rule["rate"] = self.rate
        elif self.kind is not FaultKind.MAX_INPUTS:
            rule["every"] = self.every or 1
        if self.endpoint is not None:
            rule["endpoint"] = self.endpoint
        if self.kind is FaultKind.LATENCY:
            rule["ms"] = self.ms
        elif self.kind is FaultKind.STATUS:
            rule.update(status=self.status, retry_after=self.retry_after)
            rule["retry_after_seconds"] = self.retry_after_seconds
        elif self.kind is FaultKind.MAX_INPUTS:
            rule["max"] = self.max_inputs
        elif self.kind is FaultKind.GATEWAY_AFTER_COMMIT:
            rule["status"] = self.status
        elif self.kind is FaultKind.ERROR_BODY:
            rule["applied"] = self.applied
        return rule


def parse_rule(obj: object) -> FaultRule:
    """Read a rule from its JSON form.

    Args:
        obj: A decoded JSON object such as ``{"kind": "status", "status": 503, "every": 3}``.

    Returns:
        The rule.

    Raises:
        FaultRuleError: The rule is malformed; the message names the key at fault.
    """
    if not isinstance(obj, dict):
        msg = "a fault rule must be a JSON object"
        raise FaultRuleError(msg)
    kind = _kind(obj.get("kind"))
    allowed = _COMMON_KEYS | _KIND_KEYS[kind]
    for key in sorted(set(obj) - allowed):
        msg = f"unknown key {key!r} for kind {kind.value!r} (allowed: {', '.join(sorted(allowed))})"
        raise FaultRuleError(msg)
    every, rate = _number(obj, "every", 1), obj.get("rate")
    if rate is not None and (not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        msg = f"rate must be a number from 0 to 1, got {rate!r}"
        raise FaultRuleError(msg)
    if every is not None and rate is not None:
        msg = "give either every or rate, not both"
        raise FaultRuleError(msg)
    endpoint = obj.get("endpoint")
    if endpoint is not None and endpoint not in ENDPOINT_NAMES:
        msg = f"unknown endpoint {endpoint!r} (known: {', '.join(sorted(ENDPOINT_NAMES))})"
        raise FaultRuleError(msg)
    rule = FaultRule(kind, every, None if rate is None else float(rate), endpoint)
    return _with_params(rule, obj)


def parse_spec(text: str) -> FaultRule:
    """Read a rule from the command line's compact ``key=value,...`` form.

    Args:
        text: For example ``kind=status,status=503,every=7,endpoint=bulk-customers``.

    Returns:
        The rule.

    Raises:
        FaultRuleError: The text is malformed; the message says where.
    """
    fields: dict[str, object] = {}
    for part in text.split(","):
        key, sep, raw = (piece.strip() for piece in part.partition("="))
        if not sep or not key or key in fields:
            msg = f"expected distinct key=value pairs separated by commas, got {part!r}"
            raise FaultRuleError(msg)
        fields[key] = _spec_value(key, raw)
    return parse_rule(fields)


def _kind(value: object) -> FaultKind:
    try:
        return FaultKind(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in FaultKind)
        msg = f"kind must be one of {kinds}, got {value!r}"
        raise FaultRuleError(msg) from None


def _number(obj: dict[str, object], key: str, minimum: int) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"{key} must be an integer of at least {minimum}, got {value!r}"
        raise FaultRuleError(msg)
    return value


def _with_params(rule: FaultRule, obj: dict[str, object]) -> FaultRule:
    build = _PARAMS.get(rule.kind)
    rule = rule if build is None else build(rule, obj)
    if rule.kind in WRITE_ONLY_KINDS and rule.endpoint not in {None, *WRITE_ENDPOINTS}:
        writes = ", ".join(sorted(WRITE_ENDPOINTS))
        msg = f"{rule.kind.value} applies to write endpoints only ({writes})"
        raise FaultRuleError(msg)
    return rule


def _latency(rule: FaultRule, obj: dict[str, object]) -> FaultRule:
    return dataclasses.replace(rule, ms=_required_number(obj, "ms", 0))


def _status(rule: FaultRule, obj: dict[str, object]) -> FaultRule:
    status = _required_number(obj, "status", 0)
    if status not in STATUSES:
        msg = f"status must be one of {sorted(STATUSES)}, got {status}"
        raise FaultRuleError(msg)
    retry_after = obj.get("retry_after", "seconds" if status == 429 else "none")  # noqa: PLR2004
    if retry_after not in RETRY_AFTER_FORMS:
        msg = f"retry_after must be one of {', '.join(RETRY_AFTER_FORMS)}, got {retry_after!r}"
        raise FaultRuleError(msg)
    seconds = _number(obj, "retry_after_seconds", 0)
    return dataclasses.replace(
        rule,
        status=status,
        retry_after=str(retry_after),
        retry_after_seconds=1 if seconds is None else seconds,
    )


def _max_inputs(rule: FaultRule, obj: dict[str, object]) -> FaultRule:
    if rule.every is not None or rule.rate is not None:
        msg = "max_inputs applies to every bulk request: drop every and rate"
        raise FaultRuleError(msg)
    if rule.endpoint not in {None, BULK_CUSTOMERS}:
        msg = f"max_inputs applies to {BULK_CUSTOMERS} only"
        raise FaultRuleError(msg)
    return dataclasses.replace(
        rule, endpoint=BULK_CUSTOMERS, max_inputs=_required_number(obj, "max", 0)
    )


def _gateway_after_commit(rule: FaultRule, obj: dict[str, object]) -> FaultRule:
    status = _number(obj, "status", 0)
    status = min(GATEWAY_STATUSES) if status is None else status
    if status not in GATEWAY_STATUSES:
        msg = f"status must be one of {sorted(GATEWAY_STATUSES)}, got {status}"
        raise FaultRuleError(msg)
    return dataclasses.replace(rule, status=status)


def _error_body(rule: FaultRule, obj: dict[str, object]) -> FaultRule:
    applied = obj.get("applied")
    if not isinstance(applied, bool):
        msg = f"applied is required for this kind of fault: true or false, got {applied!r}"
        raise FaultRuleError(msg)
    return dataclasses.replace(rule, applied=applied)


_PARAMS: dict[FaultKind, Callable[[FaultRule, dict[str, object]], FaultRule]] = {
    FaultKind.LATENCY: _latency,
    FaultKind.STATUS: _status,
    FaultKind.MAX_INPUTS: _max_inputs,
    FaultKind.GATEWAY_AFTER_COMMIT: _gateway_after_commit,
    FaultKind.ERROR_BODY: _error_body,
}


def _required_number(obj: dict[str, object], key: str, minimum: int) -> int:
    value = _number(obj, key, minimum)
    if value is None:
        msg = f"{key} is required for this kind of fault"
        raise FaultRuleError(msg)
    return value


def _spec_value(key: str, raw: str) -> object:
    try:
        if key in _INT_KEYS:
            return int(raw)
        if key == "rate":
            return float(raw)
    except ValueError:
        msg = f"{key} must be a number, got {raw!r}"
        raise FaultRuleError(msg) from None
    return _BOOLEANS.get(raw, raw) if key == "applied" else raw
