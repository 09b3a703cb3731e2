"""Web-form capture (honeypot, per-address limit, allowed origins only) and the signed
inbound webhook (HMAC, five-minute window, JSON or JSON lines)."""

from __future__ import annotations

import json

from crmcore.app.context import App
from crmcore.app.http.settings import HttpSettings
from crmcore.app.marketing.unsubscribe import suppression_list
from crmcore.app.sales.leads import list_leads
from crmcore.codec.signing import sign
from crmcore.domain.unsubscribe import unsubscribe_url
from tests.conftest import T0
from tests.http_client import Api, api_over

ORIGIN = "https://www.example.com"
SECRET = "s3cret-of-the-shop"
FORM = {"email": "form@example.com", "first_name": "Fay", "company": "Acme"}


def _api(app: App, **kw: object) -> Api:
    settings = HttpSettings(
        form_origins=(ORIGIN,),
        webhook_secrets={"shop": SECRET},
        form_rate_per_minute=3,
        **kw,  # type: ignore[arg-type]
    )
    return api_over(app, settings)


def _event(n: int) -> dict[str, object]:
    return {
        "id": f"w{n}",
        "type": "purchase",
        "occurred_at": "2026-01-05T09:00:00+00:00",
        "customer": {"email": f"buyer{n}@example.com"},
        "data": {"amount": "5", "currency": "RUB"},
    }


