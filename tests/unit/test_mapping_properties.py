"""Properties of mapping over arbitrary records: the fast path agrees with JMESPath, and
``apply`` either fails with ``MappingError`` or returns a clean insert input."""

from __future__ import annotations

import json
from typing import Any

import jmespath
import jmespath.exceptions
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from target_upwell import contract, encoding
from target_upwell.delivery.packing import Shape
from target_upwell.mapping import customer_input
from target_upwell.mapping.automap import auto_entry
from target_upwell.mapping.field_map import (
    MappingError,
    apply,
    compile_expression,
    compile_mapping,
)

# Keys a tap might send, spaces, dots and quotes included, plus whatever text hypothesis finds.
KEYS = st.one_of(
    st.sampled_from(["a", "b c", "Company Name", "x.y", '"q"', "", "id", "_sdc_deleted_at"]),
    st.text(max_size=6),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=12,
)
RECORDS = st.dictionaries(KEYS, JSON, max_size=6)
# A top-level `_sdc_` key is refused at compile time (see the config-error tests).
TOP_KEYS = KEYS.filter(lambda key: not key.startswith("_sdc_"))


def reads_no_metadata(path: list[str]) -> bool:
    return not path[0].startswith("_sdc_")


def quoted_path(parts: list[str]) -> str:
    return ".".join(json.dumps(part) for part in parts)


TEMPLATES = [
    "to_string({a})",
    "to_number({a})",
    "not_null({a}, {b})",
    "{{first: {a}, second: {b}}}",
    "[{a}, {b}]",
    '`{{"k": [1, 2]}}`',
    "'ADDRESS_BOOK'",
    "join(', ', {a})",
    "{a}[0]",
    "{a} || {b}",
    "@",
]


@given(
    record=RECORDS,
    template=st.sampled_from(TEMPLATES),
    a=st.lists(TOP_KEYS, min_size=1, max_size=2),
    b=st.lists(TOP_KEYS, min_size=1, max_size=2),
)
def test_a_compiled_expression_agrees_with_jmespath(
    record: dict[str, Any], template: str, a: list[str], b: list[str]
) -> None:
    expression = template.format(a=quoted_path(a), b=quoted_path(b))
    getter, _ = compile_expression("metadata", expression)

    try:
        expected = jmespath.search(expression, record)
    except jmespath.exceptions.JMESPathError as error:
        with pytest.raises(type(error)):
            getter(record)
    else:
        assert getter(record) == expected


@given(record=RECORDS, path=st.lists(KEYS, min_size=1, max_size=3).filter(reads_no_metadata))
def test_the_fast_lookup_of_a_quoted_path_agrees_with_jmespath(
    record: dict[str, Any], path: list[str]
) -> None:
    expression = quoted_path(path)
    getter, fields = compile_expression("name", expression)

    assert getter(record) == jmespath.search(expression, record)
    assert fields == {path[0]}


@given(record=RECORDS, outer=TOP_KEYS, inner=KEYS, value=JSON)
def test_the_fast_lookup_finds_a_nested_value_jmespath_finds(
    record: dict[str, Any], outer: str, inner: str, value: object
) -> None:
    record = {**record, outer: {inner: value}}
    expression = quoted_path([outer, inner])
    getter, _ = compile_expression("name", expression)

    assert getter(record) == value == jmespath.search(expression, record)


RELATIONS = [*contract.PASSTHROUGH_ARRAY_RELATIONS, *contract.PASSTHROUGH_OBJECT_RELATIONS]
# Few keys, so that the expressions of one entry often share their paths.
FEW_KEYS = st.sampled_from(["a", "b"])
SHARED_PATHS = st.lists(FEW_KEYS, min_size=1, max_size=2)
SHARED_RECORDS = st.dictionaries(
    FEW_KEYS, st.one_of(SCALARS, st.dictionaries(FEW_KEYS, SCALARS, max_size=2)), max_size=2
)


