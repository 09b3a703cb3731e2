"""The default customer insight: the deterministic rules of :mod:`crmcore.domain.insight`."""

from __future__ import annotations

from crmcore.domain.insight import CustomerFacts, Insight, assess


class RuleBasedInsight:
    """Statuses hot / leaving / new / active from the customer's facts; an LLM may replace it."""

    def assess(self, facts: CustomerFacts) -> Insight:
        return assess(facts)