def _signed(body: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = int(T0.timestamp()) if at is None else at
    return {
        "X-Crm-Source": "shop",
        "X-Crm-Timestamp": str(stamp),
        "X-Crm-Signature": sign(secret, stamp, body),
    }


def test_a_form_posts_a_lead_without_a_key(app: App) -> None:
    api = _api(app)
    response = api.client.post("/crm/forms/contact-us", data=FORM, headers={"Origin": ORIGIN})
    assert response.status_code == 202, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    (lead,) = list_leads(app).unwrap()
    assert (lead.email.value, lead.source_detail) == ("form@example.com", "form:contact-us")


def test_a_filled_honeypot_is_answered_but_dropped(app: App) -> None:
    api = _api(app)
    response = api.client.post("/crm/forms/contact-us", data={**FORM, "website": "spam.biz"})
    assert response.status_code == 202
    assert list_leads(app).unwrap() == []


def test_a_known_email_is_answered_like_a_new_one(app: App) -> None:
    api = _api(app)
    first = api.client.post("/crm/forms/a", data=FORM)
    again = api.client.post("/crm/forms/a", data=FORM)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json() == again.json()


def test_form_field_errors_are_422(app: App) -> None:
    response = _api(app).client.post("/crm/forms/a", data={"email": "nope"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"email"}


def test_only_configured_origins_may_post_or_preflight(app: App) -> None:
    api = _api(app)
    evil = {"Origin": "https://evil.example"}
    assert api.client.post("/crm/forms/a", data=FORM, headers=evil).status_code == 403
    assert api.client.options("/crm/forms/a", headers=evil).status_code == 403
    ok = api.client.options("/crm/forms/a", headers={"Origin": ORIGIN})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-methods"] == "POST"
    assert list_leads(app).unwrap() == []


def test_forms_are_limited_per_address(app: App) -> None:
    api = _api(app)
    codes = [
        api.client.post("/crm/forms/a", data={**FORM, "email": f"f{n}@example.com"}).status_code
        for n in range(4)
    ]
    assert codes == [202, 202, 202, 429]
    api.ticks.now += 60
    assert (
        api.client.post("/crm/forms/a", data={**FORM, "email": "x@example.com"}).status_code == 202
    )


def test_a_form_must_be_urlencoded(app: App) -> None:
    response = _api(app).client.post("/crm/forms/a", json=FORM)
    assert response.status_code == 415


def test_signed_events_are_accepted(app: App) -> None:
    api = _api(app)
    body = json.dumps([_event(1), _event(2), {"id": "bad"}]).encode()
    response = api.client.post(
        "/crm/events", content=body, headers={**_signed(body), "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    report = response.json()
    assert (report["accepted"], len(report["rejected"])) == (2, 1)
    again = api.client.post(
        "/crm/events", content=body, headers={**_signed(body), "Content-Type": "application/json"}
    )
    assert again.json()["duplicates"] == 2


def test_json_lines_are_accepted(app: App) -> None:
    body = b"\n".join(json.dumps(_event(n)).encode() for n in range(3)) + b"\n"
    response = _api(app).client.post(
        "/crm/events",
        content=body,
        headers={**_signed(body), "Content-Type": "application/x-ndjson"},
    )
    assert response.json()["accepted"] == 3


def test_bad_signatures_are_401(app: App) -> None:
    api = _api(app)
    body = json.dumps(_event(1)).encode()
    stamp = int(T0.timestamp())
    cases = [
        _signed(body, secret="wrong"),
        _signed(body, at=stamp - 301),
        _signed(body, at=stamp + 301),
        {**_signed(body), "X-Crm-Source": "other"},
        {**_signed(body), "X-Crm-Signature": "sha256=00"},
        {k: v for k, v in _signed(body).items() if k != "X-Crm-Timestamp"},
        {},
    ]
    for headers in cases:
        response = api.client.post(
            "/crm/events", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 401, headers
    tampered = body.replace(b"RUB", b"USD")
    response = api.client.post(
        "/crm/events",
        content=tampered,
        headers={**_signed(body), "Content-Type": "application/json"},
    )
    assert response.status_code == 401
    within = _signed(body, at=stamp - 299)
    ok = api.client.post(
        "/crm/events", content=body, headers={**within, "Content-Type": "application/json"}
    )
    assert ok.status_code == 202


def test_a_form_with_an_idempotency_key_is_answered_once(app: App) -> None:
    api = _api(app)
    keyed = {"Origin": ORIGIN, "Idempotency-Key": "form-k1"}
    first = api.client.post("/crm/forms/a", data=FORM, headers=keyed)
    replay = api.client.post("/crm/forms/a", data=FORM, headers=keyed)
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["access-control-allow-origin"] == ORIGIN
    other = api.client.post("/crm/forms/a", data={**FORM, "email": "x@example.com"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert len(list_leads(app).unwrap()) == 1


def test_signed_events_with_an_idempotency_key_replay_the_first_report(app: App) -> None:
    api = _api(app)
    body = json.dumps([_event(1), _event(2)]).encode()
    headers = {**_signed(body), "Content-Type": "application/json", "Idempotency-Key": "ev-1"}
    first = api.client.post("/crm/events", content=body, headers=headers)
    assert (first.status_code, first.json()["accepted"]) == (202, 2)
    again = api.client.post("/crm/events", content=body, headers=headers)
    assert again.json() == first.json()  # the first report, not "2 duplicates"
    assert again.headers["idempotent-replayed"] == "true"
    unsigned = {**headers, "X-Crm-Signature": "sha256=" + "0" * 64}
    assert api.client.post("/crm/events", content=body, headers=unsigned).status_code == 401


def test_a_signed_unsubscribe_link_works_in_one_click_and_a_forged_one_does_not(
    app: App,
) -> None:
    api = _api(app)
    with app.uow() as uow:
        secret = uow.personal_data.subject_secret()
    link = unsubscribe_url("http://testserver/crm/unsubscribe", secret, "ann@example.com")
    query = link.split("?", 1)[1]
    page = api.client.get(f"/crm/unsubscribe?{query}")
    assert page.status_code == 200
    assert "ann@example.com" in page.text
    assert suppression_list(app).unwrap() == []  # opening the link changes nothing
    done = api.client.post(f"/crm/unsubscribe?{query}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200, done.text
    assert [(c.address, c.source) for c in suppression_list(app).unwrap()] == [
        ("ann@example.com", "link")
    ]
    forged = api.client.post("/crm/unsubscribe?e=bob@example.com&t=AAAAAAAAAAAAAAAAAAAAAA")
    assert forged.status_code == 409
    assert [c.address for c in suppression_list(app).unwrap()] == ["ann@example.com"]


def test_a_usage_limit_posted_to_the_webhook_prompts_in_the_app_once(app: App) -> None:
    from crmcore.app.events.worker import process_inbox
    from crmcore.app.marketing.upsell import install_upsell

    prompt = next(s for s in install_upsell(app).unwrap() if s.trigger == "usage_limit")

    def usage(n: int, value: object) -> dict[str, object]:
        return {"id": f"use{n}", "type": "usage_limit", "occurred_at": "2026-01-05T09:00:00Z",
                "customer": {"user_id": "u-cy"},
                "data": {"feature": "storage", "value": value, "limit": 10}}  # fmt: skip

    body = json.dumps([usage(1, 10), usage(2, 11), usage(3, -1)]).encode()
    response = _api(app).client.post(
        "/crm/events", content=body, headers={**_signed(body), "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text
    report = response.json()
    assert report["accepted"] == 2
    assert [e["field"] for r in report["rejected"] for e in r["errors"]] == ["$.data.value"]
    assert process_inbox(app).unwrap().done == 2
    with app.uow() as uow:
        contacts = [c for c in uow.contacts.list() if c.user_id == "u-cy"]
        planned = [(d.campaign_id, d.channel.value, d.address)
                   for d in uow.deliveries.for_contacts([c.id for c in contacts])]  # fmt: skip
    assert planned == [(prompt.id, "in_app", "u-cy")]
