"""What the client's session takes from around it: proxies, the CA bundle, cookies; not ~/.netrc.

It reads the environment once, when it is built, so these tests set it before building one.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from target_upwell.delivery.client import Tally, UpwellClient
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.errors import FatalError, RetriesExhaustedError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.conftest import SandboxHandle

VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NETRC",
)


class RecordingServer(ThreadingHTTPServer):
    """A server, or a proxy that forwards nothing: it records each request and answers it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.targets: list[str] = []
        self.cookies: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _RecordingHandler(BaseHTTPRequestHandler):
    """A GET gets an empty page and a cookie; a CONNECT for a tunnel gets a 502."""

    server: RecordingServer

    def do_GET(self) -> None:
        self.server.targets.append(self.path)
        self.server.cookies.append(self.headers.get("Cookie"))
        body = b'{"customers": []}'
        self.send_response(200)
        self.send_header("Set-Cookie", "route=a; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:
        self.server.targets.append(f"CONNECT {self.path}")
        self.send_response(502)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        """Quiet: pytest shows stderr of failing tests, and this adds nothing to it."""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy, CA-bundle or netrc variable from the machine running the tests."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _check_key(base_url: str, api_key: str = "test-key", times: int = 1) -> None:
    policy = RetryPolicy(max_retries=0, sleep=time.sleep)
    client = UpwellClient(base_url, api_key, timeout=30, policy=policy)
    try:
        for _ in range(times):
            client.check_key(Tally())
    finally:
        client.close()


def test_http_proxy_carries_plain_requests(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)

    _check_key("http://upwell.invalid")

    assert server.targets == ["http://upwell.invalid/api/rest/customers?limit=1"]


def test_https_proxy_is_asked_for_a_tunnel(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", server.url)

    with pytest.raises(RetriesExhaustedError, match="proxy refused or failed"):
        _check_key("https://upwell.invalid")

    assert server.targets == ["CONNECT upwell.invalid:443"]


def test_no_proxy_covering_the_host_goes_direct(
    server: RecordingServer, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    _check_key(sandbox.url, sandbox.api_key)

    assert server.targets == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_variable_is_the_one_verified_against(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "missing-bundle.pem"
    monkeypatch.setenv(variable, str(bundle))

    # requests checks the bundle exists before it connects, so no TLS server is needed.
    # Its OSError becomes ours: a path that names no file is a setup no retry mends.
    with pytest.raises(FatalError, match=r"missing-bundle\.pem") as raised:
        _check_key("https://127.0.0.1:9")

    assert type(raised.value) is FatalError
    assert variable in str(raised.value)
    assert isinstance(raised.value.__cause__, OSError)


def test_a_netrc_entry_cannot_replace_the_key(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    _check_key(sandbox.url, sandbox.api_key)  # with Basic auth instead, the key is refused


def test_a_cookie_from_an_answer_goes_with_the_next_requests(server: RecordingServer) -> None:
    _check_key(server.url, times=3)

    assert server.cookies == [None, "route=a", "route=a"]
