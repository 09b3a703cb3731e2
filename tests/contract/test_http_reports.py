"""Campaigns and the analytics reports through HTTP, on memory, SQLite and PostgreSQL:
typed bodies, the write scope for changes, and the numbers of the use cases."""

from __future__ import annotations

from typing import Any

import pytest

from crmcore.app.context import App
from crmcore.app.marketing.templates import add_template
from crmcore.domain.access import Scope
from tests.http_client import Api, api_over


@pytest.fixture
def api(backend_app: App) -> Api:
    return api_over(backend_app)


def _segment(api: Api) -> None:
    body = {
        "name": "ann-and-bo",
        "filter": {"field": "contact.email", "op": "contains", "value": "@"},
    }
    assert api.post("/crm/segments", json=body).status_code == 201
    for name in ("Ann", "Bo"):
        contact = {"first_name": name, "email": f"{name.lower()}@example.com"}
        assert api.post("/crm/contacts", json=contact).status_code == 201


def test_a_campaign_is_created_scheduled_and_counted(backend_app: App, api: Api) -> None:
    add_template(
        backend_app, name="hello", subject="Hi {{ contact.first_name }}", body="Hello"
    ).unwrap()
    _segment(api)
    body: dict[str, Any] = {"name": "Spring", "template": "hello", "segment": "ann-and-bo"}
    assert api.post("/crm/campaigns", json=body, scope=Scope.READ).status_code == 403
    made = api.post("/crm/campaigns", json=body, headers={"Idempotency-Key": "c1"})
    assert made.status_code == 201, made.text
    campaign = made.json()
    assert (campaign["status"], campaign["channels"], campaign["variants"]) == (
        "draft",
        ["email"],
        {"A": "hello"},
    )
    again = api.post("/crm/campaigns", json=body, headers={"Idempotency-Key": "c1"})
    assert again.json() == campaign
    assert [c["id"] for c in api.get("/crm/campaigns").json()] == [campaign["id"]]
    shown = api.get(f"/crm/campaigns/{campaign['id']}")
    assert (shown.json()["name"], shown.headers["etag"]) == ("Spring", '"1"')
    missing = api.post("/crm/campaigns", json={**body, "template": "nope"})
    assert missing.status_code == 404
    scheduled = api.post(
        f"/crm/campaigns/{campaign['id']}/schedule", json={"at": "2026-06-01T09:00:00+00:00"}
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "scheduled"
    assert scheduled.json()["scheduled_at"].startswith("2026-06-01T09:00:00")
    twice = api.post(f"/crm/campaigns/{campaign['id']}/schedule", json={})
    assert twice.status_code == 409
    naive = api.post(f"/crm/campaigns/{campaign['id']}/schedule", json={"at": "2026-06-01T09:00"})
    assert naive.status_code == 422
    stats = api.get(f"/crm/campaigns/{campaign['id']}/stats").json()
    assert (stats["status"], stats["planned"], stats["sent"]) == ("scheduled", 0, 0)
    assert stats["variants"] == {"A": {"template": "hello", "sent": 0, "engaged": 0}}
    assert api.get("/crm/campaigns/00000000-0000-0000-0000-000000000009").status_code == 404


def test_the_metrics_are_the_reports_of_the_cli(api: Api) -> None:
    for n in range(3):
        lead = {"email": f"l{n}@example.com", "first_name": "L", "source": "referral"}
        assert api.post("/crm/leads", json=lead).status_code == 201
    deal = {"title": "Licences", "amount": "1200.00", "probability": 50}
    assert api.post("/crm/deals", json=deal).status_code == 201
    (leads,) = api.get("/crm/metrics/leads").json()
    assert (leads["source"], leads["leads"], leads["converted"]) == ("referral", 3, 0)
    assert api.get("/crm/metrics/leads", params={"from": "2030-01-01"}).json() == []
    deals = api.get("/crm/metrics/deals").json()
    (summary,) = deals["summary"]
    assert (summary["open_deals"], summary["won"]) == (1, 0)
    assert float(summary["pipeline"]) == 1200
    funnel = api.get("/crm/metrics/funnel", params={"kind": "b2b"}).json()
    assert (funnel["kind"], funnel["journeys"], funnel["activation"]) == ("b2b", 1, None)
    assert funnel["stages"][0]["entered"] == 1
    b2c = api.get("/crm/metrics/funnel").json()
    assert b2c["activation"] is not None
    assert api.get("/crm/metrics/cohorts").json() == []
    assert api.get("/crm/metrics/cohorts", params={"period": "week"}).json() == []
    assert api.get("/crm/metrics/cohorts", params={"period": "day"}).status_code == 422
    saas = api.get("/crm/metrics/saas").json()
    assert saas["months"] == []
    assert {m["metric"] for m in saas["metrics"]} >= {"mrr"}
    assert api.get("/crm/metrics/attribution", params={"model": ["first", "last"]}).json() == []
    bad = api.get("/crm/metrics/funnel", params={"kind": "b2x"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert api.get("/crm/metrics/deals", params={"from": "yesterday"}).status_code == 422


def test_cohorts_and_saas_through_http_match_the_cli_on_one_history(
    backend_app: App, api: Api
) -> None:
    from crmcore.app.events.worker import ingest_events, process_inbox
    from tests.e2e.test_report_cli import history

    lines = [line for line in history().splitlines() if line.strip()]
    ingest_events(backend_app, lines, source="test").unwrap()
    process_inbox(backend_app).unwrap()
    window = {"by": "first-purchase", "to": "2026-02-28"}
    (row,) = api.get("/crm/metrics/cohorts", params=window).json()
    # the numbers tests/e2e/test_report_cli.py reads from `crm report cohorts`
    assert (row["cohort"], row["size"], row["retention"][:2]) == ("2026-01", 2, [1.0, 0.0])
    assert float(row["total_revenue"]) == 200
    weekly = api.get("/crm/metrics/cohorts", params={**window, "period": "week"}).json()
    assert [(r["cohort"], r["size"]) for r in weekly] == [("2025-12-29", 1), ("2026-01-05", 1)]
    saas = api.get("/crm/metrics/saas", params={"spend": "30"}).json()
    months = {m["month"]: m for m in saas["months"]}
    assert (float(months["2026-01"]["mrr"]), float(months["2026-02"]["mrr"])) == (150, 100)
    metrics = {m["metric"]: m for m in saas["metrics"]}
    assert (metrics["mrr"]["value"], metrics["nrr"]["status"]) == (100, "off target")
