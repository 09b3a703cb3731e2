"""Use cases: enrich accounts and leads from an :class:`~crmcore.ports.enrichment.Enricher`.

Each account with a website, and each lead (by its website or e-mail domain), is looked
up by its domain; what the lookup knows fills the fields nobody entered
(:func:`crmcore.domain.enrichment.enrich_account`, :func:`~crmcore.domain.enrichment.enrich_lead`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import attrs
from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.enrichment import (
    Firmographics,
    company_domain,
    enrich_account,
    enrich_lead,
    lead_domain,
)
from crmcore.ports.enrichment import Enricher
from crmcore.ports.uow import UnitOfWork

R = TypeVar("R")


def _enriched(
    records: Sequence[R],
    *,
    domain_of: Callable[[R], str | None],
    enrich: Callable[[R, Firmographics], R | None],
    enricher: Enricher,
) -> tuple[list[R], int, int]:
    """The records the lookup changed, with how many had a domain to look up and how
    many of those the lookup knew."""
    looked = found = 0
    changed = []
    for record in records:
        domain = domain_of(record)
        if domain is None:
            continue
        looked += 1
        facts = enricher.lookup(domain)
        if facts is None:
            continue
        found += 1
        new = enrich(record, facts)
        if new is not None:
            changed.append(new)
    return changed, looked, found


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
        changed, looked, found = _enriched(
            accounts,
            domain_of=lambda a: company_domain(a.website),
            enrich=lambda a, facts: enrich_account(a, facts, at=now),
            enricher=enricher,
        )
        for account in changed:
            uow.accounts.save(account)
        report = EnrichReport(
            accounts=len(accounts), looked_up=looked, found=found, enriched=len(changed)
        )
        return Success(report)

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
        changed, looked, found = _enriched(
            leads,
            domain_of=lead_domain,
            enrich=lambda lead, facts: enrich_lead(lead, facts, at=now),
            enricher=enricher,
        )
        uow.leads.save_many(changed)
        report = LeadEnrichReport(
            leads=len(leads), looked_up=looked, found=found, enriched=len(changed)
        )
        return Success(report)

    return transact(app, work)
