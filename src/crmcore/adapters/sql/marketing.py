"""SQL adapters of the marketing ports: templates, campaigns, deliveries, consent.

Deliveries are unique by ``(campaign_id, step, contact_id)``: planning inserts with
``ON CONFLICT DO NOTHING``. A claim selects due ids, then
``UPDATE ... WHERE id IN (...) AND still due RETURNING``, in one transaction: on
PostgreSQL the select takes ``FOR UPDATE SKIP LOCKED``, so parallel workers take
disjoint rows; on SQLite the write lock makes claims one at a time, and the ``UPDATE``'s
own condition re-checks each row's status (ADR 0016).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from sqlalchemy import and_, bindparam, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.mapping import fields_from, fields_row
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.abtest import HELD, AbRule
from crmcore.domain.campaign import Campaign, CampaignChannel, CampaignStatus
from crmcore.domain.ids import ContactId
from crmcore.domain.sequence import DripStep, SequenceGoal, StepCondition
from crmcore.domain.templates import MessageTemplate
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

#: Rows per planning statement.
PLAN_CHUNK = 2_000


class SqlTemplateRepository:
    """Templates in ``message_templates``."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _entity(self, row: Any) -> MessageTemplate:
        version = self._s.seen_version(t.message_templates, row["id"], row["version"])
        return fields_from(MessageTemplate, row, version=version)

    def get(self, name: str) -> MessageTemplate | None:
        rows = self._s.read(select(t.message_templates).where(t.message_templates.c.name == name))
        return self._entity(rows[0]) if rows else None

    def add(self, template: MessageTemplate) -> None:
        self._s.insert_entity(t.message_templates, fields_row(template))

    def save(self, template: MessageTemplate) -> None:
        self._s.update_entity(t.message_templates, fields_row(template), template.version)

    def list(self) -> Sequence[MessageTemplate]:
        rows = self._s.read(select(t.message_templates).order_by(t.message_templates.c.name))
        return [self._entity(r) for r in rows]


