"""Properties of every reader and of the filter DSL under hostile values (issue 21).

Each example writes a file of valid lines mixed with extreme ones (dates at the ends of the
calendar with offsets, amounts of hundreds of digits or exponents, huge and broken cells,
lone surrogates, duplicate keys, deep and wide filters) and runs ``crm`` in process on a
SQLite file: the exit code is a documented one (0, or 3 with rejected lines; 0 or 2 for a
filter) and every valid line of the file is stored.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore.app.cli.main import cli
from crmcore.domain.filters import parse_filter
from tests.strategies import hostile_amounts, hostile_filters, hostile_instants, hostile_texts

_runs = itertools.count()
LAST = "behaviour.last_transaction_at"
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def crm(db: Path, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", *args], input=stdin)


def column(db: Path, sql: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {str(row[0]) for row in conn.execute(sql)}


def csv_text(rows: list[list[str]], terminator: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows(rows)
    return out.getvalue()


_hostile_transaction = st.one_of(
    st.tuples(st.just("c"), st.just("2024-01-01"), hostile_amounts),
    st.tuples(st.just("c"), hostile_instants, st.just("5")),
    st.tuples(hostile_texts, st.just("2024-01-01"), st.just("5")),
)


@EXAMPLES
@given(
    valid=st.integers(min_value=1, max_value=4),
    hostile=st.lists(_hostile_transaction, min_size=1, max_size=4),
    terminator=st.sampled_from(["\n", "\r\n", "\r"]),
    order=st.randoms(use_true_random=False),
)
def test_transactions_reader(
    tmp_path: Path,
    valid: int,
    hostile: list[tuple[str, str, str]],
    terminator: str,
    order: object,
) -> None:
    run = next(_runs)
    good = [[f"c{run}", "2024-02-01", "5", f"t{run}-{n}"] for n in range(valid)]
    bad = [[c, at, amount, f"h{run}-{n}"] for n, (c, at, amount) in enumerate(hostile)]
    rows = good + bad
    order.shuffle(rows)  # type: ignore[attr-defined]
    path = tmp_path / f"tx{run}.csv"
    header = [["customer_id", "occurred_at", "amount", "transaction_id"]]
    path.write_text(csv_text(header + rows, terminator), encoding="utf-8", newline="")
    db = tmp_path / "crm.db"
    done = crm(db, "import", "transactions", str(path))
    if any("\0" in cell for row in rows for cell in row):
        # a NUL byte is what makes a file binary (as grep decides): refused whole
        assert done.exit_code == 2, done.output
        assert "not a text CSV file" in done.output
        return
    assert done.exit_code in (0, 3), done.output
    stored = column(db, "SELECT external_id FROM transactions")
    assert {f"t{run}-{n}" for n in range(valid)} <= stored


_hostile_event = st.one_of(
    st.builds(lambda a: {"occurred_at": "2026-01-05T12:00:00+03:00", "amount": a}, hostile_amounts),
    st.builds(lambda at: {"occurred_at": at, "amount": "5"}, hostile_instants),
    st.builds(lambda i: {"id": i}, st.one_of(hostile_texts, st.just("\ud800"))),
    st.just({"duplicate": True}),
)


def _event(event_id: str, occurred_at: str, amount: str) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": "purchase",
            "occurred_at": occurred_at,
            "customer": {"phone": "8 900 123-45-61"},
            "data": {"amount": amount, "currency": "RUB"},
        }
    )


def _hostile_line(spec: dict[str, object], event_id: str) -> str:
    if spec.get("duplicate"):
        text = _event(event_id, "2026-01-05T12:00:00+03:00", "5")
        return text.replace('"type": "purchase"', '"type": "purchase", "type": "purchase"')
    return _event(
        str(spec.get("id", event_id)),
        str(spec.get("occurred_at", "2026-01-05T12:00:00+03:00")),
        str(spec.get("amount", "5")),
    )


@EXAMPLES
@given(
    valid=st.integers(min_value=1, max_value=4),
    hostile=st.lists(_hostile_event, min_size=1, max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_events_reader(
    tmp_path: Path, valid: int, hostile: list[dict[str, object]], order: object
) -> None:
    run = next(_runs)
    good = [_event(f"v{run}-{n}", "2026-01-05T12:00:00+03:00", "5") for n in range(valid)]
    lines = good + [_hostile_line(s, f"h{run}-{n}") for n, s in enumerate(hostile)]
    order.shuffle(lines)  # type: ignore[attr-defined]
    db = tmp_path / "crm.db"
    data = ("\n".join(lines) + "\n").encode("utf-8", errors="surrogatepass")
    done = crm(db, "events", "ingest", "-", stdin=data)
    assert done.exit_code in (0, 3), done.output
    stored = column(db, "SELECT event_id FROM event_inbox")
    assert {f"v{run}-{n}" for n in range(valid)} <= stored


@EXAMPLES
@given(
    valid=st.integers(min_value=1, max_value=3),
    amounts=st.lists(hostile_amounts, min_size=1, max_size=3),
    sizes=st.lists(
        st.one_of(st.integers(min_value=-(10**30), max_value=10**30).map(str), hostile_texts),
        min_size=1,
        max_size=3,
    ),
)
def test_deals_and_leads_readers(
    tmp_path: Path, valid: int, amounts: list[str], sizes: list[str]
) -> None:
    run = next(_runs)
    db = tmp_path / "crm.db"
    deals = [["external_id", "title", "amount"]]
    deals += [[f"d{run}-{n}", f"good{run}-{n}", "10"] for n in range(valid)]
    deals += [[f"x{run}-{n}", f"bad{run}-{n}", a] for n, a in enumerate(amounts)]
    path = tmp_path / f"deals{run}.csv"
    path.write_text(csv_text(deals, "\n"), encoding="utf-8", newline="")
    done = crm(db, "import", "deals", str(path))
    assert done.exit_code in (0, 3), done.output
    titles = column(db, "SELECT title FROM deals")
    assert {f"good{run}-{n}" for n in range(valid)} <= titles
    for command in ("list", "pipeline"):
        assert crm(db, "--format", "json", "deals", command).exit_code == 0

    leads = [["email", "first_name", "company_size"]]
    leads += [[f"g{run}-{n}@example.com", "G", "10"] for n in range(valid)]
    leads += [[f"b{run}-{n}@example.com", "B", s] for n, s in enumerate(sizes)]
    path = tmp_path / f"leads{run}.csv"
    path.write_text(csv_text(leads, "\n"), encoding="utf-8", newline="")
    done = crm(db, "import", "leads", str(path))
    assert done.exit_code in (0, 3), done.output
    emails = column(db, "SELECT email FROM leads")
    assert {f"g{run}-{n}@example.com" for n in range(valid)} <= emails


@settings(max_examples=60, deadline=None)
@given(hostile_filters())
def test_the_filter_dsl_answers_a_filter_or_field_errors(data: object) -> None:
    parse_filter(data)  # a Success or a Failure, never an exception


@EXAMPLES
@given(hostile_filters())
def test_segments_create_exits_0_or_2_on_hostile_filters(tmp_path: Path, data: object) -> None:
    run = next(_runs)
    path = tmp_path / f"f{run}.json"
    path.write_text(json.dumps(data), encoding="utf-8", errors="surrogatepass")
    done = crm(tmp_path / "crm.db", "segments", "create", f"s{run}", "--filter", str(path))
    assert done.exit_code in (0, 2), done.output


@pytest.mark.parametrize(
    "text",
    [
        '{"not": ' * 1_000
        + '{"field": "behaviour.transactions", "op": "ge", "value": 1}'
        + "}" * 1_000,
        '{"field": "behaviour.transactions", "op": "gt", "value": ' + "9" * 5_000 + "}",
        json.dumps({"or": [{"field": "behaviour.transactions", "op": "gt", "value": 1}] * 50_000}),
        '{"field": "behaviour.transactions", "op": "gt", "value": 1, "value": 2}',
        '{"field": "contact.user_id", "op": "eq", "value": "\\ud800"}',
        json.dumps(
            {
                "field": "behaviour.last_transaction_at",
                "op": "lt",
                "value": "0001-01-01T00:00+05:00",
            }
        ),
        json.dumps(
            {
                "field": "behaviour.last_transaction_at",
                "op": "gt",
                "value": "9999-12-31T23:00-05:00",
            }
        ),
    ],
    ids=[
        "not-1000-deep",
        "5000-digits",
        "or-50000",
        "duplicate-key",
        "surrogate",
        "year-1",
        "9999",
    ],
)
def test_segments_create_refuses_filters_beyond_bounds(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.json"
    path.write_text(text, encoding="utf-8")
    done = crm(tmp_path / "crm.db", "segments", "create", "s", "--filter", str(path))
    assert done.exit_code == 2, done.output
    assert "rror" in done.output
