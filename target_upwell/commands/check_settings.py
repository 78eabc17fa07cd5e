"""What target-upwell-check is asked to do: its flags, and settings from a file or variables.

The settings are the target's own (``--config FILE``, else ``TARGET_UPWELL_*`` variables, which
is how ``meltano invoke target-upwell:check`` hands them over), with a smaller retry budget.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from singer_sdk.exceptions import ConfigValidationError

from target_upwell import config_sources, settings
from target_upwell.commands.check_probe import PROBE_SYSTEM

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_MAX_RETRIES = 2  # a check wants a quick answer, not a patient one
ENV_PREFIX = "TARGET_UPWELL_"


class ConfigError(Exception):
    """The settings can't be used; the message names the file, variable or setting."""


@dataclasses.dataclass(frozen=True)
class CheckConfig:
    """The settings the check needs: the target's, with a smaller retry budget."""

    api_key: str = dataclasses.field(repr=False)
    api_url: str
    request_timeout: float
    max_retries: int


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(
        prog="target-upwell-check",
        description="Check, before a first load, that an Upwell account answers as"
        " target-upwell assumes. Read-only by default: besides reads it sends an empty bulk"
        " insert and a PUT for a key no customer holds, which change nothing. Without"
        f" --config, settings come from {ENV_PREFIX}* variables (as Meltano passes them).",
    )
    cli.add_argument(
        "--config",
        metavar="FILE",
        help="the target's JSON config; api_key, api_url, request_timeout and max_retries"
        f" are read (max_retries defaults to {DEFAULT_MAX_RETRIES} here)",
    )
    cli.add_argument(
        "--write-probe",
        action="store_true",
        help="also write ONE probe customer (sourceSystem"
        f" {PROBE_SYSTEM}), reused by later runs and left marked deleted:"
        " Upwell has no delete endpoint",
    )
    return cli


def read_config(path: str | None, environ: Mapping[str, str]) -> CheckConfig:
    """The settings from a JSON config file, else from ``TARGET_UPWELL_*`` variables.

    Raises:
        ConfigError: an unreadable file, a missing key, or a bad value; named in one line.
    """
    raw = _from_file(path) if path else _from_env(environ)
    where = f"--config {path}" if path else "the environment"
    key = raw.get("api_key")
    if not isinstance(key, str) or not key:
        hint = "" if path else f" ({ENV_PREFIX}API_KEY)"
        msg = f"api_key: missing from {where}{hint}; the check needs the key the target uses."
        raise ConfigError(msg)
    url = str(raw.get("api_url") or settings.DEFAULTS["api_url"]).rstrip("/")
    # The target's own api_url rule: no key over plain http except to a loopback host.
    problems = settings.problems({"api_url": url, "source_system": PROBE_SYSTEM})
    if problems:
        raise ConfigError(problems[0])
    try:
        timeout = float(raw.get("request_timeout", settings.DEFAULTS["request_timeout"]))
        retries = int(raw.get("max_retries", DEFAULT_MAX_RETRIES))
    except (TypeError, ValueError):
        timeout = retries = -1
    if timeout <= 0 or retries < 0:
        msg = "request_timeout must be a number above 0, max_retries a whole number 0 or more."
        raise ConfigError(msg)
    return CheckConfig(key, url, timeout, retries)


def _from_file(path: str) -> dict[str, Any]:
    try:
        return config_sources.read_file(path)
    except ConfigValidationError as exc:
        raise ConfigError("; ".join(exc.errors)) from None


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    names = ("api_key", "api_url", "request_timeout", "max_retries")
    return {
        name: environ[ENV_PREFIX + name.upper()]
        for name in names
        if environ.get(ENV_PREFIX + name.upper())
    }
