"""Fixtures of the sandbox's own tests."""

from __future__ import annotations

import pytest
from sandbox_helpers import Api


@pytest.fixture
def api(sandbox) -> Api:
    """A client of the reset sandbox, as tenant ``test-key``."""
    return Api(sandbox.url, sandbox.api_key)
