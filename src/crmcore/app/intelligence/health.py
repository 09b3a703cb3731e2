"""Customer health use cases: assess, store history, emit events, report.

A customer's inputs are read from what they did, the facts the event pipeline recorded
(logins, e-mail engagement, NPS answers, classified feedback, purchases: see
:mod:`crmcore.domain.health_signals`). ``contact.attributes["health"]`` may override any of
them by hand (keys: ``active_days_30``, ``features_used``, ``key_features``,
``engagement_30``, ``tickets``, ``unresolved_tickets``, ``nps``, ``negative_feedback``,
``last_active_at``, ``renewal_at``); when no last activity is known the last transaction
stands in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.progress import Progress, chunks
from crmcore.domain.contact import Contact
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.events import DomainEvent
from crmcore.domain.health import (
    ACTIONS,
    HEALTH_RETENTION,
    ChurnRiskDetected,
    HealthAssessment,
    HealthChanged,
    HealthConfig,
    HealthInputs,
    HealthRecord,
    HealthRecordId,
    RenewalApproaching,
    RiskLevel,
    assess,
    roll_up,
)
from crmcore.domain.health_signals import inputs_from_facts, with_overrides
from crmcore.domain.ids import AccountId, ContactId
from crmcore.ports.event_processing import FactSink
from crmcore.ports.uow import UnitOfWork


def _instant(raw: object, field: str, errors: list[FieldError]) -> datetime | None:
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(str(raw))
    except ValueError:
        errors.append(FieldError(field=field, value=str(raw), reason="not an ISO datetime"))
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def inputs_from(
    facts: Mapping[str, Any], *, last_transaction_at: datetime | None = None
) -> Result[HealthInputs, InvalidInput]:
    """Health inputs from a contact's ``attributes["health"]`` mapping."""
    errors: list[FieldError] = []

    def count(key: str) -> int:
        value = facts.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(
                FieldError(field=f"health.{key}", value=str(value), reason="must be a count")
            )
            return 0
        return value

    def names(key: str) -> frozenset[str]:
        value = facts.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(
                FieldError(
                    field=f"health.{key}", value=str(value), reason="must be a list of names"
                )
            )
            return frozenset()
        return frozenset(value)

    nps = facts.get("nps")
    if nps is not None and (
        isinstance(nps, bool) or not isinstance(nps, int) or not 0 <= nps <= 10
    ):
        errors.append(FieldError(field="health.nps", value=str(nps), reason="must be 0-10"))
        nps = None
    inputs = HealthInputs(
        active_days_30=count("active_days_30"),
        features_used=names("features_used"),
        key_features=names("key_features"),
        engagement_30=count("engagement_30"),
        tickets=count("tickets"),
        unresolved_tickets=count("unresolved_tickets"),
        nps=nps,
        negative_feedback=bool(facts.get("negative_feedback", False)),
        last_active_at=_instant(facts.get("last_active_at"), "health.last_active_at", errors)
        or last_transaction_at,
        renewal_at=_instant(facts.get("renewal_at"), "health.renewal_at", errors),
    )
    return Failure(InvalidInput(errors=tuple(errors))) if errors else Success(inputs)


def record_assessments(
    app: App,
    uow: UnitOfWork,
    assessments: Sequence[tuple[ContactId, HealthAssessment]],
    config: HealthConfig,
) -> list[HealthRecord]:
    """Store the assessments (one statement) and record the events their changes call
    for: ``crm.health.changed`` when score or level moved, ``crm.churn_risk.detected``
    per new trigger, ``crm.renewal.approaching`` within the renewal window."""
    now = app.clock.now()
    previous_of = uow.health.latest_of([c for c, _ in assessments])
    ids = app.ids.new_many(len(assessments))
    records: list[HealthRecord] = []
    for record_id, (customer, assessment) in zip(ids, assessments, strict=True):
        previous = previous_of.get(customer)
        record = HealthRecord(
            id=HealthRecordId(record_id),
            customer=customer,
            score=assessment.score,
            level=assessment.level,
            factors=dict(assessment.factors),
            reasons=tuple(f"{t.reason}: {t.detail}" for t in assessment.triggers),
            computed_at=now,
        )
        records.append(record)
        uow.record(*_health_events(customer, assessment, record, previous, config))
    uow.health.add_many(records)
    return records


