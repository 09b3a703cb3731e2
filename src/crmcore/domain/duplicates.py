"""Duplicate detection rules: blocking, the Fellegi-Sunter model and its EM estimate.

A pair of records is described by a *comparison vector*: one level per field, ``NULL``
(-1) when either side is empty, otherwise ``0`` (different) up to ``levels - 1`` (equal).
The model gives each level of each field a weight ``log2(m / u)``, where ``m`` is the
chance of that level among true duplicates and ``u`` among different people; the sum of
the weights and the prior odds gives the match probability. ``estimate`` learns ``m``,
``u`` and the prior from the unlabelled pairs themselves (expectation maximisation over
the distinct comparison vectors, weighted by how often each occurs). See ADR 0017.

Blocking keeps the work about linear: only records that share at least one blocking key
are compared (``candidate_pairs``).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum

import attrs

#: The level of a field that is empty on either side: it carries no evidence.
NULL = -1
#: m and u are kept inside (EPSILON, 1 - EPSILON) so every weight is finite.
EPSILON = 1e-9
#: The smallest prior: one match among a million million pairs.
PRIOR_FLOOR = 1e-12

Vector = tuple[int, ...]


def _clamp(p: float) -> float:
    return min(1.0 - EPSILON, max(EPSILON, p))


def _clamp_prior(p: float) -> float:
    return min(1.0 - EPSILON, max(PRIOR_FLOOR, p))


def _positive(
    _: object, attribute: attrs.Attribute[tuple[float, ...]], value: tuple[float, ...]
) -> None:
    if any(not 0.0 < v < 1.0 for v in value):
        raise ValueError(f"{attribute.name} probabilities must lie strictly inside (0, 1)")


@attrs.frozen(kw_only=True)
class FieldWeights:
    """``m`` and ``u`` of each comparison level of one field (level 0 = different)."""

    name: str
    m: tuple[float, ...] = attrs.field(validator=_positive)
    u: tuple[float, ...] = attrs.field(validator=_positive)

    def __attrs_post_init__(self) -> None:
        if len(self.m) != len(self.u) or len(self.m) < 2:
            raise ValueError(f"{self.name}: m and u need the same number (≥ 2) of levels")

    @property
    def levels(self) -> int:
        return len(self.m)

    def weight(self, level: int) -> float:
        """The evidence (bits) this level gives for a match; 0 for ``NULL``."""
        if level == NULL:
            return 0.0
        return math.log2(self.m[level] / self.u[level])


@attrs.frozen(kw_only=True)
class Contribution:
    """How one field moved a pair's score."""

    field: str
    level: int
    weight: float


@attrs.frozen(kw_only=True)
class FellegiSunter:
    """A Fellegi-Sunter model: the prior chance of a match and each field's weights."""

    prior: float = attrs.field(validator=attrs.validators.and_(attrs.validators.gt(0.0)))
    fields: tuple[FieldWeights, ...]

    def __attrs_post_init__(self) -> None:
        if not self.prior < 1.0:
            raise ValueError("prior must lie strictly inside (0, 1)")

    def match_weight(self, vector: Vector) -> float:
        """Prior log-odds plus every field's weight (bits)."""
        total = math.log2(self.prior / (1.0 - self.prior))
        for field, level in zip(self.fields, vector, strict=True):
            total += field.weight(level)
        return total

    def scorer(self) -> Callable[[Vector], float]:
        """``probability`` with the weights computed once (for scoring many vectors)."""
        prior = math.log2(self.prior / (1.0 - self.prior))
        # index -1 (NULL) reads the trailing 0.0
        tables = [[f.weight(level) for level in range(f.levels)] + [0.0] for f in self.fields]

        def score(vector: Vector) -> float:
            total = prior
            for table, level in zip(tables, vector, strict=True):
                total += table[level]
            return probability_of(total)

        return score

    def probability(self, vector: Vector) -> float:
        """The chance that the pair described by ``vector`` is one person."""
        return probability_of(self.match_weight(vector))

    def explain(self, vector: Vector) -> tuple[Contribution, ...]:
        """Each field's level and weight for this pair."""
        return tuple(
            Contribution(field=f.name, level=level, weight=f.weight(level))
            for f, level in zip(self.fields, vector, strict=True)
        )


def probability_of(weight: float) -> float:
    """The probability whose log2-odds is ``weight``."""
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = 2.0**weight
    return odds / (1.0 + odds)


