"""Change detection against the documented answer, which lacks some fields we write.

Upwell's Customer answer has no collectorId, deletedAt or *LastUpdatedAt. The fingerprint
the mapping keeps in ``metadata`` is what shows a change to them, or to anything else.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from target_upwell import contract
from target_upwell.mapping.customer_input import (
    Customer,
    deletion_body,
    marks_deleted,
    stamp,
    update_body,
)

TEXT = st.one_of(st.none(), st.text(min_size=1, max_size=8))
WHEN = st.one_of(st.none(), st.sampled_from(["2024-01-01T00:00:00+00:00", "2025-06-30T12:00:00Z"]))
FIELDS = {
    "emailAddress": TEXT,
    "collectorId": TEXT,
    "deletedAt": WHEN,
    "addressesLastUpdatedAt": WHEN,
    "contactsLastUpdatedAt": WHEN,
    "metadata": st.one_of(st.none(), st.dictionaries(st.sampled_from("ab"), st.integers(0, 3))),
}


def mapped(scalars: dict[str, Any]) -> Customer:
    """A customer as the mapping makes it: stamped."""
    customer = Customer("ERP", "1", {"name": "Acme", **scalars})
    stamp(customer, customer.insert_input())
    return customer


def answered(customer: Customer) -> dict[str, Any]:
    """What Upwell's documented answer shows once ``customer`` is stored."""
    stored = customer.insert_input()
    shown = {name: stored.get(name) for name in contract.CUSTOMER_FIELDS}
    return {**shown, "addresses": [], "customerRule": None}


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    return {name: draw(values) for name, values in FIELDS.items() if draw(st.booleans())}


@given(customers())
def test_a_customer_upwell_holds_as_mapped_needs_no_update(scalars: dict[str, Any]) -> None:
    customer = mapped(scalars)

    assert update_body(customer, answered(customer)) is None


@given(customers(), st.sampled_from(sorted(FIELDS)), st.data())
def test_a_change_to_any_field_is_sent_even_one_upwell_never_returns(
    scalars: dict[str, Any], name: str, data: st.DataObject
) -> None:
    before = mapped(scalars)
    value = data.draw(FIELDS[name].filter(lambda v: v != scalars.get(name)))
    after = mapped({**scalars, name: value})

    body = update_body(after, answered(before))

    assert body is not None
    assert body["input"][name] == after.scalars[name]
    assert body["input"]["metadata"] == after.scalars["metadata"]
    assert update_body(after, answered(after)) is None


def test_a_customer_held_without_a_fingerprint_gets_every_field_once() -> None:
    customer = mapped({"collectorId": "c-1", "deletedAt": None})
    held = {**answered(customer), "metadata": None}

    body = update_body(customer, held)

    assert body is not None
    assert body["input"] == {
        "collectorId": "c-1",
        "deletedAt": None,
        "metadata": customer.scalars["metadata"],
    }


def test_a_mapped_deletion_counts_once_and_a_reactivation_clears_it() -> None:
    live = mapped({"deletedAt": None})
    deleted = mapped({"deletedAt": "2024-01-01T00:00:00+00:00"})

    assert marks_deleted(deleted, answered(live))
    assert not marks_deleted(deleted, answered(deleted))
    body = update_body(live, answered(deleted))
    assert body is not None
    assert body["input"]["deletedAt"] is None


def test_a_taps_deletion_is_sent_once_and_the_customers_return_undeletes_it() -> None:
    live = mapped({"metadata": {"a": 1}})
    gone = Customer("ERP", "1", {"deletedAt": "2024-01-01T00:00:00+00:00"}, deleted=True)

    body = deletion_body(gone, answered(live))

    assert body is not None
    assert body["input"]["deletedAt"] == "2024-01-01T00:00:00+00:00"
    assert body["input"]["metadata"]["a"] == 1  # the user's metadata is kept
    held = {**answered(live), "metadata": body["input"]["metadata"]}
    assert deletion_body(gone, held) is None
    back = update_body(live, held)
    assert back is not None
    assert back["input"]["deletedAt"] is None
