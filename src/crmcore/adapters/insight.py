"""The default customer insight: the deterministic rules of :mod:`crmcore.domain.insight`."""

from __future__ import annotations

from crmcore.domain.facts import FactLedger
from crmcore.domain.insight import CustomerFacts, Insight, assess


class RuleBasedInsight:
    """Statuses hot / leaving / new / active from the customer's facts; an LLM may replace it."""

    def assess(self, facts: CustomerFacts) -> Insight:
        return assess(facts)

    def assess_ledger(self, ledger: FactLedger) -> Insight:
        """``assess(ledger.facts())``, from the ledger's running fold."""
        return ledger.insight()
