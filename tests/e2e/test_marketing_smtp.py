"""Campaigns sent to a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, with which
headers and bodies; bounces; suppressions; variables checked at schedule time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest
from returns.result import Failure, Result, Success

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.analytics.alerts import check_alerts
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings, transact
from crmcore.app.errors import AppError
from crmcore.app.marketing.campaigns import (
    campaign_stats,
    create_campaign,
    effectiveness,
    schedule_campaign,
    start_campaign,
)
from crmcore.app.marketing.config import ChannelOptions
from crmcore.app.marketing.handlers import count_conversions
from crmcore.app.marketing.sending import send_due
from crmcore.app.marketing.templates import add_template, preview_template
from crmcore.app.marketing.unsubscribe import unsubscribe
from crmcore.domain.abtest import AbRule
from crmcore.domain.alerts import AlertKey
from crmcore.domain.campaign import Campaign, CampaignChannel, CampaignStatus
from crmcore.domain.contact import Channel as ContactChannel
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ActivityId, ContactId
from crmcore.domain.interactions import EmailOpened, PurchaseRecorded
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.segment import Segment, SegmentId
from crmcore.domain.unsubscribe import token_valid
from crmcore.ports.uow import UnitOfWork
from tests.smtp_sink import Sink, smtp_sink

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVERYONE = {"field": "contact.archived", "op": "eq", "value": False}


@pytest.fixture
def app(tmp_path: object) -> App:
    """A memory application with a fixed clock."""
    return bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), ids=SequentialIds())


@pytest.fixture
def sink() -> Iterator[tuple[Sink, str]]:
    """A running SMTP sink that refuses bad@... addresses."""
    with smtp_sink(frozenset({"bad0@example.com", "bad1@example.com", "bad2@example.com"})) as s:
        yield s


def people(
    app: App, names: Sequence[str], *, attributes: dict[str, str] | None = None
) -> list[ContactId]:
    """Contacts ``name@example.com`` and the saved segment ``everyone``."""
    made = [
        Contact(
            id=ContactId(app.ids.new()),
            name=PersonName(n.capitalize(), "Lee"),
            email=Email(f"{n}@example.com"),
            attributes=dict(attributes or {}),
            created_at=T0,
            updated_at=T0,
        )
        for n in names
    ]
    with app.uow() as uow:
        uow.contacts.add_many(made)
        if uow.segments.get_by_name("everyone") is None:
            uow.segments.add(
                Segment(
                    id=SegmentId(app.ids.new()),
                    name="everyone",
                    filter=EVERYONE,
                    created_at=T0,
                    updated_at=T0,
                )
            )
        uow.commit()
    return [c.id for c in made]


def running(
    app: App, template: str = "welcome", ab: AbRule | None = None, **variants: str
) -> Campaign:
    made = create_campaign(
        app, name="Spring", template=template, segment="everyone", variants=variants or None, ab=ab
    )
    assert isinstance(made, Success), made
    campaign = made.unwrap()
    assert isinstance(schedule_campaign(app, campaign_id=campaign.id), Success)
    started = start_campaign(app, campaign_id=campaign.id)
    assert isinstance(started, Success), started
    result: Campaign = started.unwrap()
    return result


def send(app: App, url: str, *, batch: int = 7) -> None:
    assert app.marketing is not None
    channels = app.marketing.channels(ChannelOptions(smtp_url=url))
    try:
        assert isinstance(send_due(app, channels=channels, batch=batch), Success)
    finally:
        for c in channels.values():
            c.close()


def secret_of(app: App) -> bytes:
    with app.uow() as uow:
        return uow.personal_data.subject_secret()


def test_every_recipient_gets_one_rendered_message_with_its_headers(
    app: App, sink: tuple[Sink, str]
) -> None:
    server, url = sink
    names = [f"p{i}" for i in range(20)]
    people(app, names, attributes={"plan": "pro"})
    body = "Hello {{ contact.first_name }} on {{ contact.plan }}!\nLeave: {{ unsubscribe_url }}\n"
    assert isinstance(
        add_template(app, name="welcome", subject="Hi {{ contact.first_name }}", body=body), Success
    )
    campaign = running(app)
    send(app, url)
    got = server.received()
    assert sorted(str(m["To"]) for m in got) == sorted(f"{n}@example.com" for n in names)
    secret = secret_of(app)
    ids = set()
    for m in got:
        to = str(m["To"])
        first = to.split("@")[0].capitalize()
        assert m["Subject"] == f"Hi {first}"
        payload = m.get_payload(decode=True)
        assert isinstance(payload, bytes)
        text = payload.decode()
        assert text.startswith(f"Hello {first} on pro!")
        header = "".join(str(m["List-Unsubscribe"]).split()).strip("<>")  # unfolded
        query = parse_qs(urlsplit(header).query)
        assert query["e"] == [to]
        assert token_valid(secret, to, query["t"][0])
        assert header in text
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert str(m["Message-ID"]).endswith("@shop.example>")
        ids.add(m["Message-ID"])
    assert len(ids) == len(names)
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert (stats.sent, stats.failed, stats.pending) == (20, 0, 0)
    assert stats.campaign.status is CampaignStatus.COMPLETED


def test_suppressed_addresses_receive_nothing(app: App, sink: tuple[Sink, str]) -> None:
    server, url = sink
    people(app, ["ann", "bob", "cy"])
    add_template(app, name="welcome", subject="Hi", body="Body")
    campaign = running(app)
    assert isinstance(unsubscribe(app, address="BOB@example.com"), Success)
    send(app, url)
    assert sorted(server.per_recipient()) == ["ann@example.com", "cy@example.com"]
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert (stats.sent, stats.unsubscribed) == (2, 1)


def test_an_unsubscribe_token_must_match_its_address(app: App) -> None:
    people(app, ["ann"])
    refused = unsubscribe(app, address="ann@example.com", token="forged")
    assert isinstance(refused, Failure)
    from crmcore.domain.unsubscribe import unsubscribe_token

    good = unsubscribe_token(secret_of(app), "ann@example.com")
    assert isinstance(unsubscribe(app, address="ann@example.com", token=good), Success)


def test_bounces_above_five_percent_pause_the_campaign_and_say_why(
    app: App, sink: tuple[Sink, str]
) -> None:
    server, url = sink
    people(app, [f"bad{i}" for i in range(3)] + [f"ok{i}" for i in range(27)])
    add_template(app, name="welcome", subject="Hi", body="Body")
    campaign = running(app)
    send(app, url, batch=30)
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert (stats.sent, stats.failed) == (27, 3)
    assert stats.campaign.status is CampaignStatus.PAUSED
    assert stats.campaign.pause_reason is not None
    assert "3 of 30" in stats.campaign.pause_reason
    assert len(server.received()) == 27


def test_a_missing_variable_is_an_error_at_schedule_time(app: App) -> None:
    ids = people(app, ["ann"])
    add_template(app, name="welcome", subject="Hi {{ contact.nickname }}", body="x")
    campaign = create_campaign(app, name="C", template="welcome", segment="everyone").unwrap()
    refused = schedule_campaign(app, campaign_id=campaign.id)
    assert isinstance(refused, Failure)
    assert "contact.nickname" in str(refused.failure())
    assert str(ids[0]) in str(refused.failure())
    preview = preview_template(app, name="welcome", contact_id=ids[0])
    assert isinstance(preview, Failure)


def test_a_template_reaching_for_internals_is_refused_when_added(app: App) -> None:
    refused = add_template(app, name="evil", subject="x", body="{{ ''.__class__.__mro__ }}")
    assert isinstance(refused, Failure)
    assert "__mro__" in str(refused.failure())


def test_variants_split_the_audience_and_each_gets_its_template(
    app: App, sink: tuple[Sink, str]
) -> None:
    server, url = sink
    people(app, [f"p{i}" for i in range(40)])
    add_template(app, name="welcome", subject="A", body="a")
    add_template(app, name="other", subject="B", body="b")
    campaign = running(app, ab=AbRule(test_share=1.0), B="other")
    assert campaign.variants == {"A": "welcome", "B": "other"}
    send(app, url)
    subjects = sorted(str(m["Subject"]) for m in server.received())
    assert len(subjects) == 40
    assert 0 < subjects.count("A") < 40
    assert subjects.count("A") + subjects.count("B") == 40


def test_campaign_ids_are_uuids(app: App) -> None:
    people(app, ["ann"])
    add_template(app, name="welcome", subject="Hi", body="x")
    campaign = create_campaign(app, name="C", template="welcome", segment="everyone").unwrap()
    assert isinstance(campaign.id, UUID)


def test_the_ab_winner_goes_to_the_held_back_audience(app: App, sink: tuple[Sink, str]) -> None:
    server, url = sink
    ids = people(app, [f"p{i}" for i in range(300)])
    add_template(app, name="a", subject="A", body="a")
    add_template(app, name="b", subject="B", body="b")
    made = create_campaign(
        app, name="AB", template="a", segment="everyone", variants={"B": "b"},
        ab=AbRule(test_share=0.5, min_sample=40, metric="opened"),
    )  # fmt: skip
    campaign = made.unwrap()
    schedule_campaign(app, campaign_id=campaign.id).unwrap()
    start_campaign(app, campaign_id=campaign.id).unwrap()
    send(app, url, batch=50)
    first = server.received()
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert stats.held == 300 - len(first)
    assert stats.held > 0
    assert stats.campaign.winner is None
    # B's readers open it, A's hardly: opens arrive as events through the bus
    by_address = {f"p{i}@example.com": cid for i, cid in enumerate(ids)}
    openers = [
        by_address[str(m["To"])]
        for n, m in enumerate(first)
        if str(m["Subject"]) == "B" or n % 10 == 0
    ]

    def opened(uow: UnitOfWork) -> Result[None, AppError]:
        uow.record(*(EmailOpened(contact_id=c, event_id=f"o{c}", campaign_id=str(campaign.id),
                                 occurred_at=T0) for c in openers))  # fmt: skip
        return Success(None)

    assert isinstance(transact(app, opened), Success)
    send(app, url, batch=50)
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert stats.campaign.winner == "B"
    assert (stats.held, stats.sent) == (0, 300)
    rest = server.received()[len(first) :]
    assert len(rest) == 300 - len(first)
    assert {str(m["Subject"]) for m in rest} == {"B"}
    assert sorted(str(m["To"]) for m in server.received()) == sorted(by_address)


def test_a_purchase_after_a_delivery_converts_and_the_report_ranks_scenarios(
    app: App, sink: tuple[Sink, str]
) -> None:
    _, url = sink
    ids = people(app, ["ann", "bob"])
    add_template(app, name="welcome", subject="Hi", body="x")
    first = running(app)
    second = running(app)
    send(app, url)
    purchase = PurchaseRecorded(contact_id=ids[0], event_id="p1", amount=Decimal(10),
                                currency="RUB", occurred_at=T0 + timedelta(days=2))  # fmt: skip
    late = PurchaseRecorded(contact_id=ids[1], event_id="p2", amount=Decimal(10),
                            currency="RUB", occurred_at=T0 + timedelta(days=40))  # fmt: skip

    def bought(uow: UnitOfWork) -> Result[None, AppError]:
        count_conversions(app, uow, [purchase, late])
        return Success(None)

    assert isinstance(transact(app, bought), Success)
    for c in (first, second):
        assert campaign_stats(app, campaign_id=c.id).unwrap().converted == 1
    lines = effectiveness(app).unwrap()
    assert [(x.sent, x.converted) for x in lines] == [(2, 1), (2, 1)]
    assert lines[0].conversion == 0.5


def test_a_call_list_campaign_gives_the_team_call_tasks_with_the_script(
    app: App, sink: tuple[Sink, str]
) -> None:
    server, url = sink
    caller = Contact(
        id=ContactId(app.ids.new()), name=PersonName("Gus", "Lee"), phone=Phone("+79001234567"),
        preferred_channel=ContactChannel.PHONE, created_at=T0, updated_at=T0,
    )  # fmt: skip
    people(app, ["ann"])
    with app.uow() as uow:
        uow.contacts.add(caller)
        uow.commit()
    add_template(
        app, name="winback", subject="Win back", body="Offer {{ contact.first_name }} 20 %"
    )
    made = create_campaign(app, name="W", template="winback", segment="everyone",
                           channels=[CampaignChannel.EMAIL, CampaignChannel.CALL_LIST])  # fmt: skip
    campaign = made.unwrap()
    schedule_campaign(app, campaign_id=campaign.id).unwrap()
    start_campaign(app, campaign_id=campaign.id).unwrap()
    send(app, url)
    assert [str(m["To"]) for m in server.received()] == ["ann@example.com"]
    with app.uow() as uow:
        (delivery,) = uow.deliveries.for_contacts([caller.id])
        assert delivery.message_id is not None
        task = uow.activities.get(ActivityId(UUID(delivery.message_id.removeprefix("task:"))))
    assert task is not None
    assert task.description == "Offer Gus 20 %"
    assert task.subject.startswith("Call Gus Lee (+79001234567)")
    assert task.due_at == T0 + timedelta(days=1)
    assert campaign_stats(app, campaign_id=campaign.id).unwrap().sent == 2


def test_an_unreachable_server_leaves_everything_due_and_says_why(app: App) -> None:
    people(app, ["ann", "bob"])
    add_template(app, name="welcome", subject="Hi", body="x")
    campaign = running(app)
    assert app.marketing is not None
    from tests.smtp_sink import free_port

    channels = app.marketing.channels(ChannelOptions(smtp_url=f"smtp://127.0.0.1:{free_port()}"))
    report = send_due(app, channels=channels, batch=10).unwrap()
    assert report.error is not None
    assert "cannot reach" in report.error
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert (stats.pending, stats.sent, stats.failed) == (2, 0, 0)
    assert stats.campaign.status is CampaignStatus.RUNNING
    # the worker recorded that the e-mail service was not reached: the critical alert
    down = check_alerts(app).unwrap()
    assert [a.key for a in down.raised] == [AlertKey.EMAIL_SERVICE_DOWN]
    assert "cannot reach" in down.raised[0].message
    assert check_alerts(app).unwrap().raised == ()
    # the server is back: the next send reaches it and the next check clears the alert
    with smtp_sink() as (server, url):
        send(app, url)
        assert len(server.received()) == 2
    back = check_alerts(app).unwrap()
    assert ([a.key for a in back.cleared], back.raised) == ([AlertKey.EMAIL_SERVICE_DOWN], ())
