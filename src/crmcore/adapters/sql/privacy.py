"""Retention purges and personal-data lookups in SQL."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    cast,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)

from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.activity import ActivityType
from crmcore.domain.ids import ContactId
from crmcore.domain.privacy import ERASED_NAME, ERASED_TEXT, mentions, redact
from crmcore.domain.retention import RetentionCutoffs
from crmcore.ports.privacy import PURGED_TABLES, AuditEntry, PersonTrace

#: Every text and JSON column of the schema, and what an erasure does with it. A new
#: column must be added here (a contract test reads the schema): either how its
#: personal data goes, or why it holds none.
ERASURE: Mapping[tuple[str, str], str] = {
    **{
        ("leads", c): "anonymised by the domain (anonymise_lead)"
        for c in (
            "first_name", "last_name", "email", "phone", "company", "job_title",
            "source_detail", "qualification", "disqualify_reason", "metadata",
        )
    },
    **{("leads", c): "no personal data: a category or a team member" for c in (
        "source", "status", "assigned_to", "industry", "region")},
    **{
        ("contacts", c): "anonymised by the domain (anonymise_contact)"
        for c in (
            "user_id", "first_name", "last_name", "email", "phone", "preferred_channel",
            "attributes",
        )
    },
    **{("contacts", c): "no personal data: a category" for c in (
        "role", "lifecycle_stage", "funnel_stage", "funnel_history")},
    ("activities", "subject"): "anonymised by the domain; those of the person's deals too",
    ("activities", "description"): "anonymised by the domain; those of the person's deals too",
    ("activities", "type"): "no personal data: a category",
    ("activities", "user_id"): "no personal data: the team member who acted",
    **{("accounts", c): "no personal data: an organisation" for c in (
        "name", "name_key", "type", "industry", "size", "website", "region",
        "billing_address", "attributes")},
    ("audit_log", "subject"): "an HMAC under this database's secret, never the address",
    ("audit_log", "actor"): "no personal data: the operator",
    ("audit_log", "action"): "no personal data: a category",
    ("audit_log", "detail"): "no personal data: counts",
    **{("campaigns", c): "no personal data: the campaign's own" for c in (
        "name", "type", "channel", "status", "stats", "definition")},
    **{("campaign_deliveries", c): "no personal data: a category" for c in (
        "channel", "variant", "status")},
    **{("alerts", c): "no personal data: counts and shares of the whole base" for c in (
        "key", "severity", "message")},
    ("measurements", "name"): "no personal data: a category",
    ("measurements", "detail"): "no personal data: why a service could not be reached",
    ("campaign_deliveries", "address"): "emptied on the person's deliveries",
    ("campaign_deliveries", "message_id"): "no personal data: the channel's message id",
    ("campaign_deliveries", "error"): "emptied on the person's deliveries",
    **{("message_templates", c): "no personal data: a template" for c in (
        "name", "subject", "body")},
    ("sequence_enrollments", "left_reason"): "no personal data: a category",
    ("marketing_consents", "address"): "kept: a withdrawn consent must outlive erasure",
    **{("marketing_consents", c): "no personal data: a category" for c in (
        "channel", "source")},
    ("clv_fits", "unit"): "no personal data: model parameters",
    ("clv_fits", "gg_error"): "no personal data: model parameters",
    ("clv_predictions", "customer_id"): "the person's user id is replaced by the contact id",
    ("database_secrets", "name"): "no personal data: a key name",
    ("database_secrets", "secret"): "no personal data: a key",
    ("event_inbox", "payload"): "redacted in events that name the person",
    ("event_inbox", "last_error"): "redacted in events that name the person",
    **{("event_inbox", c): "no personal data: pipeline state" for c in (
        "event_id", "type", "status", "claimed_by")},
    ("failed_events", "raw"): "replaced in failed events that name the person",
    ("failed_events", "errors"): "redacted in failed events that name the person",
    **{("failed_events", c): "no personal data: pipeline state" for c in (
        "event_id", "source", "status")},
    ("outbox", "envelope"): "redacted in envelopes that name the person or their records",
    ("outbox", "last_error"): "redacted in envelopes that name the person or their records",
    ("outbox", "type"): "no personal data: an event type",
    ("outbox", "status"): "no personal data: relay state",
    ("review_items", "detail"): "redacted in items that name the person",
    ("review_items", "proposed_action"): "redacted in items that name the person",
    ("review_items", "resolution"): "redacted in items that name the person",
    **{("review_items", c): "no personal data: ids and categories" for c in (
        "event_id", "reason", "proposed_label", "candidates", "status")},
    ("loyalty_cards", "name"): "replaced on the person's card",
    ("loyalty_cards", "contact"): "emptied on the person's card",
    ("loyalty_cards", "holder"): "no personal data: the team member",
    ("loyalty_cards", "kind"): "no personal data: a category",
    ("loyalty_cards", "level"): "no personal data: a board level",
    ("loyalty_columns", "level"): "no personal data: a board level",
    ("loyalty_facts", "tags"): "emptied on the person's facts",
    ("loyalty_moves", "override_reason"): "removed on the person's card moves",
    **{("loyalty_moves", c): "no personal data: board levels" for c in (
        "from_level", "to_level", "cause")},
    ("pipeline_facts", "value"): "redacted in the person's facts (numbers and flags stay)",
    **{("pipeline_facts", c): "no personal data: fact keys" for c in (
        "event_id", "kind", "name")},
    ("processed_messages", "consumer"): "no personal data: a consumer name",
    **{("segments", c): "no personal data: a saved filter" for c in (
        "name", "description", "filters")},
    ("deals", "title"): "replaced on the person's deals",
    ("deals", "lost_reason"): "removed on the person's deals",
    ("deals", "metadata"): "redacted on the person's deals",
    **{("deals", c): "no personal data: categories or a team member" for c in (
        "currency", "stage", "owner_id")},
    ("deal_stage_history", "from_stage"): "no personal data: a stage",
    ("deal_stage_history", "to_stage"): "no personal data: a stage",
    ("health_scores", "user_id"): "the identity link is replaced on the person's scores",
    **{("health_scores", c): "no personal data: scores and rule names" for c in (
        "risk_level", "factors", "reasons")},
    **{("api_keys", c): "no personal data: an API key's label, scope and hash" for c in (
        "name", "scope", "prefix", "key_hash")},
    ("idempotent_responses", "body"): "deleted when it names the person (a retry runs again)",
    ("idempotent_responses", "fingerprint"): "no personal data: a hash of the request",
    ("idempotent_responses", "headers"): "no personal data: the response's ETag and Location",
    **{("webhook_subscriptions", c): "no personal data: a receiver's URL and key" for c in (
        "url", "event_type", "secret")},
    ("transactions", "product"): "removed on the person's purchases",
    **{("transactions", c): "no personal data: categories and the source's key" for c in (
        "currency", "channel", "external_id")},
    **{("contact_merges", c): "deleted with every merge of the person" for c in (
        "reason", "merged_by", "before", "moved")},
    **{("account_merges", c): "no personal data: organisations' fields, the ids moved and "
       "who merged them why" for c in ("reason", "merged_by", "before", "moved")},
    ("relationships", "note"): "emptied on the person's relationships",
    ("relationships", "role"): "no personal data: a category",
}  # fmt: skip

#: The secret of :func:`crmcore.domain.privacy.subject_key`.
AUDIT_SECRET = "audit_subject"


def _json_ready(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SqlRetention:
    """One ``DELETE`` (or ``COUNT``) per table, in the caller's transaction."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _conditions(
        self, cutoffs: RetentionCutoffs
    ) -> dict[str, tuple[Table, ColumnElement[bool]]]:
        lead, act, dlv, hs = t.leads.c, t.activities.c, t.campaign_deliveries.c, t.health_scores.c
        h2 = t.health_scores.alias("h2")
        latest = (
            select(func.max(h2.c.computed_at)).where(h2.c.user_id == hs.user_id).scalar_subquery()
        )
        return {
            "leads": (
                t.leads,
                and_(
                    lead.updated_at < cutoffs.leads_inactive_before,
                    or_(
                        lead.last_engaged_at.is_(None),
                        lead.last_engaged_at < cutoffs.leads_inactive_before,
                    ),
                ),
            ),
            "activities": (
                t.activities,
                and_(
                    act.created_at < cutoffs.activities_before,
                    not_(and_(act.type == ActivityType.TASK.value, act.completed_at.is_(None))),
                ),
            ),
            "campaign_deliveries": (t.campaign_deliveries, dlv.at < cutoffs.campaign_detail_before),
            # history only: the latest score of each person stays, however old
            "health_scores": (
                t.health_scores,
                and_(hs.computed_at < cutoffs.health_history_before, hs.computed_at < latest),
            ),
        }

    def purge(self, cutoffs: RetentionCutoffs, *, dry_run: bool) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for name, (table, condition) in self._conditions(cutoffs).items():
            if dry_run:
                counts[name] = int(
                    self._s.scalar(select(func.count()).select_from(table).where(condition)) or 0
                )
            else:
                run = partial(self._s.conn.execute, delete(table).where(condition))
                counts[name] = int(self._s.write(run, table=table).rowcount)
        return {name: counts[name] for name in PURGED_TABLES}