@given(
    record=SHARED_RECORDS,
    chosen=st.lists(
        st.tuples(st.sampled_from(TEMPLATES), SHARED_PATHS, SHARED_PATHS),
        min_size=len(RELATIONS),
        max_size=len(RELATIONS),
    ),
)
@example(  # `b` is read in a branch that does not run, then again outside it
    record={"a": 1, "b": 2},
    chosen=[("not_null({a}, {b})", ["a"], ["b"]), *[("to_string({a})", ["b"], ["a"])] * 4],
)
def test_one_generated_function_reads_every_expression_as_jmespath_does(
    record: dict[str, Any], chosen: list[tuple[str, list[str], list[str]]]
) -> None:
    """Expressions that share paths (read once, in branches or not) agree with JMESPath."""
    expressions = {
        relation: template.format(a=quoted_path(a), b=quoted_path(b))
        for relation, (template, a, b) in zip(RELATIONS, chosen, strict=True)
    }
    field_map = compile_mapping({"sourceSystemId": "'C-1'", **expressions})
    try:
        expected = {n: jmespath.search(e, record) for n, e in expressions.items()}
    except jmespath.exceptions.JMESPathError:
        with pytest.raises(MappingError):
            apply(field_map, record, "SRC")
        return

    customer = apply(field_map, record, "SRC")

    assert customer is not None
    assert customer.relations == {n: v for n, v in expected.items() if v is not None}


