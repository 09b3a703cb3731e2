"""The NumPy attribution engine: every model vectorised over paths held as flat arrays.

Paths become one flat array of channel codes (1..n; 0 is the start state) and an array of
path lengths, so transition counts and touch weights are a few ``bincount`` calls, and
the exact Markov removal effects are one stacked ``numpy.linalg.solve`` (one system per
removed channel). The definition, and the reference these results are tested against, is
:mod:`crmcore.domain.attribution`. NumPy is imported on first use, not at CLI start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import attrs

from crmcore.domain.attribution import (
    DEFAULT_HALF_LIFE,
    POSITION_ENDS,
    Credit,
    Model,
    PathRow,
    removal_effect,
    share,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Ints = npt.NDArray[np.int64]
else:
    Floats = Ints = Any


_CHANNELS = attrgetter("channels")


@attrs.frozen(kw_only=True, eq=False)
class EncodedPaths:
    """Paths as columns: ``codes`` holds every path's channel codes end to end
    (``channels[code - 1]``), ``lengths`` how many belong to each path."""

    channels: tuple[str, ...]
    codes: Ints
    lengths: Ints
    conversions: Floats
    values: Floats
    nulls: Floats


def encode(paths: Sequence[PathRow]) -> EncodedPaths:
    """Columns of ``paths`` (paths without a touch are dropped)."""
    import numpy as np

    kept = [p for p in paths if p.channels]
    flat = list(chain.from_iterable(map(_CHANNELS, kept)))
    channels = tuple(sorted(set(flat)))
    index = {c: i + 1 for i, c in enumerate(channels)}
    count = len(kept)

    def column(get: Callable[[PathRow], float]) -> Floats:
        return np.fromiter(map(get, kept), dtype=np.float64, count=count)

    return EncodedPaths(
        channels=channels,
        codes=np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat)),
        lengths=np.fromiter(map(len, map(_CHANNELS, kept)), dtype=np.int64, count=count),
        conversions=column(attrgetter("conversions")),
        values=column(attrgetter("value")),
        nulls=column(attrgetter("nulls")),
    )


def _positions(paths: EncodedPaths) -> tuple[Ints, Ints]:
    """For every touch: its position in its path and its path's length."""
    import numpy as np

    lengths = paths.lengths
    starts = np.cumsum(lengths) - lengths
    length = np.repeat(lengths, lengths)
    position = np.arange(len(paths.codes), dtype=np.int64) - np.repeat(starts, lengths)
    return position, length


def _rule_weights(paths: EncodedPaths, model: Model, half_life: float) -> Floats:
    import numpy as np

    position, length = _positions(paths)
    before_end = length - 1 - position
    if model is Model.FIRST:
        return np.asarray(position == 0, dtype=np.float64)
    if model is Model.LAST:
        return np.asarray(before_end == 0, dtype=np.float64)
    if model is Model.LINEAR:
        return 1.0 / length
    if model is Model.TIME_DECAY:
        raw = np.power(0.5, before_end / half_life)
        # the sum of a path's weights is a geometric series in 0.5 ** (1 / half_life)
        ratio = 0.5 ** (1.0 / half_life)
        total = (1.0 - np.power(ratio, length)) / (1.0 - ratio)
        return np.asarray(raw / total, dtype=np.float64)
    if model is Model.POSITION:
        middle = (1.0 - 2 * POSITION_ENDS) / np.maximum(length - 2, 1)
        ends = (position == 0) | (before_end == 0)
        weights = np.where(ends, POSITION_ENDS, middle)
        weights = np.where(length == 2, 0.5, weights)
        return np.asarray(np.where(length == 1, 1.0, weights), dtype=np.float64)
    raise ValueError(f"{model} is not a rule model")


def rule_credits_encoded(paths: EncodedPaths, model: Model, *, half_life: float) -> list[Credit]:
    """Credits of a rule model over encoded paths."""
    import numpy as np

    weights = _rule_weights(paths, model, half_life)
    size = len(paths.channels) + 1
    conversions = np.bincount(
        paths.codes, weights=weights * np.repeat(paths.conversions, paths.lengths), minlength=size
    )
    values = np.bincount(
        paths.codes, weights=weights * np.repeat(paths.values, paths.lengths), minlength=size
    )
    return [
        Credit(channel=c, conversions=float(conversions[i + 1]), value=float(values[i + 1]))
        for i, c in enumerate(paths.channels)
    ]


