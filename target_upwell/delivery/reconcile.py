"""Decide what to send for one batch, and recover from every answer without losing a row.

Upwell's bulk insert is one transaction with no upsert and no idempotency key, so one
duplicate or bad row fails every row of its request. Here:

* upsert finds which keys exist (one search), inserts the new ones (one bulk request)
  and updates only the customers whose mapped values differ. Once a stream's search
  finds none of a batch's keys, its next batches are inserted straight away: an initial
  load costs one request a batch, and the first conflict turns the searches back on;
* a row-level refusal is isolated by bisection, or directly when the error names the row;
* an ambiguous failure (timeout, drop after sending) is resolved by searching the keys
  before anything is sent again.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from target_upwell import contract
from target_upwell.delivery.batching import (
    DELETED,
    KEY_OF,
    PARENT_OF,
    Batch,
    Item,
    bodies,
    bulk_body,
    dedupe,
    halves,
)
from target_upwell.delivery.client import Json, Tally, UpwellClient
from target_upwell.errors import (
    AmbiguousError,
    ApiError,
    ConflictError,
    RejectedError,
    RetriesExhaustedError,
    TooLargeError,
)
from target_upwell.mapping.customer_input import (
    addresses_differ,
    deletion_body,
    marks_deleted,
    rule_unsettable,
    update_body,
)
from target_upwell.outcomes import Outcome, Reason, Rejection

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

Key = tuple[str, str]
logger = logging.getLogger("target-upwell")
# What ``Reconciler.learn`` may learn: search hides some customers whose key exists.
HIDES_DELETED = "search hides deleted customers"
UNSEEN_MESSAGE = (
    "Upwell holds a key its search does not show (a deleted customer, perhaps): deleted"
    " customers that search misses are updated by key from now on."
)


class RowCap:
    """The most inputs one bulk request may carry; a 413 lowers it for the rest of the run."""

    def __init__(self, rows: int) -> None:
        """Start at ``rows``."""
        self._rows = rows
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        """The current cap."""
        return self._rows

    def lower(self, rows: int) -> None:
        """Never raise it again; never below one."""
        with self._lock:
            self._rows = max(1, min(self._rows, rows))


@dataclass
class Report:
    """How one batch ended: an outcome per record, and the requests it took."""

    stream: str
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    rejections: list[Rejection] = field(default_factory=list)
    addresses_not_updated: int = 0
    rules_not_updated: int = 0
    tally: Tally = field(default_factory=Tally)
    deferred: list[Item] = field(default_factory=list)  # their parent is not in Upwell yet


@dataclass(frozen=True)
class LoadOptions:
    """The settings reconcile obeys."""

    upsert: bool
    max_retries: int
    max_bytes: int = contract.MAX_BODY_BYTES


class Reconciler:
    """Loads batches through the client; one instance serves every thread."""

    def __init__(self, client: UpwellClient, options: LoadOptions, cap: RowCap) -> None:
        """``cap`` is shared by the whole run."""
        self.client = client
        self.options = options
        self.cap = cap
        self._seen: set[Key] = set()  # append-only: keys sent earlier in this run
        self._seen_lock = threading.Lock()
        self._new_keys_only: set[str] = set()  # streams whose last search found nothing
        self._learned: set[str] = set()  # what the run learned about the API (``learn``)

    def expects_new_keys(self, stream: str) -> bool:
        """True when the stream's last search found none of its keys in Upwell."""
        return stream in self._new_keys_only

    def note_search(self, stream: str, *, found: bool) -> None:
        """What the stream's latest search (or conflict) says about its next batches."""
        if found:
            self._new_keys_only.discard(stream)
        else:
            self._new_keys_only.add(stream)

    def inserts_straight_away(self, stream: str) -> bool:
        """True when the stream's next batch should go to one bulk insert, unsearched."""
        return not self.options.upsert or self.expects_new_keys(stream)

    def load(self, batch: Batch, *, final: bool = False, report: Report | None = None) -> Report:
        """Settle every item of the batch: loaded, unchanged, or rejected with its reason.

        A customer whose parent is not in Upwell yet is deferred, unless ``final``: the
        run's last pass, where a parent still missing is a reject. The outcomes go into
        ``report`` as they happen, so a batch cut short still shows what it did.
        """
        job = _Job(self, batch, report or Report(batch.stream), final=final)
        job.load()
        return job.report

    def first_sighting(self, items: Sequence[Item]) -> tuple[list[Item], list[Item]]:
        """Append-only: split items into keys new to this run and keys already sent."""
        with self._seen_lock:
            fresh = [i for i in items if i.customer.key not in self._seen]
            self._seen.update(i.customer.key for i in fresh)
        fresh_ids = {id(i) for i in fresh}
        return fresh, [i for i in items if id(i) not in fresh_ids]

    def learn(self, topic: str, message: str) -> None:
        """Note what the run learned about the API, for its rest; the message is said once."""
        with self._seen_lock:
            if topic in self._learned:
                return
            self._learned.add(topic)
        logger.info(message)

    def note_unreturned(self, mapped: dict[str, Any], held: Json) -> None:
        """Say once which documented fields Upwell's answers lack; they go by the fingerprint."""
        for name in contract.CUSTOMER_FIELDS.intersection(mapped).difference(held):
            consequence = (
                "the fingerprint can't be read back, so every customer is updated on every run"
                if name == "metadata"
                else "a change to it is seen through the fingerprint in metadata"
            )
            self.learn(f"unreturned {name}", f"Upwell's answers don't carry {name}: {consequence}.")

    def knows(self, topic: str) -> bool:
        """True once ``learn`` has noted ``topic``."""
        return topic in self._learned

    def forget(self, key: Key) -> None:
        """Append-only: a key Upwell refused was never stored, so a later record may try it."""
        with self._seen_lock:
            self._seen.discard(key)


