"""The SDK's standard target tests, chosen explicitly and run against the sandbox.

Every standard stream is mapped to valid customers by one ``"*"`` entry, so each test
really loads into the sandbox; the tests that say what should land check it afterwards.
Left out, as the SDK's default suite leaves them out:

- ``TargetMultipleStateMessages``: the SDK fails it by design; STATE ordering has its own
  tests in tests/unit/test_checkpoint_release.py and tests/integration/test_command.py.
- ``TargetRecordMissingRequiredProperty``: with validation on, that record is dead-lettered
  and the run exits 3; tests/integration/test_rejects.py covers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from singer_sdk.testing import TargetTestRunner, get_target_test_class
from singer_sdk.testing import target_tests as standard
from singer_sdk.testing.suites import SingerTestSuite

from target_upwell.target import TargetUpwell

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import SandboxHandle

# Every standard stream has some id; the whole record (as text) is the key of last resort.
STANDARD_MAPPING = {
    "*": {
        "sourceSystemId": "to_string(not_null(id, Id, _id, object_store.id, @))",
        "name": "'Standard test customer'",
        "metadata": "@",
    }
}


class ClosingRunner(TargetTestRunner):
    """The SDK's runner leaves the input file it opened for GC to close; this closes it."""

    def sync_all(self, *, finalize: bool = True, **kwargs: Any) -> None:
        try:
            super().sync_all(finalize=finalize, **kwargs)
        finally:
            if self.input_filepath and self._input is not None:
                self._input.close()


def _stored(sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    return {c["sourceSystemId"]: c for c in sandbox.customers()}


class ArrayDataStored(standard.TargetArrayData):
    def validate(self) -> None:
        stored = _stored(self.resource)
        assert sorted(stored) == ["1", "2", "3", "4"]
        assert stored["1"]["metadata"]["fruits"] == ["apple", "orange", "pear"]


class DuplicateRecordsStored(standard.TargetDuplicateRecords):
    def validate(self) -> None:
        stored = _stored(self.resource)
        assert sorted(stored) == ["1", "2"]
        assert stored["1"]["metadata"]["metric"] == 100  # the last record for the key wins


class EncodedStringDataStored(standard.TargetEncodedStringData):
    def validate(self) -> None:
        stored = _stored(self.resource)
        assert sorted(stored, key=int) == [str(i) for i in range(1, 12)]
        # Three streams share ids 1-6 under one sourceSystem: the last stream's record wins.
        assert stored["1"]["metadata"]["strings"] == [
            "simple string",
            "απλή συμβολοσειρά",
            "简单的字串",
        ]
        assert stored["8"]["metadata"]["info"] == {"name": "unicode", "value": "\u0101"}


class OptionalAttributesStored(standard.TargetOptionalAttributes):
    def validate(self) -> None:
        stored = _stored(self.resource)
        assert sorted(stored) == ["1", "2", "3", "4"]
        assert "optional" not in stored["2"]["metadata"]
        assert stored["3"]["metadata"]["optional"] == "Also optional"


SUITE = SingerTestSuite(
    kind="target",
    tests=[
        ArrayDataStored,
        standard.TargetCamelcaseComplexSchema,
        standard.TargetCamelcaseTest,
        standard.TargetCliPrintsTest,
        DuplicateRecordsStored,
        EncodedStringDataStored,
        standard.TargetInvalidSchemaTest,
        standard.TargetNoPrimaryKeys,
        OptionalAttributesStored,
        standard.TargetPrimaryKeyUpdates,
        standard.TargetRecordBeforeSchemaTest,
        standard.TargetRecordMissingKeyProperty,
        standard.TargetRecordMissingOptionalFields,
        standard.TargetSchemaNoProperties,
        standard.TargetSchemaUpdates,
        standard.TargetSpecialCharsInAttributes,
    ],
)

_StandardTests = get_target_test_class(
    TargetUpwell, config={}, custom_suites=[SUITE], include_target_tests=False
)


class TestTargetUpwell(_StandardTests):  # type: ignore[misc,valid-type]
    """The standard suite, each test against a reset sandbox."""

    @pytest.fixture
    def resource(self, sandbox: SandboxHandle) -> SandboxHandle:
        return sandbox

    extra_config: dict[str, Any] = {}  # noqa: RUF012 (read-only, per class)

    @pytest.fixture
    def runner(self, sandbox: SandboxHandle, tmp_path: Path) -> TargetTestRunner:
        config = {
            "api_key": sandbox.api_key,
            "api_url": sandbox.url,
            "source_system": "SDK-TESTS",
            "mapping": STANDARD_MAPPING,
            "dead_letter_file": str(tmp_path / "rejected.jsonl"),
            **self.extra_config,
        }
        return ClosingRunner(TargetUpwell, config=config)


class TestTargetUpwellOnTheSdkPath(TestTargetUpwell):
    """The same suite through the SDK's own per-record path, which stream maps select."""

    # A map for a stream no test sends: it changes nothing but selects the SDK path.
    extra_config = {"stream_maps": {"no_such_stream": {"__filter__": "True"}}}  # noqa: RUF012
