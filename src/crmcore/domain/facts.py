"""Derived facts per customer: what the pipeline records about behaviour.

A :class:`Fact` is keyed by (kind, event id, name), so recording an event twice changes
nothing. :class:`FactLedger` holds one customer's facts in time order and keeps the
:class:`~crmcore.domain.insight.CustomerFacts` fold current as facts arrive, so applying
a batch of events never reads a customer's history more than once.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any
from uuid import UUID, uuid5

import attrs

from crmcore.domain.ids import ContactId
from crmcore.domain.inbox import INBOX_NAMESPACE
from crmcore.domain.insight import (
    CustomerFacts,
    Insight,
    Scalar,
    assess,
)
from crmcore.domain.interactions import BillingKind
from crmcore.domain.sentiment import SentimentLabel


class FactKind(StrEnum):
    """What a fact is about; ``name`` says more (the engagement kind, the answer...)."""

    PURCHASE = "purchase"  # value: Money
    ENGAGEMENT = "engagement"  # name: email_opened, email_clicked, app_login
    SENTIMENT = "sentiment"  # value: Sentiment
    LOYALTY = "loyalty"  # name: the fact, value: a scalar
    BILLING = "billing"  # name: a BillingKind, value: Money or None


def fact_key(kind: str, event_id: str, name: str = "") -> UUID:
    """The stable key of a fact: the same event gives the same key."""
    return uuid5(INBOX_NAMESPACE, f"{kind}\x00{event_id}\x00{name}")


Order = tuple[datetime, str, str, str]


@attrs.frozen(kw_only=True)
class Fact:
    """One derived fact about a contact, from one event."""

    contact_id: ContactId
    event_id: str
    kind: FactKind
    name: str = ""
    value: Any = None
    occurred_at: datetime

    @property
    def key(self) -> UUID:
        """See :func:`fact_key`."""
        return fact_key(self.kind, self.event_id, self.name)

    @property
    def order(self) -> Order:
        """Time order, ties broken by event, kind and name (the order facts fold in)."""
        return (self.occurred_at, self.event_id, self.kind, self.name)


_FIRST = itemgetter(0)
# the kinds as module names: a class attribute costs ~60 ns more to read in the fold
_PURCHASE = FactKind.PURCHASE
_ENGAGEMENT = FactKind.ENGAGEMENT
_SENTIMENT = FactKind.SENTIMENT
_LOYALTY = FactKind.LOYALTY
_BILLING = FactKind.BILLING


class FactLedger:
    """One customer's facts, folded into :class:`CustomerFacts` incrementally.

    Facts usually arrive in time order and are appended; one that arrives late is
    inserted in its place, and the fields that depend on the order (the latest loyalty
    answers, the subscription state) are folded again.
    """

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._keys: set[tuple[str, str, str]] = set()  # (event id, kind, name)
        self._last: Order | None = None
        self._purchases: list[tuple[Order, tuple[datetime, Any]]] = []
        self._sentiments: list[tuple[Order, tuple[datetime, SentimentLabel]]] = []
        self._engagement: dict[str, int] = {}
        self._loyalty_facts: list[tuple[Order, str, Scalar]] = []
        self._billing: list[tuple[Order, str]] = []
        # replaced, never changed in place: the folds share it
        self._loyalty: dict[str, Scalar] = {}
        self._cancelled = False
        #: ever recommended us: an NPS answer of 9-10 or a positive public review
        self.promoter = False
        self._folded: CustomerFacts | None = None
        self._purchases_t: tuple[tuple[datetime, Any], ...] | None = None
        self._sentiments_t: tuple[tuple[datetime, SentimentLabel], ...] | None = None
        self._insight: Insight | None = None
        for order, fact in sorted(((f.order, f) for f in facts), key=_FIRST):
            self._add(fact, order)

    def __contains__(self, fact: Fact) -> bool:
        return fact.order[1:] in self._keys

    def add(self, fact: Fact) -> bool:
        """Take a fact in; ``False`` (and nothing changes) when its key is already here."""
        return self._add(fact, (fact.occurred_at, fact.event_id, fact.kind, fact.name))

    def _add(self, fact: Fact, order: Order) -> bool:
        key = order[1:]  # (event id, kind, name): what the fact's key is made of
        if key in self._keys:
            return False
        self._keys.add(key)
        in_order = self._last is None or order > self._last
        if in_order:
            self._last = order
        kind = fact.kind
        if kind is _PURCHASE:
            purchase = (fact.occurred_at, fact.value)
            _place(self._purchases, (order, purchase), in_order)
            # the tuple the folds share grows by a purchase that comes last (else rebuilt)
            folded = self._purchases_t
            self._purchases_t = (*folded, purchase) if in_order and folded is not None else None
        elif kind is _ENGAGEMENT:
            engagement = self._engagement
            engagement[fact.name] = engagement.get(fact.name, 0) + 1
        elif kind is _SENTIMENT:
            label = (fact.occurred_at, fact.value.label)
            _place(self._sentiments, (order, label), in_order)
            labels = self._sentiments_t
            self._sentiments_t = (*labels, label) if in_order and labels is not None else None
        elif kind is _LOYALTY:
            self.promoter = self.promoter or recommends(fact.name, fact.value)
            _place(self._loyalty_facts, (order, fact.name, fact.value), in_order)
            if in_order:
                self._loyalty = {**self._loyalty, fact.name: fact.value}
            else:
                self._loyalty = {name: value for _, name, value in self._loyalty_facts}
        elif kind is _BILLING:
            _place(self._billing, (order, fact.name), in_order)
            if in_order:
                self._cancelled = _cancelled_after(self._cancelled, fact.name)
            else:
                cancelled = False
                for _, name in self._billing:
                    cancelled = _cancelled_after(cancelled, name)
                self._cancelled = cancelled
        self._folded = self._insight = None
        return True

    def facts(self) -> CustomerFacts:
        """Everything known, as the insight reads it."""
        if self._folded is None:
            # the purchase and sentiment tuples are rebuilt after one of their kind came late
            if self._purchases_t is None:
                self._purchases_t = tuple(p for _, p in self._purchases)
            if self._sentiments_t is None:
                self._sentiments_t = tuple(s for _, s in self._sentiments)
            engagement = self._engagement.get
            self._folded = CustomerFacts(
                purchases=self._purchases_t,
                email_opens=engagement("email_opened", 0),
                email_clicks=engagement("email_clicked", 0),
                logins=engagement("app_login", 0),
                sentiments=self._sentiments_t,
                cancelled=self._cancelled,
                loyalty=self._loyalty,
            )
        return self._folded

    def insight(self) -> Insight:
        """What :func:`~crmcore.domain.insight.assess` says of :meth:`facts`."""
        if self._insight is None:
            self._insight = assess(self.facts())
        return self._insight


#: The NPS from which a customer counts as a promoter.
PROMOTER_NPS = 9


def recommends(name: str, value: object) -> bool:
    """A loyalty fact that shows the customer recommends us: an NPS of 9-10 or a positive
    public review."""
    if name == "nps":
        return isinstance(value, int) and not isinstance(value, bool) and value >= PROMOTER_NPS
    return name == "public_review" and value is True


def _place(rows: list[Any], row: Any, in_order: bool) -> None:
    if in_order:
        rows.append(row)
    else:
        insort(rows, row, key=_FIRST)


def _cancelled_after(cancelled: bool, billing: str) -> bool:
    if billing == BillingKind.SUBSCRIPTION_CANCELLED:
        return True
    if billing == BillingKind.SUBSCRIPTION_RENEWED:
        return False
    return cancelled


def fold_facts(facts: Iterable[Fact]) -> CustomerFacts:
    """The :class:`CustomerFacts` of one customer's facts (in any order)."""
    return FactLedger(facts).facts()