def _like(needles: Sequence[str]) -> list[str]:
    """Needles escaped for ``LIKE ... ESCAPE '\\'``."""
    return [n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for n in needles]


class SqlPersonalData:
    """Rows of other tables that concern given contacts; the audit log."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def records_of(self, contact_ids: Sequence[ContactId]) -> Mapping[str, Sequence[Any]]:
        ids = list(contact_ids)
        out: dict[str, list[dict[str, Any]]] = {}
        linked: list[tuple[Table, Any, Any]] = [
            (t.deals, t.deals.c.contact_id, t.deals.c.id),
            (t.transactions, t.transactions.c.contact_id, t.transactions.c.id),
            (t.health_scores, t.health_scores.c.contact_id, t.health_scores.c.computed_at),
            (t.campaign_deliveries, t.campaign_deliveries.c.contact_id, t.campaign_deliveries.c.id),
            (t.pipeline_facts, t.pipeline_facts.c.contact_id, t.pipeline_facts.c.occurred_at),
            (t.loyalty_facts, t.loyalty_facts.c.id, t.loyalty_facts.c.id),
            (t.loyalty_cards, t.loyalty_cards.c.id, t.loyalty_cards.c.id),
            (t.loyalty_moves, t.loyalty_moves.c.card_id, t.loyalty_moves.c.at),
        ]
        for table, link, order in linked:
            rows: list[dict[str, Any]] = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                stmt = select(table).where(link.in_(chunk)).order_by(order)
                rows.extend({k: _json_ready(v) for k, v in r.items()} for r in self._s.read(stmt))
            out[table.name] = rows
        keys = [str(i) for i in ids] + [i.hex for i in ids]
        if ids:
            c = t.contacts.c
            keys += [
                str(r["user_id"])
                for r in self._s.read(select(c.user_id).where(c.id.in_(ids)))
                if r["user_id"]
            ]
        clv = t.clv_predictions
        out["clv_predictions"] = [
            {k: _json_ready(v) for k, v in r.items()}
            for r in self._s.read(select(clv).where(clv.c.customer_id.in_(keys)))
        ]
        review = t.review_items
        mention = or_(*(cast(review.c.candidates, String).like(f"%{i}%") for i in ids))
        out["review_items"] = (
            [
                {k: _json_ready(v) for k, v in r.items()}
                for r in self._s.read(select(review).where(mention).order_by(review.c.created_at))
            ]
            if ids
            else []
        )
        return out

    def subject_secret(self) -> bytes:
        c = t.database_secrets.c
        found = self._s.scalar(select(c.secret).where(c.name == AUDIT_SECRET))
        if found is not None:
            return bytes.fromhex(str(found))
        secret = os.urandom(32)
        values = {"name": AUDIT_SECRET, "secret": secret.hex(), "created_at": datetime.now(UTC)}
        conn = self._s.conn
        self._s.write(
            lambda: conn.execute(insert(t.database_secrets), values), table=t.database_secrets
        )
        return secret

    def _set(self, table: Table, where: ColumnElement[bool], values: dict[str, Any]) -> int:
        conn = self._s.conn
        stmt = update(table).where(where).values(**values)
        return int(self._s.write(lambda: conn.execute(stmt), table=table).rowcount)

    def _redact_rows(
        self, table: Table, key: str, columns: Mapping[str, Any], needles: Sequence[str]
    ) -> int:
        """Rows of ``table`` whose ``columns`` mention a needle, redacted in Python."""
        if not needles:
            return 0
        cols = [table.c[name] for name in columns]
        hit = or_(
            *(
                func.lower(cast(col, String)).like(f"%{n}%", escape="\\")
                for col in cols
                for n in _like([x.lower() for x in needles])
            )
        )
        changed = 0
        for row in list(self._s.read(select(table.c[key], *cols).where(hit))):
            texts = [str(row[name]) for name in columns if row[name] is not None]
            if not any(mentions(text, needles) for text in texts):
                continue
            values = {
                name: (fix(row[name]) if row[name] is not None else None)
                for name, fix in columns.items()
            }
            changed += self._set(table, table.c[key] == row[key], values)
        return changed

    def _forget_responses(self, needles: Sequence[str]) -> int:
        """Stored first responses of POSTs (replayed to retries) that name the person."""
        if not needles:
            return 0
        table = t.idempotent_responses
        hit = or_(
            *(
                func.lower(table.c.body).like(f"%{n}%", escape="\\")
                for n in _like([x.lower() for x in needles])
            )
        )
        rows = self._s.read(select(table.c.id, table.c.body).where(hit))
        doomed = [r["id"] for r in rows if mentions(r["body"], needles)]
        if not doomed:
            return 0
        conn = self._s.conn
        stmt = delete(table).where(table.c.id.in_(doomed))
        return int(self._s.write(lambda: conn.execute(stmt), table=table).rowcount)

    def erase_traces(self, trace: PersonTrace) -> Mapping[str, int]:
        ids = list(trace.contact_ids)
        needles = [
            *(n for n in trace.identifiers if n),
            *(str(r) for r in trace.record_ids),
            *(str(c) for c in ids),
        ]
        erased = lambda _v: ERASED_TEXT  # noqa: E731
        counts: dict[str, int] = {}
        counts["event_inbox"] = self._redact_rows(
            t.event_inbox, "event_id", {"payload": redact, "last_error": erased}, needles
        )
        counts["failed_events"] = self._redact_rows(
            t.failed_events, "id", {"raw": erased, "errors": redact}, needles
        )
        counts["outbox"] = self._redact_rows(
            t.outbox, "position", {"envelope": redact, "last_error": erased}, needles
        )
        counts["idempotent_responses"] = self._forget_responses(needles)
        counts["review_items"] = self._redact_rows(
            t.review_items,
            "id",
            {"detail": erased, "proposed_action": erased, "resolution": redact},
            needles,
        )
        if ids:
            counts["campaign_deliveries"] = self._set(
                t.campaign_deliveries,
                t.campaign_deliveries.c.contact_id.in_(ids),
                {"address": "", "error": None},
            )
            merges, rel = t.contact_merges.c, t.relationships.c
            gone = delete(t.contact_merges).where(
                or_(merges.keep_id.in_(ids), merges.other_id.in_(ids))
            )
            counts["contact_merges"] = int(
                self._s.write(lambda: self._s.conn.execute(gone), table=t.contact_merges).rowcount
            )
            counts["relationships"] = self._set(
                t.relationships,
                or_(rel.contact_id.in_(ids), rel.other_contact_id.in_(ids)),
                {"note": ""},
            )
            card, deal = t.loyalty_cards.c, t.deals.c
            counts["loyalty_cards"] = self._set(
                t.loyalty_cards, card.id.in_(ids), {"name": ERASED_NAME.first, "contact": ""}
            )
            counts["loyalty_facts"] = self._set(
                t.loyalty_facts, t.loyalty_facts.c.id.in_(ids), {"tags": []}
            )
            counts["loyalty_moves"] = self._set(
                t.loyalty_moves,
                and_(
                    t.loyalty_moves.c.card_id.in_(ids),
                    t.loyalty_moves.c.override_reason.is_not(None),
                ),
                {"override_reason": None},
            )
            counts["health_scores"] = self._set(
                t.health_scores, t.health_scores.c.contact_id.in_(ids), {"user_id": ERASED_TEXT}
            )
            counts["transactions"] = self._set(
                t.transactions,
                and_(t.transactions.c.contact_id.in_(ids), t.transactions.c.product.is_not(None)),
                {"product": None},
            )
            deal_ids = [
                r["id"] for r in self._s.read(select(deal.id).where(deal.contact_id.in_(ids)))
            ]
            deal_ids += [r for r in trace.record_ids if r not in deal_ids]
            counts["deals"] = self._set(
                t.deals,
                deal.id.in_(deal_ids),
                {"title": ERASED_TEXT, "lost_reason": None, "metadata": {}},
            )
            counts["activities"] = self._set(
                t.activities,
                t.activities.c.deal_id.in_(deal_ids),
                {"subject": ERASED_TEXT, "description": ""},
            )
            facts = t.pipeline_facts.c
            changed = 0
            for row in list(
                self._s.read(
                    select(facts.event_id, facts.kind, facts.name, facts.value).where(
                        facts.contact_id.in_(ids), facts.value.is_not(None)
                    )
                )
            ):
                clean = redact(row["value"])
                if clean != row["value"]:
                    changed += self._set(
                        t.pipeline_facts,
                        and_(
                            facts.event_id == row["event_id"],
                            facts.kind == row["kind"],
                            facts.name == row["name"],
                        ),
                        {"value": clean},
                    )
            counts["pipeline_facts"] = changed
            clv = t.clv_predictions.c
            user_ids = [n for n in trace.identifiers if n and "@" not in n]
            counts["clv_predictions"] = self._set(
                t.clv_predictions, clv.customer_id.in_(user_ids), {"customer_id": ids[0].hex}
            )
        return counts

    def audit(self, entry: AuditEntry) -> None:
        values = {
            "id": entry.id,
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "subject": entry.subject,
            "detail": dict(entry.detail),
        }
        conn = self._s.conn
        self._s.write(lambda: conn.execute(insert(t.audit_log), values), table=t.audit_log)
