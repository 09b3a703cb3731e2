"""SQLite ``find_versions`` (the user ids first, then the e-mails they do not hold or the
phones) finds what the one query with the three keys OR-ed finds, in the same order."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.repositories import SqlContactRepository
from crmcore.adapters.sql.session import SqlSession
from crmcore.adapters.sql.sqlite.converters import read_uuid
from crmcore.domain.contact import Contact
from crmcore.domain.email import Email
from crmcore.domain.ids import ContactId
from crmcore.domain.names import PersonName
from crmcore.domain.phone import Phone
from tests.databases import migrated_sqlite_template

_OR_ED = (
    "SELECT id, version FROM contacts"
    " WHERE user_id IN (SELECT value FROM json_each(?))"
    " OR email IN (SELECT value FROM json_each(?))"
    " OR phone IN (SELECT value FROM json_each(?))"
)
_USERS = [f"u-{i}" for i in range(12)]
_EMAILS = [f"c{i}@example.com" for i in range(12)]
_PHONES = ["+79001234567", "+79007654321", "+79005550000"]


@pytest.fixture(scope="module")
def contacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlContactRepository]:
    """Contacts with some of the keys each, phones shared, ids in no particular order."""
    engine = make_engine(f"sqlite:///{migrated_sqlite_template(tmp_path_factory.mktemp('fv'))}")
    now = datetime(2026, 1, 5, tzinfo=UTC)
    rng = random.Random(7)
    with engine.connect() as conn:
        repo = SqlContactRepository(SqlSession(conn))
        repo.add_many(
            [
                Contact(
                    id=ContactId(UUID(int=rng.getrandbits(128))),
                    name=PersonName("Bo", "Ng"),
                    user_id=_USERS[i] if i % 3 else None,
                    email=Email(_EMAILS[i]) if i % 4 != 1 else None,
                    phone=Phone(_PHONES[i % 4]) if i % 4 != 3 else None,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(len(_USERS))
            ]
        )
        repo._s.touched.clear()  # read as a fresh unit of work would
        yield repo
    engine.dispose()


_keys = st.sets(st.sampled_from([*_USERS, "u-none"]))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    _keys,
    st.sets(st.sampled_from([*_EMAILS, "none@example.com"])),
    st.sets(st.sampled_from([*_PHONES, "+79000000000"])),
)
def test_the_versions_and_their_order_are_those_of_the_or_ed_query(
    contacts: SqlContactRepository, user_ids: set[str], emails: set[str], phones: set[str]
) -> None:
    conn = contacts._s.conn
    params = tuple(json.dumps(list(keys)) for keys in (user_ids, emails, phones))
    expected = [
        (ContactId(read_uuid(key)), version)
        for key, version in conn.exec_driver_sql(_OR_ED, params).fetchall()
    ]
    found = contacts._sqlite_find_versions(set(user_ids), set(emails), set(phones))
    assert list(found.items()) == expected
