"""Talk to the Upwell API: one method per endpoint, retries for transient failures.

The only module that imports ``requests``; its exceptions, and an ``OSError`` raised before
a request leaves (a CA bundle file that is missing), become ours here, ``from`` the original.
A request that may have been applied (a timeout, a connection dropped after sending, a 502 or
504, a 2xx answer that does not prove the write) is never re-sent blindly when it writes:
``AmbiguousError`` goes to the caller, which reconciles first. ``answers`` judges what came
back, ``attempts`` counts and spaces the retries, ``paging`` follows a search's pages.
"""

from __future__ import annotations

import threading
from importlib import metadata
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from target_upwell import contract, encoding
from target_upwell.delivery.answers import (
    VERDICTS,
    Answer,
    Json,
    Returns,
    counts_affected_rows,
    lists_customers,
    read_answer,
)
from target_upwell.delivery.attempts import Retries, Tally
from target_upwell.delivery.pace import Pace, Verdict
from target_upwell.delivery.paging import PageCap
from target_upwell.delivery.retry import retry_after_seconds
from target_upwell.errors import (
    AmbiguousError,
    ApiProblem,
    FatalError,
    StoppingError,
    TransientError,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from target_upwell.delivery.answers import Key, Proof
    from target_upwell.delivery.retry import RetryPolicy

# Json and Tally live in answers and attempts; the callers of the client import them here.
__all__ = ["Json", "Tally", "UpwellClient"]


class UpwellClient:
    """The customers endpoints of the Upwell API over one keep-alive session."""

    def __init__(  # noqa: PLR0913 (keyword-only collaborators, each injectable for tests)
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        policy: RetryPolicy,
        pace: Pace | None = None,
        pool_size: int = 4,
        session: requests.Session | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Build the session; the key goes in a header only, never in a URL or a log.

        Proxy and CA-bundle variables are read here, once: see `_read_environment`.
        Once ``stop`` is set, no new request starts.
        """
        self._base = base_url.rstrip("/")
        parts = urlsplit(self._base)
        self._host = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self._stop = stop or threading.Event()
        self._timeout = timeout
        self._policy = policy
        self._pace = pace or Pace(pool_size, sleep=policy.sleep)
        self._session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {
                "Authorization": api_key,
                "Content-Type": "application/json",
                "User-Agent": f"target-upwell/{_version()}",
            }
        )
        _read_environment(self._session, self._base)
        self._templates: dict[tuple[str, str], requests.PreparedRequest] = {}
        self.pages = PageCap()

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def bulk_create(self, body: bytes, keys: Collection[Key], tally: Tally) -> None:
        """Insert customers in one all-or-nothing request; ``body`` is ``{"inputs": [...]}``.

        Done only when the answer returns one row for each of ``keys``, matched by key.
        """
        self._send("POST", contract.BULK_CREATE_PATH, body, tally, proof=Returns(keys))

    def update_by_source_id(self, update: Json, tally: Tally) -> int:
        """Apply one PUT-by-source-id body; return how many customers it touched."""
        body = self._send(
            "PUT", contract.UPDATE_BY_SOURCE_PATH, update, tally, proof=counts_affected_rows
        )
        affected: int = body["updateCustomer"]["affectedRows"]
        return affected

    def find(self, source_system: str, source_ids: Sequence[str], tally: Tally) -> list[Json]:
        """Every customer holding one of these keys, paged with a stable order."""
        found: list[Json] = []
        ids = sorted(set(source_ids))
        for start in range(0, len(ids), contract.SEARCH_PAGE_LIMIT):
            chunk = ids[start : start + contract.SEARCH_PAGE_LIMIT]
            where = {"sourceSystem": {"_eq": source_system}, "sourceSystemId": {"_in": chunk}}
            found.extend(self.pages.follow(self.search_page, where, len(chunk), tally))
        return found

    def search_page(
        self, where: Json, tally: Tally, *, offset: int = 0, limit: int = contract.SEARCH_PAGE_LIMIT
    ) -> list[Json]:
        """One page of a search, asked exactly as ``find`` asks it."""
        query = {"where": where, "limit": limit, "offset": offset, "orderBy": [{"id": "ASC"}]}
        page = self._send(
            "POST", contract.SEARCH_PATH, query, tally, idempotent=True, proof=lists_customers
        )
        customers: list[Json] = page["customers"]
        return customers

    def pause(self, attempt: int) -> None:
        """Wait one backoff step (the ``attempt``-th) before looking at what a write did."""
        waits = self._policy.waits()
        wait = next(waits)
        for _ in range(attempt):
            wait = next(waits)
        self._policy.sleep(wait)

    def check_key(self, tally: Tally) -> None:
        """One read-only call that fails with ``AuthError`` when the key is refused."""
        self._send("GET", f"{contract.LIST_PATH}?limit=1", None, tally, idempotent=True)

    def _send(  # noqa: PLR0913 (two keyword-only switches)
        self,
        method: str,
        path: str,
        payload: Json | bytes | None,
        tally: Tally,
        *,
        idempotent: bool = False,
        proof: Proof | None = None,
    ) -> Json:
        """One call with retries; only an idempotent call is retried after an ambiguous failure.

        ``proof`` says why a 2xx answer does not show the call done (None when it does):
        such an answer is ambiguous, since the write may or may not have been applied.
        """
        data = payload if isinstance(payload, bytes) or payload is None else encoding.dumps(payload)
        retries: Retries | None = None
        while True:
            try:
                return self._attempt(method, path, data, tally, proof=proof)
            except TransientError as exc:
                if isinstance(exc, AmbiguousError) and not idempotent:
                    raise
                error = exc
            retries = retries or Retries(self._policy, f"{method} {path} to {self._host}")
            retries.after(error, tally)  # waits, or raises the error that ends the call

    def _attempt(
        self,
        method: str,
        path: str,
        data: bytes | None,
        tally: Tally,
        *,
        proof: Proof | None,
    ) -> Json:
        """One request through the pace, which learns from its answer."""
        if self._stop.is_set():
            msg = "the run is stopping; no new request is sent"
            raise StoppingError(msg)
        ticket = self._pace.enter()
        if self._stop.is_set():  # it stopped while this request waited for its place
            self._pace.leave(ticket, Verdict.DONE, count=False)
            msg = "the run is stopping; no new request is sent"
            raise StoppingError(msg)
        tally.requests += 1
        try:
            answer = self._exchange(method, path, data)
        except requests.exceptions.RequestException as exc:
            failure = _translate(exc, f"{method} {path}")
            overloaded = failure.problem.code in {"timeout", "connect timeout"}
            verdict = Verdict.OVERLOADED if overloaded else Verdict.DONE
            self._pace.leave(ticket, verdict, count=overloaded)
            raise failure from exc
        # Nothing left (a file TLS needs is missing). Below the clause above, since a
        # RequestException is an OSError too.
        except OSError as exc:
            self._pace.leave(ticket, Verdict.DONE, count=False)
            raise _unsent(exc, f"{method} {path} to {self._host}", self._session.verify) from exc
        verdict = VERDICTS.get(answer.status, Verdict.DONE)
        absorbed = self._pace.leave(ticket, verdict, answer.retry_after)
        body, error = read_answer(f"{method} {path}", answer, proof, self._base)
        if isinstance(error, TransientError):
            error.absorbed = absorbed and verdict is Verdict.REFUSED
        if error is not None:
            raise error
        return body

    def _exchange(self, method: str, path: str, data: bytes | None) -> Answer:
        """One request on the wire: the status, the body, and the wait asked for."""
        request = self._prepare(method, path, data)
        # Streamed, the body is read in one piece, not in the 10 KB chunks of
        # ``response.content``. Read to its end, the connection goes back to the pool;
        # if reading fails, ``with`` closes it.
        with self._session.send(request, timeout=self._timeout, stream=True) as response:
            content = b"".join(response.iter_content(None))
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return Answer(response.status_code, content, wait)

    def _prepare(self, method: str, path: str, data: bytes | None) -> requests.PreparedRequest:
        """A copy of the endpoint's prepared request, with this body and the jar's cookies.

        ``Session.request`` merges headers, hooks and cookies anew for each call (~0.07 ms);
        a copy costs a tenth. The template takes the session's headers (it sets no auth,
        params or hooks) but no cookies, so each copy takes the jar's current ones.
        """
        key = (method, path)
        template = self._templates.get(key)
        if template is None:  # two threads may both build it: equal copies, one kept
            url = self._base + path
            template = requests.Request(method, url, headers=self._session.headers).prepare()
            self._templates[key] = template
        request = template.copy()
        request.prepare_body(data, None)
        request.prepare_cookies(self._session.cookies)
        return request


def _read_environment(session: requests.Session, url: str) -> None:
    """Fix the proxies for ``url`` and the CA bundle from the environment, then stop reading it.

    With ``trust_env`` on, requests re-reads the proxy variables (NO_PROXY included), the
    CA-bundle variables and ~/.netrc on every request, ~0.1 ms each time. A ~/.netrc entry
    for the host can no longer replace the ``Authorization`` header.
    """
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies = settings["proxies"]
    session.verify = settings["verify"]
    session.trust_env = False


def _translate(exc: requests.exceptions.RequestException, what: str) -> TransientError:
    """A failure before the request left is plainly transient; after, it is ambiguous.

    The problem's code names the cause, for the log: DNS, TLS, refused, timeout, dropped.
    """
    cause = _cause(exc)
    problem = ApiProblem(0, cause, f"{what}: no answer ({type(exc).__name__})")
    connecting = exc.args and isinstance(exc.args[0], urllib3.exceptions.MaxRetryError)
    if cause in {"DNS", "proxy", "refused", "connect timeout"} or _never_connected(exc):
        return TransientError(problem)
    if cause == "TLS" and connecting:  # the handshake failed: nothing was sent
        return TransientError(problem)
    return AmbiguousError(problem)


def _unsent(exc: OSError, call: str, verify: object) -> FatalError:
    """No request can leave: requests could not read a file the TLS setup names.

    Its message names the file and the cause (a CA bundle that is missing); retrying won't
    mend it, so the run stops. A bundle named by a path came from one of two variables.
    """
    fix = ". Check REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, whichever is set"
    return FatalError(f"{call} was not sent: {exc}{fix if isinstance(verify, str) else ''}")


def _cause(exc: requests.exceptions.RequestException) -> str:
    """Why no answer came, in a word a user can act on."""
    for kind, cause in _CAUSE_OF:  # in order: ProxyError and SSLError are ConnectionErrors too
        if isinstance(exc, kind):
            return cause
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "DNS"
    if isinstance(reason, urllib3.exceptions.NewConnectionError) and isinstance(
        reason.__cause__, ConnectionRefusedError
    ):
        return "refused"
    return "dropped"


_CAUSE_OF: tuple[tuple[type[Exception], str], ...] = (
    (requests.exceptions.ProxyError, "proxy"),
    (requests.exceptions.SSLError, "TLS"),
    (requests.exceptions.ConnectTimeout, "connect timeout"),
    (requests.exceptions.Timeout, "timeout"),
)


def _never_connected(exc: requests.exceptions.RequestException) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _version() -> str:
    try:
        return metadata.version("target-upwell")
    except metadata.PackageNotFoundError:
        return "unknown"
