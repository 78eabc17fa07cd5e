"""Fault injection: a deterministic plan of latency, error answers and dropped connections.

A rule fires on every Nth request that matches it (``every``, counted per rule), or when a
``random.Random(seed)`` draw falls under its ``rate``. Either way the same requests in the
same order meet the same faults. A request matches a rule of its endpoint, or one without an
endpoint; ``gateway_after_commit`` and ``error_body`` match writes only, so reads never move
their counters.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from email.utils import formatdate
from typing import TYPE_CHECKING

from .errors import ApiError, documented_error
from .fault_rules import FaultKind, FaultRule

if TYPE_CHECKING:
    from collections.abc import Sequence


_STATUS_CODES = {
    429: ("RATE_LIMIT_EXCEEDED", "Rate limit exceeded"),
    500: ("INTERNAL_SERVER_ERROR", "Internal server error"),
    502: ("BAD_GATEWAY", "Bad gateway"),
    503: ("SERVICE_UNAVAILABLE", "Service temporarily unavailable"),
    504: ("GATEWAY_TIMEOUT", "Gateway timeout"),
}


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the plan says about one request.

    Attributes:
        latency_ms: Total latency of the firing ``latency`` rules.
        rule: The first firing rule of another kind, which replaces or wraps the handling.
        index: The position of ``rule`` in the plan, for messages.
    """

    latency_ms: int = 0
    rule: FaultRule | None = None
    index: int = -1


class FaultPlan:
    """The rules in force, their counters and the seeded generator; thread-safe."""

    def __init__(self, rules: Sequence[FaultRule] = (), seed: int = 0) -> None:
        """Start a plan.

        Args:
            rules: The rules, in priority order.
            seed: The seed of the generator behind ``rate`` rules; `clear` returns to it.
        """
        self._lock = threading.Lock()
        self.start_seed = seed
        self._rules: tuple[FaultRule, ...] = ()
        self._seed = seed
        self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets
        self._matched: list[int] = []
        self._fired: list[int] = []
        self.replace(rules, seed)

    def replace(self, rules: Sequence[FaultRule], seed: int) -> None:
        """Put new rules in force, with fresh counters and a reseeded generator."""
        with self._lock:
            self._rules = tuple(rules)
            self._seed = seed
            self._random = random.Random(seed)  # noqa: S311 - reproducible faults, not secrets
            self._matched = [0] * len(self._rules)
            self._fired = [0] * len(self._rules)

    def clear(self) -> None:
        """Remove every rule and reseed with the starting seed."""
        self.replace((), self.start_seed)

    def describe(self) -> dict[str, object]:
        """The plan as the ``/_sandbox/faults`` JSON, with per-rule counters."""
        with self._lock:
            counts = [
                {"matched": m, "fired": f} for m, f in zip(self._matched, self._fired, strict=True)
            ]
            rules = [rule.to_json() for rule in self._rules]
            return {"rules": rules, "seed": self._seed, "counts": counts}

    def decide(self, endpoint: str, input_count: int) -> Decision:
        """Count one API request against every rule and say which faults it meets.

        Args:
            endpoint: The endpoint name of the request.
            input_count: How many inputs a bulk request carries (0 otherwise).

        Returns:
            The latency to add and the first firing rule that is not latency, if any.
        """
        with self._lock:
            latency, chosen, index = 0, None, -1
            for position, rule in enumerate(self._rules):
                if not rule.matches(endpoint):
                    continue
                self._matched[position] += 1
                # Draw for every matching rate rule, so one rule never shifts another's draws.
                if not self._fires(rule, self._matched[position], input_count):
                    continue
                if rule.kind is FaultKind.LATENCY:
                    latency += rule.ms
                elif chosen is not None:
                    continue
                else:
                    chosen, index = rule, position
                self._fired[position] += 1
            return Decision(latency, chosen, index)

    def _fires(self, rule: FaultRule, matched: int, input_count: int) -> bool:
        if rule.kind is FaultKind.MAX_INPUTS:
            return input_count > rule.max_inputs
        if rule.rate is not None:
            return self._random.random() < rule.rate
        return matched % (rule.every or 1) == 0


def error_body() -> dict[str, object]:
    """The body of an ``error_body`` fault: a GraphQL error, answered with status 200.

    Returns:
        ``{"errors": [...]}`` as Hasura words an unexpected failure.
    """
    extensions = {"code": "unexpected", "path": "$"}
    return {"errors": [{"message": "unexpected error", "extensions": extensions}]}


def fault_error(rule: FaultRule, index: int, input_count: int) -> ApiError:
    """The answer of a firing ``status``, ``max_inputs`` or ``gateway_after_commit`` rule.

    Args:
        rule: The rule.
        index: Its position in the plan, named in the message.
        input_count: The number of inputs of the request.

    Returns:
        The error to answer with, in the documented envelope.
    """
    if rule.kind is FaultKind.MAX_INPUTS:
        message = f"Too many inputs: {input_count}, at most {rule.max_inputs} per request"
        details: dict[str, object] = {"max": rule.max_inputs, "received": input_count}
        return documented_error(413, "PAYLOAD_TOO_LARGE", message, details)
    code, text = _STATUS_CODES[rule.status]
    message = f"{text} (injected by sandbox fault rule {index})"
    return documented_error(rule.status, code, message, headers=_retry_after(rule))


def _retry_after(rule: FaultRule) -> dict[str, str]:
    if rule.retry_after == "seconds":
        return {"Retry-After": str(rule.retry_after_seconds)}
    if rule.retry_after == "date":
        # HTTP dates have whole seconds: round up so the wait is never shorter than announced.
        when = math.ceil(time.time()) + rule.retry_after_seconds
        return {"Retry-After": formatdate(when, usegmt=True)}
    return {}
