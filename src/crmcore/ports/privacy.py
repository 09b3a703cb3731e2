"""Retention purges and personal-data requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from crmcore.domain.ids import ContactId
from crmcore.domain.retention import RetentionCutoffs

#: Tables a purge reports on, in this order.
PURGED_TABLES: tuple[str, ...] = ("leads", "activities", "campaign_deliveries", "health_scores")


class Retention(Protocol):
    """Deletes what the retention policy no longer allows to keep."""

    def purge(self, cutoffs: RetentionCutoffs, *, dry_run: bool) -> Mapping[str, int]:
        """Rows per table past their cut-off: deleted, or only counted when ``dry_run``."""
        ...


@attrs.frozen(kw_only=True)
class AuditEntry:
    """Who did what to whose personal data (the subject is a hash, never the address)."""

    id: Any
    at: datetime
    actor: str | None
    action: str
    subject: str
    detail: Mapping[str, Any]


@attrs.frozen(kw_only=True)
class PersonTrace:
    """What identifies one person in stored rows: their records' ids, and the values
    (e-mail, user id, phone) that stored payloads name them by."""

    contact_ids: Sequence[ContactId]
    record_ids: Sequence[Any]
    identifiers: Sequence[str]


class PersonalData(Protocol):
    """Records about people beyond the aggregates' own repositories, and the audit log."""

    def records_of(self, contact_ids: Sequence[ContactId]) -> Mapping[str, Sequence[Any]]:
        """JSON-ready rows of other tables that concern these contacts (deals, purchases,
        health scores, campaign deliveries), by table name."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Append to the audit log."""
        ...

    def subject_secret(self) -> bytes:
        """This database's secret for audit subject keys (created on first use)."""
        ...

    def erase_traces(self, trace: PersonTrace) -> Mapping[str, int]:
        """Redact what other tables hold about the person: stored payloads that name
        them (inbox, failed events, outbox, review items), free text of their deals,
        purchases, facts and loyalty card, their health scores' identity link and CLV
        key; aggregates stay. Rows changed per table."""
        ...