def starting_model(names: Sequence[str], levels: Sequence[int], *, prior: float) -> FellegiSunter:
    """A neutral start for EM: similar levels likely among matches, rare among others."""
    fields = []
    for name, k in zip(names, levels, strict=True):
        # m rises and u falls geometrically towards the top (equal) level.
        m_raw = [2.0**i for i in range(k)]
        u_raw = [2.0 ** (2 * (k - 1 - i)) for i in range(k)]
        fields.append(
            FieldWeights(
                name=name,
                m=tuple(_clamp(v / sum(m_raw)) for v in m_raw),
                u=tuple(_clamp(v / sum(u_raw)) for v in u_raw),
            )
        )
    return FellegiSunter(prior=_clamp_prior(prior), fields=tuple(fields))


def estimate(
    patterns: Mapping[Vector, int],
    start: FellegiSunter,
    *,
    iterations: int = 50,
    tolerance: float = 1e-5,
    fix_u: bool = False,
) -> FellegiSunter:
    """The model that EM fits to the observed comparison vectors and their counts.

    With ``fix_u`` the ``u`` probabilities of ``start`` are kept (estimated elsewhere, e.g.
    from random pairs) and only ``m`` and the prior are learnt.
    """
    model = start
    total = sum(patterns.values())
    if total == 0:
        return model
    items = list(patterns.items())
    for _ in range(iterations):
        m_acc = [[0.0] * f.levels for f in model.fields]
        u_acc = [[0.0] * f.levels for f in model.fields]
        matches = 0.0
        score = model.scorer()
        for vector, count in items:
            p = score(vector)
            pm, pu = count * p, count * (1.0 - p)
            matches += pm
            for i, level in enumerate(vector):
                if level != NULL:
                    m_acc[i][level] += pm
                    u_acc[i][level] += pu
        fields = []
        for f, m_row, u_row in zip(model.fields, m_acc, u_acc, strict=True):
            m = _normalised(m_row, f.m)
            u = f.u if fix_u else _normalised(u_row, f.u)
            fields.append(FieldWeights(name=f.name, m=m, u=u))
        new = FellegiSunter(prior=_clamp_prior(matches / total), fields=tuple(fields))
        moved = _distance(model, new)
        model = new
        if moved < tolerance:
            break
    return model


def masked(patterns: Mapping[Vector, int], skip: frozenset[int]) -> dict[Vector, int]:
    """``patterns`` with the fields at positions ``skip`` set to ``NULL`` (counts merged)."""
    out: dict[Vector, int] = defaultdict(int)
    for vector, count in patterns.items():
        key = tuple(NULL if i in skip else level for i, level in enumerate(vector))
        out[key] += count
    return dict(out)


def estimate_blocked(
    rules: Sequence[tuple[Mapping[Vector, int], frozenset[int]]],
    start: FellegiSunter,
    *,
    candidates: Mapping[Vector, int],
    population: int,
    iterations: int = 50,
) -> FellegiSunter:
    """``m`` learnt by EM within each blocking rule's pairs, ``u`` of ``start`` kept.

    A rule's pairs all agree on the fields it blocks on (``rules[k][1]``), so those
    fields teach nothing there and are left out of that rule's EM; each field's ``m`` is
    the median, level by level, over the rules that did not block on it (one rule whose
    EM settled on the wrong split, e.g. namesakes, does not carry the others). The prior
    is then the share of matches among all ``population`` pairs (blocking is assumed to
    keep every match): the fixed point of "expected matches among the ``candidates`` /
    ``population``". ``u`` describes random pairs, so the model scores any pair, blocked
    or not.
    """
    width = len(start.fields)
    learnt: list[list[tuple[float, ...]]] = [[] for _ in range(width)]
    for patterns, skip in rules:
        if not patterns or len(skip) >= width:
            continue
        fitted = estimate(masked(patterns, skip), start, iterations=iterations, fix_u=True)
        for i, field in enumerate(fitted.fields):
            if i not in skip:
                learnt[i].append(field.m)
    fields = tuple(
        FieldWeights(name=f.name, m=_median_m(learnt[i]) if learnt[i] else f.m, u=f.u)
        for i, f in enumerate(start.fields)
    )
    model = FellegiSunter(prior=start.prior, fields=fields)
    return attrs.evolve(
        model, prior=population_prior(candidates, model, population, iterations=iterations)
    )


def _median_m(estimates: Sequence[tuple[float, ...]]) -> tuple[float, ...]:
    levels = zip(*estimates, strict=True)
    return _normalised([statistics.median(values) for values in levels], estimates[0])


