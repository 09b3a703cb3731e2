"""The use cases through HTTP, on memory, SQLite and PostgreSQL: create, read with an
ETag, update with If-Match (412 when stale), idempotent POSTs, cursor pages, filters,
and filter values that reach the database only as bound parameters."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from crmcore.app.context import App
from crmcore.domain.access import Scope
from tests.http_client import Api, api_over

INJECTIONS = [
    "'; DROP TABLE contacts; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "%' UNION SELECT key_hash FROM api_keys --",
    "\\'; DELETE FROM leads; --",
]


@pytest.fixture
def api(backend_app: App) -> Api:
    return api_over(backend_app)


def _lead(api: Api, email: str, **extra: Any) -> dict[str, Any]:
    response = api.post("/crm/leads", json={"email": email, "first_name": "Ann", **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_lead_round_trip_with_etag_and_if_match(api: Api) -> None:
    made = _lead(api, "ann@example.com", company="Acme")
    assert made["version"] == 1
    shown = api.get(f"/crm/leads/{made['id']}")
    assert shown.json()["company"] == "Acme"
    etag = shown.headers["etag"]
    assert etag == '"1"'
    changed = api.put(
        f"/crm/leads/{made['id']}", json={"company": "Acme Ltd"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["company"] == "Acme Ltd"
    assert changed.headers["etag"] == '"2"'
    stale = api.put(
        f"/crm/leads/{made['id']}", json={"company": "Other"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.get(f"/crm/leads/{made['id']}").json()["company"] == "Acme Ltd"
    missing = api.put(f"/crm/leads/{made['id']}", json={"company": "Other"})
    assert missing.status_code == 428


def test_contacts_accounts_and_deals_update_with_their_version(api: Api) -> None:
    account = api.post("/crm/accounts", json={"name": "Acme"}).json()
    contact = api.post(
        "/crm/contacts",
        json={"first_name": "Bo", "email": "bo@example.com", "account_id": account["id"]},
    ).json()
    deal = api.post(
        "/crm/deals", json={"title": "Licences", "amount": "1200.00", "account_id": account["id"]}
    ).json()
    for path, body in (
        (f"/crm/accounts/{account['id']}", {"industry": "tools"}),
        (f"/crm/contacts/{contact['id']}", {"last_name": "Diddley"}),
        (f"/crm/deals/{deal['id']}", {"amount": "1500", "probability": 40}),
    ):
        done = api.put(path, json=body, headers={"If-Match": '"1"'})
        assert done.status_code == 200, done.text
        assert done.json()["version"] == 2
        assert api.put(path, json=body, headers={"If-Match": '"1"'}).status_code == 412
    assert api.get(f"/crm/deals/{deal['id']}").json()["amount"] == "1500"
    moved = api.post(f"/crm/deals/{deal['id']}/move", json={}, headers={"If-Match": '"2"'})
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "qualified"
    again = api.post(f"/crm/deals/{deal['id']}/move", json={}, headers={"If-Match": '"2"'})
    assert again.status_code == 412
    path, at_3 = f"/crm/deals/{deal['id']}/move", {"If-Match": '"3"'}
    skipping = api.post(path, json={"to": "contract"}, headers=at_3)
    assert skipping.status_code == 409
    assert "skips meeting, proposal, negotiation" in skipping.json()["detail"]
    body = {"to": "contract", "skip_reason": "signed at the first meeting"}
    skipped = api.post(path, json=body, headers=at_3)
    assert (skipped.status_code, skipped.json()["stage"]) == (200, "contract")


def test_a_post_with_an_idempotency_key_is_done_once(api: Api) -> None:
    body = {"email": "once@example.com", "first_name": "Una"}
    first = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    replay = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "k-1"})
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["etag"] == first.headers["etag"]
    two = {"email": "two@example.com", "first_name": "Two"}
    other = api.post("/crm/leads", json=two, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert len(api.get("/crm/leads").json()["items"]) == 1
    without = api.post("/crm/leads", json=body)
    assert without.status_code == 409  # the duplicate e-mail: no key, no replay


def test_cursor_pages_walk_every_record_once(api: Api) -> None:
    emails = {f"p{i}@example.com" for i in range(7)}
    for email in sorted(emails):
        _lead(api, email)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/crm/leads", params=params).json()
        seen.extend(item["email"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(emails)
    assert api.get("/crm/leads", params={"cursor": "garbage!"}).status_code == 422
    offset_cursor = "bzoz"  # base64 of "o:3", the offset cursors of before
    assert api.get("/crm/leads", params={"cursor": offset_cursor}).status_code == 422


def _walk(api: Api, path: str, *, limit: int, between: Any = None, **params: Any) -> list[str]:
    """Every id of a list, page by page; ``between`` runs after the first page."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = api.get(path, params={**params, "limit": limit, "cursor": cursor}).json()
        seen.extend(item["id"] for item in page["items"])
        if between is not None and cursor is None:
            between()
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_keyset_pages_are_stable_while_records_come_and_go(backend_app: App, api: Api) -> None:
    from crmcore.app.sales.contacts import archive_contact
    from crmcore.domain.ids import ContactId

    made = [
        api.post("/crm/contacts", json={"first_name": f"C{i}", "email": f"c{i}@example.com"})
        for i in range(7)
    ]
    ids = [r.json()["id"] for r in made]

    def churn() -> None:  # the first page's records leave, new ones arrive
        for gone in ids[:2]:
            archive_contact(backend_app, ContactId(UUID(gone))).unwrap()
        for i in range(7, 9):
            body = {"first_name": f"C{i}", "email": f"c{i}@example.com"}
            ids.append(api.post("/crm/contacts", json=body).json()["id"])

    seen = _walk(api, "/crm/contacts", limit=3, between=churn)
    # nothing skipped (an offset would skip two) and nothing twice; the new ones at the end
    assert seen == ids
    filtered = _walk(api, "/crm/contacts", limit=2, search="example")
    assert filtered == ids[2:]  # the search path pages by id too
    accounts = [api.post("/crm/accounts", json={"name": f"A{i}"}).json()["id"] for i in range(3)]
    deals = [
        api.post("/crm/deals", json={"title": f"D{i}", "amount": "5"}).json()["id"]
        for i in range(3)
    ]
    assert _walk(api, "/crm/accounts", limit=2) == accounts
    assert _walk(api, "/crm/deals", limit=2) == deals