def _health_events(
    customer: ContactId,
    assessment: HealthAssessment,
    record: HealthRecord,
    previous: HealthRecord | None,
    config: HealthConfig,
) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    if previous is None or (previous.score, previous.level) != (record.score, record.level):
        events.append(
            HealthChanged(
                customer=customer,
                previous_score=previous.score if previous else None,
                score=record.score,
                previous_level=previous.level if previous else None,
                level=record.level,
                action=assessment.action,
            )
        )
    before = {r.split(":", 1)[0] for r in previous.reasons} if previous else set()
    events.extend(
        ChurnRiskDetected(
            customer=customer,
            reason=trigger.reason,
            detail=trigger.detail,
            level=record.level,
        )
        for trigger in assessment.triggers
        if trigger.reason not in before
    )
    days, renewal = assessment.renewal_in_days, assessment.renewal_at
    if days is not None and renewal is not None and days <= config.renewal_days:
        events.append(RenewalApproaching(customer=customer, renewal_at=renewal, days=days))
    return events


def record_assessment(
    app: App,
    uow: UnitOfWork,
    customer: ContactId,
    assessment: HealthAssessment,
    config: HealthConfig,
) -> HealthRecord:
    """Store one assessment and record the events its change calls for."""
    return record_assessments(app, uow, [(customer, assessment)], config)[0]


def assess_customer(
    app: App, customer: ContactId, inputs: HealthInputs, *, config: HealthConfig
) -> Result[HealthAssessment, AppError]:
    """Assess one customer from explicit inputs and store the result."""

    def work(uow: UnitOfWork) -> Result[HealthAssessment, AppError]:
        if uow.contacts.get(customer) is None:
            return Failure(NotFound(kind="contact", key=str(customer)))
        assessment = assess(inputs, config, now=app.clock.now())
        record_assessment(app, uow, customer, assessment, config)
        return Success(assessment)

    return transact(app, work)


@attrs.frozen(kw_only=True)
class AssessSummary:
    """What a full assessment run did."""

    assessed: int
    purged: int
    errors: tuple[str, ...] = ()


def _fact_store(uow: UnitOfWork) -> FactSink | None:
    """The unit of work's store of pipeline facts, when it has one."""
    return cast("FactSink | None", getattr(uow, "facts", None))


def inputs_of(
    uow: UnitOfWork, filled_of: Mapping[ContactId, object], *, now: datetime
) -> dict[ContactId, Result[HealthInputs, InvalidInput]]:
    """Each contact's health inputs: read from their facts, overridden field by field by
    their ``attributes["health"]`` (``filled_of``); the last transaction stands in for an
    unknown last activity."""
    store = _fact_store(uow)
    ids = list(filled_of)
    facts = store.health_facts_of(ids, now=now) if store is not None and ids else {}
    out: dict[ContactId, Result[HealthInputs, InvalidInput]] = {}
    for contact_id in ids:
        observed = inputs_from_facts(facts.get(contact_id, ()), now=now)
        filled = filled_of[contact_id]
        filled = filled if isinstance(filled, Mapping) else {}
        last = observed.last_active_at
        if last is None and "last_active_at" not in filled:
            history = uow.transactions.list_for(contact_id)
            last = history[-1].occurred_at if history else None
        parsed = inputs_from(filled, last_transaction_at=last)
        if isinstance(parsed, Failure):
            out[contact_id] = parsed
            continue
        merged = with_overrides(
            attrs.evolve(observed, last_active_at=last), parsed.unwrap(), filled.keys()
        )
        out[contact_id] = Success(merged)
    return out


def reassess(
    app: App, uow: UnitOfWork, customers: Sequence[ContactId], *, config: HealthConfig
) -> list[str]:
    """Inside an open unit of work: assess these contacts and store the results; the
    problems of contacts whose hand-filled inputs are invalid (those are skipped)."""
    now = app.clock.now()
    heads = uow.contacts.headlines(customers, ("health",))
    filled = {c: h.attributes.get("health") for c, h in heads.items()}
    ordered = {c: filled[c] for c in sorted(filled)}  # by id, as contacts are read
    problems: list[str] = []
    assessed: list[tuple[ContactId, HealthAssessment]] = []
    for contact_id, parsed in inputs_of(uow, ordered, now=now).items():
        if isinstance(parsed, Failure):
            problems.append(f"contact {contact_id}: {parsed.failure()}")
            continue
        assessed.append((contact_id, assess(parsed.unwrap(), config, now=now)))
    record_assessments(app, uow, assessed, config)
    return problems