def population_prior(
    candidates: Mapping[Vector, int],
    model: FellegiSunter,
    population: int,
    *,
    iterations: int = 50,
) -> float:
    """The chance that two random records match: the fixed point of expected matches
    among ``candidates`` (scored with that chance as prior) over ``population`` pairs."""
    if population <= 0:
        return model.prior
    items = list(candidates.items())
    prior = _clamp_prior(sum(candidates.values()) * 0.1 / population)
    for _ in range(iterations):
        score = attrs.evolve(model, prior=prior).scorer()
        new = _clamp_prior(sum(count * score(v) for v, count in items) / population)
        if abs(new - prior) <= 1e-9 + 1e-4 * prior:
            return new
        prior = new
    return prior


def _normalised(row: Sequence[float], fallback: tuple[float, ...]) -> tuple[float, ...]:
    s = sum(row)
    if s <= 0.0:
        return fallback
    return tuple(_clamp(v / s) for v in row)


def _distance(a: FellegiSunter, b: FellegiSunter) -> float:
    worst = abs(a.prior - b.prior)
    for fa, fb in zip(a.fields, b.fields, strict=True):
        for x, y in zip(fa.m + fa.u, fb.m + fb.u, strict=True):
            worst = max(worst, abs(x - y))
    return worst


def u_from_sample(
    name: str, counts: Sequence[int], *, exact_share: float | None = None
) -> tuple[float, ...]:
    """``u`` of one field from level counts among (mostly different) random pairs.

    ``exact_share``, when known exactly (the chance two random records share the value,
    from the value frequencies), replaces the sampled share of the top level, which a
    small sample estimates badly.
    """
    k = len(counts)
    smoothed = [c + 0.5 for c in counts]
    shares = [v / sum(smoothed) for v in smoothed]
    if exact_share is not None:
        rest = sum(shares[:-1])
        top = _clamp(exact_share)
        shares = [v / rest * (1.0 - top) for v in shares[:-1]] + [top]
    if len(shares) != k:  # pragma: no cover - guarded by construction
        raise ValueError(name)
    return tuple(_clamp(v) for v in shares)


class Decision(StrEnum):
    """What to do with a scored pair."""

    MERGE = "merge"
    REVIEW = "review"
    IGNORE = "ignore"


@attrs.frozen(kw_only=True)
class Thresholds:
    """Probabilities from which a pair is merged automatically or sent to review."""

    review: float = 0.5
    merge: float = 0.99

    def __attrs_post_init__(self) -> None:
        if not 0.0 <= self.review <= self.merge <= 1.0:
            raise ValueError("thresholds need 0 ≤ review ≤ merge ≤ 1")

    def decide(self, probability: float) -> Decision:
        if probability >= self.merge:
            return Decision.MERGE
        if probability >= self.review:
            return Decision.REVIEW
        return Decision.IGNORE


def blocks(keys: Sequence[Iterable[Hashable]]) -> dict[Hashable, list[int]]:
    """Record positions grouped by blocking key (``keys[i]`` are record ``i``'s keys)."""
    grouped: dict[Hashable, list[int]] = defaultdict(list)
    for i, record_keys in enumerate(keys):
        for key in set(record_keys):
            grouped[key].append(i)
    return grouped


def pairs_in(grouped: Mapping[Hashable, Sequence[int]], *, max_block: int) -> Iterator[int]:
    """Each pair ``(i, j)``, ``i < j``, sharing a block of at most ``max_block`` records,
    encoded as ``i * stride + j`` with ``stride`` = 2**32 (pairs may repeat)."""
    for members in grouped.values():
        n = len(members)
        if n < 2 or n > max_block:
            continue
        ordered = sorted(members)
        for a in range(n - 1):
            base = ordered[a] << 32
            for b in range(a + 1, n):
                yield base | ordered[b]


def candidate_pairs(
    keys: Sequence[Iterable[Hashable]], *, max_block: int = 1 << 31
) -> list[tuple[int, int]]:
    """Every distinct pair ``(i, j)``, ``i < j``, of records that share a blocking key
    (blocks larger than ``max_block`` are skipped), in ascending order."""
    codes = set(pairs_in(blocks(keys), max_block=max_block))
    return [(c >> 32, c & 0xFFFFFFFF) for c in sorted(codes)]


def pair_count(grouped: Mapping[Hashable, Sequence[int]]) -> int:
    """How many pairs (with repeats across keys) the blocks would produce."""
    return sum(len(m) * (len(m) - 1) // 2 for m in grouped.values())
