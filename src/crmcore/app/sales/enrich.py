"""Use case: enrich accounts from an :class:`~crmcore.ports.enrichment.Enricher` (C1).

Each account with a website is looked up by its domain; what the lookup knows fills the
fields nobody entered (:func:`crmcore.domain.enrichment.enrich_account`).
"""

from __future__ import annotations

import attrs
from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.enrichment import company_domain, enrich_account
from crmcore.ports.enrichment import Enricher
from crmcore.ports.uow import UnitOfWork


@attrs.frozen(kw_only=True)
class EnrichReport:
    """How many accounts were looked up, found and changed."""

    accounts: int
    looked_up: int
    found: int
    enriched: int


def enrich_accounts(app: App, enricher: Enricher) -> Result[EnrichReport, AppError]:
    """Fill every account's empty industry, size and region that the enricher knows."""
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[EnrichReport, AppError]:
        accounts = list(uow.accounts.list())
        looked = found = changed = 0
        for account in accounts:
            domain = company_domain(account.website)
            if domain is None:
                continue
            looked += 1
            facts = enricher.lookup(domain)
            if facts is None:
                continue
            found += 1
            new = enrich_account(account, facts, at=now)
            if new is not None:
                uow.accounts.save(new)
                changed += 1
        return Success(
            EnrichReport(accounts=len(accounts), looked_up=looked, found=found, enriched=changed)
        )

    return transact(app, work)
