"""Talk to the Upwell API: one method per endpoint, retries for transient failures.

The only module that imports ``requests``; its exceptions become ours here, ``from`` the
original. A request that may have been applied (a timeout, a connection dropped after
sending, a 502 or 504, a 2xx answer that does not prove the write) is never re-sent
blindly when it writes: ``AmbiguousError`` goes to the caller, which reconciles first.
"""

from __future__ import annotations

import logging
import operator
import threading
from dataclasses import dataclass, replace
from importlib import metadata
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from target_upwell import contract, encoding
from target_upwell.delivery.pace import ABSORB_IN_A_ROW, Pace, Verdict
from target_upwell.delivery.retry import RetryPolicy, retry_after_seconds
from target_upwell.errors import (
    AmbiguousError,
    ApiError,
    ApiProblem,
    RetriesExhaustedError,
    StoppingError,
    TransientError,
    UnreachableError,
    WrongPathError,
    classify,
    parse_problem,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

Json = dict[str, Any]
Key = tuple[str, str]
_ROW_KEY = operator.itemgetter("sourceSystem", "sourceSystemId")

logger = logging.getLogger("target-upwell")


@dataclass
class Tally:
    """Requests made and retries spent, for one batch; the summary adds them up."""

    requests: int = 0
    retries: int = 0
    refusals: int = 0  # refusals the pace absorbed: slowed down, not retries


class PageCap:
    """What search answers have shown of the server's page cap, shared by every thread.

    ``limit`` has no documented maximum, so a page shorter than asked may still have rows
    after it. The largest page seen is a floor under the cap: a page shorter than it is
    the last. A page no shorter must be followed, and a non-empty page after it gives the
    cap away, which is said once.
    """

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.floor = 0
        self.learned: int | None = None
        self._lock = threading.Lock()

    def is_last(self, rows: int) -> bool:
        """True when a page of ``rows`` rows is known to be the last."""
        return rows < self.floor

    def saw(self, rows: int, *, more_followed: bool) -> None:
        """A page of ``rows`` rows; ``more_followed`` when a non-empty page came after it."""
        with self._lock:
            self.floor = max(self.floor, rows)
            if not more_followed or (self.learned is not None and self.learned <= rows):
                return
            self.learned = rows
        logger.info(
            "Upwell's search answers at most %d rows a page (asked for %d); searches page"
            " by what it answers for the rest of the run.",
            rows,
            contract.SEARCH_PAGE_LIMIT,
        )


class _Answer(NamedTuple):
    """What came back for one request."""

    status: int
    content: bytes
    retry_after: float | None


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
        self._send("POST", contract.BULK_CREATE_PATH, body, tally, proof=_returns(keys))

    def update_by_source_id(self, update: Json, tally: Tally) -> int:
        """Apply one PUT-by-source-id body; return how many customers it touched."""
        body = self._send(
            "PUT", contract.UPDATE_BY_SOURCE_PATH, update, tally, proof=_counts_affected_rows
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
            found.extend(self._search(where, len(chunk), tally))
        return found

    def search_page(
        self, where: Json, tally: Tally, *, offset: int = 0, limit: int = contract.SEARCH_PAGE_LIMIT
    ) -> list[Json]:
        """One page of a search, asked exactly as ``find`` asks it."""
        query = {"where": where, "limit": limit, "offset": offset, "orderBy": [{"id": "ASC"}]}
        page = self._send(
            "POST", contract.SEARCH_PATH, query, tally, idempotent=True, proof=_lists_customers
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

    def _search(self, where: Json, wanted: int, tally: Tally) -> list[Json]:
        """Every row matching ``where``, which matches at most ``wanted`` rows.

        Pages are followed until all are found, a page is empty, or a page is shorter than
        one the server has answered before (``PageCap``).
        """
        page = self.search_page(where, tally)
        rows = list(page)
        while page and len(rows) < wanted and not self.pages.is_last(len(page)):
            following = self.search_page(where, tally, offset=len(rows))
            self.pages.saw(len(page), more_followed=bool(following))
            page = following
            rows.extend(page)
        self.pages.saw(len(page), more_followed=False)
        return rows

    def _send(  # noqa: PLR0913 (two keyword-only switches)
        self,
        method: str,
        path: str,
        payload: Json | bytes | None,
        tally: Tally,
        *,
        idempotent: bool = False,
        proof: Callable[[Json], str | None] | None = None,
    ) -> Json:
        """One call with retries; only an idempotent call is retried after an ambiguous failure.

        ``proof`` says why a 2xx answer does not show the call done (None when it does):
        such an answer is ambiguous, since the write may or may not have been applied.
        """
        data = payload if isinstance(payload, bytes) or payload is None else encoding.dumps(payload)
        waits = self._policy.waits()
        attempt = absorbed = 0
        while True:
            try:
                return self._attempt(method, path, data, tally, proof=proof)
            except TransientError as exc:
                if isinstance(exc, AmbiguousError) and not idempotent:
                    raise
                error = exc
            if error.absorbed and absorbed < ABSORB_IN_A_ROW:  # the pace slowed: not a retry
                absorbed += 1
                tally.refusals += 1
                continue
            failed = f"{method} {path} to {self._host} failed: {_described(error)}"
            if error.problem.code in _UNMENDING and attempt >= 1:
                msg = f"{failed}; gave up after {attempt + 1} attempts. Check api_url"
                raise UnreachableError(msg) from error
            if attempt == self._policy.max_retries:
                msg = f"{failed}; still failing after {attempt} retries"
                raise RetriesExhaustedError(msg) from error
            wait = error.retry_after if error.retry_after is not None else next(waits)
            logger.info(
                "%s; retry %d of %d in %.1f s", failed, attempt + 1, self._policy.max_retries, wait
            )
            attempt += 1
            tally.retries += 1
            self._policy.sleep(wait)

    def _attempt(
        self,
        method: str,
        path: str,
        data: bytes | None,
        tally: Tally,
        *,
        proof: Callable[[Json], str | None] | None,
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
        verdict = _VERDICTS.get(answer.status, Verdict.DONE)
        absorbed = self._pace.leave(ticket, verdict, answer.retry_after)
        body, error = self._read(f"{method} {path}", answer, proof)
        if isinstance(error, TransientError):
            error.absorbed = absorbed and verdict is Verdict.REFUSED
        if error is not None:
            raise error
        return body

    def _exchange(self, method: str, path: str, data: bytes | None) -> _Answer:
        """One request on the wire: the status, the body, and the wait asked for."""
        request = self._prepare(method, path, data)
        # Streamed, the body is read in one piece, not in the 10 KB chunks of
        # ``response.content``. Read to its end, the connection goes back to the pool;
        # if reading fails, ``with`` closes it.
        with self._session.send(request, timeout=self._timeout, stream=True) as response:
            content = b"".join(response.iter_content(None))
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return _Answer(response.status_code, content, wait)

    def _read(
        self, request: str, answer: _Answer, proof: Callable[[Json], str | None] | None
    ) -> tuple[Json, ApiError | None]:
        """The answer's body, and the error it stands for (None for a 2xx that proves the call)."""
        try:
            body = encoding.loads(answer.content) if answer.content else None
        except ValueError:
            body = None
        status = answer.status
        if not 200 <= status < 300:  # noqa: PLR2004 (the 2xx range)
            if status in contract.WRONG_PATH_STATUSES:
                return {}, WrongPathError(parse_problem(status, body), request, self._base)
            return {}, classify(status, body, answer.retry_after)
        shown: Json = body if isinstance(body, dict) else {}
        doubt = None if proof is None else proof(shown)
        if doubt is None:
            return shown, None
        problem = parse_problem(status, body)
        return shown, AmbiguousError(replace(problem, message=problem.message or doubt))

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


def _returns(keys: Collection[Key]) -> Callable[[Json], str | None]:
    """A bulk insert is done when it returns one row per input, matched by key.

    The inputs' keys are distinct (a batch is deduplicated), so equal counts and equal key
    sets mean one row each.
    """

    def proof(answer: Json) -> str | None:
        returning = (answer.get("createCustomers") or {}).get("returning")
        if not isinstance(returning, list):
            return "the answer has no createCustomers.returning"
        try:
            matched = len(returning) == len(keys) and set(map(_ROW_KEY, returning)) == set(keys)
        except (KeyError, TypeError):  # a row that is not a customer object
            matched = False
        if not matched:
            return f"the answer returns {len(returning)} rows that don't match the {len(keys)} sent"
        return None

    return proof


def _counts_affected_rows(answer: Json) -> str | None:
    """An update is done when its answer counts the rows it touched."""
    affected = (answer.get("updateCustomer") or {}).get("affectedRows")
    if isinstance(affected, int) and not isinstance(affected, bool):
        return None
    return "the answer has no updateCustomer.affectedRows"


def _lists_customers(answer: Json) -> str | None:
    """A search is done when its answer lists customers."""
    if isinstance(answer.get("customers"), list):
        return None
    return "the answer has no customers list"


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


# What an answer's status says about the pace (anything else: the server kept up).
_VERDICTS = {
    429: Verdict.REFUSED,
    503: Verdict.REFUSED,
    502: Verdict.OVERLOADED,
    504: Verdict.OVERLOADED,
}
# A failure that more retries in the next seconds won't mend: stop after a second attempt.
_UNMENDING = frozenset({"DNS", "TLS"})
_CAUSES = {
    "DNS": "DNS, the host name does not resolve",
    "proxy": "proxy, the proxy refused or failed the connection",
    "TLS": "TLS, the secure connection failed (certificate or protocol)",
    "refused": "connection refused, nothing is listening there",
    "connect timeout": "connect timeout, the host did not answer",
    "timeout": "timeout, no answer in request_timeout",
    "dropped": "connection dropped before an answer",
}


def _described(error: TransientError) -> str:
    """The cause of a failed attempt: the network's, or the status the API answered."""
    problem = error.problem
    return _CAUSES.get(problem.code, problem.code) if problem.status == 0 else problem.describe()


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
