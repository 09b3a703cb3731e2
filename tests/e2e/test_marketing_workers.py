"""Several send workers in parallel on one PostgreSQL database: every delivery goes out
exactly once (claims take disjoint rows with ``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from returns.result import Success

from crmcore.adapters.sql import migrate
from crmcore.adapters.sql.engine import make_engine
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import App, Settings
from crmcore.app.marketing.campaigns import (
    campaign_stats,
    create_campaign,
    schedule_campaign,
    start_campaign,
)
from crmcore.app.marketing.config import ChannelOptions
from crmcore.app.marketing.sending import SendReport, send_due
from crmcore.app.marketing.templates import add_template
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.segment import Segment, SegmentId
from tests.conftest import PG_URL, require_service
from tests.databases import fresh_postgres
from tests.smtp_sink import smtp_sink

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
N = 300


@pytest.fixture
def pg() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_postgres(PG_URL, prefix="crmcore_send") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


def _seed(app: App) -> None:
    made = [
        Contact(id=ContactId(app.ids.new()), name=PersonName(f"P{i}", "Lee"),
                email=Email(f"p{i}@example.com"), created_at=T0, updated_at=T0)
        for i in range(N)
    ]  # fmt: skip
    with app.uow() as uow:
        uow.contacts.add_many(made)
        everyone = {"field": "contact.archived", "op": "eq", "value": False}
        uow.segments.add(Segment(id=SegmentId(app.ids.new()), name="everyone", filter=everyone,
                                 created_at=T0, updated_at=T0))  # fmt: skip
        uow.commit()


@pytest.mark.parametrize("workers", [2, 4])
def test_parallel_workers_never_send_a_delivery_twice(pg: str, workers: int) -> None:
    setup = bootstrap(Settings(db_url=pg))
    _seed(setup)
    add_template(setup, name="t", subject="Hi {{ contact.first_name }}", body="x").unwrap()
    campaign = create_campaign(setup, name="C", template="t", segment="everyone").unwrap()
    schedule_campaign(setup, campaign_id=campaign.id).unwrap()
    start_campaign(setup, campaign_id=campaign.id).unwrap()
    reports: list[SendReport] = []
    errors: list[BaseException] = []
    with smtp_sink() as (server, url):
        go = threading.Barrier(workers)

        def work() -> None:
            try:
                app = bootstrap(Settings(db_url=pg))
                assert app.marketing is not None
                channels = app.marketing.channels(ChannelOptions(smtp_url=url))
                go.wait()
                result = send_due(app, channels=channels, batch=7)
                for c in channels.values():
                    c.close()
                assert isinstance(result, Success), result
                reports.append(result.unwrap())
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        got = server.per_recipient()
    assert not errors, errors
    assert len(got) == N
    assert set(got.values()) == {1}
    assert sum(r.sent for r in reports) == N
    stats = campaign_stats(setup, campaign_id=campaign.id).unwrap()
    assert (stats.sent, stats.pending) == (N, 0)
