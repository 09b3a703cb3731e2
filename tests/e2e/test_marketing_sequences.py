"""Drip sequences end to end on a memory application and a real SMTP server: the
shipped onboarding over three weeks, conditions, leaving on the goal or an unsubscribe,
enrolment by a funnel trigger, numbers per step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs
import pytest
from returns.result import Result, Success

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings, transact
from crmcore.app.errors import AppError
from crmcore.app.marketing.config import ChannelOptions
from crmcore.app.marketing.sending import send_due
from crmcore.app.marketing.sequences import (
    add_sequence,
    enroll,
    install_onboarding,
    install_shipped,
    show_sequence,
)
from crmcore.app.marketing.unsubscribe import unsubscribe
from crmcore.domain.clv_status import ClvStatusDetected
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.funnel import FunnelJourney, FunnelStage
from crmcore.domain.ids import ActivityId, ContactId, LeadId
from crmcore.domain.interactions import CustomerStatusChanged, FunnelStageChanged
from crmcore.domain.lead import Lead, LeadConverted
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.scoring import LeadScoreThresholdCrossed
from crmcore.domain.sequence import DripStep, StepCondition
from crmcore.ports.uow import UnitOfWork
from tests.smtp_sink import Sink, smtp_sink

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[tuple[App, FixedClock, Sink, str]]:
    clock = FixedClock(T0)
    app = bootstrap(Settings(db_url="memory://"), clock=clock, ids=SequentialIds())
    with smtp_sink() as (sink, url):
        yield app, clock, sink, url


def _people(app: App, names: list[str]) -> dict[str, ContactId]:
    made = [
        Contact(id=ContactId(app.ids.new()), name=PersonName(n.capitalize(), "Lee"),
                email=Email(f"{n}@example.com"), created_at=T0, updated_at=T0)
        for n in names
    ]  # fmt: skip
    with app.uow() as uow:
        uow.contacts.add_many(made)
        uow.commit()
    return {n: c.id for n, c in zip(names, made, strict=True)}


def _send(app: App, url: str) -> None:
    assert app.marketing is not None
    channels = app.marketing.channels(ChannelOptions(smtp_url=url))
    try:
        assert isinstance(send_due(app, channels=channels, batch=50), Success)
    finally:
        for c in channels.values():
            c.close()


def _activate(app: App, contact_id: ContactId) -> None:
    def work(uow: UnitOfWork) -> Result[None, AppError]:
        c = uow.contacts.get(contact_id)
        assert c is not None
        journey = FunnelJourney.start(FunnelStage.ACTIVATED, app.clock.now())
        uow.contacts.save(attrs.evolve(c, funnel=journey))
        return Success(None)

    assert isinstance(transact(app, work), Success)


def _subjects(sink: Sink, to: str) -> list[str]:
    return [str(m["Subject"]) for m in sink.received() if str(m["To"]) == to]


def test_the_shipped_onboarding_over_three_weeks(
    world: tuple[App, FixedClock, Sink, str],
) -> None:
    app, clock, sink, url = world
    assert isinstance(install_onboarding(app), Success)
    ids = _people(app, ["ann", "bob", "cy"])
    assert enroll(app, name="onboarding", contact_ids=list(ids.values())).unwrap() == 3
    assert enroll(app, name="onboarding", contact_ids=[ids["ann"]]).unwrap() == 0
    _send(app, url)  # day 0: everyone gets the welcome
    assert len(sink.received()) == 3
    clock.advance(timedelta(days=1, hours=1))
    unsubscribe(app, address="cy@example.com").unwrap()
    _send(app, url)  # day 1: the first-step reminder (nobody activated yet); cy left
    assert len(_subjects(sink, "ann@example.com")) == 2
    assert len(_subjects(sink, "cy@example.com")) == 1
    _activate(app, ids["bob"])  # bob reaches the goal: he leaves
    for day in (3, 7, 14, 21):
        clock.advance(timedelta(days=day) - (clock.now() - T0) + timedelta(hours=1))
        _send(app, url)
    ann = _subjects(sink, "ann@example.com")
    assert len(ann) == 6
    assert ann[0] == "Welcome, Ann: your quick start"
    assert ann[4] == "Ann, more time or a discount: your choice"
    assert len(_subjects(sink, "bob@example.com")) == 2
    report = show_sequence(app, name="onboarding").unwrap()
    assert report.members == {"active": 1, "goal": 1, "unsubscribed": 1}
    assert report.steps[1].by_status["sent"] == 3
    assert report.steps[6].by_status == {"sent": 1}
    clock.advance(timedelta(days=30))
    _send(app, url)
    assert len(_subjects(sink, "ann@example.com")) == 6  # never twice


def test_a_funnel_trigger_enrols_and_a_false_condition_skips_the_step(
    world: tuple[App, FixedClock, Sink, str],
) -> None:
    app, clock, sink, url = world
    install_onboarding(app).unwrap()  # its templates
    steps = [
        DripStep(day=0, template="onboarding-welcome"),
        DripStep(day=1, template="onboarding-first-step", condition=StepCondition.NOT_ACTIVATED),
        DripStep(day=3, template="onboarding-tips"),
    ]
    add_sequence(app, name="trial", steps=steps, trigger="funnel:trial").unwrap()
    ids = _people(app, ["dee"])

    def became_trial(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(FunnelStageChanged(contact_id=ids["dee"], event_id="e1", previous="lead",
                                      stage="trial", occurred_at=T0))  # fmt: skip
        return Success(None)

    assert isinstance(transact(app, became_trial), Success)
    _send(app, url)
    assert _subjects(sink, "dee@example.com") == ["Welcome, Dee: your quick start"]
    _activate(app, ids["dee"])
    clock.advance(timedelta(days=3, hours=1))
    _send(app, url)
    assert _subjects(sink, "dee@example.com") == [
        "Welcome, Dee: your quick start",
        "Three tips to get more out of it",
    ]
    report = show_sequence(app, name="trial").unwrap()
    assert report.members == {"active": 1}
    assert report.steps[2].by_status == {"skipped": 1}
    assert show_sequence(app, name="onboarding").unwrap().members == {}


def test_status_and_clv_triggers_enrol(world: tuple[App, FixedClock, Sink, str]) -> None:
    app, _, _, _ = world
    install_onboarding(app).unwrap()
    steps = [DripStep(day=0, template="onboarding-offer")]
    add_sequence(app, name="offer", steps=steps, trigger="status:hot").unwrap()
    add_sequence(app, name="winback", steps=steps, trigger="clv:leaving").unwrap()
    ids = _people(app, ["eve", "fay", "hal"])

    def signals(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(
            CustomerStatusChanged(contact_id=ids["eve"], event_id="s1", previous="active",
                                  status="hot"),
            ClvStatusDetected(customer=ids["fay"], status="leaving", action="call",
                              reasons="", day=T0.date(), activity_id=ids["fay"]),
            # a batch's net move that passes "lead" on its way counts for funnel:lead
            FunnelStageChanged(contact_id=ids["hal"], event_id="e2", previous="visitor",
                               stage="trial", occurred_at=T0),
        )  # fmt: skip
        return Success(None)

    assert isinstance(transact(app, signals), Success)
    assert show_sequence(app, name="offer").unwrap().members == {"active": 1}
    assert show_sequence(app, name="winback").unwrap().members == {"active": 1}
    assert show_sequence(app, name="onboarding").unwrap().members == {"active": 1}


def test_a_hot_lead_score_enrols_the_contact_with_its_email(
    world: tuple[App, FixedClock, Sink, str],
) -> None:
    app, _, _, _ = world
    install_onboarding(app).unwrap()
    add_sequence(app, name="hot", steps=[DripStep(day=0, template="onboarding-offer")],
                 trigger="score").unwrap()  # fmt: skip
    _people(app, ["gil"])
    lead = Lead(id=LeadId(app.ids.new()), email=Email("gil@example.com"),
                name=PersonName("Gil", "Lee"), created_at=T0, updated_at=T0)  # fmt: skip
    stranger = Lead(id=LeadId(app.ids.new()), email=Email("nobody@example.com"),
                    name=PersonName("No", "Body"), created_at=T0, updated_at=T0)  # fmt: skip
    with app.uow() as uow:
        uow.leads.add(lead)
        uow.leads.add(stranger)
        uow.commit()

    def crossed(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(
            *(LeadScoreThresholdCrossed(lead_id=x.id, previous=70, score=85, threshold=80)
              for x in (lead, stranger))
        )  # fmt: skip
        return Success(None)

    assert isinstance(transact(app, crossed), Success)
    assert show_sequence(app, name="hot").unwrap().members == {"active": 1}


def test_the_signup_trigger_sends_a_step_days_after_each_signup(
    world: tuple[App, FixedClock, Sink, str],
) -> None:
    app, clock, sink, url = world
    install_onboarding(app).unwrap()
    steps = [DripStep(day=7, template="onboarding-webinar")]
    add_sequence(app, name="week", steps=steps, trigger="signup").unwrap()
    made = [
        Contact(id=ContactId(app.ids.new()), name=PersonName(n, "Lee"),
                email=Email(f"{n.lower()}@example.com"), created_at=at, updated_at=at)
        for n, at in (("Old", T0 - timedelta(days=1)), ("New", T0 + timedelta(hours=1)))
    ]  # fmt: skip
    with app.uow() as uow:
        uow.contacts.add_many(made)
        uow.commit()
    clock.advance(timedelta(days=7))  # a week after the sequence, not yet after New's signup
    _send(app, url)
    assert sink.received() == []
    clock.advance(timedelta(hours=2))
    _send(app, url)
    assert [str(m["To"]) for m in sink.received()] == ["new@example.com"]
    assert show_sequence(app, name="week").unwrap().members == {"active": 1}


def test_a_converted_lead_joins_the_sequences_triggered_by_conversion(
    world: tuple[App, FixedClock, Sink, str],
) -> None:
    app, _, _, _ = world
    install_onboarding(app).unwrap()
    steps = [DripStep(day=0, template="onboarding-welcome")]
    add_sequence(app, name="customer", steps=steps, trigger="converted").unwrap()
    ids = _people(app, ["ivy"])

    def converted(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(LeadConverted(lead_id=LeadId(app.ids.new()), contact_id=ids["ivy"]))
        return Success(None)

    assert isinstance(transact(app, converted), Success)
    assert show_sequence(app, name="customer").unwrap().members == {"active": 1}


def test_the_activation_nudges_remind_after_a_day_and_call_after_three(
    world: tuple[App, FixedClock, Sink, str],
) -> None:
    app, clock, sink, url = world
    install_shipped(app, "activation-nudges.json").unwrap()
    ids = _people(app, ["jo"])

    def trial(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(FunnelStageChanged(contact_id=ids["jo"], event_id="t1", previous="lead",
                                      stage="trial", occurred_at=T0))  # fmt: skip
        return Success(None)

    assert isinstance(transact(app, trial), Success)
    with app.uow() as uow:  # the call list needs a phone
        jo = uow.contacts.get(ids["jo"])
        assert jo is not None
        uow.contacts.save(attrs.evolve(jo, phone=Phone("+79001234567")))
        uow.commit()
    clock.advance(timedelta(days=1, hours=1))
    _send(app, url)
    assert _subjects(sink, "jo@example.com") == ["Jo, finish setting up your profile"]
    clock.advance(timedelta(days=2))
    _send(app, url)
    assert len(sink.received()) == 1  # the day-3 step is a call, not an e-mail
    with app.uow() as uow:
        (call,) = [d for d in uow.deliveries.for_contacts([ids["jo"]]) if d.step == 2]
        assert call.message_id is not None
        task = uow.activities.get(ActivityId(UUID(call.message_id.removeprefix("task:"))))
    assert task is not None
    assert task.subject.startswith("Call Jo Lee (+79001234567)")
    assert "no first action" in task.description