SOURCE_KEYS = ["id", "name", "email", "cc", "street", "city", "country", "meta", "people", "x y"]
# Values that map cleanly, mixed into the arbitrary ones so most records get past the checks
# that fail a record and reach the properties about the insert input.
EMAILS = st.lists(st.emails(), max_size=3)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(st.integers(), st.text(min_size=1, max_size=8)),
    "email": st.one_of(EMAILS.map("; ".join), EMAILS),
    "cc": EMAILS,
    "country": st.sampled_from(["us", " GB ", "", None]),
    "meta": st.dictionaries(st.text(max_size=4), JSON, max_size=3),
    "people": st.lists(st.dictionaries(st.text(max_size=4), JSON, max_size=2), max_size=2),
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A record with any of the source keys (and `_sdc_` metadata), mostly plausible values."""
    optional = {
        key: st.one_of(PLAUSIBLE.get(key, JSON), JSON)
        for key in [*SOURCE_KEYS, "_sdc_deleted_at", "_sdc_sequence"]
    }
    record: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=optional))
    return record


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    """A mapping entry that reads arbitrary source keys into every kind of Upwell field."""
    read = st.sampled_from(SOURCE_KEYS).map(json.dumps)
    literal = st.sampled_from(["'ap@example.com'", "'a@x.example.com, b@x.example.com'", "`null`"])
    source = st.one_of(read, literal)
    scalars = [f for f in contract.SCALAR_FIELDS if f != "sourceSystemId"]
    entry: dict[str, Any] = {
        "sourceSystemId": draw(st.sampled_from(['"id"', "to_string(id)", '"x y"'])),
        **draw(st.dictionaries(st.sampled_from(scalars), source, max_size=6)),
    }
    address = st.dictionaries(st.sampled_from(contract.ADDRESS_FIELDS), source, min_size=1)
    addresses = draw(st.one_of(st.none(), source, st.lists(address, min_size=1, max_size=2)))
    if addresses is not None:
        entry["addresses"] = addresses
    if draw(st.booleans()):
        entry["contacts"] = draw(source)
    if draw(st.booleans()):
        entry["billToSourceSystemId"] = draw(source)
    if draw(st.booleans()):
        # Reads a field drawn from scalars only: lists and objects are the known bug that
        # test_a_due_option_that_is_a_list_or_an_object_fails_mapping shows.
        entry["customerRule"] = {"dueOption": '"terms"'}
    return entry


@given(entry=entries(), record=records(), terms=SCALARS)
def test_apply_fails_only_with_mapping_error_and_never_emits_null_or_sdc_fields(
    entry: dict[str, Any], record: dict[str, Any], terms: object
) -> None:
    field_map = compile_mapping(entry)
    try:
        mapped = field_map.apply({**record, "terms": terms}, "SRC")
    except MappingError:
        event("mapping failed")
        return
    event("mapped")
    assert mapped is not None
    customer, payload, needs_check = mapped

    assert payload == customer.insert_input()  # built together, by the generated function
    if customer.parent_source_id is None:  # a batch that may pack its items (delivery.packing)
        try:
            sent = encoding.loads(encoding.dumps(payload))
        except TypeError:  # an integer beyond 64 bits: such a batch can't be encoded at all
            event("not encodable")
        else:
            assert Shape(field_map.scalars, field_map.addresses).customer(sent) == customer
    if not needs_check:  # proven valid as it was built: the schema check must agree
        event("proven")
        assert customer_input.check(payload) == []

    assert isinstance(customer.source_id, str)
    assert customer.source_id
    assert None not in payload.values()
    assert not [key for key in payload if key.startswith("_sdc_")]
    for address in payload.get("addresses", {}).get("data", []):
        assert address
        assert None not in address.values()


# Mostly text, so that most records map; anything else now and then, which cleaning meets.
TEXTY = st.one_of(*[st.text(min_size=1, max_size=6)] * 4, st.none(), st.just(" "), JSON)


@st.composite
def provable_entries(draw: st.DrawFn) -> dict[str, Any]:
    """Entries the generated function may prove valid: string fields, a name, metadata built
    from the record's fields, constant address types (one not allowed), no relations.
    """
    read = st.sampled_from(SOURCE_KEYS).map(json.dumps)
    source = st.one_of(read, st.sampled_from(["'ap@example.com'", "`null`", "' '", "`7`"]))
    # The email field is left out: its own check refuses most text before this one could.
    strings = sorted(
        customer_input.STRING_FIELDS - {"sourceSystem", "sourceSystemId", "emailAddress"}
    )
    entry: dict[str, Any] = {
        "sourceSystemId": '"id"',
        "name": draw(source),
        **draw(st.dictionaries(st.sampled_from(strings), source, max_size=4)),
    }
    if draw(st.booleans()):
        entry["metadata"] = draw(st.sampled_from(["{a: id, b: meta}", "{n: name, w: @}"]))
    kind = st.sampled_from(["'BILLING'", "'SHIPPING'", "'ELSEWHERE'"])
    fields = st.sampled_from([f for f in contract.ADDRESS_FIELDS if f != "type"])
    entry["addresses"] = [
        {"type": draw(kind), **draw(st.dictionaries(fields, source, min_size=1))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    return entry


@given(
    entry=provable_entries(),
    record=st.fixed_dictionaries(dict.fromkeys(SOURCE_KEYS, TEXTY)),
)
def test_an_insert_input_the_mapping_proves_valid_passes_the_schema_check(
    entry: dict[str, Any], record: dict[str, Any]
) -> None:
    try:
        mapped = compile_mapping(entry).apply(record, "SRC")
    except MappingError:
        return
    assert mapped is not None
    _, payload, needs_check = mapped

    if not needs_check:
        event("proven valid")
        assert customer_input.check(payload) == []
    else:
        event("checked")


@given(
    properties=st.lists(
        st.text(max_size=8).filter(lambda name: not name.startswith("_sdc_")),
        unique=True,
        max_size=8,
    ),
    key=st.text(max_size=8).filter(lambda name: not name.startswith("_sdc_")),
)
def test_auto_map_always_produces_an_entry_that_compiles_and_reads_only_stream_fields(
    properties: list[str], key: str
) -> None:
    field_map = compile_mapping(auto_entry([*properties, "_sdc_extracted_at"], [key]))

    assert field_map.referenced <= {*properties, key}
