"""Find the duplicate pairs in a table of records (ADR 0017).

1. Values are normalised and each field gets a kind (given, or inferred from its name
   and values): see :mod:`crmcore.app.dedup.compare`.
2. Blocking: each field's keys (its value, a phonetic code of a name, an e-mail's local
   part, ...) group the records; a field whose groups would yield more than a budget of
   pairs (linear in the number of records) is only used combined with another such field.
   Only records sharing a key are compared, so the work grows about linearly.
3. Every candidate pair gets a comparison vector; ``u`` comes from random pairs (mostly
   different people) and from the exact value frequencies, then EM fits ``m`` and the
   prior on the candidate pairs (:func:`crmcore.domain.duplicates.estimate`).
4. Each distinct vector is scored once by the Fellegi-Sunter model; pairs at or above the
   threshold are returned with their per-field levels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import attrs
import numpy as np
import numpy.typing as npt

from crmcore.app.dedup.compare import RULES, Kind, infer_kind, normalise
from crmcore.domain.duplicates import (
    NULL,
    FellegiSunter,
    FieldWeights,
    estimate_blocked,
    starting_model,
    u_from_sample,
)

#: Pairs a blocking key may yield, per record (the rest of its budget is a floor).
PAIRS_PER_RECORD = 5
PAIR_FLOOR = 50_000
#: Random pairs compared to learn how often different people agree by chance.
U_SAMPLE = 20_000
#: A block larger than this is never expanded, whatever the key.
MAX_BLOCK = 2_000


@attrs.frozen(kw_only=True)
class Field:
    """A field to compare and how."""

    name: str
    kind: Kind


@attrs.frozen(kw_only=True)
class ScoredPair:
    """Two record positions, their match probability and per-field levels."""

    left: int
    right: int
    probability: float
    levels: tuple[int, ...]


@attrs.frozen(kw_only=True)
class Result:
    """The pairs found and the model that scored them."""

    fields: tuple[Field, ...]
    model: FellegiSunter
    pairs: tuple[ScoredPair, ...]
    candidates: int
    blocking: tuple[str, ...]


Table = Sequence[Sequence[str | None]]


@attrs.frozen(kw_only=True)
class Column:
    """A column as codes into its distinct normalised values (``-1`` for empty)."""

    codes: npt.NDArray[np.int64]
    values: list[str]

    @classmethod
    def of(cls, raw: Sequence[str | None]) -> Column:
        index: dict[str, int] = {}
        seen: dict[str | None, int] = {}
        codes = np.empty(len(raw), dtype=np.int64)
        for k, value in enumerate(raw):
            code = seen.get(value)
            if code is None:
                clean = normalise(value)
                code = -1 if clean is None else index.setdefault(clean, len(index))
                seen[value] = code
            codes[k] = code
        return cls(codes=codes, values=list(index))

    def present(self) -> list[str | None]:
        """The normalised value of each record (``None`` when empty)."""
        return [self.values[c] if c >= 0 else None for c in self.codes.tolist()]


def plan_fields(
    names: Sequence[str], columns: Sequence[Column], kinds: Mapping[str, Kind]
) -> tuple[Field, ...]:
    """Each field with its given kind, or the kind its name and values suggest."""
    return tuple(
        Field(name=n, kind=kinds.get(n) or infer_kind(n, col.present()))
        for n, col in zip(names, columns, strict=True)
    )


Entries = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def field_keys(field: Field, column: Column) -> Entries:
    """The blocking keys of one field: parallel arrays of record positions and key ids."""
    rules = RULES[field.kind]
    per_value = [tuple(rules.keys(v)) for v in column.values]
    index: dict[str, int] = {}
    recs: list[npt.NDArray[np.int64]] = []
    keys: list[npt.NDArray[np.int64]] = []
    width = max((len(k) for k in per_value), default=0)
    for slot in range(width):
        # one extra entry at the end: the code -1 (empty) indexes it and gets no key
        table = np.array(
            [index.setdefault(k[slot], len(index)) if len(k) > slot else -1 for k in per_value]
            + [-1],
            dtype=np.int64,
        )
        ids = table[column.codes]
        has = np.flatnonzero(ids >= 0)
        recs.append(has)
        keys.append(ids[has])
    if not recs:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(recs), np.concatenate(keys)


def joint_keys(a: Entries, b: Entries) -> Entries:
    """Keys made of one key of ``a`` and one of ``b`` of the same record."""
    ra, ka = a
    rb, kb = b
    order = np.argsort(rb, kind="stable")
    rb, kb = rb[order], kb[order]
    lo = np.searchsorted(rb, ra, side="left")
    hi = np.searchsorted(rb, ra, side="right")
    counts = hi - lo
    rep_a = np.repeat(np.arange(len(ra)), counts)
    offsets = np.arange(len(rep_a)) - np.repeat(np.cumsum(counts) - counts, counts)
    pick_b = np.repeat(lo, counts) + offsets
    width = int(kb.max()) + 1 if len(kb) else 1
    return ra[rep_a], ka[rep_a] * width + kb[pick_b]


def bounded_block(sizes: npt.NDArray[np.int64], budget: int) -> int:
    """The largest block size such that the blocks no larger hold at most ``budget``
    pairs in all (0 when even the smallest blocks hold more)."""
    distinct, counts = np.unique(sizes, return_counts=True)
    spent = np.cumsum(counts * (distinct * (distinct - 1) // 2))
    fits = np.flatnonzero(spent <= budget)
    return int(distinct[fits[-1]]) if len(fits) else 0


def block_pairs(
    entries: Entries, *, max_block: int, budget: int | None = None, bounded: bool = False
) -> tuple[npt.NDArray[np.int64], int]:
    """Pairs of records sharing a key (blocks above ``max_block`` skipped), encoded
    ``i << 32 | j`` with ``i < j``, and how many pairs the blocks hold in all (when that
    is over ``budget``, no pairs are made; ``bounded``, the largest blocks are skipped
    instead, so that the rest fit the budget).

    The vectorised form of :func:`crmcore.domain.duplicates.candidate_pairs`.
    """
    recs, keys = entries
    both = np.unique(keys * (1 << 32) + recs)
    keys, recs = both >> 32, both & 0xFFFFFFFF
    if not len(keys):
        return np.empty(0, np.int64), 0
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    total = int((sizes * (sizes - 1) // 2).sum())
    if budget is not None and total > budget:
        if not bounded:
            return np.empty(0, np.int64), total
        max_block = min(max_block, bounded_block(sizes, budget))
    end = np.repeat(starts + sizes, sizes)
    size = np.repeat(sizes, sizes)
    active = np.flatnonzero(size <= max_block)
    found: list[npt.NDArray[np.int64]] = []
    step = 1
    while True:
        active = active[active + step < end[active]]
        if not len(active):
            break
        i, j = recs[active], recs[active + step]
        found.append(np.minimum(i, j) << 32 | np.maximum(i, j))
        step += 1
    pairs = np.concatenate(found) if found else np.empty(0, np.int64)
    return pairs, total


@attrs.frozen(kw_only=True)
class Rule:
    """One blocking rule: its label, the fields it blocks on and the pairs it yields."""

    label: str
    fields: frozenset[int]
    pairs: npt.NDArray[np.int64]


def blocking_rules(fields: Sequence[Field], columns: Sequence[Column]) -> list[Rule]:
    """The blocking rules used and their pairs (encoded ``i << 32 | j``).

    A field whose blocks would hold more than the budget of pairs is only used joined
    with another such field.
    """
    n = len(columns[0].codes) if columns else 0
    budget = max(PAIR_FLOOR, PAIRS_PER_RECORD * n)
    rules: list[Rule] = []
    wide: list[tuple[int, Entries]] = []
    for f, (field, column) in enumerate(zip(fields, columns, strict=True)):
        entries = field_keys(field, column)
        pairs, total = block_pairs(entries, max_block=MAX_BLOCK, budget=budget)
        if total <= budget:
            rules.append(Rule(label=field.name, fields=frozenset({f}), pairs=pairs))
        else:
            wide.append((f, entries))
    for (fa, ea), (fb, eb) in combinations(wide, 2):
        # a joined key too wide as a whole keeps its blocks that fit the budget
        pairs, total = block_pairs(
            joint_keys(ea, eb), max_block=MAX_BLOCK, budget=budget, bounded=True
        )
        if len(pairs):
            label = f"{fields[fa].name}+{fields[fb].name}"
            if total > budget:
                label += " (largest blocks left out)"
            rules.append(Rule(label=label, fields=frozenset({fa, fb}), pairs=pairs))
    return rules


def compare_pairs(
    fields: Sequence[Field],
    columns: Sequence[Column],
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
) -> npt.NDArray[np.int8]:
    """The comparison vectors of the pairs ``(left[k], right[k])``: one row per pair.

    Each distinct pair of values is compared once.
    """
    out = np.full((len(left), len(fields)), NULL, dtype=np.int8)
    for f, (field, column) in enumerate(zip(fields, columns, strict=True)):
        a, b = column.codes[left], column.codes[right]
        idx = np.flatnonzero((a >= 0) & (b >= 0))
        if not len(idx):
            continue
        width = len(column.values)
        distinct, inverse = np.unique(a[idx] * width + b[idx], return_inverse=True)
        va = [column.values[c] for c in (distinct // width).tolist()]
        vb = [column.values[c] for c in (distinct % width).tolist()]
        out[idx, f] = RULES[field.kind].compare(va, vb)[inverse.ravel()]
    return out


def _exact_share(column: Column) -> float | None:
    counts = np.bincount(column.codes[column.codes >= 0])
    n = int(counts.sum())
    if n < 2:
        return None
    return float((counts * (counts - 1)).sum()) / (n * (n - 1))


def learn_u(
    fields: Sequence[Field], columns: Sequence[Column], *, seed: int
) -> list[tuple[float, ...]]:
    """``u`` of every field from random pairs and the exact value frequencies."""
    n = len(columns[0].codes)
    rng = np.random.default_rng(seed)
    size = min(U_SAMPLE, n * (n - 1) // 2)
    left = rng.integers(0, n, size=size, dtype=np.int64)
    right = rng.integers(0, max(1, n - 1), size=size, dtype=np.int64)
    right = right + (right >= left)
    sample = compare_pairs(fields, columns, left, right)
    us = []
    for f, field in enumerate(fields):
        col = sample[:, f]
        counts = [int((col == lv).sum()) for lv in range(RULES[field.kind].levels)]
        us.append(u_from_sample(field.name, counts, exact_share=_exact_share(columns[f])))
    return us


def distinct_vectors(
    vectors: npt.NDArray[np.int8],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """The distinct rows of ``vectors``, their counts and each row's index among them."""
    width = vectors.shape[1]
    if width <= 24:  # one int64 per row: much faster than unique over rows
        radix = np.int64(8) ** np.arange(width, dtype=np.int64)
        keys = (vectors.astype(np.int64) + 1) @ radix
        _, first, inverse, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        return vectors[first], counts, inverse.ravel()
    rows, inverse, counts = np.unique(vectors, axis=0, return_inverse=True, return_counts=True)
    return rows, counts, inverse.ravel()


