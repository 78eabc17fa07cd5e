"""Admin endpoints under ``/_sandbox/``: stats, the fault plan and reset; no key needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import bad_request, documented_error
from .fault_rules import FaultRule, FaultRuleError, parse_rule

if TYPE_CHECKING:
    from .app import Sandbox

PREFIX = "/_sandbox/"


def handle_admin(app: Sandbox, method: str, path: str, body: object) -> dict[str, object]:
    """Answer one admin request.

    Args:
        app: The sandbox.
        method: The HTTP method.
        path: The URL path, starting with `PREFIX`.
        body: The decoded JSON body (None when empty).

    Returns:
        The JSON answer.

    Raises:
        ApiError: 404 for an unknown admin path, 400 for a bad fault plan.
    """
    action = (method, path.rstrip("/"))
    if action == ("GET", "/_sandbox/stats"):
        return app.stats.snapshot()
    if action == ("GET", "/_sandbox/faults"):
        return app.faults.describe()
    if action == ("PUT", "/_sandbox/faults"):
        _replace_faults(app, body)
        return app.faults.describe()
    if action == ("POST", "/_sandbox/reset"):
        app.reset()
        return {"reset": True}
    known = "GET stats, GET faults, PUT faults, POST reset"
    message = f"No admin endpoint {method} {path} (known: {known})"
    raise documented_error(404, "RESOURCE_NOT_FOUND", message)


def _replace_faults(app: Sandbox, body: object) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("rules"), list):
        msg = 'expected {"rules": [rule, ...], "seed": n}'
        raise bad_request(msg, "rules")
    seed = body.get("seed", app.faults.start_seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        msg = "seed must be an integer"
        raise bad_request(msg, "seed")
    rules = [_parse(index, item) for index, item in enumerate(body["rules"])]
    app.faults.replace(rules, seed)


def _parse(index: int, item: object) -> FaultRule:
    try:
        return parse_rule(item)
    except FaultRuleError as exc:
        msg = f"fault rule {index}: {exc}"
        raise bad_request(msg, f"rules[{index}]") from exc
