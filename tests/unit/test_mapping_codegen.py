"""The generated mapping function's source: tracebacks show its lines, linecache holds them."""

from __future__ import annotations

import gc
import linecache
import traceback

import pytest

from target_upwell.mapping.field_map import FieldMap, MappingError, compile_mapping

ENTRY = {"sourceSystemId": "id", "name": "name", "emailAddress": "email"}


def filename(field_map: FieldMap) -> str:
    return field_map.apply.__code__.co_filename


def test_a_traceback_through_the_mapping_function_shows_its_line() -> None:
    field_map = compile_mapping(ENTRY, "customers")

    with pytest.raises(MappingError) as raised:
        field_map.apply({"name": "Acme"}, "ERP")  # no id: the function itself raises

    shown = "".join(traceback.format_exception(raised.value))
    failing = "raise _MappingError('sourceSystemId', 'is required')"
    assert failing in field_map.source
    assert f'File "{filename(field_map)}"' in shown
    assert failing in shown


def test_a_refused_value_is_named_by_a_line_of_the_function() -> None:
    field_map = compile_mapping({**ENTRY, "customerRule": {"dueOption": "terms"}})

    with pytest.raises(MappingError, match=r"customerRule\.dueOption") as raised:
        field_map.apply({"id": 1, "terms": "whenever"}, "ERP")

    shown = "".join(traceback.format_exception(raised.value))
    assert f'File "{filename(field_map)}"' in shown
    assert "raise _failure(_at, exc) from None" in shown


def test_the_source_is_registered_with_linecache_line_by_line() -> None:
    field_map = compile_mapping(ENTRY, "customers")
    linecache.checkcache()  # a pseudo file with no modification time is kept

    lines = field_map.source.splitlines()
    assert lines[0] == "def map_record(r, _source_system):"
    registered = [linecache.getline(filename(field_map), n) for n in range(1, len(lines) + 1)]
    assert [line.removesuffix("\n") for line in registered] == lines


def test_each_compiled_source_has_its_own_file_name_naming_the_stream() -> None:
    first = compile_mapping(ENTRY, "customers")
    second = compile_mapping(ENTRY, "customers")

    assert first.source == second.source
    assert filename(first) != filename(second)
    assert filename(first).startswith("<target-upwell mapping: customers #")
    assert filename(compile_mapping(ENTRY)).startswith("<target-upwell mapping #")


def test_the_registered_source_goes_with_its_function() -> None:
    field_map = compile_mapping(ENTRY)
    name = filename(field_map)
    assert linecache.getline(name, 1)

    del field_map
    gc.collect()  # the function and its namespace refer to each other

    assert name not in linecache.cache
