"""Migrations: from empty and from every earlier revision, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text

from crmcore import Settings, bootstrap, capture_lead
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql import tables as t
from crmcore.adapters.sql.engine import make_engine
from crmcore.adapters.sql.migrate import SchemaMismatch
from crmcore.adapters.sql.tables import metadata
from crmcore.adapters.sql.uow import SqlUnitOfWork
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.domain.contact import Contact
from crmcore.domain.facts import fact_key
from crmcore.domain.ids import ContactId
from crmcore.domain.money import Money
from crmcore.domain.names import PersonName
from crmcore.domain.transaction import Transaction, TransactionId
from tests.conftest import PG_URL, require_service
from tests.databases import fresh_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_postgres(PG_URL, prefix="crmcore_storage_mig") as url:
        yield url


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    eng = make_engine(empty_url)
    yield eng
    eng.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def test_upgrade_from_empty_gives_exactly_the_declared_schema(engine: Engine) -> None:
    assert migrate.current(engine) is None
    assert migrate.upgrade(engine) == migrate.head()
    assert _differences(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)


@pytest.mark.parametrize("start", migrate.revisions()[:-1])
def test_upgrade_from_each_earlier_revision_keeps_data(engine: Engine, start: str) -> None:
    migrate.upgrade(engine, start)
    assert migrate.current(engine) == start
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, name_key, type, attributes, created_at,"
                " updated_at, version) VALUES (:id, 'Acme', 'acme', 'corporation', '{}',"
                " :at, :at, 1)"
            ),
            {"id": "0" * 31 + "1", "at": "2026-01-01 00:00:00"},
        )
    assert migrate.upgrade(engine) == migrate.head()
    assert _differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM accounts")).scalar() == "Acme"


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert migrate.current(engine) is None
    assert not set(inspect(engine).get_table_names()) & set(metadata.tables)
    migrate.upgrade(engine)
    assert _differences(engine) == []


def test_a_database_newer_than_the_code_is_refused(engine: Engine, empty_url: str) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaMismatch, match="newer than this version of crmcore"):
        migrate.upgrade(engine)
    with pytest.raises(SchemaMismatch, match="9999_future"):
        bootstrap(Settings(db_url=empty_url))


def test_a_new_sqlite_file_is_upgraded_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    app = bootstrap(Settings(db_url=url))
    assert capture_lead(app, email="first@example.com", first_name="First").unwrap()
    eng = make_engine(url)
    assert migrate.current(eng) == migrate.head()
    eng.dispose()


def test_postgres_not_upgraded_is_refused_with_the_command_to_run() -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with (
        fresh_postgres(PG_URL, prefix="crmcore_storage_mig") as url,
        pytest.raises(SchemaMismatch, match="crm --db URL db upgrade"),
    ):
        bootstrap(Settings(db_url=url))


def _crm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from crmcore.app.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_cli_db_upgrade_and_current(empty_url: str) -> None:
    before = _crm("--db", empty_url, "db", "current")
    assert before.returncode == 0
    assert "(none)" in before.stdout
    up = _crm("--db", empty_url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    assert migrate.head() in up.stdout
    after = _crm("--db", empty_url, "db", "current")
    assert "up to date" in after.stdout


def test_cli_db_refuses_an_unreachable_database_with_one_line() -> None:
    result = _crm("--db", "postgresql+psycopg://postgres@127.0.0.1:1/none", "db", "current")
    assert result.returncode == 4  # storage unavailable (docs/cli.md)
    assert result.stderr.startswith("error: cannot read")
    assert "Traceback" not in result.stderr


def test_the_rfm_summary_is_backfilled_kept_by_triggers_and_dropped(engine: Engine) -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ids = SequentialIds(seed=3)

    def store(*bought: tuple[ContactId, int, str]) -> None:
        """Through the repository at the newest revision (the code's write path: a
        statement trigger on PostgreSQL, the adapter's grouped upsert on SQLite since
        0018), by a plain insert below it (the code needs the newest schema)."""
        if migrate.current(engine) == migrate.head():
            with SqlUnitOfWork(engine, clock=FixedClock(at), ids=ids) as uow:
                for customer, day, amount in bought:
                    key = ids.new()
                    uow.transactions.add(
                        Transaction(
                            id=TransactionId(key),
                            customer=customer,
                            occurred_at=at.replace(day=day),
                            amount=Money(Decimal(amount), "EUR"),
                            external_id=str(key),
                        )
                    )
                uow.commit()
            return
        with engine.begin() as conn:
            for customer, day, amount in bought:
                key = ids.new()
                conn.execute(
                    insert(t.transactions).values(
                        id=key,
                        contact_id=customer,
                        occurred_at=at.replace(day=day),
                        amount=Decimal(amount),
                        currency="EUR",
                        external_id=str(key),
                        created_at=at,
                    )
                )

    def summary() -> dict[ContactId, tuple[int, int, int, Decimal]]:
        r = t.customer_rfm.c
        with engine.connect() as conn:
            rows = conn.execute(
                select(r.contact_id, r.frequency, r.first_at, r.last_at, r.monetary)
            )
            return {c: (n, f.day, la.day, m) for c, n, f, la, m in rows}

    migrate.upgrade(engine, "0006_clv")
    ann, bob = ContactId(ids.new()), ContactId(ids.new())
    with SqlUnitOfWork(engine, clock=FixedClock(at), ids=ids) as uow:
        for person, name in ((ann, "ann"), (bob, "bob")):
            uow.contacts.add(
                Contact(id=person, name=PersonName(name, ""), created_at=at, updated_at=at)
            )
        uow.commit()
    store((ann, 3, "10"), (ann, 1, "2.50"), (bob, 2, "7"))
    assert migrate.upgrade(engine) == migrate.head()
    assert summary() == {ann: (2, 1, 3, Decimal("12.5")), bob: (1, 2, 2, Decimal("7"))}
    store((bob, 9, "1.25"))
    assert summary()[bob] == (2, 2, 9, Decimal("8.25"))
    migrate.downgrade(engine, "0006_clv")
    assert "customer_rfm" not in inspect(engine).get_table_names()
    store((ann, 4, "1"))  # no trigger left behind


def test_sqlite_summary_triggers_recompute_totals_past_the_integer_range(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'big.db'}")
    migrate.upgrade(engine)
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ids = SequentialIds(seed=5)
    ann = ContactId(ids.new())
    top = Decimal("999999999999999.9999")  # 10^19 ten-thousandths: past 2**63
    with SqlUnitOfWork(engine, clock=FixedClock(at), ids=ids) as uow:
        uow.contacts.add(Contact(id=ann, name=PersonName("ann", ""), created_at=at, updated_at=at))
        for amount in (top, top, Decimal(1)):
            key = ids.new()
            uow.transactions.add(
                Transaction(
                    id=TransactionId(key),
                    customer=ann,
                    occurred_at=at,
                    amount=Money(amount, "EUR"),
                    external_id=str(key),
                )
            )
        uow.commit()
    with engine.begin() as conn:  # the delete trigger recomputes from what is left
        conn.execute(text("DELETE FROM transactions WHERE amount = '1'"))
        (monetary,) = conn.execute(text("SELECT monetary FROM customer_rfm")).one()
    assert abs(Decimal(monetary) / 10_000 - 2 * top) < 1
    engine.dispose()


def test_pipeline_facts_keep_their_rows_and_keys_across_0008(engine: Engine) -> None:
    rows = [
        ("e1", "purchase", "", '{"amount": "10", "currency": "EUR"}'),
        ("e1", "loyalty", "nps", "7"),
        ("e2", "engagement", "email_opened", None),
    ]

    def insert(with_id: bool) -> None:
        with engine.begin() as conn:
            for event_id, kind, name, value in rows:
                key = {"id": fact_key(kind, event_id, name).hex} if with_id else {}
                columns = ", ".join([*key, "contact_id", "event_id", "kind", "name", "value"])
                conn.execute(
                    text(
                        f"INSERT INTO pipeline_facts ({columns}, occurred_at) VALUES"
                        f" ({', '.join(':' + c.strip() for c in columns.split(','))}, :at)"
                    ),
                    {
                        **key,
                        "contact_id": "0" * 31 + "9",
                        "event_id": event_id,
                        "kind": kind,
                        "name": name,
                        "value": value,
                        "at": "2026-01-01 00:00:00",
                    },
                )

    def stored() -> list[tuple[str, str, str]]:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT event_id, kind, name FROM pipeline_facts"))
            return sorted((e, k, n) for e, k, n in found)

    migrate.upgrade(engine, "0007_customer_rfm")
    insert(with_id=True)
    assert migrate.upgrade(engine) == migrate.head()
    assert _differences(engine) == []
    assert stored() == sorted(r[:3] for r in rows)
    migrate.downgrade(engine, "0007_customer_rfm")
    with engine.connect() as conn:
        ids = {
            (e, k, n): i
            for i, e, k, n in conn.execute(
                text("SELECT id, event_id, kind, name FROM pipeline_facts")
            )
        }
    assert {key: UUID(str(i)) for key, i in ids.items()} == {
        (e, k, n): fact_key(k, e, n) for e, k, n, _ in rows
    }


def test_the_newest_migration_file_holds_alembics_head() -> None:
    """Every command checks the schema against the highest-numbered migration file without
    loading Alembic; that file must hold the head, and the files number the chain."""
    assert migrate.newest_file_revision() == migrate.head()
    files = sorted((migrate.MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert len(files) == len(migrate.revisions())


def test_a_database_behind_the_newest_file_is_not_taken_as_current(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        migrate.upgrade(engine, migrate.revisions()[-2])
        with pytest.raises(SchemaMismatch, match="crm --db URL db upgrade"):
            migrate.ensure_schema(engine, auto_upgrade=False)
        migrate.ensure_schema(engine, auto_upgrade=True)
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()
