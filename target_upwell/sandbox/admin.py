"""Admin endpoints under ``/_sandbox/``: stats, faults, readings, limits, stored rows, reset.

None needs a key, but ``GET /_sandbox/customers`` takes one to choose the tenant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import SwitchError, bad_request, documented_error
from .fault_rules import FaultRule, FaultRuleError, parse_rule

if TYPE_CHECKING:
    from collections.abc import Callable

    from .app import Sandbox

    #: An admin action: the sandbox, the decoded body and the Authorization header.
    Action = Callable[[Sandbox, object, str | None], dict[str, object]]

PREFIX = "/_sandbox/"


def handle_admin(
    app: Sandbox, method: str, path: str, body: object, authorization: str | None
) -> dict[str, object]:
    """Answer one admin request.

    Args:
        app: The sandbox.
        method: The HTTP method.
        path: The URL path, starting with `PREFIX`.
        body: The decoded JSON body (None when empty).
        authorization: The ``Authorization`` header: a tenant's key, for stored rows.

    Returns:
        The JSON answer.

    Raises:
        ApiError: 404 for an unknown admin path, 400 for a bad fault plan, reading or limit, 401
            for stored rows without a known key.
    """
    action = _ACTIONS.get((method, path.rstrip("/").removeprefix(PREFIX)))
    if action is None:
        known = ", ".join(f"{verb} {name}" for verb, name in _ACTIONS)
        message = f"No admin endpoint {method} {path} (known: {known})"
        raise documented_error(404, "RESOURCE_NOT_FOUND", message)
    return action(app, body, authorization)


def _customers(app: Sandbox, _body: object, authorization: str | None) -> dict[str, object]:
    # Every stored column of every row, soft-deleted ones too: what the API never shows.
    return {"customers": app.store.rows(app.authenticate(authorization))}


def _readings(app: Sandbox, _body: object, _authorization: str | None) -> dict[str, object]:
    return app.readings.current().to_json()


def _set_readings(app: Sandbox, body: object, _authorization: str | None) -> dict[str, object]:
    return _switched(lambda: app.readings.update(body).to_json())


def _limits(app: Sandbox, _body: object, _authorization: str | None) -> dict[str, object]:
    return app.limits.current().to_json()


def _set_limits(app: Sandbox, body: object, _authorization: str | None) -> dict[str, object]:
    return _switched(lambda: app.limits.update(body).to_json())


def _switched(change: Callable[[], dict[str, object]]) -> dict[str, object]:
    """Apply a change of switches; a bad one is a 400 naming it."""
    try:
        return change()
    except SwitchError as exc:
        raise bad_request(str(exc), exc.key) from exc


def _stats(app: Sandbox, _body: object, _authorization: str | None) -> dict[str, object]:
    return app.stats.snapshot()


def _faults(app: Sandbox, _body: object, _authorization: str | None) -> dict[str, object]:
    return app.faults.describe()


def _set_faults(app: Sandbox, body: object, _authorization: str | None) -> dict[str, object]:
    if not isinstance(body, dict) or not isinstance(body.get("rules"), list):
        msg = 'expected {"rules": [rule, ...], "seed": n}'
        raise bad_request(msg, "rules")
    seed = body.get("seed", app.faults.start_seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        msg = "seed must be an integer"
        raise bad_request(msg, "seed")
    rules = [_parse(index, item) for index, item in enumerate(body["rules"])]
    app.faults.replace(rules, seed)
    return app.faults.describe()


def _reset(app: Sandbox, _body: object, _authorization: str | None) -> dict[str, object]:
    app.reset()
    return {"reset": True}


def _parse(index: int, item: object) -> FaultRule:
    try:
        return parse_rule(item)
    except FaultRuleError as exc:
        msg = f"fault rule {index}: {exc}"
        raise bad_request(msg, f"rules[{index}]") from exc


_ACTIONS: dict[tuple[str, str], Action] = {
    ("GET", "customers"): _customers,
    ("GET", "readings"): _readings,
    ("PUT", "readings"): _set_readings,
    ("GET", "limits"): _limits,
    ("PUT", "limits"): _set_limits,
    ("GET", "stats"): _stats,
    ("GET", "faults"): _faults,
    ("PUT", "faults"): _set_faults,
    ("POST", "reset"): _reset,
}
