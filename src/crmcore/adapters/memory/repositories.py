"""Memory repositories: thin typed views over a :class:`Transaction`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from crmcore.adapters.memory.database import Transaction
from crmcore.domain.account import Account
from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact, NewContact, contact_from_new
from crmcore.domain.email import Email
from crmcore.domain.ids import AccountId, ActivityId, ContactId, DealId, LeadId
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.merge import merge_import
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal, DealStage
from crmcore.ports.repositories import ContactHeadline, ContactValues, UpsertCounts

E = TypeVar("E", Lead, Contact, Account, Deal, Activity)


def _page(
    rows: Iterable[E],
    limit: int | None,
    offset: int,
    key: Callable[[E], object],
    after: UUID | None = None,
) -> list[E]:
    if after is not None:
        rows = (r for r in rows if r.id > after)
    ordered = sorted(rows, key=key)  # type: ignore[arg-type]
    return ordered[offset : None if limit is None else offset + limit]


class _Table(Generic[E]):
    table: str

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _get(self, key: object) -> E | None:
        return self._tx.get(self.table, key)  # type: ignore[arg-type]

    def _rows(self) -> Iterable[E]:
        return self._tx.rows(self.table)

    def add(self, entity: E) -> None:
        """Stage a new aggregate."""
        self._tx.add(self.table, entity)

    def save(self, entity: E) -> None:
        """Stage a changed aggregate (version checked at commit)."""
        self._tx.save(self.table, entity)

    def add_many(self, entities: Sequence[E]) -> None:
        """Stage many new aggregates."""
        for entity in entities:
            self._tx.add(self.table, entity)

    def save_many(self, entities: Sequence[E]) -> None:
        """Stage many changed aggregates (versions checked at commit)."""
        for entity in entities:
            self._tx.save(self.table, entity)


def _upsert(table: _Table[E], stored: E | None, incoming: E) -> UpsertCounts:
    if stored is None:
        table.add(incoming)
        return UpsertCounts(created=1)
    merged = merge_import(stored, incoming)  # type: ignore[type-var]
    if merged is None:
        return UpsertCounts(unchanged=1)
    table.save(merged)
    return UpsertCounts(updated=1)


class MemoryLeadRepository(_Table[Lead]):
    """Leads in memory."""

    table = "leads"

    def get(self, lead_id: LeadId) -> Lead | None:
        return self._get(lead_id)

    def find_by_email(self, email: Email) -> Lead | None:
        return next((r for r in self._rows() if r.email == email), None)

    def find_many_by_email(self, emails: Collection[Email]) -> Sequence[Lead]:
        wanted = set(emails)
        if not wanted:
            return []
        return _page((r for r in self._rows() if r.email in wanted), None, 0, key=lambda r: r.id)

    def upsert_many(self, leads: Sequence[Lead]) -> UpsertCounts:
        total = UpsertCounts()
        for lead in leads:
            total += _upsert(self, self.find_by_email(lead.email), lead)
        return total

    def list(
        self,
        *,
        status: LeadStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Lead]:
        rows = (r for r in self._rows() if status is None or r.status == status)
        return _page(rows, limit, offset, key=lambda r: r.id, after=after)

    def count(self, *, status: LeadStatus | None = None) -> int:
        return sum(1 for r in self._rows() if status is None or r.status == status)


class MemoryContactRepository(_Table[Contact]):
    """Contacts in memory."""

    table = "contacts"

    def get(self, contact_id: ContactId) -> Contact | None:
        return self._get(contact_id)

    def _by_user_id(self, user_id: str) -> Contact | None:
        return next((r for r in self._rows() if r.user_id == user_id), None)

    def _by_email(self, email: Email) -> Contact | None:
        return next((r for r in self._rows() if r.email == email), None)

    def upsert_many(self, contacts: Sequence[Contact]) -> UpsertCounts:
        total = UpsertCounts()
        for contact in contacts:
            stored = self._by_user_id(contact.user_id) if contact.user_id else None
            if stored is None and contact.email is not None:
                stored = self._by_email(contact.email)
            total += _upsert(self, stored, contact)
        return total

    def keys_in_use(
        self, *, user_ids: Collection[str] = (), emails: Collection[str] = ()
    ) -> tuple[set[str], set[str]]:
        users, mails = set(user_ids), set(emails)
        rows = list(self._rows())
        return (
            {r.user_id for r in rows if r.user_id is not None and r.user_id in users},
            {r.email.value for r in rows if r.email is not None and r.email.value in mails},
        )

    def add_imported(self, contacts: Sequence[NewContact], *, at: datetime) -> None:
        self.add_many([contact_from_new(c, at=at) for c in contacts])

    def import_many(self, contacts: Sequence[NewContact], *, at: datetime) -> UpsertCounts:
        return self.upsert_many([contact_from_new(c, at=at) for c in contacts])

    def find_many(
        self,
        *,
        user_ids: Collection[str] = (),
        emails: Collection[Email] = (),
        phones: Collection[Phone] = (),
    ) -> Sequence[Contact]:
        users, mails, numbers = set(user_ids), set(emails), set(phones)
        if not (users or mails or numbers):
            return []
        rows = (
            r
            for r in self._rows()
            if (r.user_id is not None and r.user_id in users)
            or (r.email is not None and r.email in mails)
            or (r.phone is not None and r.phone in numbers)
        )
        return _page(rows, None, 0, key=lambda r: r.id)

    def find_versions(
        self,
        *,
        user_ids: Collection[str] = (),
        emails: Collection[Email] = (),
        phones: Collection[Phone] = (),
    ) -> dict[ContactId, int]:
        found = self.find_many(user_ids=user_ids, emails=emails, phones=phones)
        return {c.id: c.version for c in found}

    def get_many(self, contact_ids: Collection[ContactId]) -> Sequence[Contact]:
        found = (self._get(k) for k in set(contact_ids))
        return sorted((c for c in found if c is not None), key=lambda c: c.id)

    def headlines(
        self, contact_ids: Collection[ContactId], attributes: Sequence[str] = ()
    ) -> dict[ContactId, ContactHeadline]:
        return {
            c.id: ContactHeadline(
                id=c.id,
                name=c.name.full,
                email=c.email.value if c.email is not None else None,
                phone=c.phone.e164 if c.phone is not None else None,
                created_at=c.created_at,
                attributes={k: c.attributes[k] for k in attributes if k in c.attributes},
            )
            for c in self.get_many(contact_ids)
        }

    def touch_many(self, contacts: Sequence[Contact]) -> None:
        self.save_many(contacts)

    def list(
        self,
        *,
        account_id: AccountId | None = None,
        include_archived: bool = False,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Contact]:
        rows = (
            r
            for r in self._rows()
            if (account_id is None or r.account_id == account_id)
            and (include_archived or not r.archived)
        )
        return _page(rows, limit, offset, key=lambda r: r.id, after=after)

    def compared_values(self, attributes: Sequence[str] = ()) -> Sequence[ContactValues]:
        return [
            ContactValues(
                id=c.id,
                first_name=c.name.first,
                last_name=c.name.last,
                email=str(c.email) if c.email else None,
                phone=str(c.phone) if c.phone else None,
                attributes=tuple(c.attributes.get(a) for a in attributes),
            )
            for c in self.list()
        ]


class MemoryAccountRepository(_Table[Account]):
    """Accounts in memory."""

    table = "accounts"

    def get(self, account_id: AccountId) -> Account | None:
        return self._get(account_id)

    def find_by_name(self, name: str) -> Account | None:
        wanted = name.casefold()
        return next((r for r in self._rows() if r.name.casefold() == wanted), None)

    def list(
        self, *, limit: int | None = None, offset: int = 0, after: UUID | None = None
    ) -> Sequence[Account]:
        return _page(self._rows(), limit, offset, key=lambda r: r.id, after=after)

    def count(self) -> int:
        return sum(1 for _ in self._rows())


class MemoryDealRepository(_Table[Deal]):
    """Deals in memory."""

    table = "deals"

    def get(self, deal_id: DealId) -> Deal | None:
        return self._get(deal_id)

    def list(
        self,
        *,
        stage: DealStage | None = None,
        account_id: AccountId | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Deal]:
        rows = self._matching(stage, account_id)
        return _page(rows, limit, offset, key=lambda r: r.id, after=after)

    def count(self, *, stage: DealStage | None = None, account_id: AccountId | None = None) -> int:
        return sum(1 for _ in self._matching(stage, account_id))

    def _matching(self, stage: DealStage | None, account_id: AccountId | None) -> Iterator[Deal]:
        return (
            r
            for r in self._rows()
            if (stage is None or r.stage == stage)
            and (account_id is None or r.account_id == account_id)
        )


class MemoryActivityRepository(_Table[Activity]):
    """Activities in memory."""

    table = "activities"

    def get(self, activity_id: ActivityId) -> Activity | None:
        return self._get(activity_id)

    def list(
        self,
        *,
        lead_id: LeadId | None = None,
        contact_id: ContactId | None = None,
        deal_id: DealId | None = None,
        open_tasks_only: bool = False,
        due_before: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Activity]:
        rows = (
            r
            for r in self._rows()
            if (lead_id is None or r.lead_id == lead_id)
            and (contact_id is None or r.contact_id == contact_id)
            and (deal_id is None or r.deal_id == deal_id)
            and (not open_tasks_only or r.is_open_task)
            and (due_before is None or (r.due_at is not None and r.due_at < due_before))
        )
        return _page(rows, limit, offset, key=lambda r: r.id)
