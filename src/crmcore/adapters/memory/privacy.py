"""Retention and personal data over the memory database (leads, activities, deals)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crmcore.adapters.memory.database import Transaction
from crmcore.domain.activity import Activity
from crmcore.domain.ids import ContactId
from crmcore.domain.lead import Lead
from crmcore.domain.pipeline import Deal
from crmcore.domain.retention import RetentionCutoffs
from crmcore.ports.privacy import PURGED_TABLES, AuditEntry


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
        }

    def audit(self, entry: AuditEntry) -> None:
        self._tx.audit.append(entry)
