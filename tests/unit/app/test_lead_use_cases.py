"""Lead use cases through bootstrap with memory adapters."""

from __future__ import annotations

from returns.result import Failure, Result, Success

import crmcore
from crmcore import App, AppError, DuplicateLead, IllegalTransition, InvalidInput, NotFound
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.domain.ids import LeadId
from crmcore.domain.lead import Lead, LeadStatus


def _capture(app: App, email: str = "Ivan@Example.RU") -> Result[Lead, AppError]:
    return crmcore.capture_lead(
        app,
        email=email,
        first_name="Ivan",
        last_name="Petrov",
        phone="8 (900) 123-45-67",
        company="ACME",
        source="event",
        source_detail="webinar",
    )


def test_capture_normalises_and_records_the_event(app: App, publisher: MemoryPublisher) -> None:
    lead = _capture(app).unwrap()
    assert str(lead.email) == "ivan@example.ru"
    assert lead.phone is not None
    assert lead.phone.e164 == "+79001234567"
    assert lead.status == LeadStatus.NEW
    assert crmcore.relay_outbox(app) == Success(1)
    assert publisher.types() == ["crm.lead.created"]
    assert publisher.published[0].payload.lead_id == lead.id  # type: ignore[attr-defined]


def test_a_captured_lead_is_scored_at_once(app: App, publisher: MemoryPublisher) -> None:
    lead = crmcore.capture_lead(
        app, email="cio@uni.edu", first_name="Ann", company_size=5000, industry="education"
    ).unwrap()
    assert lead.score > 0
    assert crmcore.get_lead(app, lead.id).unwrap().score == lead.score
    crmcore.relay_outbox(app)
    assert publisher.types() == ["crm.lead.created", "crm.lead.scored"]


def test_capture_reports_every_field_error_at_once(app: App) -> None:
    result = crmcore.capture_lead(app, email="nope", first_name="", phone="12", source="tv")
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, InvalidInput)
    assert {e.field for e in error.errors} == {"email", "first_name", "phone", "source"}
    assert crmcore.list_leads(app).unwrap() == []


def test_duplicate_email_names_the_existing_lead(app: App) -> None:
    first = _capture(app).unwrap()
    again = _capture(app, email="ivan@EXAMPLE.ru")
    assert again == Failure(DuplicateLead(email="ivan@example.ru", existing_id=first.id))


def test_lifecycle_qualify_convert_with_account_and_deal(
    app: App, publisher: MemoryPublisher
) -> None:
    lead = _capture(app).unwrap()
    assert isinstance(crmcore.convert_lead(app, lead.id).failure(), IllegalTransition)
    crmcore.qualify_lead(app, lead.id, fit="ICP", budget="50k", timeline="Q3").unwrap()
    done = crmcore.convert_lead(
        app, lead.id, account_name="ACME", deal_title="Pilot", deal_amount="50000"
    ).unwrap()
    assert done.lead.status == LeadStatus.CONVERTED
    assert done.contact.email == lead.email
    assert done.account is not None
    assert done.deal is not None
    assert done.contact.account_id == done.account.id
    assert done.deal.account_id == done.account.id
    crmcore.relay_outbox(app).unwrap()
    assert publisher.types() == [
        "crm.lead.created",
        "crm.lead.qualified",
        "crm.deal.created",
        "crm.lead.converted",
    ]


def test_qualify_requires_the_three_criteria(app: App) -> None:
    lead = _capture(app).unwrap()
    result = crmcore.qualify_lead(app, lead.id, fit="", budget=" ", timeline="Q3")
    assert isinstance(result.failure(), InvalidInput)
    assert crmcore.get_lead(app, lead.id).unwrap().status == LeadStatus.NEW


def test_disqualify_and_reopen(app: App) -> None:
    lead = _capture(app).unwrap()
    out = crmcore.disqualify_lead(app, lead.id, reason="student").unwrap()
    assert out.status == LeadStatus.DISQUALIFIED
    assert crmcore.reopen_lead(app, lead.id).unwrap().status == LeadStatus.NEW


def test_unknown_lead_is_not_found(app: App) -> None:
    missing = LeadId(app.ids.new())
    assert isinstance(crmcore.reopen_lead(app, missing).failure(), NotFound)


def test_failed_use_case_leaves_no_events(app: App, publisher: MemoryPublisher) -> None:
    lead = _capture(app).unwrap()
    crmcore.relay_outbox(app)
    assert isinstance(crmcore.reopen_lead(app, lead.id), Failure)
    assert crmcore.relay_outbox(app) == Success(0)
    assert publisher.types() == ["crm.lead.created"]
