"""The fact ledger (C10) against a plain fold written in the test: whatever the order facts
arrive in, and however often, the ledger's facts and insight are those of the facts sorted by
time and folded once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from hypothesis import given

from crmcore.domain import insight
from crmcore.domain.facts import Fact, FactKind, FactLedger, fact_key, fold_facts
from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import INBOX_NAMESPACE
from crmcore.domain.insight import CustomerFacts
from crmcore.domain.money import Money
from tests.strategies import pipeline_facts


def reference_fold(facts: list[Fact]) -> CustomerFacts:
    """Drop repeats of a key, sort by (time, event, kind, name), fold field by field."""
    unique: dict[tuple[str, str, str], Fact] = {}
    for f in facts:
        unique.setdefault((f.event_id, f.kind, f.name), f)
    ordered = sorted(unique.values(), key=lambda f: (f.occurred_at, f.event_id, f.kind, f.name))
    counts = {"email_opened": 0, "email_clicked": 0, "app_login": 0}
    cancelled = False
    loyalty: dict[str, Any] = {}
    for f in ordered:
        if f.kind == "engagement" and f.name in counts:
            counts[f.name] += 1
        elif f.kind == "billing" and f.name == "subscription_cancelled":
            cancelled = True
        elif f.kind == "billing" and f.name == "subscription_renewed":
            cancelled = False
        elif f.kind == "loyalty":
            loyalty[f.name] = f.value
    return CustomerFacts(
        purchases=tuple((f.occurred_at, f.value) for f in ordered if f.kind == "purchase"),
        email_opens=counts["email_opened"],
        email_clicks=counts["email_clicked"],
        logins=counts["app_login"],
        sentiments=tuple((f.occurred_at, f.value.label) for f in ordered if f.kind == "sentiment"),
        cancelled=cancelled,
        loyalty=loyalty,
    )


@given(pipeline_facts())
def test_a_ledger_built_at_once_or_fact_by_fact_is_the_plain_fold(facts: list[Fact]) -> None:
    expected = reference_fold(facts)
    at_once = FactLedger(facts)
    assert at_once.facts() == expected
    assert at_once.insight() == insight.assess(expected)
    assert fold_facts(facts) == expected

    ledger = FactLedger()
    seen: set[UUID] = set()
    for i, fact in enumerate(facts):
        assert ledger.add(fact) is (fact.key not in seen)
        seen.add(fact.key)
        assert fact in ledger
        # read the fold now and then, as the pipeline does between batches
        if i % 3 == 0:
            assert ledger.facts() == reference_fold(facts[: i + 1])
            assert ledger.insight() == insight.assess(reference_fold(facts[: i + 1]))
    assert ledger.facts() == expected
    assert ledger.insight() == insight.assess(expected)


def test_a_fact_key_is_the_uuid5_of_kind_event_and_name() -> None:
    fact = Fact(
        contact_id=ContactId(UUID(int=1)),
        event_id="e1",
        kind=FactKind.PURCHASE,
        value=Money(Decimal(5), "RUB"),
        occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert fact.key == uuid5(INBOX_NAMESPACE, "purchase\x00e1\x00")
    assert fact_key("engagement", "e2", "app_login") == uuid5(
        INBOX_NAMESPACE, "engagement\x00e2\x00app_login"
    )
    assert fact.order == (datetime(2025, 1, 1, tzinfo=UTC), "e1", "purchase", "")
    assert fact not in FactLedger()


def test_a_detractor_answer_alone_makes_the_ledger_leaving() -> None:
    owner = ContactId(UUID(int=2))
    day = datetime(2025, 2, 1, tzinfo=UTC)
    ledger = FactLedger(
        [
            Fact(
                contact_id=owner,
                event_id="p1",
                kind=FactKind.PURCHASE,
                value=Money(Decimal(5), "RUB"),
                occurred_at=day,
            ),
            Fact(
                contact_id=owner,
                event_id="n1",
                kind=FactKind.LOYALTY,
                name="nps",
                value=3,
                occurred_at=day,
            ),
        ]
    )
    assert ledger.insight() == insight.Insight(
        status=insight.CustomerStatus.LEAVING, reasons=("NPS 3 (detractor)",)
    )
    assert fact_key("purchase", "p1") == uuid5(INBOX_NAMESPACE, "purchase\x00p1\x00")
