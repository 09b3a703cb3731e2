"""``scan_contacts``: likely duplicates of stored contacts go to the review queue."""

from __future__ import annotations

from uuid import UUID

from returns.result import Failure

from crmcore.app.context import App
from crmcore.app.dedup.scan import account_pair_key, pair_key, scan_accounts, scan_contacts
from crmcore.app.events.worker import list_reviews
from crmcore.app.sales.accounts import create_account
from crmcore.app.sales.contacts import create_contact
from crmcore.domain.ids import AccountId
from crmcore.domain.review import ReviewReason
from tests.dedup_synthetic import planted, planted_accounts


def _store(app: App, count: int) -> dict[str, str]:
    """Planted contacts (attributes city and birth_date); synthetic id by contact id."""
    data = planted(count, seed=4, distinct_emails=True)
    stored: dict[str, str] = {}
    for row in data.rows:
        made = create_contact(
            app,
            first_name=row[1],
            last_name=row[2],
            email=row[3] or None,
            phone=row[4] or None,
            attributes={"city": row[5], "birth_date": row[6]},
        ).unwrap()
        stored[str(made.id)] = row[0]
    return stored


def test_a_scan_queues_the_planted_pairs_once(app: App) -> None:
    data = planted(600, seed=4, distinct_emails=True)
    synthetic = _store(app, 600)
    report = scan_contacts(app).unwrap()
    assert report.contacts == 600
    items = list_reviews(app, reason=ReviewReason.DUPLICATE, limit=10_000).unwrap()
    assert len(items) == report.queued > 0
    found = set()
    for item in items:
        a, b = (synthetic[str(c)] for c in item.candidates)
        found.add((min(a, b), max(a, b)))
        assert item.event_id == pair_key(*item.candidates)
        assert item.confidence is not None
        assert item.confidence >= 0.5
        assert "name" in item.detail
    hits = len(found & data.pairs)
    assert hits / len(found) >= 0.95
    assert hits / len(data.pairs) >= 0.9
    again = scan_contacts(app).unwrap()
    assert again.queued == 0
    assert again.already == report.queued
    assert len(list_reviews(app, reason=ReviewReason.DUPLICATE, limit=10_000).unwrap()) == len(
        items
    )


def test_a_swapped_first_and_last_name_is_still_a_duplicate(app: App) -> None:
    for first, last, email in (
        ("Anna", "Karenina", "anna.k@mail.ru"),
        ("Karenina", "Anna", "anna.k@gmail.com"),
        ("Boris", "Godunov", "tsar@mail.ru"),
    ):
        create_contact(
            app,
            first_name=first,
            last_name=last,
            email=email,
            phone="+7 900 123 45 67" if first != "Boris" else None,
            attributes={"birth_date": "1990-01-02"} if first != "Boris" else {},
        ).unwrap()
    report = scan_contacts(app).unwrap()
    assert report.queued == 1
    (item,) = list_reviews(app, reason=ReviewReason.DUPLICATE).unwrap()
    assert "name 4" in item.detail


def test_a_threshold_outside_zero_to_one_is_refused(app: App) -> None:
    assert isinstance(scan_contacts(app, threshold=2.0), Failure)


def test_auto_merge_merges_the_surest_pairs_and_queues_the_rest(app: App) -> None:
    synthetic = _store(app, 400)
    report = scan_contacts(app, auto_merge=True).unwrap()
    assert 0 < report.merged <= report.auto_merge
    assert report.queued == report.pairs - report.auto_merge
    items = list_reviews(app, reason=ReviewReason.DUPLICATE, limit=10_000).unwrap()
    assert all(i.confidence is not None and i.confidence < 0.99 for i in items)
    again = scan_contacts(app, auto_merge=True).unwrap()
    assert again.merged == 0
    assert again.contacts == len(synthetic) - report.merged


def test_an_account_scan_queues_the_planted_pairs_once(app: App) -> None:
    data = planted_accounts(400, seed=3)
    synthetic: dict[str, str] = {}
    for row in data.rows:
        made = create_account(
            app, name=row[1], website=row[2] or None,
            attributes={k: v for k, v in (("phone", row[3]), ("city", row[4])) if v},
        ).unwrap()  # fmt: skip
        synthetic[str(made.id)] = row[0]
    report = scan_accounts(app).unwrap()
    assert report.contacts == len(data.rows)
    items = list_reviews(app, reason=ReviewReason.DUPLICATE, limit=10_000).unwrap()
    assert len(items) == report.queued > 0
    found = set()
    for item in items:
        assert item.candidates == ()
        _, _, a, b = item.proposed_action.split()[-4:]
        assert item.event_id == account_pair_key(AccountId(UUID(a)), AccountId(UUID(b)))
        x, y = synthetic[a], synthetic[b]
        found.add((min(x, y), max(x, y)))
    hits = len(found & data.pairs)
    assert hits / len(found) >= 0.9
    assert hits / len(data.pairs) >= 0.8
    assert scan_accounts(app).unwrap().queued == 0
