"""Use case: sweep the stored contacts for duplicates into the manual-review queue.

Pairs at or above the review threshold become review items with reason ``duplicate``
(``crm review list --reason duplicate``); each names both contacts as candidates and says
how sure the model is and why. A pair already queued (open or decided) is not queued
again, so a scan can be re-run at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App
from crmcore.app.dedup.account_merge import merge_accounts
from crmcore.app.dedup.compare import Kind
from crmcore.app.dedup.engine import ScoredPair, find_duplicates
from crmcore.app.dedup.merge import merge_contacts
from crmcore.app.dedup.settings import DedupSettings
from crmcore.app.errors import AppError, Conflict, StorageFailure
from crmcore.domain.account import Account
from crmcore.domain.account_merge import MERGED_INTO as MERGED_AWAY
from crmcore.domain.duplicates import Decision, FellegiSunter
from crmcore.domain.enrichment import company_domain
from crmcore.domain.errors import FieldError, InvalidInput
from crmcore.domain.ids import AccountId, ContactId
from crmcore.domain.review import ReviewItem, ReviewReason, queued
from crmcore.ports.errors import ConcurrentModification, StorageError
from crmcore.ports.event_processing import EventUnitOfWork
from crmcore.ports.repositories import ContactValues

#: The contact fields compared: the full name (in any order, so swapped first and last
#: names still agree), e-mail, phone, and city and birth date from the attributes.
SCAN_FIELDS = ("name", "email", "phone", "city", "birth_date")
SCAN_KINDS = {"name": Kind.PERSON, "email": Kind.EMAIL, "phone": Kind.PHONE,
              "city": Kind.NAME, "birth_date": Kind.DATE}  # fmt: skip
Id = TypeVar("Id", ContactId, AccountId)

#: No limit when reading the duplicate items already queued.
ALL = 10**9


@attrs.frozen(kw_only=True)
class ScanReport:
    """What a scan found and queued."""

    contacts: int
    candidates: int
    pairs: int
    queued: int
    already: int
    auto_merge: int
    merged: int = 0


def pair_key(a: ContactId, b: ContactId) -> str:
    """The review item's event id for a pair: the same whichever contact comes first."""
    low, high = sorted((str(a), str(b)))
    return f"duplicate:{low}:{high}"


#: The attributes compared, in the order of the last fields of :data:`SCAN_FIELDS`.
SCAN_ATTRIBUTES = ("city", "birth_date")


def scan_row(values: ContactValues) -> tuple[str | None, ...]:
    """The compared values of one contact."""
    return (
        f"{values.first_name} {values.last_name}",
        values.email,
        values.phone,
        *(_text(v) for v in values.attributes),
    )


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def explain(model: FellegiSunter, pair: ScoredPair) -> str:
    """``p=0.98; email 3 (+14.2), phone - (0.0), ...``: the score and why."""
    parts = [
        f"{c.field} {'-' if c.level < 0 else c.level} ({c.weight:+.1f})"
        for c in model.explain(pair.levels)
    ]
    return f"p={pair.probability:.4f}; " + ", ".join(parts)


@attrs.frozen(kw_only=True)
class _Subject(Generic[Id]):
    """What a scan compares: its records' fields and how a pair is keyed, queued and merged."""

    fields: tuple[str, ...]
    kinds: Mapping[str, Kind]
    #: the ids of the records compared and their rows of values, in the same order
    read: Callable[[EventUnitOfWork], tuple[list[Id], list[tuple[str | None, ...]]]]
    key: Callable[[Id, Id], str]
    #: the proposed action and the candidate contacts of a queued pair
    proposal: Callable[[Id, Id], tuple[str, tuple[ContactId, ...]]]
    merge: Callable[[App, Id, Id, str], Result[object, AppError]]


