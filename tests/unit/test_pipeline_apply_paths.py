"""The pipeline's cheaper apply steps answer as the general ones: a fact ledger fed one
fact at a time as a fold of all of them (its earlier folds left as they were), and the
insight rules as they are written."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters.insight import RuleBasedInsight
from crmcore.domain.contact import Contact
from crmcore.domain.facts import Fact, FactKind, FactLedger, fold_facts
from crmcore.domain.insight import CustomerFacts, CustomerStatus, Insight, assess
from crmcore.domain.money import Money
from crmcore.domain.sentiment import SentimentLabel
from crmcore.ports.event_processing import LedgerInsight
from tests.strategies import instants, pipeline_facts

_TEN = Money(Decimal(10), "RUB")
_FIELDS = [a.name for a in attrs.fields(Contact)]


def _reference_fold(facts: list[Fact]) -> CustomerFacts:
    """What a customer's facts say, computed from scratch: each key once, in time order."""
    unique = {(f.event_id, f.kind, f.name): f for f in reversed(facts)}
    ordered = sorted(unique.values(), key=lambda f: (f.occurred_at, f.event_id, f.kind, f.name))
    engagement = [f.name for f in ordered if f.kind is FactKind.ENGAGEMENT]
    cancelled = False
    loyalty: dict[str, Any] = {}
    for f in ordered:
        if f.kind is FactKind.BILLING and f.name == "subscription_cancelled":
            cancelled = True
        elif f.kind is FactKind.BILLING and f.name == "subscription_renewed":
            cancelled = False
        elif f.kind is FactKind.LOYALTY:
            loyalty[f.name] = f.value
    return CustomerFacts(
        purchases=tuple((f.occurred_at, f.value) for f in ordered if f.kind is FactKind.PURCHASE),
        email_opens=engagement.count("email_opened"),
        email_clicks=engagement.count("email_clicked"),
        logins=engagement.count("app_login"),
        sentiments=tuple(
            (f.occurred_at, f.value.label) for f in ordered if f.kind is FactKind.SENTIMENT
        ),
        cancelled=cancelled,
        loyalty=loyalty,
    )


@settings(max_examples=200)
@given(facts=pipeline_facts())
def test_a_ledger_fed_fact_by_fact_folds_as_all_the_facts_at_once(facts: list[Fact]) -> None:
    ledger = FactLedger()
    earlier: list[tuple[CustomerFacts, CustomerFacts]] = []
    for n, fact in enumerate(facts, start=1):
        assert ledger.add(fact) is (fact not in facts[: n - 1])
        folded = ledger.facts()
        assert folded == _reference_fold(facts[:n]) == fold_facts(facts[:n])
        earlier.append((folded, copy.deepcopy(folded)))
    # a fold handed out before is not changed by the facts that came after it
    for handed_out, as_it_was in earlier:
        assert handed_out == as_it_was


def _reference_assess(facts: CustomerFacts) -> Insight:
    """The insight rules, written out again (leaving > hot > new > active)."""
    leaving: list[str] = []
    if facts.cancelled:
        leaving.append("subscription cancelled")
    latest = sorted(facts.sentiments)[-1][1] if facts.sentiments else None
    if latest is SentimentLabel.NEGATIVE:
        leaving.append("latest feedback is negative")
    nps = facts.loyalty.get("nps")
    if type(nps) is int and nps <= 6:
        leaving.append(f"NPS {nps} (detractor)")
    if leaving:
        return Insight(status=CustomerStatus.LEAVING, reasons=tuple(leaving))
    times = sorted(at for at, _ in facts.purchases)
    if len(times) >= 2 and times[-1] - times[-2] >= timedelta(days=30):
        return Insight(status=CustomerStatus.HOT, reasons=("came back after postponing",))
    if len(times) >= 3 and times[-1] - times[-3] <= timedelta(days=30):
        return Insight(status=CustomerStatus.HOT, reasons=("three purchases within 30 days",))
    if len(times) <= 1:
        return Insight(status=CustomerStatus.NEW, reasons=("at most one purchase",))
    return Insight(status=CustomerStatus.ACTIVE)


@st.composite
def unordered_customer_facts(draw: st.DrawFn) -> CustomerFacts:
    """Facts as any insight caller may build them: purchases and feedback in any order."""
    start = draw(instants)
    near = st.integers(0, 70).map(lambda d: start + timedelta(days=d))
    return CustomerFacts(
        purchases=tuple((draw(near), _TEN) for _ in range(draw(st.integers(0, 5)))),
        sentiments=tuple(
            (draw(near), draw(st.sampled_from(SentimentLabel)))
            for _ in range(draw(st.integers(0, 3)))
        ),
        cancelled=draw(st.booleans()),
        loyalty=draw(
            st.dictionaries(
                st.sampled_from(["nps", "ok"]),
                st.none() | st.booleans() | st.integers(0, 10) | st.just(6.0),
            )
        ),
    )


@settings(max_examples=300)
@given(facts=unordered_customer_facts() | pipeline_facts().map(fold_facts))
def test_the_insight_assesses_as_its_rules_say(facts: CustomerFacts) -> None:
    assert assess(facts) == _reference_assess(facts)


@settings(max_examples=200)
@given(facts=pipeline_facts())
def test_a_ledger_assesses_as_the_insight_of_its_facts(facts: list[Fact]) -> None:
    rules = RuleBasedInsight()
    assert isinstance(rules, LedgerInsight)
    ledger = FactLedger()
    for fact in facts:
        ledger.add(fact)
        assert ledger.insight() == assess(ledger.facts()) == _reference_assess(ledger.facts())
        assert rules.assess_ledger(ledger) == rules.assess(ledger.facts())
    assert FactLedger(facts).insight() == ledger.insight()
