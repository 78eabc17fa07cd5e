"""The HTTP server: read each request, apply the fault plan, and answer it through the routes.

HTTP/1.1 with keep-alive: every answer carries a Content-Length and every request body is read
in full, so one connection can carry many requests. One thread per connection.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
import time
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from . import routes
from .admin import PREFIX, handle_admin
from .endpoints import UNKNOWN
from .errors import ApiError, bad_request, documented_error
from .fault_rules import FaultKind
from .faults import Decision, error_body, fault_error
from .stats import DROPPED

if TYPE_CHECKING:
    from .app import Sandbox
    from .fault_rules import FaultRule

MAX_BODY = 64 * 1024 * 1024
_DROPPING_KINDS = frozenset({FaultKind.DROP_BEFORE, FaultKind.DROP_AFTER})

logger = logging.getLogger("target_upwell.sandbox.requests")

# Answers are trees built for one request, never cyclic: the encoder skips its cycle check.
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode

Answer = tuple[int, dict[str, object], dict[str, str]]


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server that answers as Upwell would, from one `Sandbox`."""

    daemon_threads = True  # idle keep-alive connections must not hold up shutdown

    def __init__(self, address: tuple[str, int], app: Sandbox) -> None:
        """Bind and listen.

        Args:
            address: Host and port; port 0 picks a free one.
            app: The state every request works on.
        """
        self.app = app
        super().__init__(address, RequestHandler)

    @property
    def url(self) -> str:
        """The base URL clients should use, e.g. ``http://127.0.0.1:54321``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port!s}"

    def handle_error(self, request: object, client_address: object) -> None:  # noqa: ARG002
        """Log a failure outside any request's handling (such as a client gone mid-answer)."""
        logger.warning("connection from %s failed: %r", client_address, sys.exc_info()[1])


