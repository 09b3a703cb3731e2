"""The bulk paths reader (NumPy adapter) agrees with the general reader: the same paths
with the same totals (lines of one path added up), hence the same credits; anything but
the plain layout is left to the general reader."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.adapters.analytics.attribution_numpy import NumpyAttribution
from crmcore.adapters.analytics.paths_csv import HEADER, FastPathsReader
from crmcore.app.analytics.attribution import load_paths, read_paths
from crmcore.domain.attribution import Model, PathRow

CHANNELS = ["search", "e-mail", "Social Ads", "tv", "Ünïcode", "a"]

numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.integers(0, 99).map(lambda n: f" {n}.5 "),
    st.integers(0, 9).map(lambda n: f"{n}e2"),
)
paths = st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=5).map(
    lambda cs: (tuple(cs), " > ".join(cs))
) | st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=5).map(
    lambda cs: (tuple(cs), ">".join(cs))  # no spaces around the separator
)
lines = st.tuples(paths, numbers, numbers, numbers)


def text_of(rows: list[tuple[tuple[tuple[str, ...], str], str, str, str]]) -> str:
    body = "".join(f"{p[1]},{c},{v},{n}\n" for p, c, v, n in rows)
    return f"{HEADER}\n{body}"


def totals(rows: object) -> dict[tuple[str, ...], tuple[float, float, float]]:
    out: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    assert isinstance(rows, list | tuple) or hasattr(rows, "__getitem__")
    for r in rows:  # type: ignore[attr-defined]
        assert isinstance(r, PathRow)
        t = out[r.channels]
        t[0] += r.conversions
        t[1] += r.value
        t[2] += r.nulls
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(lines, min_size=1, max_size=40))
def test_the_bulk_reader_equals_the_general_one(
    rows: list[tuple[tuple[tuple[str, ...], str], str, str, str]],
) -> None:
    text = text_of(rows)
    fast = FastPathsReader().read(text)
    general = read_paths(io.StringIO(text))
    assert fast is not None  # the plain layout is always taken
    assert isinstance(general, Success)
    mine, theirs = totals(fast), totals(general.unwrap())
    assert mine.keys() == theirs.keys()
    for key, got in mine.items():
        assert got == pytest.approx(theirs[key], rel=1e-12, abs=1e-9)
    assert len(fast) == len(theirs)  # one row per distinct path
    engine = NumpyAttribution()
    for model in (Model.MARKOV, Model.LINEAR):
        a = engine.attribute(fast, model)
        b = engine.attribute(general.unwrap(), model)
        assert [c.channel for c in a] == [c.channel for c in b]
        for x, y in zip(a, b, strict=True):
            assert x.conversions == pytest.approx(y.conversions, rel=1e-9, abs=1e-9)
            assert x.value == pytest.approx(y.value, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("body", "general_fails"),
    [
        ("a > b,1,2,x\n", True),  # not a number
        ("a > b,1,2,-1\n", True),  # negative
        ("a > b,1,2,inf\n", True),  # not finite
        ("a > b,1,2,nan\n", True),
        ("a >  > b,1,2,3\n", True),  # an empty channel
        ("a > b,1,2,0x10\n", True),
        ("a > b,1,,3\n", False),  # an empty number is 0 for the general reader
        ("a > b,1,2\n", False),  # a missing column
        ("a > b,1,2,3,4\n", False),  # an extra one
        ("a > b,1,2,3\n\nb,1,1,1\n", False),  # a blank line
        ('"a, b",1,2,3\n', False),  # quoting
        ("a > b,1,2,3\r\n", False),
    ],
)
def test_anything_but_the_plain_layout_goes_to_the_general_reader(
    body: str, general_fails: bool
) -> None:
    text = f"{HEADER}\n{body}"
    assert FastPathsReader().read(text) is None
    general = load_paths(text, reader=FastPathsReader())
    assert isinstance(general, Failure) is general_fails
    assert isinstance(read_paths(io.StringIO(text)), Failure) is general_fails


def test_other_headers_and_empty_files_go_to_the_general_reader() -> None:
    reader = FastPathsReader()
    assert reader.read("total_conversions,path\n1,a\n") is None
    assert reader.read(f"{HEADER}\n") is None
    assert reader.read("") is None
    shuffled = load_paths("total_conversions,path\n2,a > b\n", reader=reader).unwrap()
    assert list(shuffled) == [PathRow(channels=("a", "b"), conversions=2.0)]


def test_rows_are_rebuilt_from_the_columns() -> None:
    text = f"{HEADER}\nb > a,1,10,0\na,0,0,2\nb > a,2,5,1\n"
    rows = FastPathsReader().read(text)
    assert rows is not None
    assert list(rows) == [
        PathRow(channels=("b", "a"), conversions=3.0, value=15.0, nulls=1.0),
        PathRow(channels=("a",), conversions=0.0, value=0.0, nulls=2.0),
    ]
    assert rows[-1] == rows[1]
    assert list(rows[0:1]) == [rows[0]]
