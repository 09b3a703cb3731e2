"""Enriching accounts from the lookup-table enricher, stored on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmcore.adapters.enrichment.lookup import LookupTableEnricher, LookupTableError
from crmcore.app.context import App
from crmcore.app.sales.accounts import create_account, get_account
from crmcore.app.sales.enrich import enrich_accounts, enrich_leads
from crmcore.app.sales.leads import capture_lead, get_lead
from crmcore.domain.enrichment import Firmographics

TABLE = "domain,industry,size,country\nacme.example,edtech,51-200,RU\nbeta.example,retail,,DE\n"


def _table(tmp_path: Path, text: str = TABLE) -> Path:
    path = tmp_path / "firms.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_lookup_table_reads_domains_and_unknown_cells(tmp_path: Path) -> None:
    enricher = LookupTableEnricher.from_csv(_table(tmp_path))
    assert enricher.lookup("acme.example") == Firmographics(
        industry="edtech", size="51-200", country="RU"
    )
    assert enricher.lookup("beta.example") == Firmographics(industry="retail", country="DE")
    assert enricher.lookup("nobody.example") is None


@pytest.mark.parametrize(
    "text", ["name,industry\nacme,edtech\n", "domain,size\nacme.example,huge\n"]
)
def test_a_bad_lookup_table_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(LookupTableError):
        LookupTableEnricher.from_csv(_table(tmp_path, text))


def test_enrichment_stores_firmographics_without_overwriting(
    backend_app: App, tmp_path: Path
) -> None:
    acme = create_account(
        backend_app, name="Acme", website="https://www.acme.example", industry="education"
    ).unwrap()
    beta = create_account(backend_app, name="Beta", website="beta.example").unwrap()
    create_account(backend_app, name="Gamma").unwrap()
    enricher = LookupTableEnricher.from_csv(_table(tmp_path))
    report = enrich_accounts(backend_app, enricher).unwrap()
    assert (report.accounts, report.looked_up, report.found, report.enriched) == (3, 2, 2, 2)
    stored = get_account(backend_app, acme.id).unwrap()
    assert stored.industry == "education"  # entered by a person
    assert (stored.size_range, stored.region) == ("51-200", "RU")
    stored_beta = get_account(backend_app, beta.id).unwrap()
    assert (stored_beta.industry, stored_beta.size_range, stored_beta.region) == (
        "retail",
        None,
        "DE",
    )
    again = enrich_accounts(backend_app, enricher).unwrap()
    assert again.enriched == 0


def test_lead_enrichment_stores_firmographics_without_overwriting(
    backend_app: App, tmp_path: Path
) -> None:
    entered = capture_lead(
        backend_app, email="anna@acme.example", first_name="Anna", industry="education"
    ).unwrap()
    by_site = capture_lead(
        backend_app, email="bob@gmail.com", first_name="Bob",
        metadata={"website": "https://beta.example"},
    ).unwrap()  # fmt: skip
    unknown = capture_lead(backend_app, email="eve@gmail.com", first_name="Eve").unwrap()
    enricher = LookupTableEnricher.from_csv(_table(tmp_path))
    report = enrich_leads(backend_app, enricher).unwrap()
    assert (report.leads, report.looked_up, report.found, report.enriched) == (3, 3, 2, 2)
    anna = get_lead(backend_app, entered.id).unwrap()
    assert (anna.firmographics.industry, anna.firmographics.region) == ("education", "RU")
    bob = get_lead(backend_app, by_site.id).unwrap()
    assert (bob.firmographics.industry, bob.firmographics.region) == ("retail", "DE")
    assert bob.metadata["enriched"] == ["industry", "region"]
    eve = get_lead(backend_app, unknown.id).unwrap()
    assert eve.firmographics == unknown.firmographics
    assert eve.updated_at == unknown.updated_at  # looked up, found nothing, not saved
    assert enrich_leads(backend_app, enricher).unwrap().enriched == 0
