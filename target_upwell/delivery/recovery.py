"""Recover from every answer without losing a row.

Upwell's bulk insert is one transaction with no upsert and no idempotency key, so one
duplicate or bad row fails every row of its request. Here:

* a row-level refusal is isolated by bisection, or directly when the error names the row;
* an ambiguous failure (timeout, drop after sending) is resolved by searching the keys
  before anything is sent again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_upwell.delivery.batch_work import BatchWork
from target_upwell.delivery.batching import KEY_OF, bodies, bulk_body, halves
from target_upwell.delivery.load_state import HIDES_DELETED, UNSEEN_MESSAGE
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
from target_upwell.outcomes import Outcome, Reason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from target_upwell.delivery.batching import Item
    from target_upwell.delivery.client import Json


class Recovery(BatchWork):
    """Inserts, updates and deletions of one batch, and what each failure means for its rows."""

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