def _start(fields: Sequence[Field], u: Sequence[tuple[float, ...]] | None = None) -> FellegiSunter:
    start = starting_model(
        [f.name for f in fields], [RULES[f.kind].levels for f in fields], prior=0.1
    )
    if u is None:
        return start
    return FellegiSunter(
        prior=start.prior,
        fields=tuple(
            FieldWeights(name=s.name, m=s.m, u=uf) for s, uf in zip(start.fields, u, strict=True)
        ),
    )


def _patterns(vectors: npt.NDArray[np.int8]) -> dict[tuple[int, ...], int]:
    rows, counts, _ = distinct_vectors(vectors)
    return {tuple(r): int(c) for r, c in zip(rows.tolist(), counts.tolist(), strict=True)}


def fit_model(
    fields: Sequence[Field],
    codes: npt.NDArray[np.int64],
    vectors: npt.NDArray[np.int8],
    rules: Sequence[Rule],
    u: Sequence[tuple[float, ...]],
    population: int,
) -> FellegiSunter:
    """``m`` by EM within each blocking rule, ``u`` from random pairs, the prior over
    the whole population (:func:`crmcore.domain.duplicates.estimate_blocked`)."""
    per_rule = [
        (_patterns(vectors[np.searchsorted(codes, np.unique(rule.pairs))]), rule.fields)
        for rule in rules
        if len(rule.pairs)
    ]
    return estimate_blocked(
        per_rule, _start(fields, u), candidates=_patterns(vectors), population=population
    )


