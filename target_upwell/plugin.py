"""What target-upwell's plugin does differently from the SDK's Target, in one place.

The fast path reads and dispatches records itself (``FastReader``, ``accept``); STATE leaves
only through the checkpoints; sinks are handed their collaborators (``add_sink``); settings
are checked before anything is read; and every expected failure ends as one line and an exit
code. ``target.py`` only declares the plugin.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from typing import IO, TYPE_CHECKING, Any, NoReturn

from singer_sdk import Target
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty
from singer_sdk.plugin_base import _ConfigInput

from target_upwell import config_sources, settings
from target_upwell.errors import UpwellError
from target_upwell.mapping.routing import CONFIG_TEST_STREAM
from target_upwell.reader import BadInputError, FastReader
from target_upwell.run import EXIT_FAILED, EXIT_TOO_MANY_REJECTED, Run, RunStoppedError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

    import click
    from singer_sdk.sinks import Sink

    from target_upwell.sinks import CustomersSink

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override


class FastTarget(Target):
    """The SDK's Target with the fast message path and one clear line for every mistake."""

    default_sink_class: type[CustomersSink]
    message_reader_class = FastReader
    _run: Run | None = None

    def __init__(self, **kwargs: Any) -> None:  # noqa: ANN401 (the SDK's keyword arguments)
        """The SDK's target, whose reader hands each RECORD on with its line."""
        super().__init__(**kwargs)
        if isinstance(self.message_reader, FastReader):
            self.message_reader.on_record_line = self._take_record

    def _current_run(self) -> Run:
        """The run's shared state, built on first use from the validated config."""
        if self._run is None:
            self._run = Run(settings.from_config(dict(self.config)), self.logger)
            self.max_parallelism = 1  # process_batch only queues; the window overlaps requests
        return self._run

    # Final in the SDK's types; overridden as the one place a sink can be handed its parts.
    @override  # type: ignore[misc]
    def add_sink(
        self, stream_name: str, schema: dict[str, Any], key_properties: Sequence[str] | None = None
    ) -> Sink:
        """Make the stream's sink, handing it its mapping and the run's collaborators."""
        run = self._current_run()
        properties = list(schema.get("properties", {}))
        keys = list(key_properties or [])
        field_map = run.settings.routes.for_stream(stream_name, properties, keys)
        run.announce(stream_name, field_map, properties)
        sink = self.default_sink_class(
            target=self,
            stream_name=stream_name,
            schema=schema,
            key_properties=key_properties,
            parts=run.sink_parts(field_map),
        )
        if stream_name == CONFIG_TEST_STREAM:
            run.check_key()
        sink.setup()
        self._sinks_active[stream_name] = sink
        return sink

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
        with self._current_run().guard():
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
        self._take_record(message_dict, None)

    def _take_record(self, message_dict: dict[str, Any], line: bytes | str | None) -> None:
        """One RECORD; ``line``, the line it came in, is kept for the dead letters if given."""
        run = self._run or self._current_run()
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
            if sink.accept(record, position, line):
                self._hand_on(sink)
        # Every 10 s a progress line, and the SDK's five-minute drain (read inline: a call
        # a record costs more than the clock).
        if time.monotonic() >= run.summary.next_progress and run.tick():
            try:
                self._handle_max_record_age()
            except UpwellError as exc:
                run.fail(exc)

    def _hand_on(self, sink: CustomersSink) -> None:
        """A full batch goes to the window; an earlier batch's failure surfaces here."""
        try:
            self.drain_one(sink)
        except UpwellError as exc:
            self._current_run().fail(exc)

    @override
    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        self._assert_line_requires(message_dict, requires={"value"})
        self._current_run().add_state(message_dict["value"])

    @override
    def _write_state_message(self, state: dict[str, Any]) -> None:
        """STATE leaves only through the checkpoints, once its records are settled."""
        self._current_run().checkpoints.release()

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
        with self._current_run().guard():
            super().process_endofpipe()
        self._current_run().finish()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        self._current_run().stop(signum)
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
