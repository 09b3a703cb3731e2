"""Enrichment fills what nobody entered and never overwrites what a person did."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.domain.account import SIZE_RANGES, Account
from crmcore.domain.email import Email
from crmcore.domain.enrichment import (
    ENRICHED,
    FIELDS,
    LEAD_FIELDS,
    Firmographics,
    company_domain,
    enrich_account,
    enrich_lead,
    lead_domain,
)
from crmcore.domain.ids import AccountId, LeadId
from crmcore.domain.lead import Firmographics as LeadFirmographics
from crmcore.domain.lead import Lead
from crmcore.domain.names import PersonName

AT = datetime(2026, 12, 6, tzinfo=UTC)
_text = st.none() | st.sampled_from(["edtech", "retail", "ngo", "RU", "DE"])
_size = st.none() | st.sampled_from(SIZE_RANGES)


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    return Account(
        id=AccountId(UUID(int=draw(st.integers(1, 10**6)))),
        name="Acme",
        industry=draw(_text),
        size_range=draw(_size),
        region=draw(_text),
        website="https://acme.example",
        created_at=AT,
        updated_at=AT,
    )


firmographics = st.builds(Firmographics, industry=_text, size=_size, country=_text)


@settings(max_examples=50)
@given(account=accounts(), found=firmographics)
def test_enrichment_fills_empty_fields_and_keeps_entered_ones(
    account: Account, found: Firmographics
) -> None:
    new = enrich_account(account, found, at=AT) or account
    for field, source in FIELDS:
        before, offered = getattr(account, field), getattr(found, source)
        if before is not None:
            assert getattr(new, field) == before  # a person entered it
        else:
            assert getattr(new, field) == offered
    assert set(new.attributes.get(ENRICHED, ())) == {
        f for f, s in FIELDS if getattr(account, f) is None and getattr(found, s) is not None
    }
    changed = enrich_account(account, found, at=AT)
    if changed is not None:
        assert changed.updated_at == AT


@settings(max_examples=50)
@given(account=accounts(), first=firmographics, second=firmographics)
def test_a_later_lookup_refreshes_only_what_enrichment_filled(
    account: Account, first: Firmographics, second: Firmographics
) -> None:
    once = enrich_account(account, first, at=AT) or account
    assert enrich_account(once, first, at=AT) is None  # idempotent
    twice = enrich_account(once, second, at=AT) or once
    for field, source in FIELDS:
        if getattr(account, field) is not None:
            assert getattr(twice, field) == getattr(account, field)
        elif getattr(second, source) is not None:
            assert getattr(twice, field) == getattr(second, source)


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.Example.com/about?x=1", "example.com"),
        ("example.org", "example.org"),
        ("http://shop.example.co.uk:8080", "shop.example.co.uk"),
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_company_domain(website: str | None, domain: str | None) -> None:
    assert company_domain(website) == domain


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    return Lead(
        id=LeadId(UUID(int=draw(st.integers(1, 10**6)))),
        email=Email("anna@acme.example"),
        name=PersonName("Anna", "K"),
        firmographics=LeadFirmographics(
            company_size=draw(st.none() | st.integers(1, 500)),
            industry=draw(_text),
            region=draw(_text),
        ),
        metadata=draw(st.sampled_from([{}, {"website": "https://www.beta.example/x"}])),
        created_at=AT,
        updated_at=AT,
    )


@settings(max_examples=50)
@given(lead=leads(), first=firmographics, second=firmographics)
def test_lead_enrichment_fills_empty_fields_and_keeps_entered_ones(
    lead: Lead, first: Firmographics, second: Firmographics
) -> None:
    once = enrich_lead(lead, first, at=AT) or lead
    assert enrich_lead(once, first, at=AT) is None  # idempotent
    twice = enrich_lead(once, second, at=AT) or once
    for field, source in LEAD_FIELDS:
        before = getattr(lead.firmographics, field)
        if before is not None:  # a person entered it
            assert getattr(once.firmographics, field) == before
            assert getattr(twice.firmographics, field) == before
        else:
            assert getattr(once.firmographics, field) == getattr(first, source)
            if getattr(second, source) is not None:
                assert getattr(twice.firmographics, field) == getattr(second, source)
    assert twice.firmographics.company_size == lead.firmographics.company_size
    assert set(once.metadata.get(ENRICHED, ())) == {
        f
        for f, s in LEAD_FIELDS
        if getattr(lead.firmographics, f) is None and getattr(first, s) is not None
    }
    assert once.metadata.get("website") == lead.metadata.get("website")


def test_a_leads_domain_is_its_website_else_its_email_domain() -> None:
    lead = Lead(
        id=LeadId(UUID(int=1)), email=Email("anna@mail.acme.example"),
        name=PersonName("Anna", "K"), created_at=AT, updated_at=AT,
    )  # fmt: skip
    assert lead_domain(lead) == "mail.acme.example"
    site = Lead(
        id=LeadId(UUID(int=2)), email=Email("anna@gmail.com"), name=PersonName("Anna", "K"),
        metadata={"website": "https://www.Beta.example/about"}, created_at=AT, updated_at=AT,
    )  # fmt: skip
    assert lead_domain(site) == "beta.example"


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("//Example.com/x", "example.com"),
        ("a.com/x/y", "a.com"),
        ("a.com?x?y", "a.com"),
        ("a.com#x#y", "a.com"),
        ("a.com:80:90", "a.com"),
        ("http://www.a.com.", "a.com"),
        (" https://.a.com ", "a.com"),
    ],
)
def test_the_domain_is_the_host_before_any_path_query_fragment_or_port(
    website: str, domain: str
) -> None:
    from crmcore.domain.enrichment import company_domain

    assert company_domain(website) == domain


def test_an_enriched_account_is_dated_by_the_enrichment() -> None:
    later = datetime(2026, 12, 7, tzinfo=UTC)
    account = Account(
        id=AccountId(UUID(int=1)),
        name="Acme",
        website="https://acme.example",
        created_at=AT,
        updated_at=AT,
    )
    found = Firmographics(industry="retail", size=None, country=None)
    enriched = enrich_account(account, found, at=later)
    assert enriched is not None
    assert (enriched.industry, enriched.updated_at) == ("retail", later)