@attrs.frozen(kw_only=True, eq=False)
class DenseChain:
    """The chain as matrices: ``q`` transient-to-transient probabilities (start = 0),
    ``b`` the probability of converting and the expected value collected on leaving."""

    q: Floats
    b: Floats


def dense_chain(paths: EncodedPaths) -> DenseChain:
    """Transition probabilities of the first-order chain of ``paths``."""
    import numpy as np

    size = len(paths.channels) + 1
    journeys = paths.conversions + paths.nulls
    weight = np.repeat(journeys, paths.lengths)
    previous = np.empty_like(paths.codes)
    if len(previous):
        previous[1:] = paths.codes[:-1]
        starts = np.cumsum(paths.lengths) - paths.lengths
        previous[starts] = 0
    moves = np.bincount(previous * size + paths.codes, weights=weight, minlength=size * size)
    moves = moves.reshape(size, size)
    last = paths.codes[np.cumsum(paths.lengths) - 1] if len(paths.lengths) else paths.codes
    converted = np.bincount(last, weights=paths.conversions, minlength=size)
    lost = np.bincount(last, weights=paths.nulls, minlength=size)
    value = np.bincount(last, weights=paths.values, minlength=size)
    out = moves.sum(axis=1) + converted + lost
    safe = np.where(out > 0, out, 1.0)
    q = moves / safe[:, None]
    b = np.stack([converted / safe, value / safe], axis=1)
    return DenseChain(q=q, b=b)


def removal_solutions(chain: DenseChain) -> Floats:
    """Row 0: ``P(conversion)`` and expected value from the start with every channel;
    row ``c``: the same with channel ``c`` removed (its entries sent to null). One stacked
    solve of ``(I - Q) x = b``, one system per case."""
    import numpy as np

    size = chain.q.shape[0]
    base = np.eye(size) - chain.q
    systems = np.repeat(base[None, :, :], size, axis=0)
    rhs = np.repeat(chain.b[None, :, :], size, axis=0)
    for c in range(1, size):
        systems[c, :, c] = 0.0  # nothing enters c ...
        systems[c, c, :] = 0.0  # ... and c itself converts nothing
        systems[c, c, c] = 1.0
        rhs[c, c, :] = 0.0
    solved = np.linalg.solve(systems, rhs)
    return np.asarray(solved[:, 0, :], dtype=np.float64)


def markov_credits_encoded(paths: EncodedPaths) -> list[Credit]:
    """The exact first-order Markov credits over encoded paths."""
    solutions = removal_solutions(dense_chain(paths))
    full, full_value = float(solutions[0, 0]), float(solutions[0, 1])
    effects = [removal_effect(full, float(s)) for s in solutions[1:, 0]]
    value_effects = [removal_effect(full_value, float(s)) for s in solutions[1:, 1]]
    conversions = share(float(paths.conversions.sum()), effects)
    values = share(float(paths.values.sum()), value_effects)
    return [
        Credit(channel=c, conversions=conversions[i], value=values[i], removal_effect=effects[i])
        for i, c in enumerate(paths.channels)
    ]


def attribute_encoded(
    paths: EncodedPaths, model: Model, *, half_life: float = DEFAULT_HALF_LIFE
) -> list[Credit]:
    """Credits per channel (sorted by channel) over encoded paths."""
    if model is Model.MARKOV:
        return markov_credits_encoded(paths)
    return rule_credits_encoded(paths, model, half_life=half_life)


class NumpyAttribution:
    """:class:`crmcore.ports.analytics.AttributionEngine` on NumPy."""

    def attribute(
        self, paths: Sequence[PathRow], model: Model, *, half_life: float = DEFAULT_HALF_LIFE
    ) -> list[Credit]:
        """See :meth:`crmcore.ports.analytics.AttributionEngine.attribute`."""
        # paths from the fast reader already hold the columns
        encoded = getattr(paths, "encoded", None)
        if not isinstance(encoded, EncodedPaths):
            encoded = encode(paths)
        return attribute_encoded(encoded, model, half_life=half_life)
