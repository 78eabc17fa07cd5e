"""target-upwell: the plugin's declaration, and the hooks that hand work to the run."""

from __future__ import annotations

import functools
import os
import sys
import time
from typing import IO, TYPE_CHECKING, Any, NoReturn

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.plugin_base import _ConfigInput

from target_upwell import config_sources, contract, settings
from target_upwell.errors import UpwellError
from target_upwell.mapping.routing import preset_names
from target_upwell.reader import BadInputError, FastReader
from target_upwell.run import EXIT_FAILED, EXIT_TOO_MANY_REJECTED, Run, RunStoppedError
from target_upwell.sinks import CustomersSink

if TYPE_CHECKING:
    from types import FrameType

    import click

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override


class TargetUpwell(Target):
    """Load customers from any Singer tap into Upwell, through its bulk-customers API."""

    name = "target-upwell"
    package_name = "target-upwell"
    default_sink_class = CustomersSink
    message_reader_class = FastReader
    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            title="API key",
            description="Upwell API key (Settings → API Keys). Sent as the raw"
            " Authorization header; never logged.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=contract.DEFAULT_BASE_URL,
            title="API URL",
            description="Base URL of the Upwell API. Plain http:// only for a loopback host"
            " (the local sandbox).",
        ),
        th.Property(
            "source_system",
            th.StringType,
            title="Source system",
            description="The sourceSystem written on every customer unless the mapping sets"
            " it, e.g. NETSUITE. Required unless every mapped stream sets sourceSystem.",
        ),
        th.Property(
            "mapping",
            th.ObjectType(additional_properties=True),
            title="Mapping",
            description="Per stream (or '*'): Upwell field → JMESPath expression on the"
            " record. Without it every stream is auto-mapped by field names.",
        ),
        th.Property(
            "mapping_preset",
            th.StringType,
            allowed_values=preset_names(),
            title="Mapping preset",
            description="A built-in mapping for one tap's customer stream (quickbooks, xero,"
            " stripe, hubspot, salesforce). Fields in `mapping` for that stream override it.",
        ),
        th.Property(
            "load_method",
            th.StringType,
            default="upsert",
            allowed_values=["upsert", "append-only"],
            title="Load method",
            description="upsert: insert new keys, update changed customers. append-only:"
            " bulk insert only; an existing key is rejected as already_exists.",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType,
            default=settings.DEFAULT_BATCH_SIZE_ROWS,
            title="Batch size (rows)",
            description=f"Customers per batch; above {contract.MAX_BATCH_ROWS} is lowered to"
            f" {contract.MAX_BATCH_ROWS}. A request is also cut before its body passes 5 MB.",
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=60,
            title="Request timeout",
            description="Seconds to wait for a response.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=8,
            title="Max retries",
            description="Retries after the first attempt, for 429, 5xx, timeouts and drops.",
        ),
        th.Property(
            "max_concurrent_requests",
            th.IntegerType,
            default=4,
            title="Max concurrent requests",
            description="Requests in flight at once, shared by every stream; up to twice as"
            " many mapped batches wait behind them.",
        ),
        th.Property(
            "max_requests_per_second",
            th.NumberType,
            title="Max requests per second",
            description="Optional client-side rate limit; unlimited by default, because"
            " Upwell publishes no limit.",
        ),
        th.Property(
            "dead_letter_file",
            th.StringType,
            default=settings.DEFAULT_DEAD_LETTER_FILE,
            title="Dead-letter file",
            description="JSON Lines file that receives every record that can't be loaded,"
            " with its reason.",
        ),
        th.Property(
            "dead_letter_include_record",
            th.BooleanType,
            default=True,
            title="Dead-letter includes the record",
            description="Also write the tap's original record to the dead-letter file, so"
            " target-upwell-replay can rebuild every rejection. The file then holds personal"
            " data (names, emails, addresses), like the tap's output; logs never do.",
        ),
        th.Property(
            "max_rejected_records",
            th.IntegerType,
            default=0,
            title="Max rejected records",
            description="A run that rejects more records than this exits 3 once all input"
            " is processed.",
        ),
    ).to_dict()

    _run: Run | None = None

    @property
    def run(self) -> Run:
        """The run's shared state, built on first use from the validated config."""
        if self._run is None:
            self._run = Run(settings.from_config(dict(self.config)), self.logger)
            self.max_parallelism = 1  # process_batch only queues; the loader overlaps requests
        return self._run

    @functools.cached_property
    def _sdk_path(self) -> bool:
        """Stream maps and flattening need the SDK's own per-record path."""
        return bool(self.config.get("stream_maps") or self.config.get("flattening_enabled"))

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Unknown names, wrong types, impossible values: one line each, never the value."""
        schema = self.config_jsonschema
        self.append_builtin_config(schema)  # known names include the SDK's own settings
        self._config = settings.without_nulls(self._config)
        errors = settings.schema_problems(self._config, schema)
        if not errors:  # the SDK's check then only fills in the defaults
            errors = super()._validate_config(raise_errors=False)
            errors = errors or settings.problems(dict(self._config))
        if errors and raise_errors:
            summary = "Config validation failed"
            raise ConfigValidationError(summary, errors=errors, schema=schema)
        return errors

    @classproperty
    def _env_var_config(cls) -> dict[str, Any]:  # noqa: N805 (a class property, as the SDK's)
        """``TARGET_UPWELL_*`` settings (``--config ENV``), typed here: a bad value is refused."""
        schema = cls.config_jsonschema
        cls.append_builtin_config(schema)
        values = config_sources.from_environment(schema, cls._env_var_prefix)
        cls._warn_unknown_variables()  # after the SDK's reader loaded any .env file
        return values

    @classmethod
    def _warn_unknown_variables(cls) -> None:
        schema = cls.config_jsonschema
        cls.append_builtin_config(schema)
        for warning in config_sources.unknown_variables(schema, cls._env_var_prefix, os.environ):
            cls.logger.warning("%s", warning)

    @override
    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        with self.run.guard():
            self._drain_replaced_sink(message_dict)
            super()._process_schema_message(message_dict)

    def _drain_replaced_sink(self, message_dict: dict[str, Any]) -> None:
        """Hand on the old sink's records before a changed SCHEMA replaces it.

        The SDK would drain the old sink only at the next full drain, after the new sink's
        batches, and an older record would then overwrite a newer one.
        """
        old = self._sinks_active.get(message_dict.get("stream", ""))
        if old is None:
            return
        keys = list(message_dict.get("key_properties") or [])
        if old.original_schema != message_dict.get("schema") or list(old.key_properties) != keys:
            self.drain_one(old)

    @override
    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        run = self._run or self.run
        run.position = position = run.position + 1
        if self._sdk_path:
            with run.guard():
                super()._process_record_message(message_dict)
        else:  # the fast path: the sink validates, maps and buffers
            try:
                # Every sink is a CustomersSink; annotated, not cast: cast is a call a record.
                sink: CustomersSink = self._sinks_active[message_dict["stream"]]  # type: ignore[assignment]
                record = message_dict["record"]
            except KeyError:  # the SDK's own checks name what is missing
                self._assert_line_requires(message_dict, requires={"stream", "record"})
                self._assert_sink_exists(message_dict["stream"])
                raise
            if sink.accept(record, position):
                self._hand_on(sink)
        # Every 10 s a progress line, and the SDK's five-minute drain (read inline: a call
        # a record costs more than the clock).
        if time.monotonic() >= run.summary.next_progress and run.tick():
            try:
                self._handle_max_record_age()
            except UpwellError as exc:
                run.fail(exc)

    def _hand_on(self, sink: CustomersSink) -> None:
        """A full batch goes to the loader; an earlier batch's failure surfaces here."""
        try:
            self.drain_one(sink)
        except UpwellError as exc:
            self.run.fail(exc)

    @override
    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        self._assert_line_requires(message_dict, requires={"value"})
        self.run.add_state(message_dict["value"])

    @override
    def _write_state_message(self, state: dict[str, Any]) -> None:
        """STATE leaves only through the checkpoints, once its records are settled."""
        self.run.checkpoints.release()

    def read(self, file_input: IO[str] | None = None) -> None:
        """``listen`` (final in the SDK), where a bad line ends the input there."""
        try:
            self.listen(file_input)
        except BadInputError as exc:
            self._end_before(exc)

    def _end_before(self, bad: BadInputError) -> NoReturn:
        """Load what came before a bad line and write its STATE, as at the end; then fail.

        Raises:
            RunStoppedError: exit 1, naming the line; or the failure that ended the loading.
        """
        try:
            self.process_endofpipe()
        except RunStoppedError as stopped:
            if stopped.exit_code != EXIT_TOO_MANY_REJECTED:
                self.logger.error("%s", bad)  # noqa: TRY400 (the other failure is logged next)
                raise
            self.logger.error("%s", stopped)  # noqa: TRY400 (the rejects are worth a line too)
        msg = f"{bad}. The run stopped there; the lines before it are settled."
        raise RunStoppedError(EXIT_FAILED, msg) from None

    @override
    def process_endofpipe(self) -> None:
        with self.run.guard():
            super().process_endofpipe()
        self.run.finish()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        self.run.stop(signum)
        sys.exit(128 + signum)

    @override
    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        file_input: IO[str] | None = None,
    ) -> None:
        """Run the target; an expected failure ends as one log line and its exit code.

        The SDK's steps, with ``read`` for ``listen``: ``listen`` is final.
        """
        if about:
            super().invoke(about=about, about_format=about_format)  # prints, then exits
        cls.print_version(print_fn=cls.logger.info)
        config = config or _ConfigInput()
        if not config.parse_env:  # else checked once the SDK has read any .env file
            cls._warn_unknown_variables()
        try:
            target = cls(
                config=config.config, validate_config=True, parse_env_config=config.parse_env
            )
            target.read(file_input)
        except ConfigValidationError as exc:  # before any input is read or request sent
            cls._refuse_config(exc)
            sys.exit(EXIT_FAILED)
        except RunStoppedError as exc:
            cls.logger.error("%s", exc)  # noqa: TRY400 (expected: one line, no traceback)
            sys.exit(exc.exit_code)

    @override
    @classmethod
    def cb_config(
        cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]
    ) -> _ConfigInput:
        """Read the ``--config`` files; one that can't be used ends the command here."""
        try:
            config, parse_env = config_sources.read_files(value)
        except ConfigValidationError as exc:
            cls._refuse_config(exc)
            ctx.exit(EXIT_FAILED)
        return _ConfigInput(config=config, parse_env=parse_env)

    @classmethod
    def _refuse_config(cls, exc: ConfigValidationError) -> None:
        """A line per problem, each naming the setting, file or variable; no traceback."""
        for problem in exc.errors or [str(exc)]:
            cls.logger.error("%s", problem)
