"""Retention purge and personal-data requests, on every backend (C12)."""

from __future__ import annotations

import json
from datetime import timedelta

import attrs
from returns.result import Failure

from crmcore.app.context import App
from crmcore.app.errors import NotFound
from crmcore.app.privacy import erase_person, export_person, purge_retention
from crmcore.app.sales.activities import log_activity
from crmcore.app.sales.leads import capture_lead, convert_lead, qualify_lead
from crmcore.domain.email import Email
from crmcore.domain.lead import Engagement, LeadStatus
from crmcore.domain.privacy import ERASED_DOMAIN
from tests.contract.conftest import Backend
from tests.contract.helpers import deal, lead, task

YEAR = timedelta(days=365)


def test_purge_applies_the_policy_as_of_the_injected_clock(
    backend: Backend, backend_app: App
) -> None:
    now = backend.clock.now()
    stale = lead(backend, "stale@example.com", at=now - 3 * YEAR)
    engaged = attrs.evolve(
        lead(backend, "engaged@example.com", at=now - 3 * YEAR),
        engagement=Engagement(page_views=3, last_engaged_at=now - YEAR),
    )
    fresh = lead(backend, "fresh@example.com", at=now - YEAR)
    old_deal = attrs.evolve(deal(backend), created_at=now - 10 * YEAR)
    old_note = attrs.evolve(
        task(backend, "old note", deal_id=old_deal.id), created_at=now - 4 * YEAR
    )
    old_open_task = attrs.evolve(
        task(backend, "still to do", deal_id=old_deal.id), created_at=now - 4 * YEAR
    )
    old_note = attrs.evolve(old_note, completed_at=now - 4 * YEAR)
    recent = task(backend, "recent", deal_id=old_deal.id)
    with backend.uow() as uow:
        for x in (stale, engaged, fresh):
            uow.leads.add(x)
        uow.deals.add(old_deal)
        for a in (old_note, old_open_task, recent):
            uow.activities.add(a)
        uow.commit()

    dry = purge_retention(backend_app, dry_run=True).unwrap()
    assert (dry.counts["leads"], dry.counts["activities"]) == (1, 1)
    with backend.uow() as uow:
        assert len(uow.leads.list()) == 3

    done = purge_retention(backend_app).unwrap()
    assert done.counts == dry.counts
    with backend.uow() as uow:
        assert {x.id for x in uow.leads.list()} == {engaged.id, fresh.id}
        assert {a.id for a in uow.activities.list()} == {old_open_task.id, recent.id}
        assert uow.deals.get(old_deal.id) is not None  # deals are kept forever
    assert purge_retention(backend_app).unwrap().counts == dict.fromkeys(done.counts, 0)


def _person(app: App) -> None:
    made = capture_lead(app, email="Mia@Example.com", first_name="Mia", phone="+79001234567")
    mia = made.unwrap()
    qualify_lead(app, mia.id, fit="good", budget="ok", timeline="Q3").unwrap()
    conversion = convert_lead(
        app, mia.id, account_name="Mia's Uni", deal_title="Licence", deal_amount="900.00"
    ).unwrap()
    log_activity(
        app, type="call", subject="Called Mia about her thesis", contact_id=conversion.contact.id
    ).unwrap()


def test_export_gathers_everything_held_about_a_person(backend_app: App) -> None:
    _person(backend_app)
    data = export_person(backend_app, email="Mia@example.com").unwrap()
    json.dumps(data)  # JSON-ready throughout
    assert [x["email"] for x in data["leads"]] == ["mia@example.com"]
    assert [x["phone"] for x in data["contacts"]] == ["+79001234567"]
    assert [a["subject"] for a in data["activities"]] == ["Called Mia about her thesis"]
    assert [(d["title"], d["amount"]) for d in data["deals"]] == [("Licence", "900.00")]


def test_erase_removes_personal_fields_and_keeps_aggregates(backend_app: App) -> None:
    _person(backend_app)
    report = erase_person(backend_app, email="Mia@example.com").unwrap()
    assert (report.leads, report.contacts, report.activities) == (1, 1, 1)
    gone = export_person(backend_app, email="Mia@example.com")
    assert isinstance(gone, Failure)
    assert isinstance(gone.failure(), NotFound)
    with backend_app.uow() as uow:
        (erased_lead,) = uow.leads.list()
        (contact,) = uow.contacts.list(include_archived=True)
        (activity,) = uow.activities.list()
        (kept_deal,) = uow.deals.list()
        assert next(iter(uow.contacts.find_many(emails=[Email("mia@example.com")])), None) is None
    assert erased_lead.status == LeadStatus.CONVERTED
    assert erased_lead.email.domain == ERASED_DOMAIN
    assert "Mia" not in repr(erased_lead)
    assert "Mia" not in repr(contact)
    assert "+7900" not in repr(contact)
    assert contact.archived
    assert activity.subject == "[erased]"
    assert str(kept_deal.amount) == "900.00 USD"
    assert kept_deal.contact_id == contact.id


def test_erase_of_an_unknown_or_invalid_email_is_a_clear_failure(backend_app: App) -> None:
    unknown = erase_person(backend_app, email="nobody@example.com")
    invalid = erase_person(backend_app, email="not an email")
    assert isinstance(unknown, Failure)
    assert isinstance(unknown.failure(), NotFound)
    assert isinstance(invalid, Failure)
    assert "email" in str(invalid.failure())
