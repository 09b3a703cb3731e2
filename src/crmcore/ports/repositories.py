"""Repositories, one small Protocol per aggregate.

``add`` stores a new aggregate (version 0 → 1); ``save`` stores a changed one and raises
``ConcurrentModification`` when the stored version is not the one that was read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

import attrs

from crmcore.domain.account import Account
from crmcore.domain.activity import Activity
from crmcore.domain.contact import Contact, NewContact
from crmcore.domain.email import Email
from crmcore.domain.ids import AccountId, ActivityId, ContactId, DealId, LeadId
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal, DealStage


@attrs.frozen(kw_only=True)
class UpsertCounts:
    """What a bulk upsert did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
        )


@attrs.frozen(kw_only=True)
class ContactHeadline:
    """A contact read without the rest of it: its full name, e-mail, phone (E.164),
    when it was created, and the attributes the caller asked for that it has (what a
    loyalty card shows; what health reads of hand-filled inputs)."""

    id: ContactId
    name: str
    email: str | None
    phone: str | None
    created_at: datetime
    attributes: Mapping[str, Any] = attrs.field(factory=dict)


class ContactValues(NamedTuple):
    """The values of one contact that duplicate detection compares, read without
    building the entity: ``attributes`` holds the requested attributes' stored values
    in the order asked (``None`` where absent)."""

    id: ContactId
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    attributes: tuple[object, ...]


class LeadRepository(Protocol):
    """Leads by id and by their unique e-mail."""

    def get(self, lead_id: LeadId) -> Lead | None: ...
    def find_by_email(self, email: Email) -> Lead | None: ...
    def find_many_by_email(self, emails: Collection[Email]) -> Sequence[Lead]:
        """The leads with one of these e-mails (one query where the store allows)."""
        ...

    def add(self, lead: Lead) -> None: ...
    def save(self, lead: Lead) -> None: ...
    def save_many(self, leads: Sequence[Lead]) -> None:
        """:meth:`save` for many leads at once; any stale one raises ``ConcurrentModification``."""
        ...

    def upsert_many(self, leads: Sequence[Lead]) -> UpsertCounts:
        """Bulk path for imports: insert new e-mails, update changed leads (by e-mail).

        The stored id, status, score, created_at and version of an existing lead are kept.
        """
        ...

    def list(
        self,
        *,
        status: LeadStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Lead]:
        """Leads in id (creation) order; ``after``: only ids greater (a keyset page)."""
        ...

    def count(self, *, status: LeadStatus | None = None) -> int:
        """How many rows :meth:`list` would give without a limit."""
        ...


