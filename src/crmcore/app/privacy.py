"""Retention purge and personal-data requests as use cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.codec.records import to_json_ready
from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.lead import Lead
from crmcore.domain.privacy import (
    anonymise_activity,
    anonymise_contact,
    anonymise_lead,
    subject_key,
)
from crmcore.domain.retention import RetentionCutoffs, RetentionPolicy
from crmcore.ports.privacy import AuditEntry, PersonTrace
from crmcore.ports.uow import UnitOfWork

DEFAULT_RETENTION = RetentionPolicy()


@attrs.frozen(kw_only=True)
class PurgeReport:
    """Rows purged (or, on a dry run, that would be) per table."""

    counts: Mapping[str, int]
    cutoffs: RetentionCutoffs
    dry_run: bool


def purge_retention(
    app: App, *, dry_run: bool = False, policy: RetentionPolicy = DEFAULT_RETENTION
) -> Result[PurgeReport, AppError]:
    """Apply the retention policy as of the application's clock, in one transaction."""
    cutoffs = policy.cutoffs(app.clock.now())

    def work(uow: UnitOfWork) -> Result[PurgeReport, AppError]:
        counts = uow.retention.purge(cutoffs, dry_run=dry_run)
        return Success(PurgeReport(counts=dict(counts), cutoffs=cutoffs, dry_run=dry_run))

    return transact(app, work)


@attrs.frozen(kw_only=True)
class _Person:
    leads: list[Lead]
    contacts: list[Contact]
    activities: list[Activity]


def _find_person(uow: UnitOfWork, email: Email) -> _Person:
    lead = uow.leads.find_by_email(email)
    contact = next(iter(uow.contacts.find_many(emails=[email])), None)
    leads = [lead] if lead else []
    contacts = [contact] if contact else []
    seen: dict[Any, Activity] = {}
    for x in leads:
        seen.update((a.id, a) for a in uow.activities.list(lead_id=x.id))
    for c in contacts:
        seen.update((a.id, a) for a in uow.activities.list(contact_id=c.id))
    return _Person(leads=leads, contacts=contacts, activities=[seen[k] for k in sorted(seen)])


def _parse_email(raw: str) -> Result[Email, AppError]:
    check = Collector()
    email = check.take(Email.parse(raw))
    invalid = check.failure()
    if invalid is not None or email is None:
        return Failure(invalid) if invalid else Failure(NotFound(kind="person", key=raw))
    return Success(email)


def export_person(
    app: App, *, email: str, actor: str | None = None
) -> Result[dict[str, Any], AppError]:
    """Everything held about the person with this e-mail, as JSON-ready data (audited)."""

    def work(address: Email) -> Result[dict[str, Any], AppError]:
        def inner(uow: UnitOfWork) -> Result[dict[str, Any], AppError]:
            person = _find_person(uow, address)
            if not person.leads and not person.contacts:
                return Failure(NotFound(kind="person with email", key=address.value))
            related = uow.personal_data.records_of([c.id for c in person.contacts])
            export = {
                "email": address.value,
                "exported_at": app.clock.now().isoformat(),
                "leads": to_json_ready(person.leads),
                "contacts": to_json_ready(person.contacts),
                "activities": to_json_ready(person.activities),
                **{name: list(rows) for name, rows in related.items()},
            }
            uow.personal_data.audit(_audit(uow, app, "privacy.export", address, actor, {}))
            return Success(export)

        return transact(app, inner)

    return _parse_email(email).bind(work)


@attrs.frozen(kw_only=True)
class ErasureReport:
    """How many records of each kind were anonymised."""

    leads: int
    contacts: int
    activities: int
    #: rows of other tables redacted (stored payloads, cards, deals, facts, ...)
    traces: Mapping[str, int] = attrs.field(factory=dict)


def erase_person(
    app: App, *, email: str, actor: str | None = None
) -> Result[ErasureReport, AppError]:
    """Remove or anonymise the person's personal fields everywhere; aggregates stay; the
    audit log records the request by a hash of the address."""

    def work(address: Email) -> Result[ErasureReport, AppError]:
        def inner(uow: UnitOfWork) -> Result[ErasureReport, AppError]:
            person = _find_person(uow, address)
            if not person.leads and not person.contacts:
                return Failure(NotFound(kind="person with email", key=address.value))
            now = app.clock.now()
            for lead in person.leads:
                uow.leads.save(anonymise_lead(lead, at=now))
            for contact in person.contacts:
                uow.contacts.save(anonymise_contact(contact, at=now))
            for activity in person.activities:
                uow.activities.save(anonymise_activity(activity))
            traces = uow.personal_data.erase_traces(_trace(address, person))
            report = ErasureReport(
                leads=len(person.leads),
                contacts=len(person.contacts),
                activities=len(person.activities),
                traces={table: n for table, n in sorted(traces.items()) if n},
            )
            uow.personal_data.audit(
                _audit(uow, app, "privacy.erase", address, actor, attrs.asdict(report))
            )
            return Success(report)

        return transact(app, inner)

    return _parse_email(email).bind(work)


def _trace(address: Email, person: _Person) -> PersonTrace:
    """How stored rows name the person: e-mails, user ids, phones, and record ids."""
    identifiers: set[str] = {address.value}
    for lead in person.leads:
        identifiers.add(lead.email.value)
        if lead.phone is not None:
            identifiers.add(lead.phone.e164)
    for contact in person.contacts:
        if contact.email is not None:
            identifiers.add(contact.email.value)
        if contact.user_id:
            identifiers.add(contact.user_id)
        if contact.phone is not None:
            identifiers.add(contact.phone.e164)
    return PersonTrace(
        contact_ids=[c.id for c in person.contacts],
        record_ids=[lead.id for lead in person.leads],
        identifiers=sorted(identifiers),
    )


def _audit(
    uow: UnitOfWork,
    app: App,
    action: str,
    email: Email,
    actor: str | None,
    detail: Mapping[str, Any],
) -> AuditEntry:
    return AuditEntry(
        id=app.ids.new(),
        at=app.clock.now(),
        actor=actor,
        action=action,
        subject=subject_key(email, secret=uow.personal_data.subject_secret()),
        detail=detail,
    )