class _Job:
    """The work of one batch; holds its report so the recursion stays readable."""

    def __init__(
        self, reconciler: Reconciler, batch: Batch, report: Report, *, final: bool
    ) -> None:
        self.batch = batch
        self.client = reconciler.client
        self.options = reconciler.options
        self.cap = reconciler.cap
        self.reconciler = reconciler
        self.report = report
        self.final = final

    def load(self) -> None:
        """One record per key, then customers without a parent before those with one.

        A batch of new keys that fits one request goes whole: one bulk insert of its body.
        """
        batch = self.batch
        if (
            self.options.upsert
            and self.reconciler.expects_new_keys(batch.stream)
            and len(batch.keys) == batch.size <= self.cap.rows
            and batch.plain
        ):
            body = batch.body()
            if len(body) <= self.options.max_bytes:
                self.insert_whole(body)  # what upsert does with new keys, items unread
                return
        if self.options.upsert:
            kept, merged = dedupe(batch, keep="last")
            self.report.outcomes[Outcome.MERGED] += len(merged)
        else:
            kept, duplicates = dedupe(batch, keep="first")
            for item in duplicates:
                self.reject(item, Reason.ALREADY_EXISTS)
        if not any(map(PARENT_OF, kept)):
            self.write(kept)
            return
        self.write([i for i in kept if not i.customer.parent_source_id])
        self.adopt([i for i in kept if i.customer.parent_source_id])

    def write(self, items: Sequence[Item]) -> None:
        """Write distinct keys by the run's load method."""
        if self.options.upsert:
            self.upsert(items)
        else:
            self.append(items)

    # -- parents ----------------------------------------------------------------------

    def adopt(self, children: Sequence[Item]) -> None:
        """Resolve each child's parent to Upwell's id, in rounds: a child can be a parent."""
        pending = list(children)
        while pending:
            resolved, pending = self.resolve(pending)
            if not resolved:
                break
            self.write(resolved)
        for item in pending:
            if self.final:
                self.reject(item, Reason.PARENT_NOT_FOUND)
            else:
                self.report.deferred.append(item)

    def resolve(self, children: Sequence[Item]) -> tuple[list[Item], list[Item]]:
        """Children whose parent Upwell holds, with ``billToCustomerId`` set; and the rest."""
        parents = {(c.customer.source_system, str(c.customer.parent_source_id)) for c in children}
        ids = {key: row.get("id") for key, row in self.find_keys(parents).items()}
        resolved, missing = [], []
        for item in children:
            parent_id = ids.get((item.customer.source_system, str(item.customer.parent_source_id)))
            if parent_id is None:
                missing.append(item)
                continue
            item.customer.scalars["billToCustomerId"] = parent_id
            resolved.append(replace(item, payload=item.customer.insert_input()))
        return resolved, missing

    # -- the two load methods ---------------------------------------------------------

    def upsert(self, items: Sequence[Item]) -> None:
        """Existing keys are updated (only where a value differs), new ones inserted."""
        kept = list(items)
        stream = self.report.stream
        if self.reconciler.expects_new_keys(stream) and not any(map(DELETED, kept)):
            self.insert(kept)  # a key Upwell holds fails the insert: after_conflict searches
            return
        held = self.find(kept)
        if kept:  # a batch of children only has nothing to search yet
            self.reconciler.note_search(stream, found=bool(held))
        new = []
        for item in kept:
            existing = held.get(item.customer.key)
            if item.customer.deleted:
                self.delete(item, existing)
            elif existing is None and self.may_be_unseen(item):
                self.update_unseen(item)
            elif existing is None:
                new.append(item)
            else:
                self.update(item, existing, fresh=Outcome.UPDATED)
        self.insert(new)

    def append(self, items: Sequence[Item]) -> None:
        """Bulk insert only; a key already sent in this run, or held by Upwell, is rejected."""
        deletions = [i for i in items if i.customer.deleted]
        fresh, repeated = self.reconciler.first_sighting(
            [i for i in items if not i.customer.deleted]
        )
        for item in repeated:
            self.reject(item, Reason.ALREADY_EXISTS)
        if deletions:
            held = self.find(deletions)
            for item in deletions:
                self.delete(item, held.get(item.customer.key))
        self.insert(fresh)

    # -- inserts ----------------------------------------------------------------------

    def insert(self, items: Sequence[Item]) -> None:
        """Insert new customers in requests cut by the row cap and the byte limit."""
        for group, body in bodies(self.batch, items, self.cap.rows, self.options.max_bytes):
            self.insert_group(group, self.options.max_retries, body)

    def insert_group(self, group: list[Item], retries_left: int, body: bytes | None = None) -> None:
        """One bulk request, and what each kind of failure means for its rows."""
        keys = list(map(KEY_OF, group))
        failure = self.send_insert(body if body is not None else bulk_body(group), keys)
        if failure is not None:
            self.after_failed_insert(group, retries_left, failure)

    def insert_whole(self, body: bytes) -> None:
        """The whole batch in one insert; its items are read only if the insert fails."""
        failure = self.send_insert(body, self.batch.keys)
        if failure is not None:
            self.after_failed_insert(self.batch.items, self.options.max_retries, failure)

    def send_insert(self, body: bytes, keys: Collection[Key]) -> ApiError | None:
        """One bulk insert: its rows count as created, or the failure says what to do."""
        try:
            self.client.bulk_create(body, keys, self.report.tally)
        except (AmbiguousError, ConflictError, TooLargeError, RejectedError) as exc:
            return exc
        self.report.outcomes[Outcome.CREATED] += len(keys)
        return None

    def after_failed_insert(self, group: list[Item], retries_left: int, exc: ApiError) -> None:
        """What each kind of failure means for the group's rows."""
        if isinstance(exc, AmbiguousError):
            self.after_ambiguous_insert(group, retries_left, exc)
        elif isinstance(exc, ConflictError):
            self.after_conflict(group, exc)
        elif isinstance(exc, TooLargeError):
            if len(group) == 1:
                self.reject(group[0], Reason.TOO_LARGE, exc)
                return
            self.cap.lower(len(group) // 2)
            head, rest = group[: self.cap.rows], group[self.cap.rows :]
            self.insert_group(head, retries_left)
            self.insert(rest)  # cut at the cap as it stands after the head's attempts
        else:
            self.isolate(group, exc, Reason.API_REJECTED)

    def after_ambiguous_insert(self, group: list[Item], retries_left: int, exc: Exception) -> None:
        """The insert may have landed: look before sending again."""
        if retries_left == 0:
            msg = f"bulk insert still unconfirmed after {self.options.max_retries} retries"
            raise RetriesExhaustedError(msg) from exc
        self.report.tally.retries += 1
        self.client.pause(self.options.max_retries - retries_left)  # let a slow commit finish
        held = self.find(group)
        missing = [i for i in group if i.customer.key not in held]
        committed = not missing
        if missing and all(i.customer.scalars.get("deletedAt") for i in missing):
            committed = self.insert_missing(missing, retries_left - 1)
            missing = []
        for item in group:
            if item.customer.key in held:
                self.settle_found(item, held[item.customer.key], committed=committed)
        if missing:
            self.insert_group(missing, retries_left - 1)

    def insert_missing(self, missing: list[Item], retries_left: int) -> bool:
        """Insert the deleted customers an ambiguous insert's search missed; True if it had landed.

        Search may hide deleted customers, so their absence doesn't show that the insert
        failed; their existence does: if this insert finds their keys taken, that one
        committed (all or nothing), and they are its rows. This insert's own unclear answer
        is asked again, as search can't settle it either.
        """
        body, keys = bulk_body(missing), list(map(KEY_OF, missing))
        while True:
            failure = self.send_insert(body, keys)
            if failure is None:
                return False
            if isinstance(failure, ConflictError):
                for item in missing:  # ours, or held before: either way, their values by key
                    self.update_unseen(item, failure, fresh=Outcome.CREATED)
                return True
            if not isinstance(failure, AmbiguousError) or retries_left == 0:
                self.after_failed_insert(missing, retries_left, failure)
                return False
            retries_left -= 1
            self.report.tally.retries += 1
            self.client.pause(self.options.max_retries - retries_left)

    def settle_found(self, item: Item, held: Json, *, committed: bool) -> None:
        """A row found after an ambiguous insert: ours if the insert committed and it matches.

        One insert is all or nothing: with any of its keys missing, it did not commit, so a
        key found was there before it.
        """
        if committed and update_body(item.customer, held) is None:
            self.report.outcomes[Outcome.CREATED] += 1
        elif self.options.upsert:
            self.update(item, held, fresh=Outcome.UPDATED)
        else:
            self.reject(item, Reason.ALREADY_EXISTS)

    def after_conflict(self, group: list[Item], exc: ConflictError) -> None:
        """Some key exists. Upsert updates those rows (a race); append-only rejects them."""
        if not self.options.upsert:
            self.isolate(group, exc, Reason.ALREADY_EXISTS)
            return
        held = self.find(group)
        self.reconciler.note_search(self.report.stream, found=bool(held))
        if not held:
            self.isolate(group, exc, Reason.API_REJECTED)
            return
        for item in group:
            if item.customer.key in held:
                self.update(item, held[item.customer.key], fresh=Outcome.UPDATED, may_insert=False)
        self.insert([i for i in group if i.customer.key not in held])

    def isolate(self, group: list[Item], exc: ApiError, reason: Reason) -> None:
        """Find the refused rows: the one the error names, or by bisection; the rest land."""
        if len(group) == 1:
            self.refuse(group[0], reason, exc)
            return
        row = exc.problem.row
        if row is not None and row < len(group):
            self.refuse(group[row], reason, exc)
            rest = group[:row] + group[row + 1 :]
            self.insert_group(rest, self.options.max_retries)
            return
        for half in halves(group):
            self.insert_group(half, self.options.max_retries)

    def refuse(self, item: Item, reason: Reason, exc: ApiError) -> None:
        """One row the insert refused; under upsert, a key Upwell holds is updated instead.

        Its duplicate error may not read as one (see ``contract.UNIQUENESS_PATTERN``), and
        after an all-new batch the next ones are inserted without searching first.
        """
        if self.options.upsert and reason is Reason.API_REJECTED:
            held = self.find([item]).get(item.customer.key)
            if held is not None:
                self.update(item, held, fresh=Outcome.UPDATED, may_insert=False)
                return
            if isinstance(exc, ConflictError):
                self.update_unseen(item, exc)
                return
        self.reject(item, reason, exc)

    def may_be_unseen(self, item: Item) -> bool:
        """True for a deleted customer search didn't find, once search has hidden one."""
        return self.reconciler.knows(HIDES_DELETED) and bool(item.customer.scalars.get("deletedAt"))

    def update_unseen(
        self, item: Item, exc: ConflictError | None = None, *, fresh: Outcome = Outcome.UPDATED
    ) -> None:
        """Update by key a customer search may not show: every mapped field, as nothing compares.

        After an insert refused with ``exc`` (the key exists), a customer the update doesn't
        find is rejected; without it, one the update doesn't find is inserted. Done, it
        counts as ``fresh``.
        """
        if exc is not None:
            self.reconciler.learn(HIDES_DELETED, UNSEEN_MESSAGE)
        body = update_body(item.customer, {})
        if body is None:  # never for a mapped customer: its fingerprint is always sent
            self.reject(item, Reason.API_REJECTED, exc)
            return
        if not item.customer.deleted and "deletedAt" not in item.customer.scalars:
            body["input"]["deletedAt"] = None  # hidden because deleted, and back in the source
        self.put(item, body, fresh, may_insert=exc is None, refused=exc)

    # -- updates and deletions --------------------------------------------------------

    def update(self, item: Item, held: Json, *, fresh: Outcome, may_insert: bool = True) -> None:
        """PUT by source id, only when a mapped value differs from what Upwell holds."""
        if addresses_differ(item.customer, held):
            self.report.addresses_not_updated += 1
        if rule_unsettable(item.customer, held):
            self.report.rules_not_updated += 1
        self.reconciler.note_unreturned(item.customer.scalars, held)
        body = update_body(item.customer, held)
        if body is None:
            self.report.outcomes[Outcome.UNCHANGED] += 1
            return
        if marks_deleted(item.customer, held):
            fresh = Outcome.DELETED  # a mapped deletedAt: counted once, when it is set
        self.put(item, body, fresh, may_insert=may_insert)

    def delete(self, item: Item, held: Json | None) -> None:
        """Set ``deletedAt`` on a customer that exists; nothing to do for one that doesn't."""
        if held is None:
            self.report.outcomes[Outcome.SKIPPED] += 1
            return
        body = deletion_body(item.customer, held)
        if body is None:
            self.report.outcomes[Outcome.UNCHANGED] += 1
            return
        self.put(item, body, Outcome.DELETED)

    def put(
        self,
        item: Item,
        body: dict[str, Any],
        outcome: Outcome,
        *,
        may_insert: bool = True,
        refused: ApiError | None = None,
    ) -> None:
        """Send an update; after an ambiguous failure, look again before re-sending.

        A customer the update no longer finds is inserted, once (``may_insert``); or, when
        its insert was ``refused`` already, rejected with that error.
        """
        redo = deletion_body if item.customer.deleted else update_body
        for attempt in range(self.options.max_retries + 1):
            try:
                affected = self.client.update_by_source_id(body, self.report.tally)
            except AmbiguousError:
                self.report.tally.retries += 1
                self.client.pause(attempt)
                held = self.find([item]).get(item.customer.key)
                if held is None and outcome is not Outcome.DELETED:
                    continue  # search can't see it: the same values again, which is harmless
                refreshed = None if held is None else redo(item.customer, held)
                if refreshed is None:
                    self.report.outcomes[outcome] += 1
                    return
                body = refreshed
                continue
            except (RejectedError, ConflictError) as exc:
                self.reject(item, Reason.API_REJECTED, exc)
                return
            except TooLargeError as exc:
                self.reject(item, Reason.TOO_LARGE, exc)
                return
            if affected == 0 and refused is not None:
                self.reject(item, Reason.API_REJECTED, refused)
            elif affected == 0 and outcome is not Outcome.DELETED and may_insert:
                self.insert_group([item], self.options.max_retries)
            elif affected == 0:
                self.report.outcomes[Outcome.SKIPPED] += 1  # nothing holds that key any more
            else:
                self.report.outcomes[outcome] += 1
            return
        msg = f"update still unconfirmed after {self.options.max_retries} retries"
        raise RetriesExhaustedError(msg)

    # -- helpers ----------------------------------------------------------------------

    def find(self, items: Sequence[Item]) -> dict[Key, Json]:
        """What Upwell holds for these items' keys, by key (never by position)."""
        return self.find_keys({item.customer.key for item in items})

    def find_keys(self, keys: set[Key]) -> dict[Key, Json]:
        """What Upwell holds for these keys, by key."""
        by_system: dict[str, list[str]] = {}
        for system, source_id in keys:
            by_system.setdefault(system, []).append(source_id)
        held: dict[Key, Json] = {}
        for system, ids in by_system.items():
            for row in self.client.find(system, ids, self.report.tally):
                held[(row.get("sourceSystem", ""), row.get("sourceSystemId", ""))] = row
        return held

    def reject(self, item: Item, reason: Reason, exc: ApiError | None = None) -> None:
        """Settle the item as rejected, carrying the API's own words when there are some."""
        if not self.options.upsert and reason is not Reason.ALREADY_EXISTS:
            self.reconciler.forget(item.customer.key)
        self.report.rejections.append(
            Rejection(
                stream=self.report.stream,
                key=item.customer.source_id,
                position=item.position,
                reason=reason,
                api=None if exc is None else exc.problem,
                customer=item.customer,
                record=item.record,
            )
        )