def assess_all(
    app: App, *, config: HealthConfig, progress: Progress | None = None
) -> Result[AssessSummary, AppError]:
    """Assess every active contact from its facts and hand-filled inputs; purge history
    beyond 6 months. ``progress(done, total)`` hears of each chunk of contacts."""

    def work(uow: UnitOfWork) -> Result[AssessSummary, AppError]:
        now = app.clock.now()
        contacts: Sequence[Contact] = uow.contacts.list()
        while uow.health.take_due(DUE_CHUNK):  # everyone is assessed below
            pass
        problems: list[str] = []
        for chunk in chunks([c.id for c in contacts], progress):
            problems += reassess(app, uow, chunk, config=config)
        purged = uow.health.purge_before(now - HEALTH_RETENTION)
        return Success(
            AssessSummary(
                assessed=len(contacts) - len(problems), purged=purged, errors=tuple(problems)
            )
        )

    return transact(app, work)


#: Customers reassessed per transaction when the marked ones are worked off.
DUE_CHUNK = 5_000


def reassess_due(
    app: App, *, config: HealthConfig | None = None, chunk: int = DUE_CHUNK
) -> Result[int, AppError]:
    """Reassess the customers marked for it (``HealthRepository.mark_due``), ``chunk`` per
    transaction, until none is marked; how many were reassessed. A chunk that fails is
    rolled back and stays marked (the next call takes it again)."""
    used = config or HealthConfig()
    done = 0

    def work(uow: UnitOfWork) -> Result[int, AppError]:
        taken = uow.health.take_due(chunk)
        if taken:
            reassess(app, uow, taken, config=used)
        return Success(len(taken))

    while True:
        result = transact(app, work)
        if isinstance(result, Failure):
            return result
        taken = result.unwrap()
        done += taken
        if taken < chunk:
            return Success(done)


@attrs.frozen(kw_only=True)
class HealthRow:
    """One line of the health report."""

    contact_id: ContactId
    user_id: str | None
    name: str
    score: int
    level: RiskLevel
    action: str
    reasons: tuple[str, ...]
    computed_at: datetime


def health_report(app: App, *, risk: RiskLevel | None = None) -> Result[list[HealthRow], AppError]:
    """The latest health of every customer (optionally one risk level), worst first."""

    def work(uow: UnitOfWork) -> Result[list[HealthRow], AppError]:
        rows = []
        for record in uow.health.latest_all():
            if risk is not None and record.level != risk:
                continue
            contact = uow.contacts.get(record.customer)
            rows.append(
                HealthRow(
                    contact_id=record.customer,
                    user_id=contact.user_id if contact else None,
                    name=contact.name.full if contact else "",
                    score=record.score,
                    level=record.level,
                    action=ACTIONS[record.level],
                    reasons=record.reasons,
                    computed_at=record.computed_at,
                )
            )
        rows.sort(key=lambda r: (r.score, str(r.contact_id)))
        return Success(rows)

    return transact(app, work)


@attrs.frozen(kw_only=True)
class AccountHealthRow:
    """One line of the per-account health report."""

    account_id: AccountId
    name: str
    score: int
    level: RiskLevel
    worst: int
    contacts: int
    red: int
    action: str


def account_health_report(
    app: App, *, config: HealthConfig, risk: RiskLevel | None = None
) -> Result[list[AccountHealthRow], AppError]:
    """Health rolled up per account (mean of its contacts' latest scores), worst first."""

    def work(uow: UnitOfWork) -> Result[list[AccountHealthRow], AppError]:
        scores: dict[UUID, list[int]] = {}
        for record in uow.health.latest_all():
            contact = uow.contacts.get(record.customer)
            if contact is None or contact.archived or contact.account_id is None:
                continue
            scores.setdefault(contact.account_id, []).append(record.score)
        rows = []
        for rolled in roll_up(scores, config):
            if risk is not None and rolled.level != risk:
                continue
            account = uow.accounts.get(AccountId(rolled.account))
            rows.append(
                AccountHealthRow(
                    account_id=AccountId(rolled.account),
                    name=account.name if account else "",
                    score=rolled.score,
                    level=rolled.level,
                    worst=rolled.worst,
                    contacts=rolled.contacts,
                    red=rolled.red,
                    action=ACTIONS[rolled.level],
                )
            )
        return Success(rows)

    return transact(app, work)
