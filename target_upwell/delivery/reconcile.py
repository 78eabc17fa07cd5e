"""Decide what to send for one batch, by the run's load method.

Upsert finds which keys exist (one search), inserts the new ones (one bulk request) and
updates only the customers whose mapped values differ. Once a stream's search finds none
of a batch's keys, its next batches are inserted straight away: an initial load costs one
request a batch, and the first conflict turns the searches back on. What each answer means
for the rows sent, and how a failure is recovered, is ``recovery``'s job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from target_upwell.delivery.batching import DELETED, PARENT_OF, dedupe
from target_upwell.delivery.load_state import LoadState, Report
from target_upwell.delivery.recovery import Recovery
from target_upwell.outcomes import Outcome, Reason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from target_upwell.delivery.batching import Batch, Item


class Reconciler(LoadState):
    """Loads batches through the client; one instance serves every thread."""

    def load(self, batch: Batch, *, final: bool = False, report: Report | None = None) -> Report:
        """Settle every item of the batch: loaded, unchanged, or rejected with its reason.

        A customer whose parent is not in Upwell yet is deferred, unless ``final``: the
        run's last pass, where a parent still missing is a reject. The outcomes go into
        ``report`` as they happen, so a batch cut short still shows what it did.
        """
        job = _Plan(self, batch, report or Report(batch.stream), final=final)
        job.load()
        return job.report


class _Plan(Recovery):
    """What one batch sends: one record per key, parents first, by the run's load method."""

    def __init__(self, reconciler: LoadState, batch: Batch, report: Report, *, final: bool) -> None:
        super().__init__(reconciler, batch, report)
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

    def insert_whole(self, body: bytes) -> None:
        """The whole batch in one insert; its items are read only if the insert fails."""
        failure = self.send_insert(body, self.batch.keys)
        if failure is not None:
            self.after_failed_insert(self.batch.items, self.options.max_retries, failure)

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
