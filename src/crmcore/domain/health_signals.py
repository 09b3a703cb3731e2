"""Health inputs read from what a customer did (the facts the event pipeline recorded).

* usage: the number of distinct days with an app login in the last 30 days;
* engagement: e-mail opens and clicks and app logins in the last 30 days;
* NPS: the latest ``nps`` form answer;
* negative feedback: the latest classified review or message is negative and is at
  most 30 days old;
* last activity: the latest engagement or purchase.

A hand-filled value (``contact.attributes["health"]``) overrides the one read from the
facts, field by field: see :func:`with_overrides`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import attrs

from crmcore.domain.facts import Fact, FactKind, Order
from crmcore.domain.health import HealthInputs
from crmcore.domain.sentiment import Sentiment, SentimentLabel

#: The window usage, engagement and recent feedback are counted over.
WINDOW = timedelta(days=30)


def inputs_from_facts(facts: Iterable[Fact], *, now: datetime) -> HealthInputs:
    """The health inputs ``facts`` show at ``now`` (facts after ``now`` are ignored)."""
    since = now - WINDOW
    login_days: set[object] = set()
    engagement = 0
    # the latest by the facts' order (time, then event, kind, name): not the input's
    nps: tuple[Order, int] | None = None
    feedback: tuple[Order, SentimentLabel] | None = None
    last_active: datetime | None = None
    for fact in facts:
        at = fact.occurred_at
        if at > now:
            continue
        if fact.kind is FactKind.ENGAGEMENT or fact.kind is FactKind.PURCHASE:
            last_active = at if last_active is None or at > last_active else last_active
        if fact.kind is FactKind.ENGAGEMENT and at >= since:
            engagement += 1
            if fact.name == "app_login":
                login_days.add(at.date())
        elif fact.kind is FactKind.LOYALTY and fact.name == "nps":
            value = fact.value
            if _valid_nps(value) and (nps is None or fact.order >= nps[0]):
                nps = (fact.order, value)
        elif (
            fact.kind is FactKind.SENTIMENT
            and isinstance(fact.value, Sentiment)
            and (feedback is None or fact.order >= feedback[0])
        ):
            feedback = (fact.order, fact.value.label)
    negative = (
        feedback is not None and feedback[1] is SentimentLabel.NEGATIVE and feedback[0][0] >= since
    )
    return HealthInputs(
        active_days_30=len(login_days),
        engagement_30=engagement,
        nps=nps[1] if nps is not None else None,
        negative_feedback=negative,
        last_active_at=last_active,
    )


def _valid_nps(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10


def health_facts(facts: Iterable[Fact], *, now: datetime) -> list[Fact]:
    """The facts :func:`inputs_from_facts` reads at ``now``, in time order: the engagement
    inside the window, the latest valid NPS answer, the latest sentiment and the latest
    engagement or purchase (each once). ``inputs_from_facts(health_facts(f, now=now),
    now=now) == inputs_from_facts(f, now=now)``: a store may read just these."""
    since = now - WINDOW
    kept: list[Fact] = []
    # the latest of each group, keyed by one kind of it: activity (engagement or
    # purchase) under ENGAGEMENT, valid NPS answers under LOYALTY, sentiment under SENTIMENT
    latest: dict[FactKind, Fact] = {}
    for fact in facts:
        at, kind = fact.occurred_at, fact.kind
        if at > now:
            continue
        if kind is FactKind.ENGAGEMENT and at >= since:
            kept.append(fact)
        if kind is FactKind.ENGAGEMENT or kind is FactKind.PURCHASE:
            group = FactKind.ENGAGEMENT
        elif kind is FactKind.LOYALTY and fact.name == "nps" and _valid_nps(fact.value):
            group = FactKind.LOYALTY
        elif kind is FactKind.SENTIMENT and isinstance(fact.value, Sentiment):
            group = FactKind.SENTIMENT
        else:
            continue
        before = latest.get(group)
        if before is None or fact.order >= before.order:
            latest[group] = fact
    active = latest.get(FactKind.ENGAGEMENT)
    if active is not None and active.kind is FactKind.ENGAGEMENT and active.occurred_at >= since:
        del latest[FactKind.ENGAGEMENT]  # kept already: counted twice it would double
    kept += latest.values()
    kept.sort(key=lambda f: f.order)
    return kept


def with_overrides(
    observed: HealthInputs, filled: HealthInputs, keys: Iterable[str]
) -> HealthInputs:
    """``observed`` with the fields named in ``keys`` taken from ``filled`` (a hand-filled
    value wins over the one read from the facts)."""
    names = {f.name for f in attrs.fields(HealthInputs)}
    changes: dict[str, Any] = {k: getattr(filled, k) for k in keys if k in names}
    return attrs.evolve(observed, **changes)
