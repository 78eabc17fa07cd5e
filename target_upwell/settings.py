"""Read the config into typed settings, and check what one setting's schema can't."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from target_upwell import contract
from target_upwell.mapping import MappingConfigError
from target_upwell.routing import Routes

logger = logging.getLogger("target-upwell")

DEFAULT_BATCH_SIZE_ROWS = 500
DEFAULT_DEAD_LETTER_FILE = "upwell-rejected.jsonl"
OVERWRITE_PROBLEM = (
    "load_method: 'overwrite' is not supported: Upwell has no endpoint to delete customers,"
    " so the target can't replace the list. Use 'upsert' (the default) or 'append-only'."
)


@dataclass(frozen=True)
class Settings:
    """The settings the run obeys, with defaults applied and cross-field rules checked."""

    api_key: str
    api_url: str
    source_system: str
    routes: Routes
    upsert: bool
    batch_size_rows: int
    request_timeout: float
    max_retries: int
    max_concurrent_requests: int
    max_requests_per_second: float | None
    dead_letter_file: Path
    dead_letter_include_record: bool
    max_rejected_records: int


def problems(config: dict[str, Any]) -> list[str]:
    """Every cross-field problem, each naming the setting to change."""
    found = []
    url_problem = _url_problem(str(config.get("api_url") or contract.DEFAULT_BASE_URL))
    if url_problem:
        found.append(url_problem)
    found.extend(
        f"{name}: must be at least 1."
        for name in ("batch_size_rows", "max_concurrent_requests")
        if name in config and int(config[name]) < 1
    )
    if "max_retries" in config and int(config["max_retries"]) < 0:
        found.append("max_retries: must be 0 or more.")
    if config.get("load_method") == "overwrite":
        found.append(OVERWRITE_PROBLEM)
    try:
        routes = Routes(config.get("mapping"), config.get("mapping_preset"))
    except MappingConfigError as exc:
        setting = "mapping_preset" if "is not a preset" in str(exc) else "mapping"
        found.append(f"{setting}: {exc}")
    else:
        if not config.get("source_system") and not routes.sets_source_system():
            found.append(
                "source_system: required, because not every stream's mapping sets"
                " sourceSystem. Set it to the name of your system of record, e.g. 'NETSUITE'."
            )
    return found


def from_config(config: dict[str, Any]) -> Settings:
    """Typed settings from a config that passed ``problems``."""
    rows = int(config.get("batch_size_rows", DEFAULT_BATCH_SIZE_ROWS))
    if rows > contract.MAX_BATCH_ROWS:
        logger.warning(
            "batch_size_rows=%d is above Upwell's bulk limit this target assumes; using %d.",
            rows,
            contract.MAX_BATCH_ROWS,
        )
        rows = contract.MAX_BATCH_ROWS
    per_second = config.get("max_requests_per_second")
    return Settings(
        api_key=str(config["api_key"]),
        api_url=str(config.get("api_url") or contract.DEFAULT_BASE_URL).rstrip("/"),
        source_system=str(config.get("source_system") or ""),
        routes=Routes(config.get("mapping"), config.get("mapping_preset")),
        upsert=config.get("load_method", "upsert") != "append-only",
        batch_size_rows=rows,
        request_timeout=float(config.get("request_timeout", 60)),
        max_retries=int(config.get("max_retries", 8)),
        max_concurrent_requests=int(config.get("max_concurrent_requests", 4)),
        max_requests_per_second=float(per_second) if per_second else None,
        dead_letter_file=Path(config.get("dead_letter_file") or DEFAULT_DEAD_LETTER_FILE),
        dead_letter_include_record=bool(config.get("dead_letter_include_record", False)),
        max_rejected_records=int(config.get("max_rejected_records", 0)),
    )


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return None
    return (
        "api_url: must be an https:// URL; plain http:// is accepted only for a loopback"
        " host (127.0.0.0/8, ::1, localhost), such as the local sandbox."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
