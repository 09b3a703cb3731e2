"""Memory adapters of the marketing ports over a :class:`Transaction`.

Deliveries are versioned rows keyed by :func:`delivery_id` (a function of campaign,
step and contact), so planning one twice keeps one, and two units of work claiming the
same delivery conflict at commit like two SQL workers would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

import attrs

from crmcore.adapters.memory.database import Held, HeldRows, Transaction
from crmcore.domain.abtest import HELD
from crmcore.domain.campaign import Campaign, CampaignChannel, CampaignStatus
from crmcore.domain.ids import ContactId
from crmcore.domain.templates import MessageTemplate
from crmcore.ports.errors import DuplicateKey
from crmcore.ports.marketing import (
    Consent,
    Delivery,
    DeliveryCounts,
    DeliveryStatus,
    Engagement,
    Enrollment,
    PlannedDelivery,
    consent_id,
    delivery_id,
    enrollment_id,
)


class MemoryTemplateRepository:
    """Templates in memory, unique by name."""

    table = "message_templates"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def get(self, name: str) -> MessageTemplate | None:
        found: list[MessageTemplate] = [t for t in self._tx.rows(self.table) if t.name == name]
        return found[0] if found else None

    def add(self, template: MessageTemplate) -> None:
        if self.get(template.name) is not None:
            raise DuplicateKey("message_template", "name", template.name)
        self._tx.add(self.table, template)

    def save(self, template: MessageTemplate) -> None:
        self._tx.save(self.table, template)

    def list(self) -> Sequence[MessageTemplate]:
        return sorted(self._tx.rows(self.table), key=lambda t: t.name)


class MemoryCampaignRepository:
    """Campaigns in memory."""

    table = "campaigns"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def get(self, campaign_id: UUID) -> Campaign | None:
        found: Campaign | None = self._tx.get(self.table, campaign_id)
        return found

    def add(self, campaign: Campaign) -> None:
        self._tx.add(self.table, campaign)

    def save(self, campaign: Campaign) -> None:
        self._tx.save(self.table, campaign)

    def list(self, *, status: CampaignStatus | None = None) -> Sequence[Campaign]:
        rows: list[Campaign] = [
            c for c in self._tx.rows(self.table) if status is None or c.status is status
        ]
        return sorted(rows, key=lambda c: (c.created_at, c.id))


@attrs.frozen(kw_only=True)
class _DeliveryRow:
    id: UUID
    version: int
    delivery: Delivery
    engaged: frozenset[Engagement] = frozenset()


class MemoryDeliveryQueue:
    """Deliveries in memory."""

    table = "campaign_deliveries"

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _rows(self) -> list[_DeliveryRow]:
        return list(self._tx.rows(self.table))

    def plan(
        self, campaign_id: UUID, step: int, planned: Sequence[PlannedDelivery], *, at: datetime
    ) -> int:
        new = 0
        # a merge moves a delivery to another contact and keeps its id, as in SQL: who
        # has one is read from the rows, not from their ids
        held = {
            r.delivery.contact_id
            for r in self._rows()
            if r.delivery.campaign_id == campaign_id and r.delivery.step == step
        }
        for p in planned:
            key = delivery_id(campaign_id, step, p.contact_id)
            if p.contact_id in held or self._tx.get(self.table, key) is not None:
                continue
            held.add(p.contact_id)
            delivery = Delivery(
                id=key, campaign_id=campaign_id, step=step, contact_id=p.contact_id,
                address=p.address, channel=p.channel, variant=p.variant,
                status=(
                    DeliveryStatus.SKIPPED
                    if p.skipped
                    else DeliveryStatus.HELD
                    if p.variant == HELD
                    else DeliveryStatus.PENDING
                ),
                at=at,
            )  # fmt: skip
            self._tx.add(self.table, _DeliveryRow(id=key, version=0, delivery=delivery))
            new += 1
        return new

    def _change(self, row: _DeliveryRow, **changes: object) -> None:
        delivery = attrs.evolve(row.delivery, **changes)  # type: ignore[arg-type]
        self._tx.save(self.table, attrs.evolve(row, delivery=delivery))

    def claim(
        self, *, limit: int, at: datetime, lease_until: datetime, campaigns: Sequence[UUID]
    ) -> Sequence[Delivery]:
        wanted = set(campaigns)
        due = [
            r
            for r in self._rows()
            if r.delivery.campaign_id in wanted
            and (
                r.delivery.status is DeliveryStatus.PENDING
                or (
                    r.delivery.status is DeliveryStatus.SENDING
                    and r.delivery.claimed_until is not None
                    and r.delivery.claimed_until <= at
                )
            )
        ]
        due.sort(key=lambda r: r.id)
        out = []
        for row in due[: max(limit, 0)]:
            d = row.delivery
            self._change(
                row,
                status=DeliveryStatus.SENDING,
                claimed_until=lease_until,
                attempts=d.attempts + 1,
                at=at,
            )
            out.append(
                attrs.evolve(
                    d,
                    status=DeliveryStatus.SENDING,
                    claimed_until=lease_until,
                    attempts=d.attempts + 1,
                    at=at,
                )
            )
        return out

    def finish(
        self,
        outcomes: Sequence[tuple[UUID, DeliveryStatus, str | None, str | None]],
        *,
        at: datetime,
    ) -> None:
        for key, status, message_id, error in outcomes:
            row: _DeliveryRow | None = self._tx.get(self.table, key)
            if row is not None:
                self._change(
                    row, status=status, message_id=message_id, error=error,
                    claimed_until=None, at=at,
                )  # fmt: skip

    def bounce(
        self, bounces: Sequence[tuple[UUID, str, str]], *, at: datetime
    ) -> Sequence[Delivery]:
        changed: dict[UUID, Delivery] = {}
        for key, message_id, error in bounces:
            row: _DeliveryRow | None = self._tx.get(self.table, key)
            if row is None or key in changed:
                continue
            d = row.delivery
            if d.status is DeliveryStatus.SENT and d.message_id == message_id:
                self._change(row, status=DeliveryStatus.BOUNCED, error=error, at=at)
                changed[key] = attrs.evolve(d, status=DeliveryStatus.BOUNCED, error=error, at=at)
        return [changed[k] for k in sorted(changed)]

    def release(self, delivery_ids: Sequence[UUID]) -> None:
        for key in delivery_ids:
            row: _DeliveryRow | None = self._tx.get(self.table, key)
            if row is not None and row.delivery.status is DeliveryStatus.SENDING:
                self._change(row, status=DeliveryStatus.PENDING, claimed_until=None)

    def skip_pending(self, campaign_id: UUID, *, at: datetime) -> int:
        rows = [
            r
            for r in self._rows()
            if r.delivery.campaign_id == campaign_id
            and r.delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.HELD)
        ]
        for row in rows:
            self._change(row, status=DeliveryStatus.SKIPPED, at=at)
        return len(rows)

    def counts(
        self,
        campaign_id: UUID,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DeliveryCounts:
        return self._counts(campaign_id, None, since=since, until=until)

    def status_counts(self, campaign_id: UUID) -> Mapping[str, int]:
        return dict(self._counts(campaign_id, None).by_status)

    def counts_by_step(self, campaign_id: UUID) -> Mapping[int, DeliveryCounts]:
        steps = sorted(
            {r.delivery.step for r in self._rows() if r.delivery.campaign_id == campaign_id}
        )
        return {n: self._counts(campaign_id, n) for n in steps}

    def _counts(
        self,
        campaign_id: UUID,
        step: int | None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DeliveryCounts:
        by_status: dict[str, int] = {}
        engaged = dict.fromkeys(Engagement, 0)
        for r in self._rows():
            if r.delivery.campaign_id != campaign_id or step not in (None, r.delivery.step):
                continue
            if (since is not None and r.delivery.at < since) or (
                until is not None and r.delivery.at >= until
            ):
                continue
            by_status[r.delivery.status.value] = by_status.get(r.delivery.status.value, 0) + 1
            for what in r.engaged:
                engaged[what] += 1
        return DeliveryCounts(
            by_status=by_status,
            opened=engaged[Engagement.OPENED],
            clicked=engaged[Engagement.CLICKED],
            converted=engaged[Engagement.CONVERTED],
        )

    def open_campaigns(self, campaign_ids: Sequence[UUID]) -> set[UUID]:
        wanted = set(campaign_ids)
        live = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.HELD)
        return {
            r.delivery.campaign_id
            for r in self._rows()
            if r.delivery.campaign_id in wanted and r.delivery.status in live
        }

    def engage(
        self, campaign_id: UUID, contact_ids: Sequence[ContactId], what: Engagement, *, at: datetime
    ) -> int:
        changed = 0
        for contact in dict.fromkeys(contact_ids):
            for step_row in self._rows():
                d = step_row.delivery
                if (
                    d.campaign_id == campaign_id
                    and d.contact_id == contact
                    and d.status is DeliveryStatus.SENT
                    and what not in step_row.engaged
                ):
                    self._tx.save(
                        self.table, attrs.evolve(step_row, engaged=step_row.engaged | {what})
                    )
                    changed += 1
        return changed

    def arms(self, campaign_id: UUID, metric: Engagement) -> Mapping[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in self._rows():
            d = r.delivery
            if d.campaign_id == campaign_id and d.status is DeliveryStatus.SENT:
                n, k = out.get(d.variant, (0, 0))
                out[d.variant] = (n + 1, k + (metric in r.engaged))
        return out

    def release_held(self, campaign_id: UUID, variant: str, *, at: datetime) -> int:
        rows = [
            r
            for r in self._rows()
            if r.delivery.campaign_id == campaign_id and r.delivery.status is DeliveryStatus.HELD
        ]
        for row in rows:
            self._change(row, status=DeliveryStatus.PENDING, variant=variant, at=at)
        return len(rows)

    def for_contacts(self, contact_ids: Sequence[ContactId]) -> Sequence[Delivery]:
        wanted = set(contact_ids)
        return sorted(
            (r.delivery for r in self._rows() if r.delivery.contact_id in wanted),
            key=lambda d: d.id,
        )


class MemoryConsentRegistry:
    """Consent in memory, one row per address and channel."""

    def __init__(self, tx: Transaction) -> None:
        self._held = HeldRows[Consent](tx, "marketing_consents")

    def record(self, consent: Consent) -> None:
        self._held.put(consent_id(consent), consent)

    def suppressed(self, channel: CampaignChannel, addresses: Sequence[str]) -> set[str]:
        wanted = set(addresses)
        return {
            c.address
            for c in self._held.values()
            if c.channel is channel and not c.granted and c.address in wanted
        }

    def suppressions(self) -> Sequence[Consent]:
        rows = [c for c in self._held.values() if not c.granted]
        return sorted(rows, key=lambda c: (c.at, c.address))


class MemoryEnrollmentRepository:
    """Enrolments in memory."""

    def __init__(self, tx: Transaction) -> None:
        self._held = HeldRows[Enrollment](tx, "sequence_enrollments")

    def _of(self, sequence_id: UUID) -> dict[UUID, Held[Enrollment]]:
        """The rows of a sequence by contact (found by their fields, not their id: a
        merge moves a row to another contact and keeps its id, as in SQL)."""
        rows = self._held.rows()
        return {r.value.contact_id: r for r in rows if r.value.sequence_id == sequence_id}

    def enroll(self, sequence_id: UUID, contact_ids: Sequence[ContactId], *, at: datetime) -> int:
        new = 0
        held = self._of(sequence_id)
        for c in dict.fromkeys(contact_ids):
            key = enrollment_id(sequence_id, c)
            if c not in held and self._held.row(key) is None:
                self._held.add(key, Enrollment(sequence_id=sequence_id, contact_id=c, joined_at=at))
                new += 1
        return new

    def active(self, sequence_id: UUID) -> Sequence[Enrollment]:
        rows = [
            e for e in self._held.values() if e.sequence_id == sequence_id and e.left_at is None
        ]
        return sorted(rows, key=lambda e: e.contact_id)

    def leave(
        self, sequence_id: UUID, contact_ids: Sequence[ContactId], *, reason: str, at: datetime
    ) -> None:
        held = self._of(sequence_id)
        for c in contact_ids:
            row = held.get(c)
            if row is not None and row.value.left_at is None:
                left = attrs.evolve(row.value, left_at=at, left_reason=reason)
                self._held.put(row.id, left)

    def summary(self, sequence_id: UUID) -> Mapping[str, int]:
        out: dict[str, int] = {}
        for e in self._held.values():
            if e.sequence_id == sequence_id:
                key = e.left_reason or "active"
                out[key] = out.get(key, 0) + 1
        return out
