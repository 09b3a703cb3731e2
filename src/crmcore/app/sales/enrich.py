"""Use cases: enrich accounts and leads from an :class:`~crmcore.ports.enrichment.Enricher`.

Each account with a website, and each lead (by its website or e-mail domain), is looked
up by its domain; what the lookup knows fills the fields nobody entered
(:func:`crmcore.domain.enrichment.enrich_account`, :func:`~crmcore.domain.enrichment.enrich_lead`).
"""

from __future__ import annotations

import attrs
from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.enrichment import company_domain, enrich_account, enrich_lead, lead_domain
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


@attrs.frozen(kw_only=True)
class LeadEnrichReport:
    """How many leads were looked up, found and changed."""

    leads: int
    looked_up: int
    found: int
    enriched: int


def enrich_leads(app: App, enricher: Enricher) -> Result[LeadEnrichReport, AppError]:
    """Fill every lead's empty industry and region that the enricher knows."""
    now = app.clock.now()

    def work(uow: UnitOfWork) -> Result[LeadEnrichReport, AppError]:
        leads = list(uow.leads.list())
        looked = found = 0
        changed = []
        for lead in leads:
            domain = lead_domain(lead)
            if domain is None:
                continue
            looked += 1
            facts = enricher.lookup(domain)
            if facts is None:
                continue
            found += 1
            new = enrich_lead(lead, facts, at=now)
            if new is not None:
                changed.append(new)
        uow.leads.save_many(changed)
        return Success(
            LeadEnrichReport(leads=len(leads), looked_up=looked, found=found, enriched=len(changed))
        )

    return transact(app, work)
