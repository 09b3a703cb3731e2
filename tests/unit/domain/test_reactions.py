"""What one interaction changes (``crmcore.domain.reactions``): facts, lifecycle, funnel,
actions, status and the loyalty board's facts change, each rule at its boundaries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.domain.activity import ActivityType
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.email import Email
from crmcore.domain.facts import Fact, FactKind, FactLedger, recommends
from crmcore.domain.funnel import FUNNEL_ORDER, FunnelStage
from crmcore.domain.ids import ContactId
from crmcore.domain.insight import CustomerFacts, CustomerStatus, Insight
from crmcore.domain.interactions import (
    AppLogin,
    Billing,
    BillingKind,
    Customer,
    Details,
    EmailEngagement,
    Feedback,
    FormAnswer,
    Interaction,
    InteractionType,
    Purchase,
    UsageLimit,
)
from crmcore.domain.loyalty_metrics import CustomerFacts as LoyaltyFacts
from crmcore.domain.loyalty_metrics import FactsDelta
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.offers import UsageLimitReached
from crmcore.domain.reactions import (
    MANAGER_TASK,
    OFFER,
    TASK_DUE,
    WELCOME,
    ActionSpec,
    BoardSignal,
    actions_for,
    board_delta,
    due_at,
    facts_of,
    funnel_target,
    lifecycle_after,
    limit_reached,
    status_attributes,
)
from crmcore.domain.sentiment import Sentiment, SentimentLabel
from tests.strategies import (
    board_signals,
    customer_facts,
    domain_interactions,
    insights,
    pipeline_knowledge,
    sentiments,
)

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OWNER = ContactId(UUID(int=7))
ANONYMOUS = Customer(user_id="u1")
REACHABLE = Customer(user_id="u1", email=Email("ann@example.com"))
POSITIVE = Sentiment(label=SentimentLabel.POSITIVE, confidence=0.9)
NEGATIVE = Sentiment(label=SentimentLabel.NEGATIVE, confidence=0.9)
NEUTRAL = Sentiment(label=SentimentLabel.NEUTRAL, confidence=0.9)


def interaction(
    kind: InteractionType,
    details: Details,
    *,
    customer: Customer = ANONYMOUS,
    at: datetime = AT,
    event_id: str = "e1",
) -> Interaction:
    return Interaction(
        event_id=event_id,
        type=kind,
        occurred_at=at,
        utc_offset=timedelta(hours=3),
        customer=customer,
        details=details,
    )


def purchase(amount: str = "10", **kw: Any) -> Interaction:
    return interaction(
        InteractionType.PURCHASE, Purchase(amount=Money(Decimal(amount), "USD")), **kw
    )


def login(**kw: Any) -> Interaction:
    return interaction(InteractionType.APP_LOGIN, AppLogin(device="ios"), **kw)


def review(**kw: Any) -> Interaction:
    return interaction(InteractionType.REVIEW, Feedback(text="words", rating=5), **kw)


def message(**kw: Any) -> Interaction:
    return interaction(InteractionType.MESSAGE, Feedback(text="words", channel="tg"), **kw)


def form(answers: dict[str, Any], **kw: Any) -> Interaction:
    return interaction(InteractionType.FORM_ANSWER, FormAnswer(form_id="f", answers=answers), **kw)


def billing(kind: BillingKind, **kw: Any) -> Interaction:
    return interaction(InteractionType.BILLING, Billing(kind=kind), **kw)


def fact(kind: FactKind, name: str, value: object) -> Fact:
    return Fact(contact_id=OWNER, event_id="e1", kind=kind, name=name, value=value, occurred_at=AT)


def contact(lifecycle: LifecycleStage) -> Contact:
    return Contact(
        id=OWNER, name=PersonName("Ann", ""), lifecycle=lifecycle, created_at=AT, updated_at=AT
    )


def bought_on(*days: int) -> CustomerFacts:
    usd = Money(Decimal(10), "USD")
    return CustomerFacts(purchases=tuple((datetime(2026, 1, d, tzinfo=UTC), usd) for d in days))


# --- facts_of ---------------------------------------------------------------------------


def test_a_purchase_is_one_purchase_fact_of_its_amount() -> None:
    money = Money(Decimal("12.50"), "RUB")
    got = facts_of(interaction(InteractionType.PURCHASE, Purchase(amount=money)), OWNER)
    assert got == [fact(FactKind.PURCHASE, "", money)]


@pytest.mark.parametrize("kind", [InteractionType.EMAIL_OPENED, InteractionType.EMAIL_CLICKED])
def test_an_email_open_or_click_is_an_engagement_fact_named_after_it(
    kind: InteractionType,
) -> None:
    got = facts_of(interaction(kind, EmailEngagement(campaign_id="c1")), OWNER)
    assert got == [fact(FactKind.ENGAGEMENT, kind.value, None)]


def test_an_app_login_is_an_engagement_fact() -> None:
    assert facts_of(login(), OWNER) == [fact(FactKind.ENGAGEMENT, "app_login", None)]


def test_a_positive_review_is_a_sentiment_and_the_public_review_loyalty_fact() -> None:
    assert facts_of(review(), OWNER, POSITIVE) == [
        fact(FactKind.SENTIMENT, "", POSITIVE),
        fact(FactKind.LOYALTY, "public_review", True),
    ]


@pytest.mark.parametrize("sentiment", [NEGATIVE, NEUTRAL])
def test_a_review_that_is_not_positive_is_only_a_sentiment(sentiment: Sentiment) -> None:
    assert facts_of(review(), OWNER, sentiment) == [fact(FactKind.SENTIMENT, "", sentiment)]


@pytest.mark.parametrize("sentiment", [POSITIVE, NEGATIVE, NEUTRAL])
def test_a_message_is_only_a_sentiment_even_a_positive_one(sentiment: Sentiment) -> None:
    assert facts_of(message(), OWNER, sentiment) == [fact(FactKind.SENTIMENT, "", sentiment)]


def test_feedback_without_a_classification_adds_no_fact() -> None:
    assert facts_of(review(), OWNER) == []
    assert facts_of(message(), OWNER) == []


def test_a_form_answer_is_a_loyalty_fact_per_question_in_name_order() -> None:
    got = facts_of(form({"nps": 9, "city": "Kazan", "agree": True}), OWNER)
    assert got == [
        fact(FactKind.LOYALTY, "agree", True),
        fact(FactKind.LOYALTY, "city", "Kazan"),
        fact(FactKind.LOYALTY, "nps", 9),
    ]


def test_an_empty_form_adds_no_fact() -> None:
    assert facts_of(form({}), OWNER) == []


@pytest.mark.parametrize("kind", list(BillingKind))
def test_a_billing_notice_is_a_billing_fact_named_after_its_kind(kind: BillingKind) -> None:
    money = Money(Decimal(5), "USD")
    details = Billing(kind=kind, amount=money)
    assert facts_of(interaction(InteractionType.BILLING, details), OWNER) == [
        fact(FactKind.BILLING, kind.value, money)
    ]
    bare = interaction(InteractionType.BILLING, Billing(kind=kind))
    assert facts_of(bare, OWNER) == [fact(FactKind.BILLING, kind.value, None)]


@given(domain_interactions(), st.none() | sentiments())
def test_every_fact_is_the_owners_and_carries_the_events_id_and_time(
    event: Interaction, sentiment: Sentiment | None
) -> None:
    for f in facts_of(event, OWNER, sentiment):
        assert (f.contact_id, f.event_id, f.occurred_at) == (
            OWNER,
            event.event_id,
            event.occurred_at,
        )


def usage(value: int, limit: int, **kw: Any) -> Interaction:
    details = UsageLimit(feature="seats", value=value, limit=limit)
    return interaction(InteractionType.USAGE_LIMIT, details, **kw)


def test_a_usage_report_adds_no_fact() -> None:
    assert facts_of(usage(5, 5), OWNER) == []


# --- limit_reached ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "limit"), [(5, 5), (6, 5), (0, 0), (2**53 - 1, 1)])
def test_a_usage_at_or_over_its_limit_reaches_it(value: int, limit: int) -> None:
    assert limit_reached(usage(value, limit), OWNER) == UsageLimitReached(
        customer=OWNER, limit="seats", used=value, allowed=limit
    )


@pytest.mark.parametrize(("value", "limit"), [(4, 5), (0, 1), (2**53 - 2, 2**53 - 1)])
def test_a_usage_below_its_limit_reaches_nothing(value: int, limit: int) -> None:
    assert limit_reached(usage(value, limit), OWNER) is None


@given(domain_interactions())
def test_only_a_usage_report_at_its_limit_reaches_one(event: Interaction) -> None:
    reached = limit_reached(event, OWNER)
    details = event.details
    if not isinstance(details, UsageLimit):
        assert reached is None
        return
    assert (reached is not None) == (details.value >= details.limit)
    if reached is not None:
        assert (reached.customer, reached.limit, reached.used, reached.allowed) == (
            OWNER, details.feature, details.value, details.limit,
        )  # fmt: skip


# --- lifecycle_after --------------------------------------------------------------------


@pytest.mark.parametrize("stage", [LifecycleStage.LEAD, LifecycleStage.PROSPECT])
def test_a_purchase_makes_a_lead_or_prospect_a_customer(stage: LifecycleStage) -> None:
    assert lifecycle_after(contact(stage), purchase()) is LifecycleStage.CUSTOMER


@pytest.mark.parametrize("stage", [LifecycleStage.CUSTOMER, LifecycleStage.ADVOCATE])
def test_a_purchase_leaves_customers_and_advocates_where_they_are(stage: LifecycleStage) -> None:
    assert lifecycle_after(contact(stage), purchase()) is None


@pytest.mark.parametrize(
    "event", [login(), review(), form({"nps": 10}), billing(BillingKind.PAYMENT)]
)
def test_only_a_purchase_moves_the_lifecycle(event: Interaction) -> None:
    assert lifecycle_after(contact(LifecycleStage.LEAD), event) is None


# --- funnel_target ----------------------------------------------------------------------

V, L, T, A, C, R, ADV = FUNNEL_ORDER


def test_the_funnel_order_is_the_b2c_journey() -> None:
    assert FUNNEL_ORDER == (
        FunnelStage.VISITOR,
        FunnelStage.LEAD,
        FunnelStage.TRIAL,
        FunnelStage.ACTIVATED,
        FunnelStage.CONVERTED,
        FunnelStage.RETAINED,
        FunnelStage.ADVOCATE,
    )


def target(
    stage: FunnelStage,
    event: Interaction,
    known: CustomerFacts,
    *,
    reachable: bool = False,
    promoter: bool = False,
) -> FunnelStage | None:
    return funnel_target(stage, event, known, reachable=reachable, promoter=promoter)


def test_contact_details_make_a_visitor_a_lead() -> None:
    opened = interaction(InteractionType.EMAIL_OPENED, EmailEngagement(campaign_id="c1"))
    known = CustomerFacts(email_opens=1)
    assert target(V, opened, known, reachable=True) is L
    assert target(V, opened, known) is None
    assert target(L, opened, known, reachable=True) is None


def test_one_login_is_a_trial_and_two_activate() -> None:
    assert target(V, login(), CustomerFacts(logins=1)) is T
    assert target(L, login(), CustomerFacts(logins=1), reachable=True) is T
    assert target(V, login(), CustomerFacts(logins=2)) is A
    assert target(T, login(), CustomerFacts(logins=2)) is A
    assert target(T, login(), CustomerFacts(logins=3)) is A
    assert target(T, login(), CustomerFacts(logins=1)) is None
    assert target(A, login(), CustomerFacts(logins=5)) is None
    assert target(V, login(), CustomerFacts(logins=0)) is None


def test_the_proofs_read_the_facts_whatever_the_interaction() -> None:
    # an e-mail open applied after two logins and a purchase proves what the facts prove
    opened = interaction(InteractionType.EMAIL_OPENED, EmailEngagement(campaign_id="c1"))
    assert target(V, opened, CustomerFacts(logins=2)) is A
    assert target(V, opened, bought_on(5)) is C
    assert target(V, opened, bought_on(4, 5)) is R


def test_a_paid_purchase_converts_and_paid_purchases_on_two_days_retain() -> None:
    assert target(V, purchase(), bought_on(5)) is C
    assert target(A, purchase(), bought_on(5)) is C
    assert target(A, purchase(), bought_on(5, 5)) is C  # two purchases, one day
    assert target(C, purchase(), bought_on(5, 5)) is None
    assert target(A, purchase(), bought_on(4, 5)) is R
    assert target(C, purchase(), bought_on(4, 5)) is R
    assert target(R, purchase(), bought_on(3, 4, 5)) is None


def test_a_purchase_of_one_day_counts_the_utc_day() -> None:
    usd = Money(Decimal(10), "USD")
    late = datetime(2026, 1, 4, 23, 59, tzinfo=UTC)
    two_days = CustomerFacts(purchases=((late, usd), (late + timedelta(minutes=2), usd)))
    one_day = CustomerFacts(purchases=((late, usd), (late - timedelta(hours=1), usd)))
    assert target(C, purchase(), two_days) is R
    assert target(C, purchase(), one_day) is None


@pytest.mark.parametrize("amount", ["0", "0.00", "-5"])
def test_purchases_of_nothing_or_less_prove_nothing(amount: str) -> None:
    nothing = Money(Decimal(amount), "USD")
    known = CustomerFacts(purchases=((datetime(2026, 1, 4, tzinfo=UTC), nothing), (AT, nothing)))
    assert target(V, purchase(amount), known) is None
    assert target(V, purchase(amount), known, reachable=True) is L
    # a paid purchase beside them is one paid day: converted, not retained
    paid = CustomerFacts(purchases=(*known.purchases, (AT, Money(Decimal("0.01"), "USD"))))
    assert target(A, purchase("0.01"), paid) is C


def test_a_payment_converts_and_a_renewal_retains() -> None:
    assert target(V, billing(BillingKind.PAYMENT), CustomerFacts()) is C
    assert target(C, billing(BillingKind.PAYMENT), CustomerFacts()) is None
    assert target(V, billing(BillingKind.SUBSCRIPTION_RENEWED), CustomerFacts()) is R
    assert target(C, billing(BillingKind.SUBSCRIPTION_RENEWED), CustomerFacts()) is R
    assert target(R, billing(BillingKind.SUBSCRIPTION_RENEWED), CustomerFacts()) is None


@pytest.mark.parametrize(
    "kind",
    [k for k in BillingKind if k not in (BillingKind.PAYMENT, BillingKind.SUBSCRIPTION_RENEWED)],
)
def test_other_billing_notices_prove_nothing_past_contact_details(kind: BillingKind) -> None:
    assert target(V, billing(kind), CustomerFacts()) is None
    assert target(V, billing(kind), CustomerFacts(), reachable=True) is L


@pytest.mark.parametrize("stage", [C, R])
def test_a_promoter_once_converted_is_an_advocate(stage: FunnelStage) -> None:
    assert target(stage, form({"nps": 10}), CustomerFacts(), promoter=True) is ADV
    assert target(stage, form({"nps": 10}), CustomerFacts()) is None


@pytest.mark.parametrize("stage", [V, L, T, A])
def test_a_promoter_not_yet_converted_is_no_advocate(stage: FunnelStage) -> None:
    assert target(stage, form({"nps": 10}), CustomerFacts(), promoter=True) is None


def test_a_promoter_who_converts_later_becomes_an_advocate_then() -> None:
    # the NPS came first; the purchase that converts them makes them an advocate at once
    assert target(L, purchase(), bought_on(5), promoter=True) is ADV
    assert target(L, billing(BillingKind.PAYMENT), CustomerFacts(), promoter=True) is ADV


def test_an_advocate_stays_one() -> None:
    assert target(ADV, form({"nps": 10}), CustomerFacts(), promoter=True) is None
    assert target(ADV, purchase(), bought_on(4, 5), promoter=True) is None


@pytest.mark.parametrize(
    ("name", "value", "recommending"),
    [
        ("nps", 8, False),
        ("nps", 9, True),
        ("nps", 10, True),
        ("nps", True, False),
        ("nps", "10", False),
        ("nps", 9.5, False),
        ("rating", 10, False),
        ("public_review", True, True),
        ("public_review", False, False),
        ("public_review", 1, False),
    ],
)
def test_what_counts_as_recommending_us(name: str, value: object, recommending: bool) -> None:
    assert recommends(name, value) is recommending
    ledger = FactLedger([fact(FactKind.LOYALTY, name, value)])
    assert ledger.promoter is recommending


def test_a_promoter_stays_one_whatever_comes_after() -> None:
    ledger = FactLedger([fact(FactKind.LOYALTY, "nps", 10)])
    later = Fact(
        contact_id=OWNER,
        event_id="e2",
        kind=FactKind.LOYALTY,
        name="nps",
        value=2,
        occurred_at=AT + timedelta(days=1),
    )
    ledger.add(later)
    assert ledger.promoter


@given(
    st.sampled_from(FUNNEL_ORDER),
    domain_interactions(),
    pipeline_knowledge(),
    st.booleans(),
    st.booleans(),
)
def test_the_funnel_never_goes_backwards(
    stage: FunnelStage,
    event: Interaction,
    known: CustomerFacts,
    reachable: bool,
    promoter: bool,
) -> None:
    moved = target(stage, event, known, reachable=reachable, promoter=promoter)
    assert moved is None or FUNNEL_ORDER.index(moved) > FUNNEL_ORDER.index(stage)


# --- actions_for ------------------------------------------------------------------------

HOT = Insight(status=CustomerStatus.HOT, reasons=("came back", "burst"))
LEAVING = Insight(status=CustomerStatus.LEAVING, reasons=("cancelled",))
ACTIVE = Insight(status=CustomerStatus.ACTIVE)
NEW = Insight(status=CustomerStatus.NEW, reasons=("at most one purchase",))


def actions(
    *,
    created: bool = False,
    previous: object = "active",
    insight: Insight = ACTIVE,
    sentiment: Sentiment | None = None,
    kind: InteractionType = InteractionType.REVIEW,
) -> list[ActionSpec]:
    return actions_for(
        created=created,
        previous_status=previous,
        insight=insight,
        sentiment=sentiment,
        interaction_type=kind,
    )


def test_a_new_contact_gets_the_welcome_path() -> None:
    assert actions(created=True, previous=None, insight=NEW) == [
        ActionSpec(
            kind=WELCOME,
            channel=ActivityType.EMAIL,
            subject="Welcome path started",
            reason="new customer",
        )
    ]


def test_a_known_contact_whose_status_holds_gets_nothing() -> None:
    assert actions() == []
    assert actions(previous="hot", insight=HOT) == []
    assert actions(previous=CustomerStatus.LEAVING, insight=LEAVING) == []
    assert actions(sentiment=POSITIVE) == []
    assert actions(sentiment=NEUTRAL) == []


def test_a_status_turned_hot_queues_an_offer_with_its_reasons() -> None:
    assert actions(previous="active", insight=HOT) == [
        ActionSpec(
            kind=OFFER,
            channel=ActivityType.EMAIL,
            subject="Personal offer queued",
            reason="came back, burst",
        )
    ]


def test_a_status_turned_leaving_calls_for_the_managers_call_within_a_day() -> None:
    assert actions(previous=None, insight=LEAVING) == [
        ActionSpec(
            kind=MANAGER_TASK,
            channel=ActivityType.TASK,
            subject="Call the customer with an individual offer",
            reason="cancelled",
            due_in=timedelta(days=1),
        )
    ]


def test_a_status_turned_active_or_new_calls_for_nothing() -> None:
    assert actions(previous="hot", insight=ACTIVE) == []
    assert actions(previous=None, insight=NEW) == []


@pytest.mark.parametrize("kind", [InteractionType.REVIEW, InteractionType.MESSAGE])
def test_negative_feedback_is_one_task_to_contact_the_customer(kind: InteractionType) -> None:
    assert actions(sentiment=NEGATIVE, kind=kind) == [
        ActionSpec(
            kind=MANAGER_TASK,
            channel=ActivityType.TASK,
            subject=f"Negative {kind.value}: contact the customer",
            reason="negative feedback",
            due_in=TASK_DUE,
        )
    ]


def test_leaving_suppresses_the_negative_feedback_task() -> None:
    got = actions(previous="active", insight=LEAVING, sentiment=NEGATIVE)
    assert [a.subject for a in got] == ["Call the customer with an individual offer"]


def test_negative_feedback_from_a_customer_already_leaving_still_gets_its_task() -> None:
    got = actions(previous="leaving", insight=LEAVING, sentiment=NEGATIVE)
    assert [a.reason for a in got] == ["negative feedback"]


def test_actions_come_welcome_first_then_offer_then_task() -> None:
    got = actions(created=True, previous=None, insight=HOT, sentiment=NEGATIVE)
    assert [a.kind for a in got] == [WELCOME, OFFER, MANAGER_TASK]


@given(
    st.booleans(),
    st.none() | st.sampled_from(CustomerStatus) | st.sampled_from(["hot", "leaving", "x"]),
    insights(),
    st.none() | sentiments(),
    st.sampled_from(InteractionType),
)
def test_an_interaction_calls_for_at_most_one_task(
    created: bool,
    previous: object,
    insight: Insight,
    sentiment: Sentiment | None,
    kind: InteractionType,
) -> None:
    got = actions(
        created=created, previous=previous, insight=insight, sentiment=sentiment, kind=kind
    )
    tasks = [a for a in got if a.kind == MANAGER_TASK]
    assert len(tasks) <= 1
    assert all(a.channel is ActivityType.TASK and a.due_in == TASK_DUE for a in tasks)
    assert [a.kind for a in got].count(WELCOME) == (1 if created else 0)
    assert len(got) == len({a.kind for a in got})


# --- status_attributes and due_at -------------------------------------------------------


def test_an_unchanged_status_leaves_the_attributes_alone() -> None:
    assert status_attributes({"status": "hot", "x": 1}, HOT) is None


def test_a_new_status_replaces_status_and_reasons_and_keeps_the_rest() -> None:
    before = {"status": "active", "status_reasons": [], "health": {"nps": 3}}
    got = status_attributes(before, HOT)
    assert got == {"status": "hot", "status_reasons": ["came back", "burst"], "health": {"nps": 3}}
    assert before == {"status": "active", "status_reasons": [], "health": {"nps": 3}}


def test_a_first_status_is_a_change() -> None:
    assert status_attributes({}, NEW) == {
        "status": "new",
        "status_reasons": ["at most one purchase"],
    }


def test_an_action_is_due_its_delay_after_now_or_never() -> None:
    task = ActionSpec(
        kind=MANAGER_TASK, channel=ActivityType.TASK, subject="s", reason="r", due_in=TASK_DUE
    )
    assert timedelta(days=1) == TASK_DUE
    assert due_at(task, AT) == AT + timedelta(days=1)
    assert due_at(attrs.evolve(task, due_in=None), AT) is None


# --- board_delta ------------------------------------------------------------------------


def board_oracle(known: LoyaltyFacts | None, signals: Sequence[BoardSignal]) -> FactsDelta:
    """The board's rules written again from docs/bus.md, signal by signal."""
    if not signals:
        return FactsDelta()
    counters: dict[str, int | Decimal] = {}
    values: dict[str, object] = {}
    paid = [s for s in signals if s.amount is not None and s.amount > Decimal(0)]
    if paid:
        counters["purchases"] = len(paid)
        total = Decimal(0)
        for s in paid:
            assert s.amount is not None
            total += s.amount
        counters["revenue"] = total
        latest = max(s.at for s in paid).date()
        if known is None or known.last_purchase is None or known.last_purchase < latest:
            values["last_purchase"] = latest
    earliest = min(s.at for s in signals).date()
    if known is None or known.first_interaction is None or earliest < known.first_interaction:
        values["first_interaction"] = earliest
    forms = [s for s in signals if s.form]
    if forms:
        counters["form_answers"] = len(forms)
        scored = [s for s in forms if s.nps is not None]
        if scored:
            values["last_nps"] = max(scored, key=lambda s: s.at).nps
    reviews = len([s for s in signals if s.review])
    if reviews:
        counters["reviews"] = reviews
    return FactsDelta(counters=counters, values=values)


