"""The keys pass of a streamed contacts import reads columns as cell_text and email_key do."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crmcore.app.importing.contacts import column_texts, email_keys
from crmcore.app.importing.csvio import CsvRecord
from crmcore.app.importing.rows import cell_text
from crmcore.codec.email_fast import email_key
from tests.strategies import import_cells

records = st.lists(st.lists(import_cells(), max_size=4).map(tuple), max_size=20).map(
    lambda rows: [CsvRecord(line, cells) for line, cells in enumerate(rows, 2)]
)


@given(records, st.integers(0, 3))
def test_column_texts_are_cell_texts(rows: list[CsvRecord], index: int) -> None:
    assert column_texts(rows, index) == [cell_text(r.cells, index) for r in rows]


@given(st.lists(import_cells(), max_size=20))
def test_email_keys_are_email_key(texts: list[str]) -> None:
    assert email_keys(texts) == [email_key(t) for t in texts]


def test_plain_columns_take_the_one_look() -> None:
    assert email_keys([" Ann@Example.COM"]) == ["ann@example.com"]
    assert email_keys(["ann@xn--p1ai.ru"]) == [None]
