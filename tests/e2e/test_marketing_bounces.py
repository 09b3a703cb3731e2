"""Asynchronous bounces after a real SMTP session: the DSNs name the messages the sink
received; deliveries become bounced, hard bounces suppress the address (and publish
``crm.unsubscribe``), the campaign counts delivered apart from sent and pauses itself
above 5 %; reading the same reports twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from returns.result import Success

from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings
from crmcore.app.marketing.bounces import record_bounces
from crmcore.app.marketing.campaigns import campaign_stats
from crmcore.app.marketing.config import ChannelOptions
from crmcore.app.marketing.sending import send_due
from crmcore.app.marketing.templates import add_template
from crmcore.app.marketing.unsubscribe import suppression_list
from crmcore.codec.dsn import bounces_of, read_messages
from crmcore.domain.campaign import CampaignStatus
from crmcore.domain.unsubscribe import Unsubscribed
from tests.dsn_samples import auto_reply, delayed, exim_soft, postfix_hard
from tests.e2e.test_marketing_smtp import T0, people, running
from tests.smtp_sink import Sink, smtp_sink


@pytest.fixture
def world() -> Iterator[tuple[App, Sink, str]]:
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), ids=SequentialIds())
    with smtp_sink() as (sink, url):
        yield app, sink, url


def test_dsns_bounce_deliveries_suppress_hard_ones_and_pause_the_campaign(
    world: tuple[App, Sink, str], tmp_path: Path
) -> None:
    app, sink, url = world
    people(app, [f"p{i}" for i in range(40)])
    add_template(app, name="welcome", subject="Hi", body="Hello {{ contact.first_name }}")
    campaign = running(app)
    _send_one_batch(app, url, 20)  # half of it: the campaign is still running
    ids = {str(m["To"]): str(m["Message-ID"]) for m in sink.received()}
    assert len(ids) == 20
    p1, p2, p3, p4 = sorted(ids)[:4]
    (tmp_path / "a.eml").write_bytes(postfix_hard(ids[p1], p1))
    (tmp_path / "b.eml").write_bytes(exim_soft(ids[p2], p2))
    (tmp_path / "c.eml").write_bytes(delayed(ids[p3], p3))
    (tmp_path / "d.eml").write_bytes(auto_reply(p4))
    (tmp_path / "e.eml").write_bytes(postfix_hard("<other@elsewhere.example>", "x@example.com"))
    found = [b for _, m in read_messages(tmp_path) for b in bounces_of(m)]
    report = record_bounces(app, found).unwrap()
    assert (report.reports, report.hard, report.soft, report.ignored) == (4, 1, 1, 2)
    assert report.suppressed == [p1]
    assert len(report.paused) == 1
    assert "2 of 20 deliveries failed or bounced (10.0 %" in report.paused[0][1]
    stats = campaign_stats(app, campaign_id=campaign.id).unwrap()
    assert stats.campaign.status is CampaignStatus.PAUSED
    numbers = stats.as_dict()
    assert [numbers[k] for k in ("sent", "delivered", "bounced", "failed")] == [20, 18, 2, 2]
    assert [c.address for c in suppression_list(app).unwrap()] == [p1]
    assert [c.source for c in suppression_list(app).unwrap()] == ["bounce"]
    with app.uow() as uow:
        published = [e.payload for e in uow.outbox.pending(limit=100)]
    assert [(p.address, p.source) for p in published if isinstance(p, Unsubscribed)] == [
        (p1, "bounce")
    ]
    again = record_bounces(app, found).unwrap()  # the same mailbox read twice
    assert (again.hard, again.soft, again.ignored, again.paused) == (0, 0, 4, [])


def _send_one_batch(app: App, url: str, size: int) -> None:
    assert app.marketing is not None
    channels = app.marketing.channels(ChannelOptions(smtp_url=url))
    try:
        assert isinstance(send_due(app, channels=channels, batch=size, max_batches=1), Success)
    finally:
        for c in channels.values():
            c.close()