class SqlCampaignRepository:
    """Campaigns in ``campaigns``; audience, variants and pause reason in ``definition``."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _entity(self, row: Any) -> Campaign:
        definition = dict(row["definition"] or {})
        return Campaign(
            id=row["id"],
            name=row["name"],
            kind=row["type"] or "broadcast",
            channels=tuple(
                CampaignChannel(c) for c in definition.get("channels", [row["channel"]])
            ),
            status=CampaignStatus(row["status"]),
            segment=definition.get("segment", ""),
            variants=dict(definition.get("variants", {})),
            pause_reason=definition.get("pause_reason"),
            ab=AbRule(**definition.get("ab", {})),
            winner=definition.get("winner"),
            steps=tuple(
                DripStep(
                    day=s["day"],
                    template=s["template"],
                    condition=StepCondition(s["condition"]),
                    channel=s.get("channel"),
                )
                for s in definition.get("steps", ())
            ),
            goal=SequenceGoal(definition.get("goal", "none")),
            trigger=definition.get("trigger", "manual"),
            scheduled_at=row["scheduled_at"],
            sent_at=row["sent_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=self._s.seen_version(t.campaigns, row["id"], row["version"]),
        )

    def get(self, campaign_id: UUID) -> Campaign | None:
        rows = self._s.read(select(t.campaigns).where(t.campaigns.c.id == campaign_id))
        return self._entity(rows[0]) if rows else None

    def add(self, campaign: Campaign) -> None:
        self._s.insert_entity(t.campaigns, _campaign_row(campaign))

    def save(self, campaign: Campaign) -> None:
        self._s.update_entity(t.campaigns, _campaign_row(campaign), campaign.version)

    def list(self, *, status: CampaignStatus | None = None) -> Sequence[Campaign]:
        stmt = select(t.campaigns).order_by(t.campaigns.c.created_at, t.campaigns.c.id)
        if status is not None:
            stmt = stmt.where(t.campaigns.c.status == status.value)
        return [self._entity(r) for r in self._s.read(stmt)]


def _campaign_row(campaign: Campaign) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "segment": campaign.segment,
        "variants": dict(campaign.variants),
        "channels": [c.value for c in campaign.channels],
        "ab": attrs.asdict(campaign.ab),
        "winner": campaign.winner,
    }
    if campaign.steps:
        definition["steps"] = [
            {
                "day": s.day,
                "template": s.template,
                "condition": s.condition.value,
                "channel": s.channel,
            }
            for s in campaign.steps
        ]
        definition["goal"] = campaign.goal.value
        definition["trigger"] = campaign.trigger
    if campaign.pause_reason is not None:
        definition["pause_reason"] = campaign.pause_reason
    return {
        "id": campaign.id,
        "name": campaign.name,
        "type": campaign.kind,
        "channel": campaign.channel.value,
        "status": campaign.status.value,
        "scheduled_at": campaign.scheduled_at,
        "sent_at": campaign.sent_at,
        "stats": {},
        "definition": definition,
        "created_at": campaign.created_at,
        "updated_at": campaign.updated_at,
    }


def _delivery(row: Any) -> Delivery:
    return fields_from(
        Delivery,
        row,
        channel=CampaignChannel(row["channel"]),
        variant=row["variant"] or "A",
        status=DeliveryStatus(row["status"]),
    )


_OPEN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.HELD)

_ENGAGED = {
    Engagement.OPENED: "opened_at",
    Engagement.CLICKED: "clicked_at",
    Engagement.CONVERTED: "converted_at",
}


def _planned_status(p: PlannedDelivery) -> DeliveryStatus:
    if p.skipped:
        return DeliveryStatus.SKIPPED
    return DeliveryStatus.HELD if p.variant == HELD else DeliveryStatus.PENDING


class SqlDeliveryQueue:
    """Deliveries in ``campaign_deliveries``."""

    table = t.campaign_deliveries

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def plan(
        self, campaign_id: UUID, step: int, planned: Sequence[PlannedDelivery], *, at: datetime
    ) -> int:
        d = self.table
        before = self._count(campaign_id, step)
        make = sqlite_insert if self._s.sqlite else pg_insert
        for start in range(0, len(planned), PLAN_CHUNK):
            rows = [
                {
                    "id": delivery_id(campaign_id, step, p.contact_id),
                    "campaign_id": campaign_id,
                    "step": step,
                    "contact_id": p.contact_id,
                    "address": p.address,
                    "channel": p.channel.value,
                    "variant": p.variant,
                    "status": _planned_status(p).value,
                    "at": at,
                    "attempts": 0,
                }
                for p in planned[start : start + PLAN_CHUNK]
            ]
            stmt = make(d).values(rows).on_conflict_do_nothing()
            self._s.write(lambda s=stmt: self._s.conn.execute(s), table=d)  # type: ignore[misc]
        return self._count(campaign_id, step) - before

    def _count(self, campaign_id: UUID, step: int) -> int:
        d = self.table.c
        stmt = select(func.count()).where(d.campaign_id == campaign_id, d.step == step)
        return int(self._s.scalar(stmt) or 0)

    def claim(
        self, *, limit: int, at: datetime, lease_until: datetime, campaigns: Sequence[UUID]
    ) -> Sequence[Delivery]:
        if not campaigns or limit <= 0:
            return []
        d = self.table.c
        due = or_(
            d.status == DeliveryStatus.PENDING.value,
            and_(d.status == DeliveryStatus.SENDING.value, d.claimed_until <= at),
        )
        mine = d.campaign_id.in_(list(campaigns))
        pending = and_(mine, d.status == DeliveryStatus.PENDING.value)
        expired = and_(mine, d.status == DeliveryStatus.SENDING.value, d.claimed_until <= at)
        # the ids first (a sub-select under IN may run more than once on PostgreSQL), each
        # kind by its own index range (an OR of the two would scan the campaign's rows),
        # in any order (no sort of the backlog)
        ids: list[UUID] = []
        for wanted in (pending, expired):
            if len(ids) >= limit:
                break
            pick = select(d.id).where(wanted).limit(limit - len(ids))
            if not self._s.sqlite:
                pick = pick.with_for_update(skip_locked=True)
            ids += [r["id"] for r in self._s.read(pick)]
        if not ids:
            return []
        # by id alone (the ids are the campaigns' already): a campaign condition here
        # makes SQLite walk the campaign's whole index range for every batch
        stmt = (
            update(self.table)
            .where(d.id.in_(ids), due)
            .values(
                status=DeliveryStatus.SENDING.value,
                claimed_until=lease_until,
                attempts=d.attempts + 1,
                at=at,
            )
            .returning(*self.table.c)
        )
        result = self._s.write(lambda: self._s.conn.execute(stmt), table=self.table)
        rows = result.mappings().all()
        return sorted((_delivery(r) for r in rows), key=lambda x: x.id)

    def finish(
        self,
        outcomes: Sequence[tuple[UUID, DeliveryStatus, str | None, str | None]],
        *,
        at: datetime,
    ) -> None:
        if not outcomes:
            return
        d = self.table.c
        stmt = (
            update(self.table)
            .where(d.id == bindparam("key"))
            .values(
                status=bindparam("new_status"),
                message_id=bindparam("new_message_id"),
                error=bindparam("new_error"),
                claimed_until=None,
                at=at,
            )
        )
        params = [
            {"key": i, "new_status": s.value, "new_message_id": m, "new_error": e}
            for i, s, m, e in outcomes
        ]
        self._s.write(lambda: self._s.conn.execute(stmt, params), table=self.table)

    def release(self, delivery_ids: Sequence[UUID]) -> None:
        if not delivery_ids:
            return
        d = self.table.c
        stmt = (
            update(self.table)
            .where(d.id.in_(list(delivery_ids)), d.status == DeliveryStatus.SENDING.value)
            .values(status=DeliveryStatus.PENDING.value, claimed_until=None)
        )
        self._s.write(lambda: self._s.conn.execute(stmt), table=self.table)

    def skip_pending(self, campaign_id: UUID, *, at: datetime) -> int:
        d = self.table.c
        stmt = (
            update(self.table)
            .where(
                d.campaign_id == campaign_id,
                d.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.HELD.value]),
            )
            .values(status=DeliveryStatus.SKIPPED.value, at=at)
        )
        return int(self._s.write(lambda: self._s.conn.execute(stmt), table=self.table).rowcount)

    def counts(
        self,
        campaign_id: UUID,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DeliveryCounts:
        return self.counts_by_step(campaign_id, by_step=False, since=since, until=until).get(
            0, DeliveryCounts(by_status={})
        )

    def counts_by_step(
        self,
        campaign_id: UUID,
        *,
        by_step: bool = True,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Mapping[int, DeliveryCounts]:
        d = self.table.c
        step = d.step if by_step else literal(0)
        query = (
            select(
                step.label("step"),
                d.status,
                func.count().label("n"),
                func.count(d.opened_at).label("opened"),
                func.count(d.clicked_at).label("clicked"),
                func.count(d.converted_at).label("converted"),
            )
            .where(d.campaign_id == campaign_id)
            .group_by(step, d.status)
        )
        if since is not None:
            query = query.where(d.at >= since)
        if until is not None:
            query = query.where(d.at < until)
        rows = self._s.read(query)
        grouped: dict[int, list[Any]] = {}
        for r in rows:
            grouped.setdefault(int(r["step"]), []).append(r)
        return {
            n: DeliveryCounts(
                by_status={r["status"]: int(r["n"]) for r in rs},
                opened=sum(int(r["opened"]) for r in rs),
                clicked=sum(int(r["clicked"]) for r in rs),
                converted=sum(int(r["converted"]) for r in rs),
            )
            for n, rs in sorted(grouped.items())
        }

    def status_counts(self, campaign_id: UUID) -> Mapping[str, int]:
        d = self.table.c
        query = (
            select(d.status, func.count().label("n"))
            .where(d.campaign_id == campaign_id)
            .group_by(d.status)
        )
        return {r["status"]: int(r["n"]) for r in self._s.read(query)}

    def open_campaigns(self, campaign_ids: Sequence[UUID]) -> set[UUID]:
        if not campaign_ids:
            return set()
        d = self.table.c
        stmt = (
            select(d.campaign_id)
            .where(
                d.campaign_id.in_(list(campaign_ids)),
                d.status.in_([s.value for s in _OPEN]),
            )
            .distinct()
        )
        return {r["campaign_id"] for r in self._s.read(stmt)}

    def engage(
        self, campaign_id: UUID, contact_ids: Sequence[ContactId], what: Engagement, *, at: datetime
    ) -> int:
        if not contact_ids:
            return 0
        d = self.table.c
        column = d[_ENGAGED[what]]
        stmt = (
            update(self.table)
            .where(
                d.campaign_id == campaign_id,
                d.contact_id.in_(list(contact_ids)),
                column.is_(None),
                d.status == DeliveryStatus.SENT.value,
            )
            .values({column.name: at})
        )
        return int(self._s.write(lambda: self._s.conn.execute(stmt), table=self.table).rowcount)

    def arms(self, campaign_id: UUID, metric: Engagement) -> Mapping[str, tuple[int, int]]:
        d = self.table.c
        column = d[_ENGAGED[metric]]
        rows = self._s.read(
            select(d.variant, func.count().label("n"), func.count(column).label("k"))
            .where(d.campaign_id == campaign_id, d.status == DeliveryStatus.SENT.value)
            .group_by(d.variant)
        )
        return {r["variant"]: (int(r["n"]), int(r["k"])) for r in rows}

    def release_held(self, campaign_id: UUID, variant: str, *, at: datetime) -> int:
        d = self.table.c
        stmt = (
            update(self.table)
            .where(d.campaign_id == campaign_id, d.status == DeliveryStatus.HELD.value)
            .values(status=DeliveryStatus.PENDING.value, variant=variant, at=at)
        )
        return int(self._s.write(lambda: self._s.conn.execute(stmt), table=self.table).rowcount)

    def bounce(
        self, bounces: Sequence[tuple[UUID, str, str]], *, at: datetime
    ) -> Sequence[Delivery]:
        d = self.table.c
        wanted = {key: (message_id, error) for key, message_id, error in reversed(bounces)}
        changed: list[Delivery] = []
        keys = sorted(wanted)
        for start in range(0, len(keys), PLAN_CHUNK):
            chunk = keys[start : start + PLAN_CHUNK]
            rows = self._s.read(
                select(self.table).where(d.id.in_(chunk), d.status == DeliveryStatus.SENT.value)
            )
            hits = [
                attrs.evolve(_delivery(r), status=DeliveryStatus.BOUNCED,
                             error=wanted[r["id"]][1], at=at)
                for r in rows
                if r["message_id"] == wanted[r["id"]][0]
            ]  # fmt: skip
            if not hits:
                continue
            stmt = (
                update(self.table)
                .where(d.id == bindparam("key"), d.status == DeliveryStatus.SENT.value)
                .values(status=DeliveryStatus.BOUNCED.value, error=bindparam("new_error"), at=at)
            )
            params = [{"key": h.id, "new_error": h.error} for h in hits]
            self._execute_many(stmt, params)
            changed += hits
        return sorted(changed, key=lambda x: x.id)

    def _execute_many(self, stmt: Any, params: list[dict[str, Any]]) -> None:
        self._s.write(lambda: self._s.conn.execute(stmt, params), table=self.table)

    def for_contacts(self, contact_ids: Sequence[ContactId]) -> Sequence[Delivery]:
        d = self.table.c
        wanted = list(dict.fromkeys(contact_ids))
        out: list[Delivery] = []
        for start in range(0, len(wanted), PLAN_CHUNK):
            chunk = wanted[start : start + PLAN_CHUNK]
            rows = self._s.read(select(self.table).where(d.contact_id.in_(chunk)))
            out += [_delivery(r) for r in rows]
        return sorted(out, key=lambda x: x.id)


class SqlConsentRegistry:
    """Consent in ``marketing_consents``, one row per address and channel."""

    table = t.marketing_consents

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def record(self, consent: Consent) -> None:
        make = sqlite_insert if self._s.sqlite else pg_insert
        values = fields_row(consent, id=consent_id(consent))
        base = make(self.table).values(values)
        stmt = base.on_conflict_do_update(
            index_elements=["address", "channel"],
            set_={"granted": consent.granted, "source": consent.source, "at": consent.at},
        )
        self._s.write(lambda: self._s.conn.execute(stmt), table=self.table)

    def suppressed(self, channel: CampaignChannel, addresses: Sequence[str]) -> set[str]:
        if not addresses:
            return set()
        c = self.table.c
        out: set[str] = set()
        wanted = list(dict.fromkeys(addresses))
        for start in range(0, len(wanted), PLAN_CHUNK):
            stmt = select(c.address).where(
                c.channel == channel.value,
                c.granted.is_(False),
                c.address.in_(wanted[start : start + PLAN_CHUNK]),
            )
            out.update(r["address"] for r in self._s.read(stmt))
        return out

    def suppressions(self) -> Sequence[Consent]:
        c = self.table.c
        stmt = select(self.table).where(c.granted.is_(False)).order_by(c.at, c.address)
        return [
            fields_from(Consent, r, channel=CampaignChannel(r["channel"]))
            for r in self._s.read(stmt)
        ]


class SqlEnrollmentRepository:
    """Enrolments in ``sequence_enrollments``."""

    table = t.sequence_enrollments

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def enroll(self, sequence_id: UUID, contact_ids: Sequence[ContactId], *, at: datetime) -> int:
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return 0
        e = self.table.c
        before = int(self._s.scalar(select(func.count()).where(e.sequence_id == sequence_id)) or 0)
        make = sqlite_insert if self._s.sqlite else pg_insert
        for start in range(0, len(wanted), PLAN_CHUNK):
            rows = [
                {
                    "id": enrollment_id(sequence_id, c),
                    "sequence_id": sequence_id,
                    "contact_id": c,
                    "joined_at": at,
                }
                for c in wanted[start : start + PLAN_CHUNK]
            ]
            stmt = make(self.table).values(rows).on_conflict_do_nothing()
            self._s.write(lambda s=stmt: self._s.conn.execute(s), table=self.table)  # type: ignore[misc]
        after = int(self._s.scalar(select(func.count()).where(e.sequence_id == sequence_id)) or 0)
        return after - before

    def active(self, sequence_id: UUID) -> Sequence[Enrollment]:
        e = self.table.c
        rows = self._s.read(
            select(self.table)
            .where(e.sequence_id == sequence_id, e.left_at.is_(None))
            .order_by(e.contact_id)
        )
        return [
            Enrollment(sequence_id=r["sequence_id"], contact_id=ContactId(r["contact_id"]),
                       joined_at=r["joined_at"])
            for r in rows
        ]  # fmt: skip

    def leave(
        self, sequence_id: UUID, contact_ids: Sequence[ContactId], *, reason: str, at: datetime
    ) -> None:
        if not contact_ids:
            return
        e = self.table.c
        stmt = (
            update(self.table)
            .where(
                e.sequence_id == sequence_id,
                e.contact_id.in_(list(contact_ids)),
                e.left_at.is_(None),
            )
            .values(left_at=at, left_reason=reason)
        )
        self._s.write(lambda: self._s.conn.execute(stmt), table=self.table)

    def summary(self, sequence_id: UUID) -> Mapping[str, int]:
        e = self.table.c
        rows = self._s.read(
            select(e.left_reason, func.count().label("n"))
            .where(e.sequence_id == sequence_id)
            .group_by(e.left_reason)
        )
        return {(r["left_reason"] or "active"): int(r["n"]) for r in rows}