def test_contact_filters_of_the_cli(api: Api) -> None:
    for first, email in (("Zed", "zed@example.com"), ("Amy", "amy@example.com")):
        assert (
            api.post("/crm/contacts", json={"first_name": first, "email": email}).status_code == 201
        )
    found = api.get("/crm/contacts", params={"search": "zed"}).json()["items"]
    assert [c["first_name"] for c in found] == ["Zed"]
    assert api.get("/crm/contacts", params={"lifecycle": "customer"}).json()["items"] == []
    assert api.get("/crm/contacts", params={"segment": "nope"}).status_code == 404


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_injection_strings_are_only_values(api: Api, hostile: str) -> None:
    assert (
        api.post(
            "/crm/contacts", json={"first_name": "Amy", "email": "amy@example.com"}
        ).status_code
        == 201
    )
    for params in ({"search": hostile}, {"account": hostile}, {"owner": hostile}):
        response = api.get("/crm/contacts", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []
    segment = api.post(
        "/crm/segments",
        json={
            "name": "hostile",
            "filter": {"field": "contact.first_name", "op": "eq", "value": hostile},
        },
    )
    assert segment.status_code == 201, segment.text
    assert segment.json()["member_count"] == 0
    assert api.get("/crm/segments/hostile/members").json() == []
    assert len(api.get("/crm/contacts").json()["items"]) == 1  # the table is still there


def test_reports_answer(api: Api) -> None:
    api.post("/crm/deals", json={"title": "A", "amount": "100"})
    rows = api.get("/crm/pipeline").json()
    assert rows[0]["stage"] == "lead"
    assert rows[0]["deals"] == 1
    assert api.get("/crm/pipeline/slipping").json() == []
    assert api.get("/crm/segments").json() == []
    rfm = api.get("/crm/segments/rfm", params={"as_of": "2026-01-05"}).json()
    assert rfm["active"] == 0
    assert api.get("/crm/metrics/health").json() == []
    assert api.get("/crm/pipeline", scope=Scope.READ).status_code == 200


def test_webhook_events_are_durable_before_the_202(backend_app: App) -> None:
    from crmcore.app.http.settings import HttpSettings
    from crmcore.codec.signing import sign

    api = api_over(backend_app, HttpSettings(webhook_secrets={"shop": "k"}))
    event = {
        "id": "durable-1",
        "type": "purchase",
        "occurred_at": "2026-01-05T09:00:00+00:00",
        "customer": {"email": "d@example.com"},
        "data": {"amount": "5", "currency": "RUB"},
    }
    body = json.dumps(event).encode()
    stamp = int(backend_app.clock.now().timestamp())
    headers = {
        "X-Crm-Source": "shop",
        "X-Crm-Timestamp": str(stamp),
        "X-Crm-Signature": sign("k", stamp, body),
        "Content-Type": "application/json",
    }
    response = api.client.post("/crm/events", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert backend_app.events is not None
    with backend_app.events.uow() as uow:  # a new transaction sees it: it was committed
        assert uow.inbox.get("durable-1") is not None


def test_an_erasure_forgets_the_stored_responses_that_name_the_person(
    backend_app: App,
) -> None:
    from crmcore.app.access.apikeys import list_api_keys
    from crmcore.app.access.idempotency import entry_id, recall
    from crmcore.app.privacy import erase_person

    api = api_over(backend_app)
    body = {"email": "gone@example.com", "first_name": "Gone"}
    assert api.post("/crm/leads", json=body, headers={"Idempotency-Key": "e1"}).status_code == 201
    other = {"email": "stays@example.com", "first_name": "Stays"}
    assert api.post("/crm/leads", json=other, headers={"Idempotency-Key": "e2"}).status_code == 201
    writer = next(k for k in list_api_keys(backend_app).unwrap() if k.scope is Scope.WRITE)
    assert recall(backend_app, entry_id(writer.id, "e1")).unwrap() is not None
    erase_person(backend_app, email="gone@example.com", actor="dpo").unwrap()
    assert recall(backend_app, entry_id(writer.id, "e1")).unwrap() is None
    assert recall(backend_app, entry_id(writer.id, "e2")).unwrap() is not None


def test_a_key_in_use_is_409_until_its_claim_expires(backend_app: App) -> None:
    from datetime import timedelta

    from crmcore.adapters.system import FixedClock
    from crmcore.app.access.apikeys import list_api_keys
    from crmcore.app.access.idempotency import CLAIM_LEASE, claim, entry_id, fingerprint
    from crmcore.app.http.models import LeadIn

    api = api_over(backend_app)
    writer = next(k for k in list_api_keys(backend_app).unwrap() if k.scope is Scope.WRITE)
    body = {"email": "race@example.com", "first_name": "Race"}
    # another request with the key is running (it claimed the key and has not answered)
    print_ = fingerprint("POST", "/crm/leads", LeadIn.model_validate(body).model_dump_json())
    assert claim(backend_app, entry_id(writer.id, "r1"), print_=print_).unwrap() is None
    busy = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "r1"})
    assert busy.status_code == 409
    assert busy.headers["retry-after"] == "1"
    assert api.get("/crm/leads").json()["items"] == []
    clock = backend_app.clock
    assert isinstance(clock, FixedClock)
    clock.advance(CLAIM_LEASE + timedelta(seconds=1))  # that request died: take over
    taken = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "r1"})
    assert taken.status_code == 201, taken.text
    again = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "r1"})
    assert again.json() == taken.json()


