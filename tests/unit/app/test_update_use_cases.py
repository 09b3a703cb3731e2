"""The update use cases of leads, accounts and deals: an unknown id, a stale version, an
update at the version read, and an update with no version (last write wins)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from returns.result import Failure, Result

from crmcore import App, NotFound
from crmcore.app.errors import AppError, StaleVersion
from crmcore.app.sales.accounts import create_account
from crmcore.app.sales.deals import create_deal
from crmcore.app.sales.leads import capture_lead
from crmcore.app.sales.updates import update_account, update_deal, update_lead
from crmcore.domain.ids import AccountId, DealId, LeadId

Update = Callable[..., Result[Any, AppError]]


def _records(app: App) -> list[tuple[str, Update, Any, dict[str, Any], Callable[[Any], Any]]]:
    lead = capture_lead(app, email="ann@example.com", first_name="Ann").unwrap()
    account = create_account(app, name="Acme").unwrap()
    deal = create_deal(app, title="Licences", amount="100").unwrap()
    return [
        ("lead", update_lead, lead.id, {"company": "Initech"}, lambda r: r.company),
        ("account", update_account, account.id, {"industry": "tools"}, lambda r: r.industry),
        ("deal", update_deal, deal.id, {"title": "More licences"}, lambda r: r.title),
    ]


def test_an_unknown_record_is_not_found(app: App) -> None:
    unknown = uuid.UUID(int=99)
    cases: list[tuple[str, Update, object]] = [
        ("lead", update_lead, LeadId(unknown)),
        ("account", update_account, AccountId(unknown)),
        ("deal", update_deal, DealId(unknown)),
    ]
    for kind, update, key in cases:
        failure = update(app, key, expected_version=1).failure()
        assert failure == NotFound(kind=kind, key=str(key))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_an_update_needs_the_version_it_read(app: App, index: int) -> None:
    kind, update, key, change, read = _records(app)[index]
    done = update(app, key, expected_version=1, **change).unwrap()
    assert read(done) == next(iter(change.values()))
    # the use case hands back the record it saved, at the version it read; the store is
    # one ahead, so the version read before is stale now
    assert done.version == 1
    stale = update(app, key, expected_version=1, **change)
    assert isinstance(stale, Failure)
    assert stale.failure() == StaleVersion(kind=kind, key=str(key), expected=1, actual=2)
    assert update(app, key, expected_version=2, **change).unwrap().version == 2
    assert update(app, key, **change).unwrap().version == 3  # no version: last write wins
