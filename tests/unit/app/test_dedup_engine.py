"""Duplicate detection over a table: comparators, vectorised blocking, planted duplicates."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

from crmcore.app.dedup.compare import RULES, Kind, compare_one, infer_kind, normalise
from crmcore.app.dedup.csvfile import dedup_csv
from crmcore.app.dedup.engine import block_pairs, find_duplicates, joint_keys
from crmcore.domain.duplicates import candidate_pairs
from tests.dedup_synthetic import HEADER, planted
from tests.strategies import blocking_keys

_values = st.text(st.sampled_from("abcde 12@."), min_size=1, max_size=12)


@settings(max_examples=50, deadline=None)
@given(kind=st.sampled_from(list(Kind)), a=_values, b=_values)
def test_comparisons_are_symmetric_and_equal_values_score_highest(
    kind: Kind, a: str, b: str
) -> None:
    top = RULES[kind].levels - 1
    assert compare_one(kind, a, b) == compare_one(kind, b, a)
    assert compare_one(kind, a, a) == top
    assert 0 <= compare_one(kind, a, b) <= top


def _entries(keys: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    index: dict[str, int] = {}
    recs = [i for i, ks in enumerate(keys) for _ in ks]
    ids = [index.setdefault(k, len(index)) for ks in keys for k in ks]
    return np.array(recs, dtype=np.int64), np.array(ids, dtype=np.int64)


@settings(max_examples=50, deadline=None)
@given(keys=blocking_keys, cap=st.integers(2, 30))
def test_vectorised_blocking_matches_the_domain_rule(keys: list[list[str]], cap: int) -> None:
    pairs, _ = block_pairs(_entries(keys), max_block=cap)
    got = sorted({(int(c) >> 32, int(c) & 0xFFFFFFFF) for c in pairs})
    assert got == candidate_pairs(keys, max_block=cap)


@settings(max_examples=50, deadline=None)
@given(keys=blocking_keys, budget=st.integers(0, 40))
def test_a_bounded_key_keeps_its_smallest_blocks_within_the_budget(
    keys: list[list[str]], budget: int
) -> None:
    """Over budget, a bounded key yields the pairs of every block up to the largest size
    whose blocks (with all smaller ones) fit the budget: never more pairs than that."""
    pairs, total = block_pairs(_entries(keys), max_block=10**6, budget=budget, bounded=True)
    got = {(int(c) >> 32, int(c) & 0xFFFFFFFF) for c in pairs}
    members: dict[str, set[int]] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            members.setdefault(k, set()).add(i)
    sizes = sorted(len(m) for m in members.values())
    assert total == sum(n * (n - 1) // 2 for n in sizes)
    if total <= budget:
        assert sorted(got) == candidate_pairs(keys)
        return
    cap = max(
        (n for n in sizes if sum(m * (m - 1) // 2 for m in sizes if m <= n) <= budget), default=0
    )
    expected = {
        (a, b) for m in members.values() if len(m) <= cap for a, b in combinations(sorted(m), 2)
    }
    assert got == expected
    assert sum(len(m) * (len(m) - 1) // 2 for m in members.values() if len(m) <= cap) <= budget


@settings(max_examples=50, deadline=None)
@given(a=blocking_keys, data=st.data())
def test_joint_keys_pair_every_key_of_one_field_with_every_key_of_the_other(
    a: list[list[str]], data: st.DataObject
) -> None:
    b = data.draw(st.lists(st.lists(st.sampled_from("xyz"), max_size=2), min_size=len(a)))[: len(a)]
    joint = [[f"{x}{y}" for x in set(ka) for y in set(kb)] for ka, kb in zip(a, b, strict=True)]
    pairs, _ = block_pairs(joint_keys(_entries(a), _entries(b)), max_block=10**6)
    got = sorted({(int(c) >> 32, int(c) & 0xFFFFFFFF) for c in pairs})
    assert got == candidate_pairs(joint)


def test_normalise_folds_case_accents_and_blanks() -> None:
    assert normalise("  Ĺéa   MARIE ") == "lea marie"
    assert normalise(" ") is None
    assert normalise(None) is None


def test_kinds_follow_column_names_then_values() -> None:
    assert infer_kind("Email", []) is Kind.EMAIL
    assert infer_kind("birth_date", []) is Kind.DATE
    assert infer_kind("code", [str(n) for n in range(500)]) is Kind.DIGITS
    assert infer_kind("street", [f"{n} long road" for n in range(500)]) is Kind.TEXT


def _score(found: set[tuple[str, str]], truth: frozenset[tuple[str, str]]) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(1, len(found)), hits / len(truth)


def test_planted_duplicates_are_found_with_few_false_pairs() -> None:
    data = planted(3000, seed=3)
    result = find_duplicates([r[1:] for r in data.rows], list(HEADER[1:]), threshold=0.5)
    ids = [r[0] for r in data.rows]
    found = {(min(ids[p.left], ids[p.right]), max(ids[p.left], ids[p.right])) for p in result.pairs}
    precision, recall = _score(found, data.pairs)
    assert precision >= 0.95
    assert recall >= 0.95
    assert all(p.left < p.right for p in result.pairs)
    probabilities = [p.probability for p in result.pairs]
    assert probabilities == sorted(probabilities, reverse=True)


def test_a_pair_scores_the_same_whichever_record_comes_first() -> None:
    data = planted(400, seed=5)
    rows = [r[1:] for r in data.rows]
    names = list(HEADER[1:])
    forward = find_duplicates(rows, names, threshold=0.0)
    model = forward.model
    backward = find_duplicates(rows[::-1], names, threshold=0.0, model=model)
    n = len(rows)
    there = {(p.left, p.right): p.probability for p in forward.pairs}
    back = {(n - 1 - p.right, n - 1 - p.left): p.probability for p in backward.pairs}
    assert there.keys() == back.keys()
    assert all(there[k] == pytest.approx(back[k]) for k in there)


def test_an_empty_or_single_row_table_has_no_pairs() -> None:
    assert find_duplicates([], ["a"], threshold=0.5).pairs == ()
    assert find_duplicates([("x",)], ["a"], threshold=0.5).pairs == ()


def _write(path: Path, rows: list[tuple[str, ...]]) -> None:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


def test_a_settings_file_fixes_the_model_and_the_kinds(tmp_path: Path) -> None:
    _write(tmp_path / "f.csv", [("id", "name"), ("1", "anna"), ("2", "anna"), ("3", "boris")])
    (tmp_path / "s.toml").write_text(
        'prior = 0.5\n[fields.name]\nkind = "exact"\nm = [0.1, 0.9]\nu = [0.9, 0.1]\n',
        encoding="utf-8",
    )
    result = dedup_csv(tmp_path / "f.csv", id_column="id", settings_path=tmp_path / "s.toml")
    assert isinstance(result, Success)
    pairs = result.unwrap()
    assert [(pairs.ids[p.left], pairs.ids[p.right]) for p in pairs.found.pairs] == [("1", "2")]
    assert pairs.found.pairs[0].probability == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id_column": "nope"}, "id_column"),
        ({"id_column": "id", "fields": ["ghost"]}, "fields"),
        ({"id_column": "id", "threshold": 1.5}, "threshold"),
    ],
)
def test_bad_options_are_field_errors(tmp_path: Path, kwargs: dict[str, Any], field: str) -> None:
    _write(tmp_path / "f.csv", [("id", "name"), ("1", "anna")])
    result = dedup_csv(tmp_path / "f.csv", **kwargs)
    assert isinstance(result, Failure)
    assert result.failure().errors[0].field == field


def test_pairs_are_distinct_records() -> None:
    data = planted(500, seed=9)
    result = find_duplicates([r[1:] for r in data.rows], list(HEADER[1:]), threshold=0.0)
    seen = {(p.left, p.right) for p in result.pairs}
    assert len(seen) == len(result.pairs)
    assert seen <= set(combinations(range(len(data.rows)), 2))
