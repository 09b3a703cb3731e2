"""The enrichment port (PRODUCT.md C1): what is known about a company, by its domain."""

from __future__ import annotations

from typing import Protocol

from crmcore.domain.enrichment import Firmographics


class Enricher(Protocol):
    """Firmographics of a company by its web domain (``example.com``)."""

    def lookup(self, domain: str) -> Firmographics | None:
        """What is known about ``domain``, or ``None``."""
        ...
