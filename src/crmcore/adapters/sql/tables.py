"""The schema: one ``MetaData``, SQLAlchemy Core tables following the source schema.

The source's tables (Lead, Contact, Account, Deal, Activity, Campaign, Segment,
HealthScore) keep their columns; what the library adds is marked in each table's
comment. Every aggregate has a ``version`` column for optimistic concurrency.
Alembic migrations in ``migrations/`` create exactly these tables; a test checks that
the migrated schema and this module agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from crmcore.adapters.sql.types import Amount, AmountSum, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False, default=1)


def _stamps() -> tuple[Column[Any], ...]:
    return (
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )


accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("name_key", String(300), nullable=False, index=True, comment="casefolded name"),
    Column("type", String(20), nullable=False),
    Column("industry", String(200)),
    Column("size", String(20)),
    Column("website", String(500)),
    Column("region", String(100)),
    Column("billing_address", Text),
    Column("attributes", JSON, nullable=False),
    *_stamps(),
    _version(),
    comment="Account (source) + region, attributes, version",
)

leads = Table(
    "leads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("phone", String(20)),
    Column("company", String(300)),
    Column("job_title", String(200)),
    Column("source", String(20), nullable=False),
    Column("source_detail", String(200)),
    Column("status", String(20), nullable=False, index=True),
    Column("score", Integer, nullable=False),
    Column("assigned_to", String(100)),
    Column("company_size", Integer),
    Column("industry", String(200)),
    Column("budget", Amount),
    Column("region", String(100)),
    Column("page_views", Integer, nullable=False, default=0),
    Column("downloads", Integer, nullable=False, default=0),
    Column("email_opens", Integer, nullable=False, default=0),
    Column("email_clicks", Integer, nullable=False, default=0),
    Column("events_attended", Integer, nullable=False, default=0),
    Column("last_engaged_at", UTCDateTime),
    Column("qualification", JSON),
    Column("disqualify_reason", Text),
    Column("metadata", JSON, nullable=False),
    *_stamps(),
    _version(),
    comment="Lead (source) + scoring inputs, qualification, version",
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", String(200), unique=True),
    Column("account_id", Uuid, ForeignKey("accounts.id"), index=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(320), unique=True),
    Column("phone", String(20), index=True),
    Column("role", String(20)),
    Column("lifecycle_stage", String(20), nullable=False),
    Column("funnel_stage", String(20), nullable=False),
    Column("funnel_history", JSON, nullable=False),
    Column("preferred_channel", String(20)),
    Column("attributes", JSON, nullable=False),
    Column("source_lead_id", Uuid),
    Column("archived", Boolean, nullable=False, default=False),
    *_stamps(),
    _version(),
    comment="Contact (source) + funnel, preferred channel, attributes, archive flag, version",
)

deals = Table(
    "deals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id"), index=True),
    Column("contact_id", Uuid, ForeignKey("contacts.id"), index=True),
    Column("title", String(300), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False, default="USD"),
    Column("stage", String(20), nullable=False, index=True),
    Column("probability", Integer, nullable=False),
    Column("expected_close_date", Date),
    Column("actual_close_date", Date),
    Column("owner_id", String(100)),
    Column("lost_reason", Text),
    Column("metadata", JSON, nullable=False),
    *_stamps(),
    _version(),
    comment="Deal (source) + version; stage history in deal_stage_history",
)

deal_stage_history = Table(
    "deal_stage_history",
    metadata,
    Column("deal_id", Uuid, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("from_stage", String(20)),
    Column("to_stage", String(20), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    comment="library: every stage change of a deal, in order",
)

activities = Table(
    "activities",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("type", String(20), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("description", Text, nullable=False),
    Column("lead_id", Uuid, index=True, comment="no foreign key: leads are purged earlier"),
    Column("contact_id", Uuid, ForeignKey("contacts.id"), index=True),
    Column("deal_id", Uuid, ForeignKey("deals.id"), index=True),
    Column("user_id", String(100), comment="who acted"),
    Column("completed", Boolean, nullable=False, default=False),
    Column("due_date", UTCDateTime),
    Column("completed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    _version(),
    Index("ix_activities_open_tasks", "type", "completed", "due_date"),
    comment="Activity (source) + lead_id, version",
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("type", String(30), comment="kind: onboarding, activation, ..."),
    Column("channel", String(20)),
    Column("status", String(20), nullable=False),
    Column("segment_id", Uuid),
    Column("template_id", Uuid),
    Column("scheduled_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("stats", JSON, nullable=False),
    Column("definition", JSON, nullable=False, comment="library: steps, variants, triggers"),
    *_stamps(),
    _version(),
    comment="Campaign (source) + channel, definition, version",
)

campaign_deliveries = Table(
    "campaign_deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), index=True),
    Column("contact_id", Uuid, ForeignKey("contacts.id"), index=True),
    Column("channel", String(20), nullable=False),
    Column("variant", String(50)),
    Column("status", String(20), nullable=False, comment="sent, opened, clicked, failed, ..."),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("step", Integer, nullable=False, default=0, comment="issue 17: sequence step, 0"),
    Column("address", String(320), nullable=False, default="", comment="issue 17: where to"),
    Column("attempts", Integer, nullable=False, default=0, comment="issue 17: claims"),
    Column("claimed_until", UTCDateTime, comment="issue 17: a worker's lease"),
    Column("message_id", String(300), comment="issue 17: the channel's id"),
    Column("error", Text, comment="issue 17: why the channel refused"),
    Column("opened_at", UTCDateTime, comment="issue 17: engagement"),
    Column("clicked_at", UTCDateTime, comment="issue 17: engagement"),
    Column("converted_at", UTCDateTime, comment="issue 17: engagement"),
    Index("uq_campaign_deliveries_key", "campaign_id", "step", "contact_id", unique=True),
    Index("ix_campaign_deliveries_due", "campaign_id", "status"),
    comment="library: per-recipient campaign detail (kept 1 year, C12)",
)

message_templates = Table(
    "message_templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    *_stamps(),
    _version(),
    Index("uq_message_templates_name", "name", unique=True),
    comment="library (issue 17): named subject + body templates (Jinja2 sandbox)",
)

sequence_enrollments = Table(
    "sequence_enrollments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sequence_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("contact_id", Uuid, ForeignKey("contacts.id"), nullable=False, index=True),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),
    Column("left_reason", String(20), comment="goal, unsubscribed, removed"),
    Index("uq_sequence_enrollments_key", "sequence_id", "contact_id", unique=True),
    comment="library (issue 17): who is in which drip sequence since when",
)

marketing_consents = Table(
    "marketing_consents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("address", String(320), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("source", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("uq_marketing_consents_key", "address", "channel", unique=True),
    comment="library (issue 17): consent per address and channel; withdrawn = suppressed",
)

segments = Table(
    "segments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("description", Text),
    Column("filters", JSON, nullable=False),
    Column("member_count", Integer, nullable=False, default=0),
    Column("last_updated", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    _version(),
    Column("updated_at", UTCDateTime, comment="library: last change of the definition or count"),
    Index("uq_segments_name", "name", unique=True),
    comment="Segment (source) + version",
)

health_scores = Table(
    "health_scores",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("contact_id", Uuid, ForeignKey("contacts.id")),
    Column("account_id", Uuid, ForeignKey("accounts.id"), index=True),
    Column("score", Integer, nullable=False),
    Column("risk_level", String(10), nullable=False),
    Column("factors", JSON, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("reasons", JSON, comment="library: churn-risk reasons of the assessment"),
    Index("ix_health_scores_user_time", "user_id", "computed_at"),
    # a contact's latest assessment is one seek, however long their history
    Index("ix_health_scores_contact_time", "contact_id", "computed_at"),
    comment="HealthScore (source) + contact/account links (history kept 6 months, C12)",
)

health_due = Table(
    "health_due",
    metadata,
    Column("contact_id", Uuid, primary_key=True),
    Column("since", UTCDateTime, nullable=False),
    comment=(
        "library: customers whose health is to be reassessed (touched by events since "
        "their last assessment); the event worker reassesses them in bulk (ADR 0030)"
    ),
    sqlite_with_rowid=False,
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("contact_id", Uuid, ForeignKey("contacts.id"), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("channel", String(50)),
    Column("product", String(200)),
    Column("external_id", String(200), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_transactions_rfm", "contact_id", "occurred_at", "amount"),
    comment="library: purchases (RFM, CLV); covering index for per-customer aggregates",
)

customer_rfm = Table(
    "customer_rfm",
    metadata,
    Column("contact_id", Uuid, primary_key=True),
    Column("frequency", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("monetary", AmountSum, nullable=False),
    comment=(
        "library: per-customer transaction count, first/last time and sum of amounts (any "
        "currency), kept by triggers on transactions (RFM, behaviour filters; ADR 0011)"
    ),
    sqlite_with_rowid=False,
)

outbox = Table(
    "outbox",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("status", String(10), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_status_position", "status", "position"),
    comment="library: transactional outbox (C13)",
)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("processed_at", UTCDateTime, nullable=False),
    comment="library: consumer de-duplication by event id",
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(200)),
    Column("action", String(100), nullable=False),
    Column("subject", String(320), nullable=False),
    Column("detail", JSON, nullable=False),
    comment="library: who did what to personal data (privacy export/erase, merges)",
)

database_secrets = Table(
    "database_secrets",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("secret", String(128), nullable=False, comment="hex; never leaves the database"),
    Column("created_at", UTCDateTime, nullable=False),
    comment="library: this database's own keys (the audit log's subject HMAC)",
)

loyalty_cards = Table(
    "loyalty_cards",
    metadata,
    Column("id", Uuid, primary_key=True, comment="the customer's id (contact or account)"),
    Column("name", String(300), nullable=False),
    Column("contact", String(320), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("first_interaction", Date, nullable=False),
    Column("level", String(100), nullable=False),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("holder", String(200)),
    Column("taken_at", UTCDateTime),
    *_stamps(),
    _version(),
    Index("ix_loyalty_cards_level_holder", "level", "holder"),
    comment="library: loyalty board cards (C8), one per customer",
)

loyalty_moves = Table(
    "loyalty_moves",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("card_id", Uuid, nullable=False),
    Column("from_level", String(100), nullable=False),
    Column("to_level", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("cause", String(20), nullable=False),
    Column("override_reason", Text),
    Index("ix_loyalty_moves_at_id", "at", "id"),
    Index("ix_loyalty_moves_card_at", "card_id", "at"),
    comment="library: append-only log of loyalty card movements (C8)",
)

loyalty_facts = Table(
    "loyalty_facts",
    metadata,
    Column("id", Uuid, primary_key=True, comment="the customer's id"),
    Column("purchases", Integer, nullable=False),
    Column("revenue", Amount, nullable=False),
    Column("referral_invites", Integer, nullable=False),
    Column("reviews", Integer, nullable=False),
    Column("referred_friends_converted", Integer, nullable=False),
    Column("partner_program", Boolean, nullable=False),
    Column("paying_customers_brought", Integer, nullable=False),
    Column("advocacy", Integer, nullable=False),
    Column("form_answers", Integer, nullable=False),
    Column("last_nps", Integer),
    Column("first_interaction", Date),
    Column("last_purchase", Date),
    Column("tags", JSON, nullable=False),
    _version(),
    comment="library: customer facts the loyalty exit metrics read (C8)",
)

loyalty_columns = Table(
    "loyalty_columns",
    metadata,
    Column("level", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    comment="library: one row per board column, bumped by every take and release so "
    "concurrent takes past the WIP limit conflict",
)


clv_fits = Table(
    "clv_fits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fitted_at", UTCDateTime, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("unit", String(10), nullable=False),
    Column("customers", Integer, nullable=False),
    Column("r", Double, nullable=False),
    Column("alpha", Double, nullable=False),
    Column("a", Double, nullable=False),
    Column("b", Double, nullable=False),
    Column("log_likelihood", Double, nullable=False),
    Column("gg_p", Double),
    Column("gg_q", Double),
    Column("gg_gamma", Double),
    Column("gg_customers", Integer),
    Column("gg_error", Text),
    comment="library: CLV fits (BG/NBD + Gamma-Gamma, C9); the highest id is the latest",
)

clv_predictions = Table(
    "clv_predictions",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("frequency", Integer, nullable=False),
    Column("recency", Double, nullable=False),
    Column("t", Double, nullable=False),
    Column("expected_purchases", Double, nullable=False),
    Column("p_alive", Double, nullable=False),
    Column("expected_avg_value", Amount),
    Column("clv", Amount),
    Column("horizon", Double, nullable=False),
    Column("discount_rate", Double, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    comment="library: each customer's latest CLV prediction with the stored fit (C9)",
)


# --- the event pipeline (C10) ------------------------------------------------------

event_inbox = Table(
    "event_inbox",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("validated", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("occurred_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("order_at", UTCDateTime, nullable=False, comment="occurred_at, else received_at"),
    Column("last_error", Text),
    Column("claimed_by", String(100)),
    Column("claim_token", Uuid),
    Column("lease_until", UTCDateTime),
    Column("processed_at", UTCDateTime),
    Column("customer_key", Integer, comment="a hash of the customer's key: claims by customer"),
    _version(),
    Index("ix_event_inbox_claim", "status", "order_at", "event_id"),
    comment="library: accepted events and their processing state (C10)",
)

failed_events = Table(
    "failed_events",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("raw", Text, nullable=False),
    Column("errors", JSON, nullable=False),
    Column("event_id", String(200)),
    Column("source", String(40), nullable=False),
    Column("line", Integer),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    _version(),
    Index("ix_failed_events_status", "status", "received_at"),
    comment="library: input that could not be accepted, with its reasons (C10)",
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", String(128), nullable=False, index=True),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("proposed_action", Text, nullable=False),
    Column("proposed_label", String(16)),
    Column("confidence", Float),
    Column("candidates", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("resolution", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    _version(),
    Index("ix_review_items_open", "status", "reason", "created_at"),
    comment="library: events waiting for an operator (C10)",
)

pipeline_facts = Table(
    "pipeline_facts",
    metadata,
    Column("contact_id", Uuid, nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("value", JSON),
    Column("occurred_at", UTCDateTime, nullable=False),
    # contact first: an event fixes its contact and time, and producers' event ids are
    # random, so a batch's facts land beside each contact's others, in the facts' order
    # (ADR 0031)
    PrimaryKeyConstraint("contact_id", "occurred_at", "event_id", "kind", "name"),
    # a contact's latest NPS answer and sentiment are one short scan, however many other
    # facts they have (the rare kinds only: the common ones cost no second index write)
    Index(
        "ix_pipeline_facts_nps",
        "contact_id",
        "occurred_at",
        sqlite_where=text("kind = 'loyalty' AND name = 'nps'"),
        postgresql_where=text("kind = 'loyalty' AND name = 'nps'"),
    ),
    Index(
        "ix_pipeline_facts_sentiment",
        "contact_id",
        "occurred_at",
        sqlite_where=text("kind = 'sentiment'"),
        postgresql_where=text("kind = 'sentiment'"),
    ),
    comment="library: facts the pipeline derived per customer, idempotent by event (C10)",
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("key", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("value", Float),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("cleared_at", UTCDateTime),
    _version(),
    Index("ix_alerts_open", "cleared_at", "key"),
    Index(
        "uq_alerts_open_key",
        "key",
        unique=True,
        sqlite_where=text("cleared_at IS NULL"),
        postgresql_where=text("cleared_at IS NULL"),
    ),
    comment="library: C11 alerts, open until their condition no longer holds",
)

measurements = Table(
    "measurements",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("value", Float, nullable=False),
    Column("detail", Text),
    Index("ix_measurements_name_at", "name", "at"),
    comment="library: samples of the alert inputs (channel service reached, scoring latency)",
)


def _merge_log(name: str, what: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("keep_id", Uuid, nullable=False, index=True),
        Column("other_id", Uuid, nullable=False, index=True),
        Column("reason", Text, nullable=False),
        Column("merged_by", String(200)),
        Column("at", UTCDateTime, nullable=False),
        Column("before", JSON, nullable=False),
        Column("moved", JSON, nullable=False),
        Column("undone_at", UTCDateTime),
        comment=f"library: {what} merges with both before-images and the rows moved (C2)",
    )


contact_merges = _merge_log("contact_merges", "contact")
account_merges = _merge_log("account_merges", "account")

# -- issue 20: the HTTP surface (ADR 0019) ----------------------------------------------

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("scope", String(10), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True, comment="hex SHA-256"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    _version(),
    comment="library: HTTP API keys; only the hash of each token is kept",
)

idempotent_responses = Table(
    "idempotent_responses",
    metadata,
    Column("id", Uuid, primary_key=True, comment="uuid5 of (API key id, Idempotency-Key)"),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    _version(),
    comment="library: first responses to POSTs with an Idempotency-Key, replayed",
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("secret", String(128), nullable=False, comment="HMAC key shared with the receiver"),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _version(),
    comment="library: outbound webhooks for crm.* events",
)

relationships = Table(
    "relationships",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("contact_id", Uuid, ForeignKey("contacts.id"), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("account_id", Uuid, ForeignKey("accounts.id"), index=True),
    Column("other_contact_id", Uuid, ForeignKey("contacts.id"), index=True),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _version(),
    comment="Relationship mapping: a contact's role for an account or another contact (C2)",
)