def test_a_stored_response_lives_a_day_and_old_ones_are_pruned(backend_app: App) -> None:
    from datetime import timedelta

    from crmcore.adapters.system import FixedClock
    from crmcore.app.access.apikeys import list_api_keys
    from crmcore.app.access.idempotency import RESPONSE_TTL, entry_id, prune_responses, recall

    api = api_over(backend_app)
    writer = next(k for k in list_api_keys(backend_app).unwrap() if k.scope is Scope.WRITE)
    clock = backend_app.clock
    assert isinstance(clock, FixedClock)
    body = {"email": "old@example.com", "first_name": "Old"}
    first = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "t1"})
    clock.advance(RESPONSE_TTL - timedelta(seconds=1))
    assert api.post("/crm/leads", json=body, headers={"Idempotency-Key": "t1"}).json() == (
        first.json()
    )
    clock.advance(timedelta(seconds=2))
    other = {"email": "new@example.com", "first_name": "New"}
    assert api.post("/crm/leads", json=other, headers={"Idempotency-Key": "t2"}).status_code == 201
    assert recall(backend_app, entry_id(writer.id, "t1")).unwrap() is None  # pruned by t2
    late = api.post("/crm/leads", json=body, headers={"Idempotency-Key": "t1"})
    assert late.status_code == 409  # runs as new: the e-mail is taken now
    assert "idempotent-replayed" not in late.headers
    clock.advance(RESPONSE_TTL + timedelta(seconds=1))
    assert prune_responses(backend_app).unwrap() == 1  # t2 (the failed t1 kept nothing)
    assert recall(backend_app, entry_id(writer.id, "t2")).unwrap() is None


def test_a_failed_request_gives_its_key_back(api: Api) -> None:
    bad = {"email": "nope", "first_name": "X"}
    assert api.post("/crm/leads", json=bad, headers={"Idempotency-Key": "f1"}).status_code == 422
    assert api.post("/crm/leads", json=bad, headers={"Idempotency-Key": "f1"}).status_code == 422
    good = {"email": "fixed@example.com", "first_name": "X"}
    done = api.post("/crm/leads", json=good, headers={"Idempotency-Key": "f1"})
    assert done.status_code == 201
    assert "idempotent-replayed" not in done.headers
