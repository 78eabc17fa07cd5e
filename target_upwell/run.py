"""One load from start to summary: builds the collaborators and decides how the run ends.

Exit codes: 0 success; 1 a failed run (configuration, key, retries exhausted); 3 more
rejected records than ``max_rejected_records``; 128 + the signal after SIGINT or SIGTERM.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import uuid
from typing import TYPE_CHECKING, Any, NoReturn

from target_upwell import encoding
from target_upwell.delivery.checkpoint import Checkpoints, State
from target_upwell.delivery.client import Tally, UpwellClient
from target_upwell.delivery.deadletter import DeadLetterWriter
from target_upwell.delivery.load_state import LoadOptions, RowCap
from target_upwell.delivery.pace import Pace
from target_upwell.delivery.reconcile import Reconciler
from target_upwell.delivery.retry import RetryPolicy
from target_upwell.delivery.window import Window
from target_upwell.errors import AuthError, StoppingError, UpwellError
from target_upwell.mapping.routing import CONFIG_TEST_STREAM
from target_upwell.outcomes import Summary
from target_upwell.sinks import SinkParts

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterator

    from target_upwell.mapping.field_map import FieldMap
    from target_upwell.settings import Settings

EXIT_FAILED = 1
EXIT_TOO_MANY_REJECTED = 3


class RunStoppedError(Exception):
    """The run ended early or badly; carries the exit code and one line for the log."""

    def __init__(self, exit_code: int, message: str) -> None:
        """``message`` never holds the key or a record."""
        super().__init__(message)
        self.exit_code = exit_code


class Run:
    """The state of one invocation, shared by the target and every sink."""

    def __init__(
        self,
        settings: Settings,
        logger: logging.Logger,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Wire the client, reconcile, the window, STATE release and the dead-letter file.

        ``sleep`` spends retry waits; tests inject one that records instead of waiting.
        """
        self.settings = settings
        self.logger = logger
        self.run_id = uuid.uuid4().hex
        self.position = 0
        self._announced: set[str] = set()
        if settings.routes.auto:
            logger.info("No mapping is set: every stream is auto-mapped by its field names.")
        self._stopping = threading.Event()
        self._wait = sleep or self._stopping.wait
        policy = RetryPolicy(settings.max_retries, sleep=self._sleep)
        self.pace = Pace(
            settings.max_concurrent_requests, settings.max_requests_per_second, sleep=self._sleep
        )
        self.client = UpwellClient(
            settings.api_url,
            settings.api_key,
            timeout=settings.request_timeout,
            policy=policy,
            pace=self.pace,
            pool_size=settings.max_concurrent_requests,
            stop=self._stopping,
        )
        self.summary = Summary()
        self.dead_letter = DeadLetterWriter(
            settings.dead_letter_file,
            self.run_id,
            include_record=settings.dead_letter_include_record,
        )
        self.checkpoints = Checkpoints(self._write_state)
        options = LoadOptions(upsert=settings.upsert, max_retries=settings.max_retries)
        self.reconciler = Reconciler(self.client, options, RowCap(settings.batch_size_rows))
        self.window = Window(
            self.reconciler,
            self.checkpoints,
            self.summary,
            self.dead_letter,
            settings.max_concurrent_requests,
            stopping=self._stopping,  # a failed batch or a signal: no request starts after it
        )

    def announce(self, stream: str, field_map: FieldMap | None, properties: list[str]) -> None:
        """Say once per stream whether it loads, and which source fields nothing reads."""
        if stream in self._announced:
            return
        self._announced.add(stream)
        if stream == CONFIG_TEST_STREAM:
            return
        if field_map is None:
            self.logger.warning(
                "Stream '%s' is not in the mapping; its records are skipped.", stream
            )
            return
        unmapped = field_map.unmapped(properties)
        if unmapped:
            self.logger.info(
                "Stream '%s': source fields left unmapped: %s", stream, ", ".join(unmapped)
            )

    def sink_parts(self, field_map: FieldMap | None) -> SinkParts:
        """What a stream's sink works with: its mapping and this run's collaborators."""
        settings = self.settings
        return SinkParts(
            field_map=field_map,
            source_system=settings.source_system,
            keep_record=settings.dead_letter_include_record,
            max_rows=settings.batch_size_rows,
            summary=self.summary,
            checkpoints=self.checkpoints,
            window=self.window,
            reconciler=self.reconciler,
            position=self._position,
        )

    def tick(self) -> bool:
        """A progress line at most every 10 seconds; True when one was written."""
        if not self.summary.progress_due():
            return False
        self.logger.info(self.summary.progress_line())
        return True

    def add_state(self, state: State) -> None:
        """Tag a STATE with the number of records before it."""
        self.checkpoints.add(self.position, state)

    def check_key(self) -> None:
        """One read-only call, for ``meltano config test``; nothing is written."""
        self.client.check_key(Tally())
        self.logger.info("Upwell accepted the API key; the test stream is not loaded.")

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Turn our failures into a finished run: STATE for settled records, the summary."""
        try:
            yield
        except UpwellError as exc:
            self.fail(exc)

    def fail(self, exc: UpwellError) -> NoReturn:
        """End the run on one of our failures (``guard``'s work, for the per-record path).

        Raises:
            RunStoppedError: always, with exit code 1 and one line for the log.
        """
        self._stopping.set()
        self._settle_what_can_be()
        self.report()
        raise RunStoppedError(EXIT_FAILED, _fatal_message(exc)) from None

    def finish(self) -> None:
        """Wait for every request, release the last STATE, report, and judge the rejects."""
        with self.guard():
            self.window.finish()
        self.window.close()
        self.dead_letter.close()
        self.report()
        rejected = self.summary.rejected_by_reason()
        total = sum(rejected.values())
        if total > self.settings.max_rejected_records:
            reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(rejected.items()))
            raise RunStoppedError(
                EXIT_TOO_MANY_REJECTED,
                f"{total} records were rejected ({reasons}), more than"
                f" max_rejected_records={self.settings.max_rejected_records}; see"
                f" {self.settings.dead_letter_file}",
            )

    def stop(self, signum: int) -> None:
        """On SIGINT/SIGTERM: finish only the requests in flight, release STATE, report."""
        self.logger.info("Signal %d: finishing the requests in flight, then stopping.", signum)
        self._stopping.set()
        self._settle_what_can_be()
        self.report()

    def report(self) -> None:
        """The summary on stderr: a line per stream, then the same numbers as one JSON line."""
        for line in self.summary.text():
            self.logger.info(line)
        self.logger.info("Pace at the end: %s.", self.pace.describe())
        if self.dead_letter.written:
            self.logger.info(
                "%d rejected records are in %s", self.dead_letter.written, self.dead_letter.path
            )
        machine: dict[str, Any] = {
            "run_id": self.run_id,
            "dead_letter_file": str(self.settings.dead_letter_file),
            "streams": self.summary.as_dict(),
            "pace": self.pace.as_dict(),
        }
        sys.stderr.write(encoding.dumps({"target_upwell_summary": machine}).decode() + "\n")
        sys.stderr.flush()

    def _settle_what_can_be(self) -> None:
        """Wait for the batches in flight and release their STATE; their failure is known."""
        with contextlib.suppress(Exception):
            self.window.drain()
        self.dead_letter.close()

    def _write_state(self, state: State) -> None:
        """The dead-letter lines a STATE covers are made durable before it leaves."""
        self.dead_letter.sync()
        sys.stdout.write(encoding.dumps(state).decode() + "\n")
        sys.stdout.flush()

    def _position(self) -> int:
        return self.position

    def _sleep(self, seconds: float) -> None:
        """Waits end early once the run is stopping; the retry loop then gives up."""
        self._wait(seconds)
        if self._stopping.is_set():
            msg = "the run is stopping; the retry is abandoned"
            raise StoppingError(msg)


def _fatal_message(exc: UpwellError) -> str:
    if isinstance(exc, AuthError):
        return (
            f"Upwell rejected the API key ({exc.problem.describe()}). Check api_key;"
            " nothing more was sent."
        )
    return f"The run stopped: {exc}"
