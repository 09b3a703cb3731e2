"""Marketing automation on a memory application: the ``crm.unsubscribe`` event and who
reacts to it, time triggers on date fields, retention offers by risk reason, upsell to
the default segments, and asynchronous bounces."""

from __future__ import annotations

from datetime import UTC, datetime

from returns.result import Success

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings
from crmcore.app.marketing.sequences import add_sequence, enroll, install_onboarding, show_sequence
from crmcore.app.marketing.unsubscribe import unsubscribe
from crmcore.domain.campaign import CampaignChannel
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.sequence import DripStep
from crmcore.domain.unsubscribe import Unsubscribed, unsubscribe_token

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
