"""Storing a contacts file while it is validated ends exactly as taking its rows in order.

Files are drawn so that rows collide in every way that matters: the same e-mail in other
cases, a user id on one row and its e-mail on another, rows that match stored contacts by
either key, unknown accounts, invalid e-mails and phones. Each file is imported into two
apps holding the same contacts: once streamed (tiny batches, so that many commits happen
between validated chunks) and once validated first, then stored in order.
"""

from __future__ import annotations

import csv
import io
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Success

from crmcore import App, Settings, bootstrap
from crmcore.adapters.system import FixedClock, SequentialIds
from crmcore.app.importing import files as importing
from crmcore.app.importing.files import ImportReport, import_file
from crmcore.app.sales.contacts import list_contacts
from crmcore.codec.email_fast import email_key
from crmcore.domain.email import Email
from tests.conftest import T0
from tests.strategies import email_like

HEADER = ["first_name", "last_name", "email", "user_id", "phone", "account", "notes"]

emails = st.sampled_from(
    ["", "ann@example.com", "ANN@Example.com", "bob@example.com", "cy@example.org", "bad@", "x@y"]
)
rows = st.fixed_dictionaries(
    {
        "first_name": st.sampled_from(["Ann", "Bob", "", "Cy"]),
        "last_name": st.sampled_from(["Lee", "Ng", ""]),
        "email": emails,
        "user_id": st.sampled_from(["", "", "u-1", "u-2"]),
        "phone": st.sampled_from(["", "8 900 123 45 67", "+7 900 765 43 21", "12"]),
        "account": st.sampled_from(["", "", "Acme", "Nope"]),
        "notes": st.sampled_from(["", "vip", "=1+1"]),
    }
)


def write(tmp: str, name: str, records: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(records)
    path = Path(tmp) / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def app_with(tmp: str, before: list[dict[str, str]]) -> App:
    app = bootstrap(Settings(db_url="memory://"), clock=FixedClock(T0), ids=SequentialIds())
    accounts = Path(tmp) / "acme.csv"
    accounts.write_text("name\nAcme\n", encoding="utf-8")
    import_file(app, kind="accounts", path=accounts).unwrap()
    if before:
        import_file(app, kind="contacts", path=write(tmp, "before.csv", before)).unwrap()
    return app


def state(app: App) -> list[tuple[Any, ...]]:
    """Every stored contact but its id (streaming makes ids in another order) and its
    version (it counts the transactions that wrote the contact, and which rows share a
    batch differs between the two ways, as it does between two batch sizes)."""
    return sorted(
        (
            c.email.value if c.email else "",
            c.user_id or "",
            c.name.full,
            c.phone.e164 if c.phone else "",
            c.account_id is not None,
            sorted(c.attributes.items()),
            c.created_at,
            c.updated_at,
        )
        for c in list_contacts(app, include_archived=True).unwrap()
    )


def summary(report: ImportReport) -> tuple[Any, ...]:
    rejected = [(r.line, [(e.field, e.reason) for e in r.errors]) for r in report.rejected]
    return report.created, report.updated, report.unchanged, report.merged, rejected


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    before=st.lists(rows, max_size=4),
    after=st.lists(rows, min_size=1, max_size=12),
    batch=st.integers(1, 4),
)
def test_streamed_import_ends_as_the_in_order_import(
    monkeypatch: pytest.MonkeyPatch,
    before: list[dict[str, str]],
    after: list[dict[str, str]],
    batch: int,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(tmp, "after.csv", after)
        outcomes = []
        for threshold in (0, 10**9):  # streamed, then validated first
            app = app_with(tmp, before)
            with monkeypatch.context() as patch:
                patch.setattr(importing, "STREAM_MIN_ROWS", threshold)
                report = import_file(app, kind="contacts", path=path, batch_size=batch).unwrap()
            outcomes.append((summary(report), state(app)))
    assert outcomes[0] == outcomes[1]


@settings(max_examples=500)
@given(raw=email_like | st.text(string.printable, max_size=40))
def test_an_email_key_is_what_a_valid_address_stores(raw: str) -> None:
    key = email_key(raw)
    parsed = Email.parse(raw)
    if key is not None and isinstance(parsed, Success):
        assert parsed.unwrap().value == key