@given(st.none() | customer_facts(), board_signals(), st.randoms(use_true_random=False))
def test_board_delta_matches_the_rules_in_any_order(
    known: LoyaltyFacts | None, signals: list[BoardSignal], rnd: Any
) -> None:
    shuffled = list(signals)
    rnd.shuffle(shuffled)
    assert board_delta(known, shuffled) == board_oracle(known, signals)


def day(d: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, d, hour, tzinfo=UTC)


def test_no_signals_change_nothing() -> None:
    assert board_delta(None, []) == FactsDelta()
    assert board_delta(LoyaltyFacts(purchases=3), []).is_empty


def test_paid_purchases_count_and_add_up_and_refunds_count_nothing() -> None:
    signals = [
        BoardSignal(at=day(3), amount=Decimal("10.50")),
        BoardSignal(at=day(4), amount=Decimal(0)),
        BoardSignal(at=day(5), amount=Decimal("-4")),
        BoardSignal(at=day(2), amount=Decimal("0.01")),
    ]
    got = board_delta(None, signals)
    assert got.counters == {"purchases": 2, "revenue": Decimal("10.51")}
    assert got.values == {"last_purchase": date(2026, 1, 3), "first_interaction": date(2026, 1, 2)}


def test_a_refund_alone_only_dates_the_first_interaction() -> None:
    got = board_delta(None, [BoardSignal(at=day(3), amount=Decimal(0))])
    assert got == FactsDelta(values={"first_interaction": date(2026, 1, 3)})


