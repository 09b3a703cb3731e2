"""The handlers registered in ``crmcore.app.handlers``, through the event pipeline on a
memory application: each wiring has a test that fails without it, and a replayed or
re-imported interaction reaches no handler twice."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from returns.result import Success

from crmcore import App, Settings, bootstrap, capture_lead
from crmcore.adapters.memory.publisher import MemoryPublisher
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.bus import MessageBus
from crmcore.app.events import worker as worker_module
from crmcore.app.events.apply import apply_interaction
from crmcore.app.events.config import EventSettings
from crmcore.app.events.worker import ingest_events, pipeline_status, process_inbox
from crmcore.app.handlers import HANDLERS
from crmcore.app.importing.transactions import TransactionRow, import_transactions
from crmcore.domain.clv import BgNbdParams, ClvFit, GammaGammaParams, TimeUnit
from crmcore.domain.health import HealthRecord
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import InboxRetryPolicy
from crmcore.domain.interactions import parse_interaction
from crmcore.domain.loyalty import CardId
from crmcore.domain.loyalty_metrics import CustomerFacts as LoyaltyFacts
from crmcore.domain.money import Money
from crmcore.ports.uow import UnitOfWork
from tests.conftest import T0

# --- building and reading a memory application ------------------------------------------


def make_app() -> App:
    return bootstrap(
        Settings(db_url="memory://"),
        clock=FixedClock(T0),
        ids=SequentialIds(),
        publisher=MemoryPublisher(),
        pipeline_settings=EventSettings(
            retry=InboxRetryPolicy(max_attempts=5, base=timedelta(seconds=1))
        ),
        jitter=random.Random(1),
    )


def feed(app: App, *raws: dict[str, Any]) -> None:
    """Ingest the events and work the inbox empty."""
    report = ingest_events(app, list(raws)).unwrap()
    assert not report.rejected, report.rejected
    process_inbox(app)
    status = pipeline_status(app).unwrap()
    assert status.inbox["pending"] == 0
    assert status.inbox["processing"] == 0


_serial = iter(range(10**9))


def event(
    kind: str, user: str, data: dict[str, Any], *, day: int = 4, **customer: str
) -> dict[str, Any]:
    """An incoming event of ``user`` on a day of January 2026 (T0 is the 5th, 09:00)."""
    return {
        "id": f"{kind}-{next(_serial)}",
        "type": kind,
        "occurred_at": f"2026-01-{day:02d}T08:00:00Z",
        "customer": {"user_id": user, **customer},
        "data": data,
    }


def purchase(user: str, amount: str = "25.00", *, day: int = 4) -> dict[str, Any]:
    return event("purchase", user, {"amount": amount, "currency": "USD"}, day=day)


def answer(user: str, answers: dict[str, Any], *, day: int = 4) -> dict[str, Any]:
    return event("form_answer", user, {"form_id": "f1", "answers": answers}, day=day)


def review(user: str, text: str, *, day: int = 4) -> dict[str, Any]:
    return event("review", user, {"text": text, "rating": 3}, day=day)


def message(user: str, text: str, *, day: int = 4) -> dict[str, Any]:
    return event("message", user, {"text": text, "channel": "telegram"}, day=day)


def login(user: str, *, day: int = 4) -> dict[str, Any]:
    return event("app_login", user, {"device": "ios"}, day=day)


def opened(user: str, email: str, *, day: int = 4) -> dict[str, Any]:
    return event("email_opened", user, {"campaign_id": "c1"}, day=day, email=email)


def clicked(user: str, email: str, *, day: int = 4) -> dict[str, Any]:
    data = {"campaign_id": "c1", "url": "https://example.com/x"}
    return event("email_clicked", user, data, day=day, email=email)


GLAD = "Great product, thank you!"  # the lexicon model: positive, 0.875
SAD = "terrible support, very slow"  # negative, 0.875


def who(app: App, user: str) -> ContactId:
    with app.uow() as uow:
        found = next(iter(uow.contacts.find_many(user_ids=[user])), None)
    assert found is not None, user
    return found.id


def board(app: App, user: str) -> LoyaltyFacts | None:
    with app.uow() as uow:
        return uow.loyalty_facts.get(who(app, user))


def health(app: App, user: str) -> HealthRecord | None:
    with app.uow() as uow:
        return uow.health.latest(who(app, user))


def score(app: App, user: str) -> int:
    record = health(app, user)
    assert record is not None, f"no health record for {user}"
    return record.score


# --- crm.purchase.recorded --------------------------------------------------------------


def test_paid_purchases_become_loyalty_facts_and_open_a_card() -> None:
    app = make_app()
    feed(app, purchase("ann", "10.50", day=2), purchase("ann", "0.00", day=3))
    feed(app, purchase("ann", "4.50", day=4))
    facts = board(app, "ann")
    assert facts is not None
    assert (facts.purchases, facts.revenue) == (2, Decimal("15.00"))
    assert facts.last_purchase == date(2026, 1, 4)
    assert facts.first_interaction == date(2026, 1, 2)
    with app.uow() as uow:
        assert uow.cards.get(CardId(who(app, "ann"))) is not None


def test_a_purchase_reassesses_a_customer_already_assessed() -> None:
    app = make_app()
    feed(app, login("ann", day=2))
    first = health(app, "ann")
    assert first is not None
    feed(app, purchase("ann", day=3))
    with app.uow() as uow:
        records = uow.health.history(who(app, "ann"))
    assert len(records) == 2


def test_a_batch_reassesses_each_customer_once_whatever_touched_them() -> None:
    app = make_app()
    feed(app, login("ann", day=2))  # ann is assessed; bob is not
    feed(
        app,
        login("ann", day=3),
        answer("ann", {"nps": 3}, day=3),
        review("ann", SAD, day=3),
        opened("ann", "ann@example.com", day=3),
        purchase("ann", day=3),
        purchase("bob", day=3),
        answer("cat", {"nps": 9}, day=3),
        login("cat", day=3),
    )
    with app.uow() as uow:
        counts = [len(uow.health.history(who(app, u))) for u in ("ann", "bob", "cat")]
    assert counts == [2, 0, 1]
    ann = health(app, "ann")
    assert ann is not None
    assert any(r.startswith("low_nps") for r in ann.reasons)


def test_batches_that_touch_a_customer_reassess_them_once_after_the_last() -> None:
    app = make_app()
    report = ingest_events(
        app, [login("ann", day=2), answer("ann", {"nps": 2}, day=3), login("bob", day=3)]
    ).unwrap()
    assert not report.rejected
    worked = process_inbox(app, batch=1).unwrap()  # three batches, then an empty one
    assert (worked.done, worked.health_reassessed) == (3, 2)
    with app.uow() as uow:
        counts = [len(uow.health.history(who(app, u))) for u in ("ann", "bob")]
        assert uow.health.due_count() == 0
    assert counts == [1, 1]
    ann = health(app, "ann")
    assert ann is not None
    assert any(r.startswith("low_nps") for r in ann.reasons)  # the later batch counted


def test_under_steady_load_the_marked_are_reassessed_every_few_batches() -> None:
    app = make_app()
    every = worker_module.HEALTH_EVERY
    first = [login("ann", day=2)] + [login(f"u{i}", day=2) for i in range(every - 1)]
    assert not ingest_events(app, [*first, login("ann", day=3)]).unwrap().rejected
    worked = process_inbox(app, batch=1).unwrap()
    assert (worked.done, worked.health_reassessed) == (every + 1, every + 1)
    with app.uow() as uow:
        # once after batch `every`, once more after the inbox drained
        assert len(uow.health.history(who(app, "ann"))) == 2
        assert len(uow.health.history(who(app, "u0"))) == 1


def test_an_import_reassesses_the_assessed_buyers_once_after_its_batches() -> None:
    app = make_app()
    feed(app, login("ann", day=2))
    rows = [
        TransactionRow(customer_id=user, occurred_at=T0 - timedelta(days=d), amount=usd)
        for user, d, usd in (
            ("ann", 3, Money(Decimal(5), "USD")),
            ("ann", 2, Money(Decimal(7), "USD")),
            ("bob", 2, Money(Decimal(9), "USD")),
        )
    ]
    summary = import_transactions(app, rows, batch=1).unwrap()
    assert summary.imported == 3
    with app.uow() as uow:
        assert len(uow.health.history(who(app, "ann"))) == 2
        assert uow.health.latest(who(app, "bob")) is None  # never assessed: no health work
        assert uow.health.due_count() == 0


def test_a_purchase_alone_costs_no_health_work() -> None:
    # an import of history assesses nobody; their first login or `crm health assess` does
    app = make_app()
    feed(app, purchase("ann", day=2))
    assert health(app, "ann") is None


def test_a_purchase_refreshes_the_buyers_clv_with_the_stored_fit() -> None:
    app = make_app()
    fit = ClvFit(
        as_of=date(2025, 12, 31),
        unit=TimeUnit.WEEKS,
        customers=2357,
        bg_nbd=BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4),
        gamma_gamma=GammaGammaParams(p=6.25, q=3.74, gamma=15.44, customers=946),
    )
    with app.uow() as uow:
        uow.clv.save_fit(fit, fitted_at=T0)
        uow.commit()
    feed(app, purchase("ann", day=1))
    with app.uow() as uow:
        first = uow.clv.prediction(str(who(app, "ann")))
    assert first is not None
    assert first.prediction.frequency == 0
    feed(app, purchase("ann", day=3))
    with app.uow() as uow:
        second = uow.clv.prediction(str(who(app, "ann")))
    assert second is not None
    assert second.prediction.frequency == 1
    assert second.prediction.expected_purchases != first.prediction.expected_purchases


def test_without_a_stored_fit_a_purchase_predicts_nothing() -> None:
    app = make_app()
    feed(app, purchase("ann"))
    with app.uow() as uow:
        assert uow.clv.predictions() == []


# --- crm.form.answered ------------------------------------------------------------------


def test_form_answers_count_and_the_nps_becomes_the_last_nps() -> None:
    app = make_app()
    feed(app, answer("ann", {"nps": 3}, day=1), answer("ann", {"city": "Kazan"}, day=2))
    feed(app, answer("ann", {"nps": 9, "ok": True}, day=3))
    facts = board(app, "ann")
    assert facts is not None
    assert (facts.form_answers, facts.last_nps) == (3, 9)


def test_a_promoters_health_scores_higher_than_a_detractors() -> None:
    app = make_app()
    feed(app, answer("pro", {"nps": 10}), answer("con", {"nps": 2}))
    assert score(app, "pro") > score(app, "con")


# --- crm.feedback.analysed --------------------------------------------------------------


def test_a_positive_public_review_counts_on_the_board_and_nothing_else_does() -> None:
    app = make_app()
    feed(
        app,
        review("ann", GLAD, day=1),
        review("ann", SAD, day=2),
        message("ann", GLAD, day=3),
        review("ann", GLAD, day=4),
    )
    facts = board(app, "ann")
    assert facts is not None
    assert facts.reviews == 2
    feed(app, message("bob", GLAD), review("bob", SAD))
    assert board(app, "bob") is None


def test_a_negative_review_lowers_the_health_score() -> None:
    app = make_app()
    feed(app, answer("ann", {"nps": 8}, day=1))
    before = score(app, "ann")
    feed(app, review("ann", SAD, day=3))
    assert score(app, "ann") < before


# --- crm.app.login_recorded -------------------------------------------------------------


def test_logins_move_the_health_score() -> None:
    app = make_app()
    feed(app, login("ann", day=2))
    once = score(app, "ann")
    feed(app, login("ann", day=3))
    assert score(app, "ann") > once


# --- crm.email.opened / crm.email.clicked -----------------------------------------------


def lead_state(app: App, email: str) -> tuple[int, int, int]:
    with app.uow() as uow:
        [lead] = [x for x in uow.leads.list() if x.email.value == email]
    return lead.engagement.email_opens, lead.engagement.email_clicks, lead.score


def test_an_open_counts_on_the_lead_with_that_email_and_rescores_it() -> None:
    app = make_app()
    capture_lead(app, email="lea@example.com", first_name="Lea").unwrap()
    capture_lead(app, email="other@example.com", first_name="Otto").unwrap()
    _, _, before = lead_state(app, "lea@example.com")
    feed(app, opened("lea", "lea@example.com"))
    opens, clicks, after = lead_state(app, "lea@example.com")
    assert (opens, clicks) == (1, 0)
    assert after > before
    assert lead_state(app, "other@example.com")[:2] == (0, 0)


def test_a_click_counts_on_the_lead_with_that_email_and_rescores_it() -> None:
    app = make_app()
    capture_lead(app, email="lea@example.com", first_name="Lea").unwrap()
    _, _, before = lead_state(app, "lea@example.com")
    feed(app, clicked("lea", "lea@example.com"))
    opens, clicks, after = lead_state(app, "lea@example.com")
    assert (opens, clicks) == (0, 1)
    assert after > before


def test_opens_and_clicks_move_the_health_score() -> None:
    app = make_app()
    feed(app, opened("ann", "ann@example.com", day=2), clicked("bob", "bob@example.com", day=2))
    first = {user: score(app, user) for user in ("ann", "bob")}
    feed(app, opened("ann", "ann@example.com", day=3), clicked("bob", "bob@example.com", day=3))
    assert score(app, "ann") > first["ann"]
    assert score(app, "bob") > first["bob"]


# --- a replay or re-import reaches no handler twice -------------------------------------


def counting(app: App) -> tuple[App, Counter[tuple[str, str]]]:
    """``app`` whose bus also counts every event it hands out, by type and event id."""
    seen: Counter[tuple[str, str]] = Counter()

    def count(app: App, uow: UnitOfWork, events: Sequence[Any]) -> None:
        seen.update((e.TYPE, e.event_id) for e in events if hasattr(e, "event_id"))

    bus = MessageBus({kind: (*handlers, count) for kind, handlers in HANDLERS.items()})
    return attrs.evolve(app, bus=bus), seen


def state(app: App, users: Sequence[str]) -> list[object]:
    with app.uow() as uow:
        out: list[object] = [sorted((x.email.value, x.score) for x in uow.leads.list())]
        for user in users:
            contact_id = who(app, user)
            out.append(
                (
                    uow.loyalty_facts.get(contact_id),
                    len(uow.health.history(contact_id)),
                    uow.cards.get(CardId(contact_id)),
                )
            )
    return out


def test_a_replayed_or_reimported_interaction_reaches_no_handler_twice() -> None:
    app, seen = counting(make_app())
    capture_lead(app, email="ann@example.com", first_name="Ann").unwrap()
    raws = [
        purchase("ann", day=1),
        answer("ann", {"nps": 9}, day=1),
        review("ann", GLAD, day=2),
        login("ann", day=2),
        opened("ann", "ann@example.com", day=3),
        clicked("ann", "ann@example.com", day=3),
        purchase("bob", day=3),
    ]
    feed(app, *raws)
    # every interaction, and every event derived from one (funnel, status: marketing's
    # triggers listen to those), reached the handlers exactly once
    assert set(seen.values()) == {1}
    assert len(seen) >= len(raws)
    once, before = Counter(seen), state(app, ["ann", "bob"])
    # replayed: the inbox knows the ids
    assert ingest_events(app, raws).unwrap().accepted == 0
    process_inbox(app)
    # re-imported past the inbox: the facts are known, nothing is recorded
    assert app.events is not None
    for raw in raws:
        interaction = parse_interaction(raw).unwrap()
        with app.events.uow() as uow:
            apply_interaction(app, app.events, uow, interaction, now=T0)
            uow.commit()
    assert seen == once
    assert state(app, ["ann", "bob"]) == before
    with app.uow() as uow:
        types = Counter(e.type for e in uow.outbox.pending(limit=10_000))
    assert types["crm.purchase.recorded"] == 2
    assert types["crm.form.answered"] == 1


def test_the_counting_bus_sees_a_new_event_of_a_known_customer() -> None:
    app, seen = counting(make_app())
    feed(app, purchase("ann", day=1))
    feed(app, purchase("ann", day=2))
    assert sum(n for (kind, _), n in seen.items() if kind == "crm.purchase.recorded") == 2
    assert isinstance(pipeline_status(app), Success)
