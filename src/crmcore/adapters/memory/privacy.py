"""Retention and personal data over the memory database (leads, activities, deals)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from crmcore.adapters.memory.database import Transaction
from crmcore.domain.activity import Activity
from crmcore.domain.ids import ContactId
from crmcore.domain.lead import Lead
from crmcore.domain.pipeline import Deal
from crmcore.domain.privacy import ERASED_NAME, ERASED_TEXT, mentions
from crmcore.domain.retention import RetentionCutoffs
from crmcore.ports.privacy import PURGED_TABLES, AuditEntry, PersonTrace


def _lead_inactive(lead: Lead, cutoff: Any) -> bool:
    last = lead.engagement.last_engaged_at
    return bool(lead.updated_at < cutoff and (last is None or last < cutoff))


def _activity_expired(activity: Activity, cutoff: Any) -> bool:
    return activity.created_at < cutoff and not activity.is_open_task


class MemoryRetention:
    """Purges leads and activities (the memory store keeps no campaign or health rows)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def purge(self, cutoffs: RetentionCutoffs, *, dry_run: bool) -> Mapping[str, int]:
        doomed = {
            "leads": [
                r.id
                for r in self._tx.rows("leads")
                if _lead_inactive(r, cutoffs.leads_inactive_before)
            ],
            "activities": [
                r.id
                for r in self._tx.rows("activities")
                if _activity_expired(r, cutoffs.activities_before)
            ],
        }
        if not dry_run:
            for table, keys in doomed.items():
                for key in keys:
                    self._tx.delete(table, key)
        return {table: len(doomed.get(table, ())) for table in PURGED_TABLES}


def _deal_record(deal: Deal) -> dict[str, Any]:
    return {
        "id": str(deal.id),
        "title": deal.title,
        "amount": str(deal.amount.amount),
        "currency": deal.amount.currency,
        "stage": deal.stage.value,
        "created_at": deal.created_at.isoformat(),
    }


class MemoryPersonalData:
    """Deals of the contacts, and the audit log."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def records_of(self, contact_ids: Sequence[ContactId]) -> Mapping[str, Sequence[Any]]:
        wanted = set(contact_ids)
        deals = sorted(
            (d for d in self._tx.rows("deals") if d.contact_id in wanted), key=lambda d: d.id
        )
        return {
            "deals": [_deal_record(d) for d in deals],
            "transactions": [],
            "health_scores": [],
            "campaign_deliveries": [],
            "pipeline_facts": [],
            "loyalty_facts": [],
            "loyalty_cards": [
                {"id": str(c.id), "name": c.name, "contact": c.contact, "level": c.level}
                for c in self._tx.rows("loyalty_cards")
                if c.id in wanted
            ],
            "loyalty_moves": [],
            "clv_predictions": [],
            "review_items": [],
        }

    def audit(self, entry: AuditEntry) -> None:
        self._tx.audit.append(entry)

    def subject_secret(self) -> bytes:
        return self._tx.db.secret

    def _evolve(self, table: str, wanted: Callable[[Any], bool], **changes: Any) -> int:
        changed = 0
        for row in list(self._tx.rows(table)):
            if wanted(row):
                fields = {k: v for k, v in changes.items() if hasattr(row, k)}
                new = attrs.evolve(row, **fields)
                if new != row:
                    self._tx.save(table, new)
                    changed += 1
        return changed

    def erase_traces(self, trace: PersonTrace) -> Mapping[str, int]:
        """The person's loyalty card, deals (and their activities), purchases and health
        scores; the memory pipeline keeps no payloads beyond a process's life."""
        ids = set(trace.contact_ids)
        deals = {
            d.id
            for d in self._tx.rows("deals")
            if d.contact_id in ids or d.id in set(trace.record_ids)
        }
        return {
            "loyalty_cards": self._evolve(
                "loyalty_cards", lambda c: c.id in ids, name=ERASED_NAME.first, contact=""
            ),
            "deals": self._evolve(
                "deals", lambda d: d.id in deals, title=ERASED_TEXT, lost_reason=None
            ),
            "activities": self._evolve(
                "activities", lambda a: a.deal_id in deals, subject=ERASED_TEXT, description=""
            ),
            "transactions": self._evolve("transactions", lambda p: p.customer in ids, product=None),
            "idempotent_responses": self._forget_responses(trace),
            "contact_merges": self._drop_merges(ids),
            "relationships": self._evolve(
                "relationships",
                lambda r: r.contact_id in ids or r.other_contact_id in ids,
                note="",
            ),
        }

    def _forget_responses(self, trace: PersonTrace) -> int:
        """Stored first responses of POSTs (replayed to retries) that name the person."""
        needles = [
            *(n for n in trace.identifiers if n),
            *(str(r) for r in trace.record_ids),
            *(str(c) for c in trace.contact_ids),
        ]
        doomed = [r.id for r in self._tx.rows("idempotent_responses") if mentions(r.body, needles)]
        for key in doomed:
            self._tx.delete("idempotent_responses", key)
        return len(doomed)

    def _drop_merges(self, ids: set[Any]) -> int:
        """Merge records (before-images) of the person are deleted."""
        gone = [
            row.id
            for row in self._tx.rows("contact_merges")
            if row.value.keep_id in ids or row.value.other_id in ids
        ]
        for key in gone:
            self._tx.delete("contact_merges", key)
        return len(gone)