def test_the_last_purchase_moves_only_forward() -> None:
    paid = [BoardSignal(at=day(5), amount=Decimal(1))]
    on = LoyaltyFacts(first_interaction=date(2025, 1, 1), last_purchase=date(2026, 1, 5))
    assert "last_purchase" not in board_delta(on, paid).values
    before = attrs.evolve(on, last_purchase=date(2026, 1, 4))
    assert board_delta(before, paid).values["last_purchase"] == date(2026, 1, 5)
    after = attrs.evolve(on, last_purchase=date(2026, 1, 6))
    assert "last_purchase" not in board_delta(after, paid).values


def test_the_first_interaction_moves_only_back() -> None:
    signal = [BoardSignal(at=day(5), review=True)]
    for known, moves in [
        (None, True),
        (LoyaltyFacts(), True),
        (LoyaltyFacts(first_interaction=date(2026, 1, 6)), True),
        (LoyaltyFacts(first_interaction=date(2026, 1, 5)), False),
        (LoyaltyFacts(first_interaction=date(2026, 1, 4)), False),
    ]:
        assert ("first_interaction" in board_delta(known, signal).values) is moves


def test_forms_count_and_the_latest_nps_is_the_last_nps() -> None:
    signals = [
        BoardSignal(at=day(4), form=True, nps=3),
        BoardSignal(at=day(6), form=True),
        BoardSignal(at=day(5), form=True, nps=0),
        BoardSignal(at=day(2), form=True, nps=10),
    ]
    got = board_delta(LoyaltyFacts(first_interaction=date(2025, 1, 1)), signals)
    assert got == FactsDelta(counters={"form_answers": 4}, values={"last_nps": 0})


def test_forms_without_an_nps_leave_the_last_nps_alone() -> None:
    got = board_delta(None, [BoardSignal(at=day(4), form=True)])
    assert got.counters == {"form_answers": 1}
    assert "last_nps" not in got.values


def test_positive_reviews_count() -> None:
    signals = [BoardSignal(at=day(4), review=True), BoardSignal(at=day(5), review=True)]
    got = board_delta(LoyaltyFacts(first_interaction=date(2025, 1, 1)), signals)
    assert got == FactsDelta(counters={"reviews": 2})


def test_a_purchase_of_nothing_is_no_day_of_purchase() -> None:
    """A zero purchase one day and a paid one the next is one paid purchase: converted,
    whichever of the two is applied first (the zero one moves nothing by itself)."""
    known = CustomerFacts(
        purchases=(
            (datetime(2026, 1, 4, tzinfo=UTC), Money(Decimal(0), "USD")),
            (datetime(2026, 1, 5, tzinfo=UTC), Money(Decimal(10), "USD")),
        )
    )
    assert target(A, purchase("10"), known) is C
    assert target(C, purchase("0"), known) is None
