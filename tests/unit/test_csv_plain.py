"""Files without quotes are split without the csv module, to the same records."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from crmcore.app.importing.csvio import (
    CsvFile,
    UnreadableFile,
    _parse_quoted,
    parse_csv,
    split_plainly,
)
from tests.strategies import csv_texts

separators = st.sampled_from([",", ";", "\t", "|", " "])


def parsed(text: str, sep: str, *, plain: bool) -> CsvFile | str:
    try:
        return parse_csv(text, delimiter=sep) if plain else _parse_quoted(text, sep, "utf-8")
    except UnreadableFile as exc:
        return str(exc)


@given(csv_texts(), separators)
def test_plain_split_reads_as_the_csv_module(text: str, sep: str) -> None:
    rows = split_plainly(text, sep)
    if rows is not None:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        assert [r or [""] for r in map(list, rows)] == [r or [""] for r in reader]


@given(csv_texts(), separators)
def test_parse_csv_equals_the_csv_module_path(text: str, sep: str) -> None:
    assert parsed(text, sep, plain=True) == parsed(text, sep, plain=False)


def test_plain_files_keep_line_numbers_and_blank_lines() -> None:
    text = "a,b\r\n\r\n1,2\n  \n3,4\r\n"
    file = parse_csv(text)
    assert split_plainly(text, ",") is not None
    assert [r.line for r in file.records] == [3, 5]
    assert file.blank_lines == 2
    assert split_plainly('a,"b\nc"\n', ",") is None
