"""Write one probe customer, try on it each write the target makes, and leave it marked deleted.

The probe is ``(TARGET_UPWELL_CHECK, target-upwell-check-probe)``. Upwell has no delete
endpoint, so it stays in the account, marked deleted. A later check reuses it: its insert
conflicts, and a PUT by source key finds it even where search hides deleted customers, so
however often the check is repeated, the account holds one probe. The steps, in this order:

1. a PUT by source key of the probe's own name: ``affectedRows`` says whether it exists;
2. a bulk insert of the probe and the probe again with country ``XX``: refused whole, the
   error naming ``objects[1]``; on a first check nothing may be stored (all-or-nothing);
3. the probe inserted with three address types and a rule, each as ``{"data": ...}``; on a
   refusal, again with ``ADDRESS_BOOK`` only. An existing probe conflicts instead, which
   shows the input passed validation: Hasura validates an input before it writes;
4. the same key inserted again: the duplicate's status;
5. a PUT by source key of a new name and new payment terms;
6. the PUT that marks it deleted, made even when a step before failed;
7. a search for it: are customers marked deleted shown?
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from target_upwell import encoding
from target_upwell.commands.check_findings import unclear
from target_upwell.errors import AmbiguousError, ConflictError, RejectedError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from target_upwell.commands.check_findings import Findings
    from target_upwell.delivery.client import Json, Tally, UpwellClient

PROBE_SYSTEM = "TARGET_UPWELL_CHECK"
PROBE_ID = "target-upwell-check-probe"
PROBE_KEY = (PROBE_SYSTEM, PROBE_ID)
PROBE_NAME = "target-upwell check probe"
UPDATED_NAME = "target-upwell check probe (updated)"
ALL_TYPES = ("ADDRESS_BOOK", "BILLING", "SHIPPING")
BOOK_ONLY = ("ADDRESS_BOOK",)
FIRST_TERMS = 30
NEW_TERMS = 45
BAD_COUNTRY = "XX"  # not an assigned ISO 3166 code: a row-level error, never stored
CONFLICT_STATUS = 409


def notice() -> list[str]:
    """What ``--write-probe`` writes, said before it writes anything."""
    return [
        "--write-probe: this check writes ONE probe customer, reused by every later run:",
        f"  sourceSystem {PROBE_SYSTEM}, sourceSystemId {PROBE_ID}, name '{PROBE_NAME}',",
        f"  3 addresses (ADDRESS_BOOK, BILLING, SHIPPING), payment terms of {FIRST_TERMS} days;",
        f"  then renamed '{UPDATED_NAME}', with terms of {NEW_TERMS} days.",
        f"  Inserts Upwell must refuse are sent too: the same key again, a country {BAD_COUNTRY}.",
        "  Upwell has no endpoint to delete a customer: the probe stays, marked deleted.",
        "",
    ]


def probe_input(types: Sequence[str], country: str = "US") -> Json:
    """The probe as a CustomersInsertInput: relationships wrapped as Hasura nests them."""
    return {
        "name": PROBE_NAME,
        "sourceSystem": PROBE_SYSTEM,
        "sourceSystemId": PROBE_ID,
        "metadata": {"purpose": "target-upwell-check probe; safe to ignore"},
        "addresses": {
            "data": [
                {
                    "type": kind,
                    "streetLine1": "1 Probe Street",
                    "city": "Springfield",
                    "country": country,
                }
                for kind in types
            ]
        },
        "customerRule": {"data": {"dueOption": FIRST_TERMS}},
    }


def try_writes(client: UpwellClient, tally: Tally, findings: Findings) -> Json | None:
    """Every step; returns the probe as search answered it after the insert, if it did."""
    existed = _update(client, tally, {"name": PROBE_NAME}, FIRST_TERMS) > 0
    read_back = None
    try:
        _row_error(client, tally, findings, existed=existed)
        read_back = _create(client, tally, findings)
        _duplicate(client, tally, findings)
        _rename(client, tally, findings)
    finally:  # whatever failed, the probe must not stay live
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        deleted = _update(client, tally, {"deletedAt": now}, None)
    _deleted_in_search(client, tally, findings, deleted=deleted)
    return read_back


def _insert(client: UpwellClient, tally: Tally, inputs: Sequence[Json]) -> None:
    body = encoding.dumps({"inputs": list(inputs)})
    client.bulk_create(body, [PROBE_KEY] * len(inputs), tally)


def _update(client: UpwellClient, tally: Tally, columns: Json, terms: int | None) -> int:
    """A PUT by source key on the probe; how many customers it touched."""
    body: Json = {"sourceSystem": PROBE_SYSTEM, "sourceSystemId": PROBE_ID, "input": columns}
    if terms is not None:
        body["customerRulesInput"] = {"dueOption": terms}
    return client.update_by_source_id(body, tally)


def _find(client: UpwellClient, tally: Tally) -> Json | None:
    found = client.find(PROBE_SYSTEM, [PROBE_ID], tally)
    return found[0] if found else None


def _row_error(client: UpwellClient, tally: Tally, findings: Findings, *, existed: bool) -> None:
    """Two inputs, the second bad: is the whole request refused, and is objects[1] named?"""
    name = "row_error_path"
    try:
        _insert(client, tally, [probe_input(BOOK_ONLY), probe_input(BOOK_ONLY, BAD_COUNTRY)])
    except RejectedError as exc:
        problem = exc.problem
    except ConflictError:
        findings.note(name, "not checked", "the duplicate key was reported before the bad row")
        return
    except AmbiguousError as exc:
        findings.note(name, *unclear("a bulk insert with one bad row", exc))
        return
    else:
        findings.note(name, "not checked", f"country {BAD_COUNTRY} was accepted: no row error")
        return
    if not existed and _update(client, tally, {"name": PROBE_NAME}, FIRST_TERMS):
        seen = "one input refused, the other stored: a bulk insert is not all-or-nothing"
        findings.note(name, "breaks", seen)
        return
    stored = "nothing stored" if not existed else "all-or-nothing not re-checked (probe exists)"
    if problem.row == 1:
        findings.note(name, "confirmed", f"the error named objects[1]; {stored}")
    elif problem.row is None:
        seen = f"the error names no row (path '{problem.path}'): the target bisects; {stored}"
        findings.note(name, "differs, handled", seen)
    else:
        seen = f"the error named objects[{problem.row}], not the bad input, objects[1]"
        findings.note(name, "breaks", seen)


def _create(client: UpwellClient, tally: Tally, findings: Findings) -> Json | None:
    """Insert the probe, or meet it from an earlier check; returns it as read back if new."""
    refused: RejectedError | None = None
    for types in (ALL_TYPES, BOOK_ONLY):
        try:
            _insert(client, tally, [probe_input(types)])
        except ConflictError:
            created = False
        except RejectedError as exc:
            refused = exc
            continue
        except AmbiguousError as exc:
            findings.note("probe_insert", *unclear("the probe's insert", exc))
            return None
        else:
            created = True
        _note_types(findings, types)
        if created:
            return _check_created(client, tally, findings, types)
        seen = (
            "the probe exists from an earlier run: the insert got past validation to the"
            " duplicate key, so its {'data': ...} relationships were accepted"
        )
        findings.note("probe_insert", "confirmed", seen)
        return None
    why = refused.problem.describe() if refused else "refused"
    seen = f"an insert with {{'data': ...}} relationships was refused ({why})"
    findings.note("probe_insert", "breaks", seen)
    findings.note("address_types", "not checked", "the probe could not be inserted")
    return None


def _note_types(findings: Findings, types: Sequence[str]) -> None:
    if types == ALL_TYPES:
        findings.note("address_types", "confirmed", "ADDRESS_BOOK, BILLING and SHIPPING accepted")
    else:
        seen = "only ADDRESS_BOOK accepted: presets and auto-map send no other type"
        findings.note("address_types", "differs, handled", seen)


def _check_created(
    client: UpwellClient, tally: Tally, findings: Findings, types: Sequence[str]
) -> Json | None:
    """Read the new probe back: were its addresses and rule stored from the nested input?"""
    probe = _find(client, tally)
    if probe is None:
        findings.note("probe_insert", "confirmed", "inserted (search did not return it)")
        return None
    addresses = probe.get("addresses") or []
    stored_types = sorted(str(a.get("type")) for a in addresses if isinstance(a, dict))
    rule = probe.get("customerRule") or {}
    if stored_types == sorted(types) and rule.get("dueOption") == FIRST_TERMS:
        seen = f"inserted with addresses of type {', '.join(types)} and a rule, all read back"
        findings.note("probe_insert", "confirmed", seen)
    else:
        seen = "accepted, but its addresses or rule did not come back as sent"
        findings.note("probe_insert", "breaks", seen)
    return probe


def _duplicate(client: UpwellClient, tally: Tally, findings: Findings) -> None:
    """The same key again: a uniqueness error (400) or 409 both mean "update it instead"."""
    name = "duplicate_key"
    try:
        _insert(client, tally, [probe_input(BOOK_ONLY)])
    except ConflictError as exc:
        status = exc.problem.status
        if status == CONFLICT_STATUS:
            findings.note(name, "differs, handled", "409: updated instead, as for a 400")
        else:
            findings.note(name, "confirmed", f"HTTP {status}, a uniqueness violation")
    except RejectedError as exc:
        seen = f"refused as a plain error ({exc.problem.describe()}), not as a duplicate key"
        findings.note(name, "breaks", seen)
    except AmbiguousError as exc:
        findings.note(name, *unclear("a duplicate insert", exc))
    else:
        findings.note(name, "breaks", "a second customer with the same key was accepted")


def _rename(client: UpwellClient, tally: Tally, findings: Findings) -> None:
    """A PUT by source key of a scalar and the rule, as the target updates a customer."""
    name = "probe_update"
    try:
        affected = _update(client, tally, {"name": UPDATED_NAME}, NEW_TERMS)
    except RejectedError as exc:
        findings.note(name, "breaks", f"refused ({exc.problem.describe()})")
        return
    if affected != 1:
        findings.note(name, "breaks", f"the probe's key answered affectedRows {affected}, not 1")
        return
    probe = _find(client, tally)
    if probe is None:
        seen = "affectedRows 1 (not read back: search hides the probe, deleted by a past run)"
        findings.note(name, "confirmed", seen)
    elif (
        probe.get("name") == UPDATED_NAME
        and (probe.get("customerRule") or {}).get("dueOption") == NEW_TERMS
    ):
        findings.note(name, "confirmed", "name and payment terms changed by source key")
    else:
        findings.note(name, "breaks", "affectedRows 1, but the name or terms did not change")


def _deleted_in_search(
    client: UpwellClient, tally: Tally, findings: Findings, *, deleted: int
) -> None:
    name = "deleted_in_search"
    if deleted != 1:
        seen = f"the PUT of deletedAt touched {deleted} customers, not the 1 probe"
        findings.note("probe_update", "breaks", seen)
        findings.note(name, "not checked", "the probe could not be marked deleted")
        return
    if _find(client, tally) is not None:
        findings.note(name, "confirmed", "the probe, marked deleted, is still found by search")
    else:
        seen = "search hides the probe marked deleted: the target updates such keys by key"
        findings.note(name, "differs, handled", seen)
