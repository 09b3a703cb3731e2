"""Enrichment: firmographics from a lookup fill what nobody entered (PRODUCT.md C1).

A value a person entered is never overwritten: enrichment fills empty fields only, and
remembers which ones it filled (``attributes["enriched"]``), so a later lookup may
refresh those but still leaves the rest alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from crmcore.domain.account import SIZE_RANGES, Account
from crmcore.domain.lead import Lead

#: The attribute listing the fields enrichment filled.
ENRICHED = "enriched"
#: Account field ← firmographic.
FIELDS = (("industry", "industry"), ("size_range", "size"), ("region", "country"))
#: Lead firmographic field ← firmographic. A lead's company size is a head count and the
#: lookup gives a range, so it is not filled.
LEAD_FIELDS = (("industry", "industry"), ("region", "country"))


@attrs.frozen(kw_only=True)
class Firmographics:
    """What a lookup knows about a company."""

    industry: str | None = None
    size: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(SIZE_RANGES))
    )
    country: str | None = None


def company_domain(website: str | None) -> str | None:
    """``example.com`` from ``https://www.Example.com/about``; ``None`` without a host."""
    if not website or not website.strip():
        return None
    host = website.strip().lower()
    for prefix in ("https://", "http://", "//"):
        host = host.removeprefix(prefix)
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    host = host.removeprefix("www.").strip(".")
    return host if "." in host else None


def _fill(
    current: object, found: Firmographics, fields: Iterable[tuple[str, str]], filled: set[str]
) -> dict[str, Any]:
    """The changes that fill ``current``'s empty (or previously enriched: ``filled``, which
    grows) fields from ``found``."""
    changes: dict[str, Any] = {}
    for field, source in fields:
        value, now = getattr(found, source), getattr(current, field)
        if value is not None and value != now and (now is None or field in filled):
            changes[field] = value
            filled.add(field)
    return changes


def enrich_account(account: Account, found: Firmographics, *, at: datetime) -> Account | None:
    """The account with empty (or previously enriched) fields filled from ``found``;
    ``None`` when nothing changes."""
    filled = set(account.attributes.get(ENRICHED, ()))
    changes = _fill(account, found, FIELDS, filled)
    if not changes:
        return None
    attributes = {**account.attributes, ENRICHED: sorted(filled)}
    return attrs.evolve(account, **changes, attributes=attributes, updated_at=at)


def lead_domain(lead: Lead) -> str | None:
    """The company domain of a lead: its ``website`` metadata when set, else its e-mail
    address's domain (a free-mail domain simply finds nothing in the operator's table)."""
    website = lead.metadata.get("website")
    if isinstance(website, str) and website.strip():
        return company_domain(website)
    return company_domain(str(lead.email).rpartition("@")[2])


def enrich_lead(lead: Lead, found: Firmographics, *, at: datetime) -> Lead | None:
    """The lead with its empty (or previously enriched) industry and region filled from
    ``found``; ``None`` when nothing changes. The fields filled are listed in
    ``metadata["enriched"]``, as for accounts."""
    listed = lead.metadata.get(ENRICHED)
    filled = {str(f) for f in listed} if isinstance(listed, list) else set()
    changes = _fill(lead.firmographics, found, LEAD_FIELDS, filled)
    if not changes:
        return None
    metadata = {**lead.metadata, ENRICHED: sorted(filled)}
    firmographics = attrs.evolve(lead.firmographics, **changes)
    return attrs.evolve(lead, firmographics=firmographics, metadata=metadata, updated_at=at)
