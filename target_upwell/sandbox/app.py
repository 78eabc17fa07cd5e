"""The sandbox's state: the store, the tenants' keys, faults, stats, readings and limits."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

from .errors import documented_error
from .limits import Limiter

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from contextlib import ExitStack

    from .faults import FaultPlan
    from .readings import ReadingsHolder
    from .stats import Stats
    from .store import Store

#: The key accepted when ``serve`` is given none.
DEFAULT_API_KEY = "sandbox-key"


def tenant_id(api_key: str) -> str:
    """The tenant an API key belongs to, as stored; the store never holds the key itself.

    Args:
        api_key: The raw key.

    Returns:
        ``ten_`` and 16 hex digits of the key's SHA-256.
    """
    return "ten_" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def tenants_for(api_keys: Iterable[str]) -> dict[str, str]:
    """Map each key to its own tenant.

    Args:
        api_keys: The accepted keys.

    Returns:
        Key to tenant id.
    """
    return {key: tenant_id(key) for key in api_keys}


@dataclasses.dataclass
class Sandbox:
    """Everything a request handler needs.

    Attributes:
        store: The customers.
        stats: The request counters.
        faults: The fault plan in force.
        tenants: Accepted API key to tenant id.
        readings: The readings in force, and those of the command line.
        limits: The server limits in force, and those of the command line.
    """

    store: Store
    stats: Stats
    faults: FaultPlan
    tenants: Mapping[str, str]
    readings: ReadingsHolder
    limits: Limiter = dataclasses.field(default_factory=Limiter)

    def authenticate(self, authorization: str | None) -> str:
        """Find the tenant of a request from its ``Authorization`` header.

        Args:
            authorization: The header's value: the raw key, with no ``Bearer`` prefix.

        Returns:
            The tenant id.

        Raises:
            ApiError: 401 ``MISSING_AUTHORIZATION`` or ``INVALID_API_KEY``.
        """
        if not authorization:
            raise documented_error(401, "MISSING_AUTHORIZATION", "Authorization header is required")
        tenant = self.tenants.get(authorization)
        if tenant is None:
            details: dict[str, object] | None = None
            if authorization.startswith("Bearer ") and authorization[7:] in self.tenants:
                details = {"hint": "send the raw key, without the 'Bearer ' prefix"}
            raise documented_error(
                401, "INVALID_API_KEY", "The provided API key is invalid", details
            )
        return tenant

    def admit(self, held: ExitStack) -> None:
        """Let an API request past the server limits, or refuse it.

        Args:
            held: Where the admitted request's place in flight is released, once answered.

        Raises:
            ApiError: 429 ``RATE_LIMIT_EXCEEDED``, counted in the stats by the limit.
        """
        refusal = self.limits.admit()
        if refusal is not None:
            self.stats.count_refusal(refusal.limit)
            raise refusal.error()
        held.callback(self.limits.release)

    def reset(self) -> None:
        """Empty every table, zero the stats, remove every fault rule, restore the readings.

        The limits return to those of the command line, with a full bucket.
        """
        self.store.reset()
        self.stats.clear()
        self.faults.clear()
        self.readings.reset()
        self.limits.reset()
