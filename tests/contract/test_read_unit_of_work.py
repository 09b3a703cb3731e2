"""``context.read``: list and show pages read through ``App.reader`` (on PostgreSQL a
read-only unit of work over an autocommit connection). It sees what was committed, and
a write inside it is never stored."""

from __future__ import annotations

import uuid

import attrs
import pytest
from returns.result import Result, Success
from sqlalchemy import text

from crmcore.app.context import App, read
from crmcore.app.errors import AppError, NotFound
from crmcore.app.sales.contacts import create_contact, get_contact, list_contacts
from crmcore.domain.contact import Contact
from crmcore.domain.ids import ContactId
from crmcore.ports.uow import UnitOfWork
from tests.contract.conftest import Backend


def test_read_sees_committed_rows_as_transact_does(backend_app: App) -> None:
    made = [
        create_contact(backend_app, first_name=f"R{n}", email=f"r{n}@example.com").unwrap()
        for n in range(3)
    ]
    listed = list_contacts(backend_app, limit=2).unwrap()
    assert [c.id for c in listed] == [c.id for c in made[:2]]
    after = list_contacts(backend_app, limit=5, after=made[0].id).unwrap()
    assert [c.id for c in after] == [c.id for c in made[1:]]
    assert get_contact(backend_app, made[2].id).unwrap() == attrs.evolve(made[2], version=1)
    unknown = ContactId(uuid.uuid4())
    assert get_contact(backend_app, unknown).failure() == NotFound(kind="contact", key=str(unknown))


def test_a_write_inside_read_is_never_stored(backend_app: App) -> None:
    kept = create_contact(backend_app, first_name="Kept", email="kept@example.com").unwrap()
    other = attrs.evolve(kept, id=ContactId(uuid.uuid4()), email=None)

    def sneaky(uow: UnitOfWork) -> Result[Contact, AppError]:
        uow.contacts.add(other)
        return Success(other)

    if backend_app.reader is None:  # memory and SQLite: a read rolls back
        read(backend_app, sneaky)
    else:  # the SQL read unit of work refuses to write (autocommit would keep it)
        with pytest.raises(RuntimeError, match="does not write"):
            read(backend_app, sneaky)
    assert [c.id for c in list_contacts(backend_app).unwrap()] == [kept.id]


def test_commit_inside_read_is_refused_or_ignored(backend_app: App) -> None:
    def commits(uow: UnitOfWork) -> Result[None, AppError]:
        uow.commit()
        return Success(None)

    if backend_app.reader is None:
        pytest.skip("no separate read unit of work on this backend")
    with pytest.raises(RuntimeError, match="does not commit"):
        read(backend_app, commits)


def test_a_read_survives_its_pooled_connection_being_dropped(
    backend: Backend, backend_app: App
) -> None:
    """The read connections are not pinged: a read whose connection the server dropped
    (a restart, an idle timeout) runs once more on a fresh one."""
    if backend_app.reader is None or backend.engine is None:
        pytest.skip("no separate read unit of work on this backend")
    made = create_contact(backend_app, first_name="Kept", email="kept@example.com").unwrap()
    assert [c.id for c in list_contacts(backend_app).unwrap()] == [made.id]  # pools one
    with backend.engine.connect() as admin:
        dropped = admin.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert dropped >= 1
    assert [c.id for c in list_contacts(backend_app).unwrap()] == [made.id]
    assert get_contact(backend_app, made.id).unwrap().id == made.id
