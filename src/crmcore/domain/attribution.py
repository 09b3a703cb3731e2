"""Marketing attribution: who gets the credit for a conversion (C11).

A *path* is the ordered channels a customer touched before converting or not
(``ads > email > search``), aggregated as in ChannelAttribution's layout: how many
journeys took it and converted, their value, and how many did not convert (``nulls``).

Rule models split each path's conversions and value over its touches:

- ``first`` / ``last``: all to the first / last touch;
- ``linear``: equal shares;
- ``time-decay``: a touch ``d`` steps before the end weighs ``0.5 ** (d / half_life)``;
- ``position``: 40 % first, 40 % last, 20 % shared by the middle (one touch: all of it,
  two touches: half each).

The data-driven ``markov`` model builds a first-order absorbing chain (start, one state per
channel, conversion, null) from the transition counts of every path, weighted by its
journeys, and solves it **exactly**: ``P(conversion)`` from the start is the solution of
``(I - Q) x = b``. The removal effect of a channel is ``1 - P_without / P``, where
*without* redirects every transition into the channel to null (one linear solve per
channel). Credits are the total conversions shared in proportion to the removal
effects, so they sum to the total. The value is shared the same way on the chain whose
conversion step carries the mean value of the conversions that ended at that channel.

This module is the definition, in plain Python (Gaussian elimination): small inputs and
tests use it as is; the NumPy engine in the adapters is the fast path and is tested
against it (ADR 0018).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

import attrs

from crmcore.domain.ids import ContactId

#: The separator of channels in a path, as ChannelAttribution writes it.
PATH_SEPARATOR = ">"
#: Shares of the first and the last touch in the position-based (U-shaped) model.
POSITION_ENDS = 0.4
#: The default half-life of the time-decay model, in touches.
DEFAULT_HALF_LIFE = 1.0


class Model(StrEnum):
    """The attribution models."""

    FIRST = "first"
    LAST = "last"
    LINEAR = "linear"
    TIME_DECAY = "time-decay"
    POSITION = "position"
    MARKOV = "markov"


@attrs.frozen(kw_only=True)
class PathRow:
    """One distinct path and the journeys that took it."""

    channels: tuple[str, ...]
    conversions: float
    value: float = 0.0
    nulls: float = 0.0


@attrs.frozen(kw_only=True)
class Credit:
    """What one channel is credited with; ``removal_effect`` only for ``markov``."""

    channel: str
    conversions: float
    value: float
    removal_effect: float | None = None


def parse_path(text: str) -> tuple[str, ...] | None:
    """``"a > b > c"`` as ``("a", "b", "c")``; None when a channel name is empty."""
    parts = tuple(map(str.strip, text.split(PATH_SEPARATOR)))
    return None if "" in parts else parts


def format_path(channels: Sequence[str]) -> str:
    """The inverse of :func:`parse_path`."""
    return f" {PATH_SEPARATOR} ".join(channels)


def touch_weights(
    model: Model, touches: int, *, half_life: float = DEFAULT_HALF_LIFE
) -> list[float]:
    """The share of each of ``touches`` touches under a rule model (they sum to 1)."""
    if touches <= 0:
        return []
    if model is Model.FIRST:
        return [1.0] + [0.0] * (touches - 1)
    if model is Model.LAST:
        return [0.0] * (touches - 1) + [1.0]
    if model is Model.LINEAR:
        return [1.0 / touches] * touches
    if model is Model.TIME_DECAY:
        raw = [0.5 ** ((touches - 1 - i) / half_life) for i in range(touches)]
        total = sum(raw)
        return [w / total for w in raw]
    if model is Model.POSITION:
        if touches == 1:
            return [1.0]
        if touches == 2:
            return [0.5, 0.5]
        middle = (1.0 - 2 * POSITION_ENDS) / (touches - 2)
        return [POSITION_ENDS] + [middle] * (touches - 2) + [POSITION_ENDS]
    raise ValueError(f"{model} is not a rule model")


def channels_of(paths: Iterable[PathRow]) -> list[str]:
    """Every channel named in ``paths``, sorted."""
    return sorted({c for p in paths for c in p.channels})


def totals(paths: Iterable[PathRow]) -> tuple[float, float]:
    """The conversions and the value of every path that has a touch."""
    conversions = value = 0.0
    for p in paths:
        if p.channels:
            conversions += p.conversions
            value += p.value
    return conversions, value


def rule_credits(
    paths: Sequence[PathRow], model: Model, *, half_life: float = DEFAULT_HALF_LIFE
) -> list[Credit]:
    """Credits of a rule model, one per channel (sorted by channel)."""
    conversions: dict[str, float] = defaultdict(float)
    value: dict[str, float] = defaultdict(float)
    for p in paths:
        for channel, w in zip(
            p.channels, touch_weights(model, len(p.channels), half_life=half_life), strict=True
        ):
            conversions[channel] += w * p.conversions
            value[channel] += w * p.value
    return [
        Credit(channel=c, conversions=conversions[c], value=value[c]) for c in channels_of(paths)
    ]


def attribute(
    paths: Sequence[PathRow], model: Model, *, half_life: float = DEFAULT_HALF_LIFE
) -> list[Credit]:
    """Credits per channel under ``model`` (sorted by channel)."""
    if model is Model.MARKOV:
        return markov_credits(paths)
    return rule_credits(paths, model, half_life=half_life)


# --- the exact Markov model, in plain Python ------------------------------------------


@attrs.frozen(kw_only=True)
class Chain:
    """Transition weights of the first-order chain.

    Transient states: 0 is the start, ``1..n`` the channels in ``channels`` order.
    ``moves[i][j]`` is the weight from transient ``i`` to transient ``j``; ``converted[i]``
    and ``lost[i]`` to the conversion and null states; ``value[i]`` the value of the
    conversions that left from ``i``.
    """

    channels: tuple[str, ...]
    moves: tuple[dict[int, float], ...]
    converted: tuple[float, ...]
    lost: tuple[float, ...]
    value: tuple[float, ...]

    def out(self, state: int) -> float:
        """Every weight leaving ``state``."""
        return sum(self.moves[state].values()) + self.converted[state] + self.lost[state]


def build_chain(paths: Sequence[PathRow]) -> Chain:
    """The chain of ``paths``: each journey walks start → its channels → conversion or null."""
    channels = tuple(channels_of(paths))
    index = {c: i + 1 for i, c in enumerate(channels)}
    size = len(channels) + 1
    moves: list[dict[int, float]] = [defaultdict(float) for _ in range(size)]
    converted = [0.0] * size
    lost = [0.0] * size
    value = [0.0] * size
    for p in paths:
        journeys = p.conversions + p.nulls
        if not p.channels or journeys <= 0:
            continue
        here = 0
        for channel in p.channels:
            there = index[channel]
            moves[here][there] += journeys
            here = there
        converted[here] += p.conversions
        lost[here] += p.nulls
        value[here] += p.value
    return Chain(
        channels=channels,
        moves=tuple(dict(m) for m in moves),
        converted=tuple(converted),
        lost=tuple(lost),
        value=tuple(value),
    )


def _solve(matrix: list[list[float]], rhs: list[list[float]]) -> list[list[float]]:
    """Solve ``matrix · x = rhs`` (several right-hand sides) by Gaussian elimination with
    partial pivoting. The matrix is ``I - Q`` of an absorbing chain, so it is regular."""
    n = len(matrix)
    a = [row[:] + rhs_row[:] for row, rhs_row in zip(matrix, rhs, strict=True)]
    width = len(a[0]) if a else 0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        lead = a[col][col]
        for r in range(col + 1, n):
            factor = a[r][col] / lead
            if factor:
                row, top = a[r], a[col]
                for k in range(col, width):
                    row[k] -= factor * top[k]
    out = [[0.0] * (width - n) for _ in range(n)]
    for r in range(n - 1, -1, -1):
        for k in range(width - n):
            acc = a[r][n + k] - sum(a[r][j] * out[j][k] for j in range(r + 1, n))
            out[r][k] = acc / a[r][r]
    return out


def conversion_probability(chain: Chain, *, removed: int | None = None) -> tuple[float, float]:
    """``P(conversion)`` and the expected value from the start, with channel state
    ``removed`` (1-based) sending everything that enters it to null."""
    size = len(chain.moves)
    matrix = [[0.0] * size for _ in range(size)]
    rhs = [[0.0, 0.0] for _ in range(size)]
    for i in range(size):
        matrix[i][i] = 1.0
        out = chain.out(i)
        if i == removed or out <= 0:
            continue
        for j, w in chain.moves[i].items():
            if j != removed:
                matrix[i][j] -= w / out
        rhs[i][0] = chain.converted[i] / out
        rhs[i][1] = chain.value[i] / out
    solution = _solve(matrix, rhs)
    return solution[0][0], solution[0][1]


def share(total: float, effects: Sequence[float]) -> list[float]:
    """``total`` shared in proportion to ``effects`` (all zero when they sum to zero)."""
    whole = sum(effects)
    return [total * e / whole if whole > 0 else 0.0 for e in effects]


def removal_effect(full: float, without: float) -> float:
    """``1 - without / full``, kept in [0, 1] (0 when nothing converts)."""
    return min(1.0, max(0.0, 1.0 - without / full)) if full > 0 else 0.0


def markov_credits(paths: Sequence[PathRow]) -> list[Credit]:
    """The exact first-order Markov credits (one solve for the chain, one per channel)."""
    chain = build_chain(paths)
    total_conversions, total_value = totals(paths)
    full, full_value = conversion_probability(chain)
    effects: list[float] = []
    value_effects: list[float] = []
    for state in range(1, len(chain.channels) + 1):
        without, without_value = conversion_probability(chain, removed=state)
        effects.append(removal_effect(full, without))
        value_effects.append(removal_effect(full_value, without_value))
    conversions = share(total_conversions, effects)
    values = share(total_value, value_effects)
    return [
        Credit(channel=c, conversions=conversions[i], value=values[i], removal_effect=effects[i])
        for i, c in enumerate(chain.channels)
    ]


# --- paths from stored touchpoints ----------------------------------------------------


@attrs.frozen(kw_only=True)
class Touch:
    """A contact met a channel (an engagement the pipeline recorded)."""

    contact_id: ContactId
    channel: str
    at: datetime


@attrs.frozen(kw_only=True)
class Conversion:
    """A contact converted (a purchase) worth ``value``."""

    contact_id: ContactId
    at: datetime
    value: float


def touch_paths(touches: Iterable[Touch], conversions: Iterable[Conversion]) -> list[PathRow]:
    """Aggregated paths: each contact's touches up to and including the time of its first
    conversion form a converting path; a contact with touches and no conversion, a null
    path. Conversions with no touch before them have no path and are left out."""
    first: dict[ContactId, Conversion] = {}
    for c in conversions:
        known = first.get(c.contact_id)
        if known is None or c.at < known.at:
            first[c.contact_id] = c
    journeys: dict[ContactId, list[Touch]] = defaultdict(list)
    for t in touches:
        journeys[t.contact_id].append(t)
    paths: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for contact, mine in journeys.items():
        converted = first.get(contact)
        mine.sort(key=lambda t: t.at)
        before = [t.channel for t in mine if converted is None or t.at <= converted.at]
        if not before:
            continue
        row = paths[tuple(before)]
        if converted is None:
            row[2] += 1
        else:
            row[0] += 1
            row[1] += converted.value
    return [
        PathRow(channels=path, conversions=c, value=v, nulls=n)
        for path, (c, v, n) in sorted(paths.items())
    ]
