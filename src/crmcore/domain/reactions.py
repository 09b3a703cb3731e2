"""What one interaction changes: the facts it adds, the contact's new stages, the actions due.

Pure rules, read against the product's meanings (docs/bus.md lists them):

* facts: a purchase is a purchase fact; an e-mail open or click and an app login are
  engagement facts; a classified review or message is a sentiment fact (a positive review
  is also the loyalty fact ``public_review``); every form answer is a loyalty fact named
  after its question; a billing notice is a billing fact.
* lifecycle: the first purchase makes a lead or prospect a customer.
* b2c funnel (visitor → lead → trial → activated → converted → retained → advocate; never
  backwards): contact details make a visitor a lead; a first app login means the person
  registered (trial), a second login is the first value (activated); a paid purchase or
  a payment converts, paid purchases on two days or a renewal retain; a converted customer
  who ever gave an NPS of 9-10 or a positive public review is an advocate.
* usage: a usage count at or over its plan limit is the limit reached
  (``crm.usage.limit_reached``, whose handler plans the in-app upsell prompt); a count
  below it changes nothing.
* actions (at most one task per interaction): a new contact gets the welcome path; a
  status that turns ``hot`` queues a personal offer, one that turns ``leaving`` a call by
  the manager; negative feedback, when no call is due already, a task to contact them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from crmcore.domain.activity import ActivityType
from crmcore.domain.contact import Contact, LifecycleStage
from crmcore.domain.facts import Fact, FactKind
from crmcore.domain.funnel import FUNNEL_ORDER, FunnelStage
from crmcore.domain.ids import ContactId
from crmcore.domain.insight import CustomerFacts, CustomerStatus, Insight
from crmcore.domain.interactions import (
    AppLogin,
    Billing,
    BillingKind,
    EmailEngagement,
    FormAnswer,
    Interaction,
    InteractionType,
    Purchase,
    UsageLimit,
)
from crmcore.domain.loyalty_metrics import CustomerFacts as LoyaltyFacts
from crmcore.domain.loyalty_metrics import FactsDelta
from crmcore.domain.offers import UsageLimitReached
from crmcore.domain.sentiment import Sentiment, SentimentLabel

#: How long a manager has to act on a task an interaction created.
TASK_DUE = timedelta(days=1)


def facts_of(
    interaction: Interaction, owner: ContactId, sentiment: Sentiment | None = None
) -> list[Fact]:
    """The facts one interaction adds about ``owner`` (``sentiment``: a review's or
    message's classification, when it is one)."""
    details, event_id, at = interaction.details, interaction.event_id, interaction.occurred_at

    def fact(kind: FactKind, name: str, value: object) -> Fact:
        return Fact(
            contact_id=owner, event_id=event_id, kind=kind, name=name, value=value, occurred_at=at
        )

    if isinstance(details, Purchase):
        return [fact(FactKind.PURCHASE, "", details.amount)]
    if isinstance(details, EmailEngagement):
        return [fact(FactKind.ENGAGEMENT, interaction.type.value, None)]
    if isinstance(details, AppLogin):
        return [fact(FactKind.ENGAGEMENT, "app_login", None)]
    if sentiment is not None:
        facts = [fact(FactKind.SENTIMENT, "", sentiment)]
        if (
            interaction.type is InteractionType.REVIEW
            and sentiment.label is SentimentLabel.POSITIVE
        ):
            facts.append(fact(FactKind.LOYALTY, "public_review", True))
        return facts
    if isinstance(details, FormAnswer):
        return [
            fact(FactKind.LOYALTY, name, value) for name, value in sorted(details.answers.items())
        ]
    if isinstance(details, Billing):
        return [fact(FactKind.BILLING, details.kind.value, details.amount)]
    return []


def limit_reached(interaction: Interaction, owner: ContactId) -> UsageLimitReached | None:
    """The limit ``owner`` reached, when the interaction reports a usage at or over its
    plan's limit; ``None`` for any other interaction or a usage below the limit."""
    details = interaction.details
    if not isinstance(details, UsageLimit) or details.value < details.limit:
        return None
    return UsageLimitReached(
        customer=owner, limit=details.feature, used=details.value, allowed=details.limit
    )


def lifecycle_after(contact: Contact, interaction: Interaction) -> LifecycleStage | None:
    """The lifecycle stage the interaction moves the contact to, if it moves it."""
    if isinstance(interaction.details, Purchase) and contact.lifecycle in (
        LifecycleStage.LEAD,
        LifecycleStage.PROSPECT,
    ):
        return LifecycleStage.CUSTOMER
    return None


def funnel_target(
    stage: FunnelStage,
    interaction: Interaction,
    known: CustomerFacts,
    *,
    reachable: bool,
    promoter: bool,
) -> FunnelStage | None:
    """The furthest funnel stage the contact has proven, when it is past ``stage``.

    ``known`` is what is known of the contact *including* this interaction's facts;
    ``reachable``: the contact has an e-mail or phone; ``promoter``: they ever gave an NPS
    of 9-10 or a positive public review. Every proof but the billing notice's reads the
    accumulated facts and only grows with them, so the stage a contact ends at does not
    depend on the order its interactions are applied in.
    """
    proven = FunnelStage.LEAD if reachable else FunnelStage.VISITOR
    if known.logins:
        proven = _later(proven, FunnelStage.ACTIVATED if known.logins >= 2 else FunnelStage.TRIAL)
    paid_days = _paid_days(known, up_to=2)
    if paid_days:
        proven = _later(proven, FunnelStage.RETAINED if paid_days >= 2 else FunnelStage.CONVERTED)
    details = interaction.details
    if isinstance(details, Billing):
        if details.kind is BillingKind.PAYMENT:
            proven = _later(proven, FunnelStage.CONVERTED)
        elif details.kind is BillingKind.SUBSCRIPTION_RENEWED:
            proven = _later(proven, FunnelStage.RETAINED)
    best = _later(stage, proven)
    if promoter and _rank(best) >= _rank(FunnelStage.CONVERTED):
        best = FunnelStage.ADVOCATE
    return best if _rank(best) > _rank(stage) else None


def _paid_days(known: CustomerFacts, *, up_to: int) -> int:
    """How many distinct days hold a paid purchase, counted no further than ``up_to`` (a
    long history is not read past the answer)."""
    days: set[date] = set()
    for at, money in known.purchases:
        if money.amount > 0:
            days.add(at.date())
            if len(days) >= up_to:
                break
    return len(days)


def _rank(stage: FunnelStage) -> int:
    return FUNNEL_ORDER.index(stage)


def _later(a: FunnelStage, b: FunnelStage) -> FunnelStage:
    return a if _rank(a) >= _rank(b) else b


@attrs.frozen(kw_only=True)
class ActionSpec:
    """An action an interaction calls for: what, on which channel, and why."""

    kind: str  # welcome, offer, manager_task
    channel: ActivityType
    subject: str
    reason: str
    due_in: timedelta | None = None


WELCOME = "welcome"
OFFER = "offer"
MANAGER_TASK = "manager_task"


def actions_for(
    *,
    created: bool,
    previous_status: object,
    insight: Insight,
    sentiment: Sentiment | None,
    interaction_type: InteractionType,
) -> list[ActionSpec]:
    """The actions one interaction calls for, in order (at most one task)."""
    actions: list[ActionSpec] = []
    if created:
        actions.append(
            ActionSpec(
                kind=WELCOME,
                channel=ActivityType.EMAIL,
                subject="Welcome path started",
                reason="new customer",
            )
        )
    negative = sentiment is not None and sentiment.label is SentimentLabel.NEGATIVE
    if insight.status != previous_status:
        reason = ", ".join(insight.reasons)
        if insight.status is CustomerStatus.HOT:
            actions.append(
                ActionSpec(
                    kind=OFFER,
                    channel=ActivityType.EMAIL,
                    subject="Personal offer queued",
                    reason=reason,
                )
            )
        elif insight.status is CustomerStatus.LEAVING:
            actions.append(
                ActionSpec(
                    kind=MANAGER_TASK,
                    channel=ActivityType.TASK,
                    subject="Call the customer with an individual offer",
                    reason=reason,
                    due_in=TASK_DUE,
                )
            )
            negative = False
    if negative:
        actions.append(
            ActionSpec(
                kind=MANAGER_TASK,
                channel=ActivityType.TASK,
                subject=f"Negative {interaction_type.value}: contact the customer",
                reason="negative feedback",
                due_in=TASK_DUE,
            )
        )
    return actions


def status_attributes(
    attributes: Mapping[str, object], insight: Insight
) -> dict[str, object] | None:
    """The contact's attributes with the new status, or ``None`` when it is unchanged."""
    if insight.status == attributes.get("status"):
        return None
    return {
        **attributes,
        "status": insight.status.value,
        "status_reasons": list(insight.reasons),
    }


def due_at(spec: ActionSpec, now: datetime) -> datetime | None:
    """When an action is due, counted from ``now``."""
    return now + spec.due_in if spec.due_in is not None else None


@attrs.frozen(kw_only=True)
class BoardSignal:
    """One thing a customer did that the loyalty board counts."""

    at: datetime
    amount: Decimal | None = None  # a purchase's amount (a refund, <= 0, counts nothing)
    form: bool = False  # answered a form
    nps: int | None = None  # the NPS the form gave
    review: bool = False  # wrote a positive public review


def board_delta(known: LoyaltyFacts | None, signals: Iterable[BoardSignal]) -> FactsDelta:
    """The loyalty facts change of a customer's signals: a purchase and its amount per paid
    purchase, its day as last purchase; one form answer per form, the latest NPS as last
    NPS; one review per positive public review; the earliest signal's day as first
    interaction unless an earlier one is known. Amounts add up whatever their currency
    (the board's revenue is a plain number)."""
    ordered = sorted(signals, key=lambda s: s.at)
    if not ordered:
        return FactsDelta()
    paid = [s for s in ordered if s.amount is not None and s.amount > 0]
    counters: dict[str, int | Decimal] = {}
    values: dict[str, object] = {}
    first = ordered[0].at.date()
    if known is None or known.first_interaction is None or first < known.first_interaction:
        values["first_interaction"] = first
    if paid:
        counters["purchases"] = len(paid)
        counters["revenue"] = sum((s.amount for s in paid if s.amount is not None), Decimal(0))
        last = paid[-1].at.date()
        if known is None or known.last_purchase is None or last > known.last_purchase:
            values["last_purchase"] = last
    forms = [s for s in ordered if s.form]
    if forms:
        counters["form_answers"] = len(forms)
        scored = [s.nps for s in forms if s.nps is not None]
        if scored:
            values["last_nps"] = scored[-1]
    reviews = sum(1 for s in ordered if s.review)
    if reviews:
        counters["reviews"] = reviews
    return FactsDelta(counters=counters, values=values)
