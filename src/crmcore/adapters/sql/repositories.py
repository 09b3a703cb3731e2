"""SQL repositories: exactly the Protocols of ``ports.repositories``, over one session."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import attrs
from sqlalchemy import ColumnElement, Select, String, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY

from crmcore.adapters.sql import mapping as m
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.chunks import in_chunks
from crmcore.adapters.sql.session import SqlSession
from crmcore.domain.account import Account
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.contact import Contact, NewContact, contact_from_new
from crmcore.domain.email import Email
from crmcore.domain.ids import AccountId, ActivityId, ContactId, DealId, LeadId
from crmcore.domain.lead import Lead, LeadStatus
from crmcore.domain.merge import OWNED, merge_import
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from crmcore.domain.pipeline import Deal, DealStage, StageChange
from crmcore.ports.errors import DuplicateKey
from crmcore.ports.repositories import ContactHeadline, ContactValues, UpsertCounts

#: Rows per ``INSERT … ON CONFLICT … RETURNING`` of new contacts on PostgreSQL.
_INSERT_CHUNK = 1000

E = TypeVar("E", Lead, Contact, Account, Deal, Activity)


def _page(
    stmt: Select[Any], table: Table, limit: int | None, offset: int, after: UUID | None = None
) -> Select[Any]:
    if after is not None:
        stmt = stmt.where(table.c.id > after)
    stmt = stmt.order_by(table.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return stmt


class _Repo(Generic[E]):
    table: Table
    to_row: Callable[[E], dict[str, Any]]
    from_row: Callable[[Any], E]

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _entity(self, row: Any) -> E:
        entity = type(self).from_row(row)
        seen = self._s.seen_version(self.table, row["id"], row["version"])
        if seen != row["version"]:
            entity = attrs.evolve(entity, version=seen)
        return entity

    def _one(self, *where: ColumnElement[bool]) -> E | None:
        rows = self._s.read(select(self.table).where(*where).order_by(self.table.c.id).limit(1))
        return self._entity(rows[0]) if rows else None

    def _count(self, *where: ColumnElement[bool]) -> int:
        """Stored rows matching ``where``, counted by the database."""
        return int(self._s.scalar(select(func.count()).select_from(self.table).where(*where)))

    def _rows_where(
        self, column: str, values: Sequence[str], *, columns: Sequence[str] | None = None
    ) -> Sequence[Mapping[Any, Any]]:
        """Stored rows (``columns`` of them, default all) whose ``column`` is one of
        ``values``: one query, any count of values (SQLite reads them from one JSON
        array, PostgreSQL from one array)."""
        if not values:
            return []
        c = self.table.c
        if self._s.sqlite:
            keys = func.json_each(bindparam("keys", json.dumps(list(values)))).table_valued("value")
            wanted: ColumnElement[bool] = c[column].in_(select(keys.c.value))
        else:
            wanted = c[column] == any_(bindparam("keys", list(values), type_=ARRAY(String)))
        picked = [c[n] for n in columns] if columns else [self.table]
        return self._s.read(select(*picked).where(wanted))

    def _lookup(self, column: str, values: Sequence[str]) -> list[E]:
        """The stored entities whose ``column`` is one of ``values``."""
        return [self._entity(r) for r in self._rows_where(column, values)]

    def _many(self, stmt: Select[Any]) -> list[E]:
        return [self._entity(r) for r in self._s.read(stmt)]

    def add(self, entity: E) -> None:
        """Insert a new aggregate."""
        self._s.insert_entity(self.table, type(self).to_row(entity))

    def save(self, entity: E) -> None:
        """Update a changed aggregate; a stale version raises ``ConcurrentModification``."""
        self._s.update_entity(self.table, type(self).to_row(entity), entity.version)


class _BulkRepo(_Repo[E]):
    def add_many(self, entities: Sequence[E]) -> None:
        """Insert many new aggregates, one statement per batch."""
        self._s.insert_many(self.table, [type(self).to_row(e) for e in entities])

    def save_many(self, entities: Sequence[E]) -> None:
        """Update many changed aggregates in one statement; a stale version raises
        ``ConcurrentModification``."""
        self._s.update_versioned(self.table, [(type(self).to_row(e), e.version) for e in entities])


class _Upserter(Generic[E]):
    """The shared bulk-import algorithm: one lookup query per key, then batched writes.

    Incoming records are resolved in order against the stored rows and the records
    earlier in the same call, with ``merge_import`` deciding what changes, so the result
    (and the counts) equal those of doing it one by one.
    """

    def __init__(self, keys: Sequence[Callable[[E], object]]) -> None:
        self.keys: Sequence[Callable[[E], object]] = keys
        self.index: list[dict[object, E]] = [{} for _ in keys]
        self.new: dict[Any, E] = {}
        self.changed: dict[Any, tuple[E, int]] = {}
        self.created = self.updated = self.unchanged = 0

    @property
    def counts(self) -> UpsertCounts:
        return UpsertCounts(created=self.created, updated=self.updated, unchanged=self.unchanged)

    def known(self, entity: E) -> None:
        for idx, key in zip(self.index, self.keys, strict=True):
            value = key(entity)
            if value is not None:
                idx[value] = entity

    def _forget(self, entity: E) -> None:
        for idx, key in zip(self.index, self.keys, strict=True):
            value = key(entity)
            if value is not None and idx.get(value) is entity:
                del idx[value]

    def take(self, incoming: E) -> None:
        values = [key(incoming) for key in self.keys]
        stored: E | None = None
        for idx, value in zip(self.index, values, strict=True):
            if value is not None:
                stored = idx.get(value)
                if stored is not None:
                    break
        if stored is None:
            self.new[incoming.id] = incoming
            for idx, value in zip(self.index, values, strict=True):
                if value is not None:
                    idx[value] = incoming
            self.created += 1
            return
        merged = merge_import(stored, incoming)  # type: ignore[type-var]
        if merged is None:
            self.unchanged += 1
            return
        self._forget(stored)
        self.known(merged)
        if merged.id in self.new:
            self.new[merged.id] = merged
        else:
            read = self.changed[merged.id][1] if merged.id in self.changed else stored.version
            self.changed[merged.id] = (merged, read)
        self.updated += 1


class SqlLeadRepository(_BulkRepo[Lead]):
    """Leads in SQL."""

    table = t.leads
    to_row = staticmethod(m.lead_row)
    from_row = staticmethod(m.lead_from)

    def get(self, lead_id: LeadId) -> Lead | None:
        return self._one(t.leads.c.id == lead_id)

    def find_by_email(self, email: Email) -> Lead | None:
        return self._one(t.leads.c.email == email.value)

    def find_many_by_email(self, emails: Collection[Email]) -> Sequence[Lead]:
        found = self._lookup("email", list({e.value for e in emails}))
        return sorted(found, key=lambda x: x.id)

    def upsert_many(self, leads: Sequence[Lead]) -> UpsertCounts:
        up = _Upserter[Lead]([lambda x: x.email.value])
        for stored in self._lookup("email", list({x.email.value for x in leads})):
            up.known(stored)
        for lead in leads:
            up.take(lead)
        new = sorted(up.new.values(), key=lambda x: x.email.value)
        self._s.insert_many(t.leads, [m.lead_row(x) for x in new])
        self._s.update_many(t.leads, [(m.lead_row(x), v) for x, v in up.changed.values()])
        return up.counts

    def list(
        self,
        *,
        status: LeadStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Lead]:
        stmt = select(t.leads).where(*_lead_filter(status))
        return self._many(_page(stmt, t.leads, limit, offset, after))

    def count(self, *, status: LeadStatus | None = None) -> int:
        return self._count(*_lead_filter(status))


def _lead_filter(status: LeadStatus | None) -> list[ColumnElement[bool]]:
    return [] if status is None else [t.leads.c.status == status.value]


def _imported(c: NewContact) -> NewContact:
    """A new contact with its enums as their values (SQLite binds them as they are)."""
    return c._replace(
        role=c.role.value if c.role else None,  # type: ignore[arg-type]
        preferred_channel=c.preferred_channel.value if c.preferred_channel else None,  # type: ignore[arg-type]
    )


#: The columns a re-import may change: those of Contact's fields that ``merge_import``
#: does not skip (``OWNED``), read from ``attrs.fields(Contact)`` so that a new field is
#: compared too; a field stored in several columns is spelled out here.
_COLUMNS_OF = {"name": ("first_name", "last_name")}
IMPORTED_COLUMNS = tuple(
    column
    for field in attrs.fields(Contact)
    if field.name not in OWNED[Contact]
    for column in _COLUMNS_OF.get(field.name, (field.name,))
)
if not set(IMPORTED_COLUMNS) <= set(NewContact._fields):  # pragma: no cover - a new field
    missing = sorted(set(IMPORTED_COLUMNS) - set(NewContact._fields))
    raise TypeError(f"NewContact does not carry the imported columns {missing}")
_imported_values = operator.attrgetter(*IMPORTED_COLUMNS)


def _unchanged(row: Mapping[Any, Any], c: NewContact) -> bool:
    """Whether ``merge_import`` of the contact ``c`` stands for into the stored ``row``
    changes nothing: every column ``c`` fills (not ``None``, not ``{}``) equals the stored one."""
    for column, value in zip(IMPORTED_COLUMNS, _imported_values(c), strict=True):
        if value is not None and value != {} and value != row[column]:
            return False
    return True


def _picked(document: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """Those of ``keys`` that ``document`` has, with their values."""
    return {k: document[k] for k in keys if k in document}


#: The columns of a :class:`ContactHeadline` (its asked attributes aside).
_HEADLINE = ("id", "first_name", "last_name", "email", "phone", "created_at")


class SqlContactRepository(_BulkRepo[Contact]):
    """Contacts in SQL."""

    table = t.contacts
    to_row = staticmethod(m.contact_row)
    from_row = staticmethod(m.contact_from)

    def add_many(self, entities: Sequence[Contact]) -> None:
        """Insert new contacts; ``DuplicateKey`` when a user id or e-mail is taken.

        PostgreSQL inserts with ``INSERT … ON CONFLICT DO NOTHING RETURNING id``: when
        another worker stored a contact with the same user id or e-mail since ours was
        matched, the database raises nothing (no aborted transaction, no error logged by
        the server) and the contacts not inserted are reported, so the caller redoes just
        that part and then matches the other worker's contact.
        """
        if self._s.sqlite or not entities:
            super().add_many(entities)
            return
        stmt = postgresql.insert(t.contacts).on_conflict_do_nothing().returning(t.contacts.c.id)
        values = [{**type(self).to_row(e), "version": 1} for e in entities]
        ids: set[Any] = set()
        for start in range(0, len(values), _INSERT_CHUNK):
            chunk = values[start : start + _INSERT_CHUNK]
            result = self._s.write(
                lambda c=chunk: self._s.conn.execute(stmt, c),  # type: ignore[misc]
                table=t.contacts,
            )
            ids.update(r[0] for r in result.fetchall())
        for key in ids:
            self._s.touched[(t.contacts.name, key)] = (0, 1)
        for e in entities:
            if e.id not in ids:
                field, value = (
                    ("user_id", e.user_id) if e.user_id is not None else ("email", e.email)
                )
                raise DuplicateKey("contact", field, value)

    def get(self, contact_id: ContactId) -> Contact | None:
        return self._one(t.contacts.c.id == contact_id)

    def find_many(
        self,
        *,
        user_ids: Collection[str] = (),
        emails: Collection[Email] = (),
        phones: Collection[Phone] = (),
    ) -> Sequence[Contact]:
        found = {r["id"]: r for r in self._keyed_rows(user_ids, emails, phones)}
        return [self._entity(found[k]) for k in sorted(found)]

    def find_versions(
        self,
        *,
        user_ids: Collection[str] = (),
        emails: Collection[Email] = (),
        phones: Collection[Phone] = (),
    ) -> dict[ContactId, int]:
        rows = self._keyed_rows(user_ids, emails, phones, columns=("id", "version", "email"))
        return {r["id"]: self._s.seen_version(t.contacts, r["id"], r["version"]) for r in rows}

    def _keyed_rows(
        self,
        user_ids: Collection[str],
        emails: Collection[Email],
        phones: Collection[Phone],
        columns: Sequence[str] | None = None,
    ) -> list[Mapping[Any, Any]]:
        """The stored rows of the contacts of the user ids, of the e-mails those do not
        hold (e-mails are unique: no second look) and of the phones."""
        rows = list(self._rows_where("user_id", list(set(user_ids)), columns=columns))
        held = {r["email"] for r in rows if r["email"] is not None}
        rows += self._rows_where("email", list({e.value for e in emails} - held), columns=columns)
        rows += self._rows_where("phone", list({p.e164 for p in phones}), columns=columns)
        return rows

    def get_many(self, contact_ids: Collection[ContactId]) -> Sequence[Contact]:
        ids = list(set(contact_ids))
        c = t.contacts.c
        found = [
            x
            for chunk in in_chunks(ids)
            for x in self._many(select(t.contacts).where(c.id.in_(chunk)))
        ]
        return sorted(found, key=lambda x: x.id)

    def headlines(
        self, contact_ids: Collection[ContactId], attributes: Sequence[str] = ()
    ) -> dict[ContactId, ContactHeadline]:
        ids = list(set(contact_ids))
        # the attributes document whole, its keys picked here (``->`` on PostgreSQL
        # refuses a stored ``\u0000``, which the JSON column keeps)
        columns = _HEADLINE + (("attributes",) if attributes else ())
        rows: list[Mapping[Any, Any]] = []
        c = t.contacts.c
        for chunk in in_chunks(ids):
            rows += self._s.read(select(*(c[n] for n in columns)).where(c.id.in_(chunk)))
        return {
            ContactId(r["id"]): ContactHeadline(
                id=ContactId(r["id"]),
                name=PersonName(r["first_name"], r["last_name"]).full,
                email=r["email"],
                phone=r["phone"],
                created_at=r["created_at"],
                attributes=_picked(r["attributes"] or {}, attributes) if attributes else {},
            )
            for r in rows
        }

    def touch_many(self, contacts: Sequence[Contact]) -> None:
        self._s.update_versioned(t.contacts, [({"id": c.id}, c.version) for c in contacts])

    def _upserter(
        self, user_ids: Iterable[str | None], emails: Iterable[str | None]
    ) -> _Upserter[Contact]:
        """An upserter that knows every stored contact with one of these keys."""
        up = _Upserter[Contact](
            [lambda x: x.user_id, lambda x: x.email.value if x.email is not None else None]
        )
        for column, values in (("user_id", user_ids), ("email", emails)):
            wanted = list({v for v in values if v is not None})
            for stored in self._lookup(column, wanted):
                up.known(stored)
        return up

    def upsert_many(self, contacts: Sequence[Contact]) -> UpsertCounts:
        up = self._upserter(
            (x.user_id for x in contacts),
            (x.email.value if x.email is not None else None for x in contacts),
        )
        for contact in contacts:
            up.take(contact)
        new = sorted(up.new.values(), key=lambda x: x.email.value if x.email is not None else "")
        self._s.insert_many(t.contacts, [m.contact_row(x) for x in new])
        self._s.update_many(t.contacts, [(m.contact_row(x), v) for x, v in up.changed.values()])
        return up.counts

    def import_many(self, contacts: Sequence[NewContact], *, at: datetime) -> UpsertCounts:
        # Stored contacts are read as rows; one becomes an entity (in the upserter) only
        # when an incoming row would change it, so re-importing a file costs row reads.
        stored_users: dict[str, Mapping[Any, Any]] = {}
        stored_emails: dict[str, Mapping[Any, Any]] = {}
        for column in ("user_id", "email"):
            wanted = {getattr(x, column) for x in contacts} - {None}
            for found in self._rows_where(column, list(wanted)):
                if found["user_id"] is not None:
                    stored_users[found["user_id"]] = found
                if found["email"] is not None:
                    stored_emails[found["email"]] = found
        up = _Upserter[Contact](
            [lambda x: x.user_id, lambda x: x.email.value if x.email is not None else None]
        )
        users, emails = up.index
        held: set[Any] = set()  # ids of stored contacts now in the upserter
        fresh: dict[ContactId, NewContact] = {}
        fresh_users: dict[str, ContactId] = {}
        fresh_emails: dict[str, ContactId] = {}
        unchanged = 0
        for new in contacts:
            user, email = new.user_id, new.email
            row_u = stored_users.get(user) if user is not None else None
            row_e = stored_emails.get(email) if email is not None else None
            row: Mapping[Any, Any] | None = row_u if row_u is not None else row_e
            taken = (user is not None and user in users) or (email is not None and email in emails)
            if row is not None and not taken and row["id"] not in held and _unchanged(row, new):
                unchanged += 1
                continue
            for match in (row_u, row_e):
                if match is not None and match["id"] not in held:
                    held.add(match["id"])
                    up.known(self._entity(match))
            by_user = fresh_users.get(user) if user is not None else None
            by_email = fresh_emails.get(email) if email is not None else None
            if row is None and not taken and by_user is None and by_email is None:
                fresh[new.id] = new
                if user is not None:
                    fresh_users[user] = new.id
                if email is not None:
                    fresh_emails[email] = new.id
                continue
            # A row that meets an earlier one of this call: the earlier ones become
            # entities in the upserter, which merges exactly as upsert_many does.
            for earlier_id in (by_user, by_email):
                if earlier_id is not None and earlier_id in fresh:
                    earlier = contact_from_new(fresh.pop(earlier_id), at=at)
                    up.new[earlier_id] = earlier
                    up.known(earlier)
                    up.created += 1
            up.take(contact_from_new(new, at=at))
        self.add_imported(list(fresh.values()), at=at)
        self._s.insert_many(t.contacts, [m.contact_row(x) for x in up.new.values()])
        self._s.update_many(t.contacts, [(m.contact_row(x), v) for x, v in up.changed.values()])
        return up.counts + UpsertCounts(created=len(fresh), unchanged=unchanged)

    def keys_in_use(
        self, *, user_ids: Collection[str] = (), emails: Collection[str] = ()
    ) -> tuple[set[str], set[str]]:
        users, mails = (
            {r[column] for r in self._rows_where(column, list(set(values)), columns=(column,))}
            for column, values in (("user_id", user_ids), ("email", emails))
        )
        return users, mails

    def add_imported(self, contacts: Sequence[NewContact], *, at: datetime) -> None:
        if not contacts:
            return
        # Every new contact shares all but the imported columns: map one entity, then
        # fill in the rest, so the stored rows are exactly what add_many would write.
        template = m.contact_row(contact_from_new(contacts[0], at=at))
        if len(contacts) >= 10_000:
            self._s.defer_checkpoints()
        # NewContact's fields are named and ordered as the contacts columns they fill
        rows = contacts if self._s.sqlite else [_imported(c) for c in contacts]
        self._s.insert_like(t.contacts, template, NewContact._fields, rows)

    def list(
        self,
        *,
        account_id: AccountId | None = None,
        include_archived: bool = False,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Contact]:
        stmt = select(t.contacts)
        if account_id is not None:
            stmt = stmt.where(t.contacts.c.account_id == account_id)
        if not include_archived:
            stmt = stmt.where(t.contacts.c.archived.is_(False))
        return self._many(_page(stmt, t.contacts, limit, offset, after))

    def compared_values(self, attributes: Sequence[str] = ()) -> Sequence[ContactValues]:
        # the attributes document whole, its keys picked here (PostgreSQL's ``->`` refuses
        # a stored ``\u0000``, which the JSON column keeps)
        c = t.contacts.c
        extra = (c.attributes,) if attributes else ()
        stmt = (
            select(c.id, c.first_name, c.last_name, c.email, c.phone, *extra)
            .where(c.archived.is_(False))
            .order_by(c.id)
        )
        with self._s.translating():
            rows = self._s.conn.execute(stmt).all()
        return [
            ContactValues(
                ContactId(r[0]),
                r[1],
                r[2],
                r[3],
                r[4],
                tuple((r[5] or {}).get(a) for a in attributes) if attributes else (),
            )
            for r in rows
        ]


class SqlAccountRepository(_Repo[Account]):
    """Accounts in SQL."""

    table = t.accounts
    to_row = staticmethod(m.account_row)
    from_row = staticmethod(m.account_from)

    def get(self, account_id: AccountId) -> Account | None:
        return self._one(t.accounts.c.id == account_id)

    def find_by_name(self, name: str) -> Account | None:
        return self._one(t.accounts.c.name_key == name.casefold())

    def list(
        self, *, limit: int | None = None, offset: int = 0, after: UUID | None = None
    ) -> Sequence[Account]:
        return self._many(_page(select(t.accounts), t.accounts, limit, offset, after))

    def count(self) -> int:
        return self._count()


class SqlDealRepository(_Repo[Deal]):
    """Deals in SQL; the stage history lives in ``deal_stage_history``."""

    table = t.deals
    to_row = staticmethod(m.deal_row)

    def _load(self, stmt: Select[Any]) -> list[Deal]:
        rows = self._s.read(stmt)
        if not rows:
            return []
        sub = stmt.with_only_columns(t.deals.c.id).subquery()
        h = t.deal_stage_history
        histories: dict[Any, list[StageChange]] = {}
        for row in self._s.read(
            select(h).where(h.c.deal_id.in_(select(sub.c.id))).order_by(h.c.deal_id, h.c.seq)
        ):
            histories.setdefault(row["deal_id"], []).append(m.change_from(row))
        deals = []
        for row in rows:
            deal = m.deal_from(row, histories.get(row["id"], ()))
            seen = self._s.seen_version(t.deals, row["id"], row["version"])
            if seen != deal.version:
                deal = attrs.evolve(deal, version=seen)
            deals.append(deal)
        return deals

    def get(self, deal_id: DealId) -> Deal | None:
        found = self._load(select(t.deals).where(t.deals.c.id == deal_id))
        return found[0] if found else None

    def add(self, deal: Deal) -> None:
        super().add(deal)
        rows = m.history_rows(deal.id, deal.history, 0)
        if rows:
            self._s.write(
                lambda: self._s.conn.execute(t.deal_stage_history.insert(), rows),
                table=t.deal_stage_history,
            )

    def save(self, deal: Deal) -> None:
        super().save(deal)
        h = t.deal_stage_history
        stored = self._s.scalar(select(func.count()).select_from(h).where(h.c.deal_id == deal.id))
        rows = m.history_rows(deal.id, deal.history, int(stored or 0))
        if rows:
            self._s.write(lambda: self._s.conn.execute(h.insert(), rows), table=h)

    def list(
        self,
        *,
        stage: DealStage | None = None,
        account_id: AccountId | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: UUID | None = None,
    ) -> Sequence[Deal]:
        stmt = select(t.deals).where(*_deal_filter(stage, account_id))
        return self._load(_page(stmt, t.deals, limit, offset, after))

    def count(self, *, stage: DealStage | None = None, account_id: AccountId | None = None) -> int:
        return self._count(*_deal_filter(stage, account_id))


def _deal_filter(
    stage: DealStage | None, account_id: AccountId | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if stage is not None:
        where.append(t.deals.c.stage == stage.value)
    if account_id is not None:
        where.append(t.deals.c.account_id == account_id)
    return where


class SqlActivityRepository(_BulkRepo[Activity]):
    """Activities and tasks in SQL."""

    table = t.activities
    to_row = staticmethod(m.activity_row)
    from_row = staticmethod(m.activity_from)

    def get(self, activity_id: ActivityId) -> Activity | None:
        return self._one(t.activities.c.id == activity_id)

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
        c = t.activities.c
        stmt = select(t.activities)
        if lead_id is not None:
            stmt = stmt.where(c.lead_id == lead_id)
        if contact_id is not None:
            stmt = stmt.where(c.contact_id == contact_id)
        if deal_id is not None:
            stmt = stmt.where(c.deal_id == deal_id)
        if open_tasks_only:
            stmt = stmt.where(c.type == ActivityType.TASK.value, c.completed_at.is_(None))
        if due_before is not None:
            stmt = stmt.where(c.due_date.is_not(None), c.due_date < due_before)
        return self._many(_page(stmt, t.activities, limit, offset))
