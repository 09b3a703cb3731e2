"""Contract of the marketing ports (templates, campaigns, deliveries, consent): memory,
SQLite and PostgreSQL pass this suite unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import attrs
import pytest
from returns.result import Success

from crmcore.domain.abtest import HELD
from crmcore.domain.campaign import Campaign, CampaignChannel, CampaignStatus, new_campaign
from crmcore.domain.ids import ContactId
from crmcore.domain.templates import MessageTemplate
from crmcore.ports.errors import ConcurrentModification, DuplicateKey
from crmcore.ports.marketing import Consent, DeliveryStatus, Engagement, PlannedDelivery
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend
from tests.contract.helpers import contact

Factory = Callable[[], UnitOfWork]


def _then_commit(uow: UnitOfWork, write: Callable[[], object]) -> None:
    write()
    uow.commit()


def _campaign(b: Backend, n: int = 1) -> Campaign:
    made = new_campaign(
        id=UUID(int=1000 + n), name=f"C{n}", channels=[CampaignChannel.EMAIL], segment="champions",
        variants={"A": "t1", "B": "t2"}, at=b.clock.now(),
    )  # fmt: skip
    assert isinstance(made, Success)
    campaign: Campaign = made.unwrap()
    return campaign


def _people(b: Backend, n: int) -> list[ContactId]:
    people = [contact(b, email=f"p{i}@example.com") for i in range(n)]
    with b.uow() as uow:
        uow.contacts.add_many(people)
        uow.commit()
    return [p.id for p in people]


def _plan(b: Backend, campaign: Campaign, people: list[ContactId]) -> int:
    with b.uow() as uow:
        if uow.campaigns.get(campaign.id) is None:
            uow.campaigns.add(campaign)
        planned = [
            PlannedDelivery(contact_id=c, address=f"p{i}@example.com", variant="A",
                            channel=CampaignChannel.EMAIL)
            for i, c in enumerate(people)
        ]  # fmt: skip
        new = uow.deliveries.plan(campaign.id, 0, planned, at=b.clock.now())
        uow.commit()
    return new


def test_templates_round_trip_unique_by_name(backend: Backend) -> None:
    at = backend.clock.now()
    tpl = MessageTemplate(id=UUID(int=5), name="welcome", subject="Hi {{ contact.first_name }}",
                          body="Body", created_at=at, updated_at=at)  # fmt: skip
    with backend.uow() as uow:
        uow.templates.add(tpl)
        uow.commit()
    with backend.uow() as uow:
        stored = uow.templates.get("welcome")
        assert stored is not None
        assert (stored.subject, stored.body, stored.version) == (tpl.subject, "Body", 1)
        uow.templates.save(attrs.evolve(stored, body="New"))
        uow.commit()
    with backend.uow() as uow:
        assert [t.body for t in uow.templates.list()] == ["New"]
        assert uow.templates.get("other") is None
    with backend.uow() as uow, pytest.raises(DuplicateKey):
        _then_commit(uow, lambda: uow.templates.add(attrs.evolve(tpl, id=UUID(int=6))))


def test_campaigns_round_trip_with_versions(backend: Backend) -> None:
    campaign = _campaign(backend)
    with backend.uow() as uow:
        uow.campaigns.add(campaign)
        uow.commit()
    with backend.uow() as uow:
        stored = uow.campaigns.get(campaign.id)
        assert stored is not None
        assert stored.variants == {"A": "t1", "B": "t2"}
        assert (stored.segment, stored.status, stored.version) == ("champions", "draft", 1)
        moved = stored.move("schedule", at=backend.clock.now()).unwrap()
        uow.campaigns.save(moved)
        uow.commit()
    with backend.uow() as uow:
        assert [c.status for c in uow.campaigns.list()] == [CampaignStatus.SCHEDULED]
        assert uow.campaigns.list(status=CampaignStatus.RUNNING) == []
    with backend.uow() as uow:
        paused = attrs.evolve(stored, status=CampaignStatus.PAUSED, pause_reason="why")
        with pytest.raises(ConcurrentModification):  # read at version 1, stored at 2 now
            _then_commit(uow, lambda: uow.campaigns.save(paused))


def test_planning_is_idempotent_per_campaign_step_and_contact(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 5)
    assert _plan(backend, campaign, people[:3]) == 3
    assert _plan(backend, campaign, people) == 2
    with backend.uow() as uow:
        counts = uow.deliveries.counts(campaign.id)
    assert counts.count(DeliveryStatus.PENDING) == 5


def test_claims_are_disjoint_and_finished_ones_stay_done(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 7)
    _plan(backend, campaign, people)
    at = backend.clock.now()
    lease = at + timedelta(seconds=60)
    with backend.uow() as uow:
        first = uow.deliveries.claim(limit=4, at=at, lease_until=lease, campaigns=[campaign.id])
        uow.commit()
    with backend.uow() as uow:
        second = uow.deliveries.claim(limit=4, at=at, lease_until=lease, campaigns=[campaign.id])
        uow.commit()
    assert len(first) == 4
    assert len(second) == 3
    assert {d.id for d in first}.isdisjoint({d.id for d in second})
    assert all(d.status is DeliveryStatus.SENDING and d.attempts == 1 for d in first)
    with backend.uow() as uow:
        uow.deliveries.finish(
            [(d.id, DeliveryStatus.SENT, f"<m{i}>", None) for i, d in enumerate(first)]
            + [(second[0].id, DeliveryStatus.FAILED, None, "550 no such user")],
            at=at,
        )
        uow.deliveries.release([d.id for d in second[1:]])
        uow.commit()
    with backend.uow() as uow:
        counts = uow.deliveries.counts(campaign.id)
        again = uow.deliveries.claim(limit=10, at=at, lease_until=lease, campaigns=[campaign.id])
        uow.commit()
    assert (counts.count(DeliveryStatus.SENT), counts.count(DeliveryStatus.FAILED)) == (4, 1)
    assert counts.count(DeliveryStatus.PENDING) == 2
    assert {d.id for d in again} == {d.id for d in second[1:]}
    assert all(d.attempts == 2 for d in again)


def test_an_expired_lease_is_claimable_again_a_live_one_is_not(backend: Backend) -> None:
    campaign = _campaign(backend)
    _plan(backend, campaign, _people(backend, 2))
    at = backend.clock.now()
    with backend.uow() as uow:
        taken = uow.deliveries.claim(
            limit=5, at=at, lease_until=at + timedelta(seconds=30), campaigns=[campaign.id]
        )
        uow.commit()
    assert len(taken) == 2
    with backend.uow() as uow:
        early = at + timedelta(seconds=10)
        assert (
            uow.deliveries.claim(limit=5, at=early, lease_until=early, campaigns=[campaign.id])
            == []
        )
        late = at + timedelta(seconds=31)
        retaken = uow.deliveries.claim(
            limit=5, at=late, lease_until=late + timedelta(seconds=30), campaigns=[campaign.id]
        )
        uow.commit()
    assert {d.id for d in retaken} == {d.id for d in taken}
    with backend.uow() as uow:
        assert uow.deliveries.open_campaigns([campaign.id, UUID(int=1)]) == {campaign.id}


def test_engagement_counts_once_per_sent_delivery(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 3)
    _plan(backend, campaign, people)
    at = backend.clock.now()
    with backend.uow() as uow:
        taken = uow.deliveries.claim(limit=2, at=at, lease_until=at, campaigns=[campaign.id])
        uow.deliveries.finish([(d.id, DeliveryStatus.SENT, None, None) for d in taken], at=at)
        uow.commit()
    sent_to = [d.contact_id for d in taken]
    with backend.uow() as uow:
        assert uow.deliveries.engage(campaign.id, people, Engagement.OPENED, at=at) == 2
        assert uow.deliveries.engage(campaign.id, sent_to, Engagement.OPENED, at=at) == 0
        assert uow.deliveries.engage(campaign.id, sent_to[:1], Engagement.CLICKED, at=at) == 1
        uow.commit()
    with backend.uow() as uow:
        counts = uow.deliveries.counts(campaign.id)
        skipped = uow.deliveries.skip_pending(campaign.id, at=at)
        uow.commit()
    assert (counts.opened, counts.clicked, counts.converted) == (2, 1, 0)
    assert skipped == 1
    with backend.uow() as uow:
        mine = uow.deliveries.for_contacts([sent_to[0]])
    assert [d.status for d in mine] == [DeliveryStatus.SENT]


def test_consent_withdrawn_is_a_suppression_per_channel(backend: Backend) -> None:
    at = backend.clock.now()
    with backend.uow() as uow:
        uow.consents.record(Consent(address="a@x.com", channel=CampaignChannel.EMAIL, granted=False,
                                    source="cli", at=at))  # fmt: skip
        uow.consents.record(Consent(address="b@x.com", channel=CampaignChannel.EMAIL, granted=True,
                                    source="form", at=at))  # fmt: skip
        uow.commit()
    with backend.uow() as uow:
        assert uow.consents.suppressed(
            CampaignChannel.EMAIL, ["a@x.com", "b@x.com", "c@x.com"]
        ) == {"a@x.com"}
        assert uow.consents.suppressed(CampaignChannel.SMS, ["a@x.com"]) == set()
        uow.consents.record(Consent(address="a@x.com", channel=CampaignChannel.EMAIL, granted=True,
                                    source="re-opt-in", at=at))  # fmt: skip
        uow.consents.record(Consent(address="b@x.com", channel=CampaignChannel.EMAIL, granted=False,
                                    source="link", at=at))  # fmt: skip
        uow.commit()
    with backend.uow() as uow:
        assert [(c.address, c.source) for c in uow.consents.suppressions()] == [("b@x.com", "link")]


def test_held_deliveries_wait_for_the_winner(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 4)
    at = backend.clock.now()
    with backend.uow() as uow:
        uow.campaigns.add(campaign)
        planned = [
            PlannedDelivery(
                contact_id=c,
                address=f"p{i}@example.com",
                channel=CampaignChannel.EMAIL,
                variant="A" if i < 2 else HELD,
            )
            for i, c in enumerate(people)
        ]
        uow.deliveries.plan(campaign.id, 0, planned, at=at)
        uow.commit()
    with backend.uow() as uow:
        taken = uow.deliveries.claim(limit=10, at=at, lease_until=at, campaigns=[campaign.id])
        uow.deliveries.finish([(d.id, DeliveryStatus.SENT, None, None) for d in taken], at=at)
        uow.commit()
    assert {d.variant for d in taken} == {"A"}
    with backend.uow() as uow:
        uow.deliveries.engage(campaign.id, [taken[0].contact_id], Engagement.CLICKED, at=at)
        assert uow.deliveries.open_campaigns([campaign.id]) == {campaign.id}
        assert uow.deliveries.counts(campaign.id).count(DeliveryStatus.HELD) == 2
        assert uow.deliveries.arms(campaign.id, Engagement.CLICKED) == {"A": (2, 1)}
        assert uow.deliveries.release_held(campaign.id, "B", at=at) == 2
        uow.commit()
    with backend.uow() as uow:
        rest = uow.deliveries.claim(limit=10, at=at, lease_until=at, campaigns=[campaign.id])
        uow.commit()
    assert {d.variant for d in rest} == {"B"}
    assert len(rest) == 2
    with backend.uow() as uow:
        uow.deliveries.plan(
            campaign.id, 9, [attrs.evolve(p, variant=HELD) for p in planned[:1]], at=at
        )
        assert uow.deliveries.skip_pending(campaign.id, at=at) == 1  # the held one
        uow.commit()


def test_enrolments_join_once_and_leave_with_a_reason(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 3)
    at = backend.clock.now()
    with backend.uow() as uow:
        uow.campaigns.add(campaign)
        assert uow.enrollments.enroll(campaign.id, people[:2], at=at) == 2
        assert uow.enrollments.enroll(campaign.id, people, at=at) == 1
        uow.commit()
    with backend.uow() as uow:
        uow.enrollments.leave(campaign.id, [people[0]], reason="goal", at=at)
        uow.commit()
    with backend.uow() as uow:
        active = uow.enrollments.active(campaign.id)
        summary = uow.enrollments.summary(campaign.id)
    assert sorted(e.contact_id for e in active) == sorted(people[1:])
    assert all(e.joined_at == at for e in active)
    assert summary == {"active": 2, "goal": 1}


def test_counts_by_step(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 2)
    at = backend.clock.now()
    with backend.uow() as uow:
        uow.campaigns.add(campaign)
        for step, skipped in ((1, False), (2, True)):
            planned = [
                PlannedDelivery(contact_id=c, address="x@example.com", variant=f"s{step}",
                                channel=CampaignChannel.EMAIL, skipped=skipped)
                for c in people
            ]  # fmt: skip
            uow.deliveries.plan(campaign.id, step, planned, at=at)
        uow.commit()
    with backend.uow() as uow:
        steps = uow.deliveries.counts_by_step(campaign.id)
    assert {n: dict(c.by_status) for n, c in steps.items()} == {
        1: {"pending": 2},
        2: {"skipped": 2},
    }


def test_status_counts_are_the_counts_by_status(backend: Backend) -> None:
    campaign = _campaign(backend)
    _plan(backend, campaign, _people(backend, 5))
    at = backend.clock.now()
    with backend.uow() as uow:
        taken = uow.deliveries.claim(
            limit=3, at=at, lease_until=at + timedelta(seconds=60), campaigns=[campaign.id]
        )
        uow.deliveries.finish(
            [
                (taken[0].id, DeliveryStatus.SENT, "<m0>", None),
                (taken[1].id, DeliveryStatus.FAILED, None, "550 refused"),
            ],
            at=at,
        )
        uow.commit()
    with backend.uow() as uow:
        counts = uow.deliveries.status_counts(campaign.id)
        full = uow.deliveries.counts(campaign.id)
        other = uow.deliveries.status_counts(UUID(int=7))
    assert counts == {"pending": 2, "sending": 1, "sent": 1, "failed": 1}
    assert counts == dict(full.by_status)
    assert other == {}


def test_a_bounce_changes_only_a_sent_delivery_with_that_message_id(backend: Backend) -> None:
    campaign = _campaign(backend)
    _plan(backend, campaign, _people(backend, 4))
    at = backend.clock.now()
    with backend.uow() as uow:
        taken = sorted(
            uow.deliveries.claim(limit=4, at=at, lease_until=at + timedelta(seconds=60),
                                 campaigns=[campaign.id]),
            key=lambda d: d.id,
        )  # fmt: skip
        uow.deliveries.finish(
            [(d.id, DeliveryStatus.SENT, f"<m{i}>", None) for i, d in enumerate(taken[:3])]
            + [(taken[3].id, DeliveryStatus.FAILED, None, "550 refused")],
            at=at,
        )
        uow.commit()
    later = at + timedelta(hours=2)
    with backend.uow() as uow:
        changed = uow.deliveries.bounce(
            [
                (taken[0].id, "<m0>", "hard bounce 5.1.1"),
                (taken[0].id, "<m0>", "twice in one batch"),
                (taken[1].id, "<not-m1>", "another message's report"),
                (taken[3].id, "<m3>", "a failed delivery stays failed"),
                (UUID(int=99), "<m9>", "no such delivery"),
            ],
            at=later,
        )
        uow.commit()
    assert [(d.id, d.status, d.error, d.address) for d in changed] == [
        (taken[0].id, DeliveryStatus.BOUNCED, "hard bounce 5.1.1", taken[0].address)
    ]
    with backend.uow() as uow:
        assert uow.deliveries.bounce([(taken[0].id, "<m0>", "again")], at=later) == []
        counts = uow.deliveries.counts(campaign.id)
        uow.commit()
    assert dict(counts.by_status) == {"sent": 2, "bounced": 1, "failed": 1}


def test_counts_in_a_window_keep_the_deliveries_finished_in_it(backend: Backend) -> None:
    campaign = _campaign(backend)
    people = _people(backend, 5)
    _plan(backend, campaign, people)
    start = backend.clock.now()
    # three finished on day 0 (two sent, one failed), two sent on day 2
    days = {
        0: [(DeliveryStatus.SENT, 2), (DeliveryStatus.FAILED, 1)],
        2: [(DeliveryStatus.SENT, 2)],
    }
    for offset, batches in days.items():
        at = start + timedelta(days=offset)
        for status, n in batches:
            with backend.uow() as uow:
                taken = uow.deliveries.claim(
                    limit=n, at=at, lease_until=at, campaigns=[campaign.id]
                )
                uow.deliveries.finish([(d.id, status, None, None) for d in taken], at=at)
                uow.commit()
    with backend.uow() as uow:
        uow.deliveries.engage(campaign.id, people, Engagement.OPENED, at=start)
        everything = uow.deliveries.counts(campaign.id)
        first = uow.deliveries.counts(campaign.id, until=start + timedelta(days=1))
        later = uow.deliveries.counts(campaign.id, since=start + timedelta(days=1))
        exact = uow.deliveries.counts(
            campaign.id, since=start + timedelta(days=2), until=start + timedelta(days=2, seconds=1)
        )
        none = uow.deliveries.counts(campaign.id, since=start + timedelta(days=3))
    assert (everything.count(DeliveryStatus.SENT), everything.count(DeliveryStatus.FAILED)) == (
        4,
        1,
    )
    assert (first.count(DeliveryStatus.SENT), first.count(DeliveryStatus.FAILED)) == (2, 1)
    assert (later.count(DeliveryStatus.SENT), later.count(DeliveryStatus.FAILED)) == (2, 0)
    assert exact.by_status == later.by_status
    assert (everything.opened, first.opened + later.opened) == (4, 4)
    assert (none.by_status, none.opened) == ({}, 0)