def find_duplicates(
    table: Table,
    names: Sequence[str],
    *,
    threshold: float,
    kinds: Mapping[str, Kind] | None = None,
    model: FellegiSunter | None = None,
    seed: int = 0,
) -> Result:
    """The pairs of rows of ``table`` (columns ``names``) at or above ``threshold``."""
    columns = [Column.of([row[i] for row in table]) for i in range(len(names))]
    fields = plan_fields(names, columns, kinds or {})
    rules = blocking_rules(fields, columns) if table else []
    used = tuple(r.label for r in rules)
    codes = np.unique(np.concatenate([r.pairs for r in rules])) if rules else np.empty(0, np.int64)
    left, right = codes >> 32, codes & 0xFFFFFFFF
    vectors = compare_pairs(fields, columns, left, right)
    if model is None:
        n = len(table)
        if len(vectors):
            u = learn_u(fields, columns, seed=seed)
            model = fit_model(fields, codes, vectors, rules, u, n * (n - 1) // 2)
        else:
            model = _start(fields)
    if not len(vectors):
        return Result(fields=fields, model=model, pairs=(), candidates=0, blocking=used)
    rows, _, inverse = distinct_vectors(vectors)
    score = model.scorer()
    probs = np.array([score(tuple(int(x) for x in r)) for r in rows.tolist()])
    pair_probs = probs[inverse]
    keep = np.flatnonzero(pair_probs >= threshold)
    order = keep[np.argsort(-pair_probs[keep], kind="stable")]
    pairs = tuple(
        ScoredPair(
            left=int(left[k]),
            right=int(right[k]),
            probability=float(pair_probs[k]),
            levels=tuple(int(x) for x in vectors[k]),
        )
        for k in order.tolist()
    )
    return Result(fields=fields, model=model, pairs=pairs, candidates=len(codes), blocking=used)