class ContactRepository(Protocol):
    """Contacts by id, identity link, e-mail and phone."""

    def get(self, contact_id: ContactId) -> Contact | None: ...
    def find_many(
        self,
        *,
        user_ids: Collection[str] = (),
        emails: Collection[Email] = (),
        phones: Collection[Phone] = (),
    ) -> Sequence[Contact]:
        """Every contact with one of these user ids, e-mails or phones, once each, by id
        (user ids and e-mails are unique: one of them names one contact at most)."""
        ...

    def find_versions(
        self,
        *,
        user_ids: Collection[str] = (),
        emails: Collection[Email] = (),
        phones: Collection[Phone] = (),
    ) -> Mapping[ContactId, int]:
        """The id and stored version of every contact :meth:`find_many` would return:
        enough for a caller holding contacts to tell which ones changed."""
        ...

    def get_many(self, contact_ids: Collection[ContactId]) -> Sequence[Contact]:
        """The contacts with these ids (those that exist), by id."""
        ...

    def headlines(
        self, contact_ids: Collection[ContactId], attributes: Sequence[str] = ()
    ) -> Mapping[ContactId, ContactHeadline]:
        """:meth:`get_many`'s contacts as headlines (name, e-mail, phone, creation and
        those of ``attributes`` each has): the narrow read for a caller that needs no
        more."""
        ...

    def add(self, contact: Contact) -> None: ...
    def add_many(self, contacts: Sequence[Contact]) -> None:
        """:meth:`add` for many new contacts at once."""
        ...

    def save(self, contact: Contact) -> None: ...
    def save_many(self, contacts: Sequence[Contact]) -> None:
        """:meth:`save` for many contacts at once; any stale one raises
        ``ConcurrentModification``."""
        ...

    def touch_many(self, contacts: Sequence[Contact]) -> None:
        """Move the version of contacts whose fields did not change but whose derived
        data (their pipeline facts) did, exactly as :meth:`save_many` would; any stale
        one raises ``ConcurrentModification``."""
        ...

    def upsert_many(self, contacts: Sequence[Contact]) -> UpsertCounts:
        """Bulk path for imports: match by ``user_id``, else e-mail; insert or update.

        An existing contact keeps its id, created_at and version; unchanged rows are counted.
        """
        ...

    def keys_in_use(
        self, *, user_ids: Collection[str] = (), emails: Collection[str] = ()
    ) -> tuple[set[str], set[str]]:
        """Which of these user ids and (normalised) e-mails stored contacts hold."""
        ...

    def add_imported(self, contacts: Sequence[NewContact], *, at: datetime) -> None:
        """Insert new contacts straight from validated import values: the stored state
        of :meth:`add_many` of ``contact_from_new(c, at=at)`` for each, without building
        the entities. A taken user id or e-mail raises ``DuplicateKey`` (on SQL at once,
        in memory at commit)."""
        ...

    def import_many(self, contacts: Sequence[NewContact], *, at: datetime) -> UpsertCounts:
        """:meth:`upsert_many` of ``contact_from_new(c, at=at)`` for each, with the same
        outcome and counts, but rows that match nothing are stored without building
        their entities (the fast path of large imports)."""
        ...

    def list(
        self,
        *,
        account_id: AccountId | None = None,
        include_archived: bool = False,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Contact]:
        """Contacts in id (creation) order; ``after``: only ids greater (a keyset page)."""
        ...

    def compared_values(self, attributes: Sequence[str] = ()) -> Sequence[ContactValues]:
        """The compared values of every contact :meth:`list` would return, by id:
        one lean read of those columns, no entities built."""
        ...


class AccountRepository(Protocol):
    """Accounts by id and by name."""

    def get(self, account_id: AccountId) -> Account | None: ...
    def find_by_name(self, name: str) -> Account | None: ...
    def add(self, account: Account) -> None: ...
    def save(self, account: Account) -> None: ...
    def list(
        self, *, limit: int | None = None, offset: int = 0, after: UUID | None = None
    ) -> Sequence[Account]:
        """Accounts in id (creation) order; ``after``: only ids greater (a keyset page)."""
        ...

    def count(self) -> int:
        """How many accounts are stored."""
        ...


class DealRepository(Protocol):
    """Deals by id, stage and account."""

    def get(self, deal_id: DealId) -> Deal | None: ...
    def add(self, deal: Deal) -> None: ...
    def save(self, deal: Deal) -> None: ...
    def list(
        self,
        *,
        stage: DealStage | None = None,
        account_id: AccountId | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Deal]:
        """Deals in id (creation) order; ``after``: only ids greater (a keyset page)."""
        ...

    def count(self, *, stage: DealStage | None = None, account_id: AccountId | None = None) -> int:
        """How many rows :meth:`list` would give without a limit."""
        ...


class ActivityRepository(Protocol):
    """Activities and tasks."""

    def get(self, activity_id: ActivityId) -> Activity | None: ...
    def add(self, activity: Activity) -> None: ...
    def add_many(self, activities: Sequence[Activity]) -> None:
        """:meth:`add` for many new activities at once."""
        ...

    def save(self, activity: Activity) -> None: ...
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
    ) -> Sequence[Activity]: ...