def _scan(
    app: App,
    subject: _Subject[Id],
    *,
    threshold: float | None,
    settings: DedupSettings | None,
    auto_merge: bool,
) -> Result[ScanReport, AppError]:
    chosen = settings or DedupSettings()
    cut = chosen.thresholds.review if threshold is None else threshold
    if not 0.0 <= cut <= 1.0:
        error = FieldError(field="threshold", value=str(cut), reason="a probability 0-1")
        return Failure(InvalidInput(errors=(error,)))
    if app.events is None:
        return Failure(StorageFailure(detail="the review queue is not configured"))
    now = app.clock.now()
    to_merge: list[tuple[Id, Id, float]] = []

    def work(uow: EventUnitOfWork) -> ScanReport:
        ids, rows = subject.read(uow)
        found = find_duplicates(
            rows,
            subject.fields,
            threshold=cut,
            kinds={**subject.kinds, **chosen.kinds},
            model=chosen.model(subject.fields),
        )
        queue = uow.review_queue
        listed = queue.list(status=None, reason=ReviewReason.DUPLICATE, limit=ALL)
        known = {i.event_id for i in listed}
        items: list[ReviewItem] = []
        merges = 0
        for pair in found.pairs:
            a, b = ids[pair.left], ids[pair.right]
            key = subject.key(a, b)
            decision = chosen.thresholds.decide(pair.probability)
            merges += decision is Decision.MERGE
            if auto_merge and decision is Decision.MERGE:
                to_merge.append((a, b, pair.probability))
                continue
            if key in known:
                continue
            known.add(key)
            action, candidates = subject.proposal(a, b)
            items.append(
                ReviewItem(
                    id=app.ids.new(),
                    event_id=key,
                    reason=ReviewReason.DUPLICATE,
                    detail=explain(found.model, pair),
                    proposed_action=action,
                    confidence=pair.probability,
                    candidates=candidates,
                    created_at=now,
                )
            )
        queue.add_many(items)
        uow.record(*(queued(i) for i in items))
        return ScanReport(
            contacts=len(ids),
            candidates=found.candidates,
            pairs=len(found.pairs),
            queued=len(items),
            already=len(found.pairs) - len(items),
            auto_merge=merges,
        )

    try:
        with app.events.uow() as uow:
            report = work(uow)
            uow.commit()
    except ConcurrentModification as exc:
        return Failure(Conflict(detail=str(exc)))
    except StorageError as exc:
        return Failure(StorageFailure(detail=str(exc)))
    merged = 0
    for keep, other, p in to_merge:
        # a record merged away by an earlier pair of this scan is refused, so skipped
        done = subject.merge(app, keep, other, f"dedup scan p={p:.4f}")
        merged += isinstance(done, Success)
    return Success(attrs.evolve(report, merged=merged))


def _contact_rows(uow: EventUnitOfWork) -> tuple[list[ContactId], list[tuple[str | None, ...]]]:
    contacts = uow.contacts.compared_values(SCAN_ATTRIBUTES)
    return [c.id for c in contacts], [scan_row(c) for c in contacts]


CONTACTS: _Subject[ContactId] = _Subject(
    fields=SCAN_FIELDS,
    kinds=SCAN_KINDS,
    read=_contact_rows,
    key=pair_key,
    proposal=lambda a, b: (f"merge {b} into {a}", (a, b)),
    merge=lambda app, keep, other, reason: merge_contacts(
        app, keep, other, reason=reason, by="dedup scan"
    ),
)


def scan_contacts(
    app: App,
    *,
    threshold: float | None = None,
    settings: DedupSettings | None = None,
    auto_merge: bool = False,
) -> Result[ScanReport, AppError]:
    """Queue every likely duplicate pair of stored (not archived) contacts for review;
    with ``auto_merge``, pairs at or above the merge threshold are merged instead (the
    second into the first, each merge its own undoable record)."""
    return _scan(app, CONTACTS, threshold=threshold, settings=settings, auto_merge=auto_merge)


#: The account fields compared: the name (legal forms and word order aside), the website's
#: domain, and phone and city from the attributes.
ACCOUNT_FIELDS = ("name", "domain", "phone", "city")
ACCOUNT_KINDS = {"name": Kind.TEXT, "domain": Kind.EXACT, "phone": Kind.PHONE,
                 "city": Kind.NAME}  # fmt: skip


def account_pair_key(a: AccountId, b: AccountId) -> str:
    """The review item's event id for a pair of accounts, whichever comes first."""
    low, high = sorted((str(a), str(b)))
    return f"account-duplicate:{low}:{high}"


def account_row(account: Account) -> tuple[str | None, ...]:
    """The compared values of one account."""
    return (
        account.name,
        company_domain(account.website),
        _text(account.attributes.get("phone")),
        _text(account.attributes.get("city")),
    )


def _account_rows(uow: EventUnitOfWork) -> tuple[list[AccountId], list[tuple[str | None, ...]]]:
    accounts = [a for a in uow.accounts.list() if MERGED_AWAY not in a.attributes]
    return [a.id for a in accounts], [account_row(a) for a in accounts]


ACCOUNTS: _Subject[AccountId] = _Subject(
    fields=ACCOUNT_FIELDS,
    kinds=ACCOUNT_KINDS,
    read=_account_rows,
    key=account_pair_key,
    proposal=lambda a, b: (f"crm accounts merge {a} {b}", ()),
    merge=lambda app, keep, other, reason: merge_accounts(
        app, keep, other, reason=reason, by="dedup scan"
    ),
)


def scan_accounts(
    app: App,
    *,
    threshold: float | None = None,
    settings: DedupSettings | None = None,
    auto_merge: bool = False,
) -> Result[ScanReport, AppError]:
    """Queue every likely duplicate pair of stored accounts (not merged away) for review,
    reason ``duplicate``, no candidate contacts, the proposed action naming the command
    (``crm accounts merge A B``); with ``auto_merge``, pairs at or above the merge
    threshold are merged instead. ``ScanReport.contacts`` counts the accounts."""
    return _scan(app, ACCOUNTS, threshold=threshold, settings=settings, auto_merge=auto_merge)
