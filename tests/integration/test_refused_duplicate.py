"""A duplicate key that Upwell reports in words the target doesn't recognise is still updated.

The sandbox always answers a duplicate with a uniqueness error; this small server over
loopback answers it with a plain 400, as a real API might, to reach that path.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from target_upwell.delivery.batching import Batch, Item
from target_upwell.delivery.client import UpwellClient
from target_upwell.delivery.load_state import LoadOptions, RowCap
from target_upwell.delivery.reconcile import Reconciler
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.mapping.customer_input import Customer
from target_upwell.outcomes import Outcome

if TYPE_CHECKING:
    from collections.abc import Iterator

HELD = {"id": "cus_1", "sourceSystem": "ERP", "sourceSystemId": "1", "name": "Old name"}


class _Upwell(BaseHTTPRequestHandler):
    """Holds customer 1; refuses every bulk insert with a 400 that names no duplicate."""

    calls: list[str] = []  # noqa: RUF012 (one server per test)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append(self.path)
        if self.path.endswith("/bulk-customers"):
            self._answer(400, {"error": "Bad request", "path": "$", "code": "validation-failed"})
            return
        wanted = set(body["where"]["sourceSystemId"]["_in"])
        self._answer(200, {"customers": [HELD] if "1" in wanted else []})

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.calls.append(self.path)
        self._answer(200, {"updateCustomer": {"affectedRows": 1, "returning": [HELD]}})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        """Quiet."""


@pytest.fixture
def upwell() -> Iterator[str]:
    """The server's base URL, for one test."""
    _Upwell.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upwell)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_row_whose_key_exists_is_updated_under_upsert(upwell: str) -> None:
    client = UpwellClient(upwell, "k", timeout=5, policy=RetryPolicy(0, sleep=time.sleep))
    reconciler = Reconciler(client, LoadOptions(upsert=True, max_retries=0), RowCap(500))
    reconciler.note_search("customers", found=False)  # as after an all-new batch
    customers = [Customer("ERP", str(n), {"name": f"Name {n}"}) for n in (1, 2)]
    items = [Item(c, n, c.insert_input()) for n, c in enumerate(customers, start=1)]

    try:
        report = reconciler.load(Batch("customers", items))
    finally:
        client.close()

    assert report.outcomes[Outcome.UPDATED] == 1
    assert [r.key for r in report.rejections] == ["2"]
    assert _Upwell.calls.count("/api/rest/bulk-customers") == 3  # the batch, then each row
