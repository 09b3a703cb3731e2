"""The send worker claims the next batch while a batch is on the wire: every batch is
still claimed (committed ``sending``) before its channel gets it, the batch before it is
recorded by then, nothing is handed over twice in a run, even with a lease that runs out
on the wire, and a channel that fails puts the claimed, unsent batch back. Loyalty facts
are read only for templates that name them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from returns.result import Success

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings
from crmcore.app.marketing.campaigns import campaign_stats
from crmcore.app.marketing.sending import send_due
from crmcore.app.marketing.templates import add_template
from crmcore.domain.campaign import CampaignChannel
from crmcore.domain.loyalty_metrics import CustomerFacts as LoyaltyFacts
from crmcore.ports.marketing import (
    ChannelUnavailable,
    DeliveryStatus,
    OutgoingMessage,
    SendResult,
)
from tests.e2e.test_marketing_smtp import T0, people, running


class Recording:
    """A channel that notes what it is handed, and from which thread; it fails for good
    (unreachable) from the ``fail_from``-th batch on."""

    def __init__(self, app: App, *, fail_from: int | None = None) -> None:
        self.app = app
        self.handed: list[list[OutgoingMessage]] = []
        self.threads: set[str] = set()
        self.fail_from = fail_from
        self.seen: list[dict[DeliveryStatus, int]] = []

    def send(self, messages: Sequence[OutgoingMessage]) -> Sequence[SendResult]:
        self.threads.add(threading.current_thread().name)
        if self.fail_from is not None and len(self.handed) >= self.fail_from:
            raise ChannelUnavailable("down")
        self.handed.append(list(messages))
        return [SendResult(delivery_id=m.delivery_id, accepted=True, message_id="x")
                for m in messages]  # fmt: skip

    def close(self) -> None:
        pass


def _statuses(app: App, ids: set[UUID]) -> Counter[DeliveryStatus]:
    with app.uow() as uow:
        everyone = [c.id for c in uow.contacts.list()]
        return Counter(d.status for d in uow.deliveries.for_contacts(everyone) if d.id in ids)


class Checking(Recording):
    """Also reads the database (its own connection) when handed a batch: the batch is
    claimed, and every batch handed before is recorded."""

    def send(self, messages: Sequence[OutgoingMessage]) -> Sequence[SendResult]:
        before = {m.delivery_id for batch in self.handed for m in batch}
        now = {m.delivery_id for m in messages}
        assert _statuses(self.app, now) == Counter({DeliveryStatus.SENDING: len(now)})
        assert _statuses(self.app, before) == Counter({DeliveryStatus.SENT: len(before)})
        return super().send(messages)


def _app(tmp_path: Path, n: int) -> App:
    app = bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'crm.db'}"), clock=FixedClock(T0),
                    ids=SequentialIds())  # fmt: skip
    people(app, [f"p{i}" for i in range(n)])
    add_template(app, name="welcome", subject="Hi", body="Hello {{ contact.first_name }}")
    running(app)
    return app


def test_each_batch_is_claimed_before_it_is_handed_over_and_the_one_before_recorded(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, 23)
    channel = Checking(app)
    report = send_due(app, channels={CampaignChannel.EMAIL: channel}, batch=5).unwrap()
    assert (report.sent, report.batches) == (23, 5)
    assert [len(b) for b in channel.handed] == [5, 5, 5, 5, 3]
    assert channel.threads
    assert threading.current_thread().name not in channel.threads


@pytest.mark.parametrize("lease", [timedelta(0), timedelta(seconds=60)])
def test_nothing_is_handed_over_twice_even_when_the_lease_runs_out_on_the_wire(
    tmp_path: Path, lease: timedelta
) -> None:
    app = _app(tmp_path, 30)
    with app.uow() as uow:  # a crashed run left ten claimed, expired, never sent
        ids = [c.id for c in uow.campaigns.list()]
        assert len(uow.deliveries.claim(limit=10, at=T0, lease_until=T0, campaigns=ids)) == 10
        uow.commit()
    channel = Recording(app)
    report = send_due(app, channels={CampaignChannel.EMAIL: channel}, batch=4, lease=lease)
    assert isinstance(report, Success)
    handed = Counter(m.delivery_id for batch in channel.handed for m in batch)
    assert len(handed) == 30
    assert max(handed.values()) == 1
    assert report.unwrap().sent == 30


def test_a_failing_channel_leaves_the_claimed_next_batch_due(tmp_path: Path) -> None:
    app = _app(tmp_path, 12)
    campaign_id = next(iter(_campaign_ids(app)))
    channel = Recording(app, fail_from=1)
    report = send_due(app, channels={CampaignChannel.EMAIL: channel}, batch=4).unwrap()
    assert report.error is not None
    assert "down" in report.error
    stats = campaign_stats(app, campaign_id=campaign_id).unwrap()
    assert (stats.sent, stats.pending) == (4, 8)  # the failed batch and the one claimed after
    again = Recording(app)
    assert send_due(app, channels={CampaignChannel.EMAIL: again}, batch=4).unwrap().sent == 8


def _campaign_ids(app: App) -> set[UUID]:
    with app.uow() as uow:
        return {c.id for c in uow.campaigns.list()}


@pytest.mark.parametrize("names_facts", [True, False])
def test_loyalty_facts_reach_the_templates_that_name_them(
    tmp_path: Path, names_facts: bool
) -> None:
    app = bootstrap(Settings(db_url=f"sqlite:///{tmp_path / 'crm.db'}"), clock=FixedClock(T0),
                    ids=SequentialIds())  # fmt: skip
    ids = people(app, ["ann", "bob"])
    with app.uow() as uow:
        uow.loyalty_facts.put(ids[0], LoyaltyFacts(purchases=3, revenue=Decimal("12.5")))
        uow.commit()
    body = "Hi {{ contact.first_name }}" + (": {{ facts.purchases }} orders" if names_facts else "")
    add_template(app, name="welcome", subject="Hi", body=body)
    running(app)
    channel = Recording(app)
    assert send_due(app, channels={CampaignChannel.EMAIL: channel}, batch=10).unwrap().sent == 2
    bodies = sorted(m.body for batch in channel.handed for m in batch)
    assert bodies == (
        ["Hi Ann: 3 orders", "Hi Bob: 0 orders"] if names_facts else ["Hi Ann", "Hi Bob"]
    )
