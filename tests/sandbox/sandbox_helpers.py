"""Helpers for the sandbox's own tests: a tiny API client bound to one tenant, and inputs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds: a bound for a stuck process or request, never a timing assertion

# The documented Customer object (upwell-contract.md): exactly these fields, in every answer.
CUSTOMER_KEYS = frozenset(
    {
        "addresses",
        "balance",
        "billToCustomerId",
        "ccEmailAddresses",
        "createdAt",
        "customerRule",
        "emailAddress",
        "id",
        "metadata",
        "name",
        "overdueBalance",
        "overdueInvoiceCount",
        "sourceSystem",
        "sourceSystemId",
        "updatedAt",
    }
)
ADDRESS_KEYS = frozenset(
    {
        "city",
        "country",
        "id",
        "stateOrProvince",
        "streetLine1",
        "streetLine2",
        "type",
        "zipOrPostalCode",
    }
)
RULE_KEYS = frozenset({"dueOption", "id"})
# Stored, writable, never returned by the API.
UNDOCUMENTED_KEYS = frozenset(
    {"collectorId", "deletedAt", "addressesLastUpdatedAt", "contactsLastUpdatedAt"}
)


@dataclasses.dataclass(frozen=True)
class Api:
    """Calls ``/api/rest/...`` of the sandbox with one key (None sends no Authorization)."""

    url: str
    key: str | None

    def as_key(self, key: str | None) -> Api:
        """The same client with another key, or with none."""
        return dataclasses.replace(self, key=key)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Any request; ``path`` is relative to ``/api/rest/``."""
        headers = {} if self.key is None else {"Authorization": self.key}
        headers.update(kwargs.pop("headers", {}))
        url = f"{self.url}/api/rest/{path}"
        timeout = kwargs.pop("timeout", TIMEOUT)
        return requests.request(method, url, headers=headers, timeout=timeout, **kwargs)

    def post(self, path: str, body: object) -> requests.Response:
        return self.call("POST", path, json=body)

    def put(self, path: str, body: object) -> requests.Response:
        return self.call("PUT", path, json=body)

    def get(self, path: str, **params: object) -> requests.Response:
        return self.call("GET", path, params=params)

    def search(self, **body: Any) -> list[dict[str, Any]]:
        """``POST customers/search`` with this body; fails the test on any error."""
        response = self.post("customers/search", body)
        assert response.status_code == 200, response.text
        customers: list[dict[str, Any]] = response.json()["customers"]
        return customers

    def bulk(self, *inputs: dict[str, Any]) -> list[dict[str, Any]]:
        """Create customers and return them; fails the test on any error."""
        response = self.post("bulk-customers", {"inputs": list(inputs)})
        assert response.status_code == 200, response.text
        returning: list[dict[str, Any]] = response.json()["createCustomers"]["returning"]
        return returning


def documented(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row (``sandbox.customers()``) as the API shows it: the documented fields."""
    return {key: value for key, value in row.items() if key in CUSTOMER_KEYS}


def assert_documented(found: dict[str, Any]) -> None:
    """Fail unless a customer of an answer has exactly the documented fields, at every level."""
    assert set(found) == CUSTOMER_KEYS
    assert all(set(address) == ADDRESS_KEYS for address in found["addresses"])
    assert found["customerRule"] is None or set(found["customerRule"]) == RULE_KEYS


def customer(source_id: str, **fields: Any) -> dict[str, Any]:
    """A valid insert input with key ("ERP", source_id); ``fields`` add or override."""
    return {
        "name": f"Customer {source_id}",
        "sourceSystem": "ERP",
        "sourceSystemId": source_id,
        **fields,
    }


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m target_upwell.sandbox ARGS`` to completion and capture its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "target_upwell.sandbox", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