class RequestHandler(BaseHTTPRequestHandler):
    """Answers the requests of one connection."""

    protocol_version = "HTTP/1.1"
    server_version = "UpwellSandbox/1"
    # Headers and body leave in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK would hold every keep-alive answer back by tens of milliseconds.
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_GET(self) -> None:
        """Answer a GET."""
        self._handle()

    def do_POST(self) -> None:
        """Answer a POST."""
        self._handle()

    def do_PUT(self) -> None:
        """Answer a PUT."""
        self._handle()

    def do_DELETE(self) -> None:
        """Answer a DELETE (always 404: customers have no delete endpoint)."""
        self._handle()

    def do_PATCH(self) -> None:
        """Answer a PATCH (always 404: Upwell updates with PUT)."""
        self._handle()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing here: `_api` logs one line per request, with the endpoint and outcome."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Send http.server's own messages (malformed requests and the like) to the log."""
        logger.warning(format, *args)

    def _handle(self) -> None:
        arrived = time.monotonic()
        raw = self._read_body()
        if raw is None:
            return
        url = urlsplit(self.path)
        if url.path.startswith(PREFIX):
            self._admin(url.path, raw)
        else:
            self._api(url.path, url.query, raw, arrived)

    def _api(self, path: str, query: str, raw: bytes, arrived: float) -> None:
        app = self.server.app
        found = routes.match(self.command, path)
        if found is None:
            message = f"No endpoint {self.command} {path}"
            answer: Answer | None = _error_answer(
                documented_error(404, "RESOURCE_NOT_FOUND", message)
            )
            endpoint, data = UNKNOWN, None
        else:
            route, params = found
            endpoint = route.endpoint
            # `held` releases the request's place under the in-flight cap once it is answered.
            with app.stats.in_flight(), ExitStack() as held:
                answer, latency = self._serve(
                    route, {k: unquote(v) for k, v in params.items()}, query, raw, held
                )
                data = None if answer is None else _encode(answer[1]).encode()
                # Injected latency is the time from request to answer, the sandbox's own
                # work included, as a remote server's is. No lock is held: requests overlap.
                time.sleep(max(0.0, arrived + latency - time.monotonic()))
        # Count before answering, so a client that has its answer also sees it in the stats.
        outcome = DROPPED if answer is None else str(answer[0])
        app.stats.record(endpoint, outcome)
        logger.info("%s %s -> %s (%s)", self.command, path, outcome, endpoint)
        if answer is None:
            self.close_connection = True  # unanswered; for drop_after the write is committed
        else:
            self._send(answer, data)

    def _serve(
        self, route: routes.Route, params: dict[str, str], query: str, raw: bytes, held: ExitStack
    ) -> tuple[Answer | None, float]:
        """Work out the answer to an API request (None: drop the connection), and its latency.

        The latency is in seconds: what the firing ``latency`` rules add up to. A request the
        server limits refuse meets no fault and no latency: it is answered at once.
        """
        app = self.server.app
        decision = Decision()
        answer: Answer | None
        try:
            tenant = app.authenticate(self.headers.get("Authorization"))
            app.admit(held)
            # Auth, limits, the body's syntax, then faults: a fault never hides a client's bug.
            body = _body(_decode(raw)) if self.command != "GET" else {}
            decision = app.faults.decide(route.endpoint, _input_count(body))
            rule = decision.rule
            answer = None
            if rule is None or rule.applies:
                request = routes.ApiRequest(tenant, params, dict(parse_qsl(query)), body)
                answer = _run(route, request, app)
            if rule is not None:
                # Whatever the handling said, committed or not, the fault decides the answer.
                answer = _fault_answer(rule, decision.index, _input_count(body))
        except ApiError as exc:
            answer = _error_answer(exc)
        return answer, decision.latency_ms / 1000

    def _admin(self, path: str, raw: bytes) -> None:
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            message = "The sandbox's admin endpoints answer loopback clients only"
            self._send(_error_answer(documented_error(403, "FORBIDDEN", message)))
            return
        try:
            body = None if not raw.strip() else _body(_decode(raw))
            authorization = self.headers.get("Authorization")
            result = handle_admin(self.server.app, self.command, path, body, authorization)
            answer: Answer = 200, result, {}
        except ApiError as exc:
            answer = _error_answer(exc)
        self._send(answer)

    def _read_body(self) -> bytes | None:
        """Read the whole body by Content-Length, or answer an error and return None."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._refuse(
                411, "LENGTH_REQUIRED", "Send a Content-Length; chunked bodies are not read"
            )
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(400, "VALIDATION_ERROR", "Content-Length must be a non-negative integer")
            return None
        if length > MAX_BODY:
            self._refuse(413, "PAYLOAD_TOO_LARGE", f"Bodies over {MAX_BODY} bytes are refused")
            return None
        return self.rfile.read(length)

    def _refuse(self, status: int, code: str, message: str) -> None:
        # The body was not read, so the connection cannot carry another request.
        self.close_connection = True
        self._send(_error_answer(documented_error(status, code, message)))

    def _send(self, answer: Answer, data: bytes | None = None) -> None:
        """Send the answer; ``data`` is its body, when already encoded."""
        status, body, headers = answer
        if data is None:
            data = _encode(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def _run(route: routes.Route, request: routes.ApiRequest, app: Sandbox) -> Answer:
    try:
        return 200, route.handler(app, request), {}
    except ApiError as exc:
        return _error_answer(exc)
    except Exception as exc:
        # A sandbox bug still gets an answer that says so, and a traceback on stderr.
        logger.exception("%s failed", route.endpoint)
        message = f"Sandbox bug: {type(exc).__name__}: {exc}"
        return _error_answer(documented_error(500, "INTERNAL_SERVER_ERROR", message))


def _fault_answer(rule: FaultRule, index: int, input_count: int) -> Answer | None:
    """The answer of a firing rule, in place of the endpoint's (None: drop the connection)."""
    if rule.kind in _DROPPING_KINDS:
        return None
    if rule.kind is FaultKind.ERROR_BODY:
        return 200, error_body(), {}
    return _error_answer(fault_error(rule, index, input_count))


def _decode(raw: bytes) -> object:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        msg = "Request body is not valid JSON"
        raise bad_request(msg) from None


def _reject_constant(name: str) -> object:
    msg = f"{name} is not JSON"
    raise ValueError(msg)


def _body(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        msg = "Request body must be a JSON object"
        raise bad_request(msg)
    return value


def _input_count(body: dict[str, object]) -> int:
    inputs = body.get("inputs")
    return len(inputs) if isinstance(inputs, list) else 0


def _error_answer(error: ApiError) -> Answer:
    return error.status, error.body, error.headers
