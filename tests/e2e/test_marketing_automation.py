"""Marketing automation on a memory application: the ``crm.unsubscribe`` event and who
reacts to it, time triggers on date fields, retention offers by risk reason, upsell to
the default segments, and asynchronous bounces."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings, transact
from crmcore.app.errors import AppError
from crmcore.app.marketing.sequences import (
    add_sequence,
    advance_sequences,
    enroll,
    install_onboarding,
    install_retention_offers,
    list_sequences,
    retention_offers,
    show_sequence,
)
from crmcore.app.marketing.templates import add_template
from crmcore.app.marketing.unsubscribe import unsubscribe
from crmcore.app.marketing.upsell import install_upsell, upsell_offers, usage_limit_reached
from crmcore.domain.account import Account
from crmcore.domain.campaign import CampaignChannel
from crmcore.domain.clv import ClvPrediction
from crmcore.domain.clv_status import StoredPrediction
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.events import DomainEvent
from crmcore.domain.health import ChurnReason, ChurnRiskDetected
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.offers import Offer, check_offers, high_value
from crmcore.domain.phone import Phone
from crmcore.domain.sequence import DripStep
from crmcore.domain.transaction import Transaction, TransactionId
from crmcore.domain.unsubscribe import Unsubscribed, unsubscribe_token
from crmcore.ports.uow import UnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _app() -> tuple[App, FixedClock]:
    clock = FixedClock(T0)
    return bootstrap(Settings(db_url="memory://"), clock=clock, ids=SequentialIds()), clock


def _people(app: App, names: list[str], **attributes: object) -> dict[str, ContactId]:
    made = [
        Contact(id=ContactId(app.ids.new()), name=PersonName(n.capitalize(), "Lee"),
                email=Email(f"{n}@example.com"), attributes=dict(attributes),
                created_at=T0, updated_at=T0)
        for n in names
    ]  # fmt: skip
    with app.uow() as uow:
        uow.contacts.add_many(made)
        uow.commit()
    return {n: c.id for n, c in zip(names, made, strict=True)}


def _published(app: App) -> list[Unsubscribed]:
    with app.uow() as uow:
        payloads = [e.payload for e in uow.outbox.pending(limit=1000)]
    return [p for p in payloads if isinstance(p, Unsubscribed)]


def test_every_unsubscribe_publishes_the_event_and_leaves_sequences_at_once() -> None:
    app, _ = _app()
    install_onboarding(app).unwrap()
    add_sequence(app, name="other", steps=[DripStep(day=5, template="onboarding-tips")]).unwrap()
    ids = _people(app, ["ann", "bob"])
    for name in ("onboarding", "other"):
        enroll(app, name=name, contact_ids=list(ids.values())).unwrap()
    unsubscribe(app, address="ANN@example.com").unwrap()  # the CLI's path
    with app.uow() as uow:
        secret = uow.personal_data.subject_secret()
    token = unsubscribe_token(secret, "bob@example.com")
    unsubscribe(app, address="bob@example.com", source="link", token=token).unwrap()
    unsubscribe(app, address="nobody@example.com").unwrap()  # no contact: still published
    events = _published(app)
    assert [(e.address, e.source, e.channel) for e in events] == [
        ("ann@example.com", "cli", "email"),
        ("bob@example.com", "link", "email"),
        ("nobody@example.com", "cli", "email"),
    ]
    assert [e.contacts for e in events] == [(ids["ann"],), (ids["bob"],), ()]
    for name in ("onboarding", "other"):  # no send run needed: the bus reacted
        assert show_sequence(app, name=name).unwrap().members == {"unsubscribed": 2}


def test_a_refused_token_publishes_nothing_and_an_sms_unsubscribe_names_nobody() -> None:
    app, _ = _app()
    _people(app, ["cy"])
    bad = unsubscribe(app, address="cy@example.com", source="link", token="forged")
    assert not isinstance(bad, Success)
    unsubscribe(app, address="+14155550100", channel=CampaignChannel.SMS).unwrap()
    assert [(e.address, e.channel, e.contacts) for e in _published(app)] == [
        ("+14155550100", "sms", ())
    ]


def _tick(app: App) -> int:
    return transact(app, lambda uow: Success(advance_sequences(app, uow))).unwrap()


def _keys(app: App, sequence: str) -> dict[ContactId, list[int]]:
    report = show_sequence(app, name=sequence).unwrap()
    out: dict[ContactId, list[int]] = {}
    with app.uow() as uow:
        for d in uow.deliveries.for_contacts(list(_all_contacts(uow))):
            if d.campaign_id == report.sequence.id:
                out.setdefault(d.contact_id, []).append(d.step)
    return {k: sorted(v) for k, v in out.items()}


def _all_contacts(uow: UnitOfWork) -> list[ContactId]:
    return [c.id for c in uow.contacts.list()]


def test_date_triggers_fire_once_per_contact_and_date_on_the_tick() -> None:
    app, clock = _app()
    add_template(app, name="bday", subject="Happy birthday", body="Hi {{ contact.first_name }}")
    add_template(app, name="renew", subject="Renewal", body="{{ account.name }} renews soon")
    add_sequence(app, name="birthday", steps=[DripStep(day=0, template="bday")],
                 trigger="date:contact.birthday:-1:yearly").unwrap()  # fmt: skip
    add_sequence(app, name="renewal", steps=[DripStep(day=0, template="renew")],
                 trigger="date:account.renewal_at:-30").unwrap()  # fmt: skip
    ann = _people(app, ["ann"], birthday="1990-03-05")["ann"]  # fires on 4 March
    bob = _people(app, ["bob"], birthday="1985-02-10")["bob"]  # passed before the trigger
    _people(app, ["cy"], birthday="not a date")
    account = Account(id=AccountId(app.ids.new()), name="Acme", created_at=T0, updated_at=T0,
                      attributes={"renewal_at": "2026-04-10T00:00:00+00:00"})  # fmt: skip
    with app.uow() as uow:
        uow.accounts.add(account)
        dee = attrs.evolve(_contact(app, "dee"), account_id=account.id)
        uow.contacts.add(dee)
        uow.commit()
    assert _tick(app) == 0  # 2 March: nothing due yet
    clock.advance(timedelta(days=2))  # 4 March
    assert _tick(app) == 1
    assert _tick(app) == 0  # the same day again: nothing new
    clock.advance(timedelta(days=9))  # 13 March: 30 days before the renewal was 11 March
    assert _tick(app) == 1
    clock.advance(timedelta(days=365))  # a year on: ann's and bob's next ones, no renewal
    assert _tick(app) == 2
    assert _keys(app, "birthday") == {ann: [20260305, 20270305], bob: [20270210]}
    assert _keys(app, "renewal") == {dee.id: [20260410]}


def test_a_bad_date_trigger_is_refused_with_its_syntax() -> None:
    app, _ = _app()
    add_template(app, name="bday", subject="S", body="B")
    bad = add_sequence(app, name="x", steps=[DripStep(day=0, template="bday")],
                       trigger="date:contact.birthday:soon")  # fmt: skip
    assert isinstance(bad, Failure)
    assert "date:contact.NAME" in str(bad.failure())
    steps = [DripStep(day=0, template="bday"), DripStep(day=1, template="bday")]
    two = add_sequence(app, name="y", trigger="date:contact.birthday:0", steps=steps)
    assert isinstance(two, Failure)


def _contact(app: App, name: str) -> Contact:
    return Contact(id=ContactId(app.ids.new()), name=PersonName(name.capitalize(), "Lee"),
                   email=Email(f"{name}@example.com"), created_at=T0, updated_at=T0)  # fmt: skip


def _record(app: App, *events: DomainEvent) -> None:
    def work(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(*events)
        return Success(None)

    transact(app, work).unwrap()


def _sent_by_sequence(app: App) -> dict[str, list[tuple[ContactId, str]]]:
    names = {c.id: c.name for c in list_sequences(app).unwrap()}
    out: dict[str, list[tuple[ContactId, str]]] = {}
    with app.uow() as uow:
        for d in uow.deliveries.for_contacts(_all_contacts(uow)):
            out.setdefault(names[d.campaign_id], []).append((d.contact_id, d.channel.value))
    return out


def test_retention_offers_follow_the_risk_reason_and_call_the_high_value() -> None:
    app, _ = _app()
    offers = retention_offers()
    assert check_offers(offers) == []  # every reason the health rules raise has its offer
    assert offers["inactive"] == Offer.WIN_BACK
    assert offers["key_features_unused"] == Offer.FEATURE_HIGHLIGHT
    installed = install_retention_offers(app).unwrap()
    assert len(installed) == len(ChurnReason) + 1
    assert len(install_retention_offers(app).unwrap()) == len(installed)  # idempotent
    ids = _people(app, ["ann", "bob", "cy", "dee", "eve"])
    with app.uow() as uow:  # ann's CLV is the top 20 % of five
        uow.clv.put_predictions([_prediction(ids[n], v) for n, v in
                                 zip(ids, (900, 100, 120, 80, 60), strict=True)])  # fmt: skip
        for name in ("ann", "bob"):  # both reachable by phone: only ann is called
            c = uow.contacts.get(ids[name])
            assert c is not None
            uow.contacts.save(attrs.evolve(c, phone=Phone.parse("+14155550100").unwrap()))
        uow.commit()
    _record(
        app,
        ChurnRiskDetected(customer=ids["ann"], reason="inactive", detail="30 days", level="red"),
        ChurnRiskDetected(customer=ids["bob"], reason="inactive", detail="20 days", level="red"),
        ChurnRiskDetected(customer=ids["cy"], reason="low_nps", detail="NPS 3", level="yellow"),
        ChurnRiskDetected(
            customer=ids["dee"], reason="key_features_unused", detail="", level="red"
        ),
    )
    assert _tick(app) == 5
    sent = _sent_by_sequence(app)
    assert sorted(sent["retention-inactive"]) == sorted([(ids[n], "email") for n in ("ann", "bob")])
    assert sent["retention-low_nps"] == [(ids["cy"], "email")]
    # in-app first, e-mail for a contact without an app account
    assert sent["retention-key_features_unused"] == [(ids["dee"], "email")]
    assert sent["retention-high-value-call"] == [(ids["ann"], "call_list")]
    assert ids["eve"] not in {c for v in sent.values() for c, _ in v}


def _prediction(contact: ContactId, clv: int) -> StoredPrediction:
    p = ClvPrediction(customer_id=str(contact), frequency=1, recency=1.0, T=2.0,
                      expected_purchases=1.0, p_alive=0.5, expected_avg_value=None,
                      clv=Decimal(clv))  # fmt: skip
    return StoredPrediction(prediction=p, horizon=12.0, discount_rate=0.01, computed_at=T0)


@given(values=st.dictionaries(st.integers(0, 50), st.integers(0, 1000), max_size=40))
def test_high_value_is_the_top_fifth_by_value(values: dict[int, int]) -> None:
    top = high_value({k: float(v) for k, v in values.items()})
    if not values:
        assert top == set()
        return
    assert len(top) >= math.ceil(len(values) * 0.2)
    rest = set(values) - top
    assert all(values[t] > values[r] for t in top for r in rest)
    need = math.ceil(len(values) * 0.2)
    assert top == {k for k in values if sum(v > values[k] for v in values.values()) < need}


def test_upsell_segments_enrol_their_members_and_a_usage_limit_prompts_in_the_app() -> None:
    app, clock = _app()
    installed = install_upsell(app).unwrap()
    assert {c.trigger for c in installed} == {
        "upsell:high-value", "upsell:power-users", "upsell:teams", "usage_limit",
    }  # fmt: skip
    assert set(upsell_offers()) == {"high-value", "power-users", "teams"}
    ids = _people(app, ["ann", "bob", "cy"])
    with app.uow() as uow:  # ann: a customer on her own, buying twice; bob once; cy in-app
        for name in ("ann", "bob", "cy"):
            c = uow.contacts.get(ids[name])
            assert c is not None
            app_user = f"u-{name}" if name == "cy" else None
            uow.contacts.save(attrs.evolve(c, lifecycle=LifecycleStage.CUSTOMER, user_id=app_user))
        for n, who in enumerate(["ann", "ann", "bob"]):
            uow.transactions.add(Transaction(
                id=TransactionId(app.ids.new()), customer=ids[who], occurred_at=T0,
                amount=Money.of("20", "USD"), external_id=f"t{n}"))  # fmt: skip
        uow.commit()
    assert _tick(app) == 1  # ann joins the team-plan sequence; its day-0 step is due
    assert _tick(app) == 0
    sent = _sent_by_sequence(app)
    assert sent == {"upsell-teams": [(ids["ann"], "email")]}
    for _ in range(3):  # cy hits limits three times today: one prompt
        usage_limit_reached(app, contact_id=ids["cy"], limit="storage", used=10, allowed=10)
    usage_limit_reached(app, contact_id=ids["bob"], limit="storage", used=5, allowed=5).unwrap()
    clock.advance(timedelta(days=1))
    usage_limit_reached(app, contact_id=ids["cy"], limit="credits", used=3, allowed=3)
    prompts = _sent_by_sequence(app)["upsell-usage-limit"]
    assert prompts == [(ids["cy"], "in_app"), (ids["cy"], "in_app")]  # one a day; bob has no app
    bad = usage_limit_reached(app, contact_id=ids["cy"], limit=" ", used=1, allowed=1)
    assert isinstance(bad, Failure)
