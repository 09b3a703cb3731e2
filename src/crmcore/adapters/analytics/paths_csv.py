"""A fast reader of paths files (the ChannelAttribution layout) straight into the NumPy
engine's columns.

The general reader (:func:`crmcore.app.analytics.attribution.read_paths`) builds one
:class:`PathRow` per line in Python. This one handles the plain case only — the four
columns in their usual order, no quoting, no blank line, every number present, finite
and ≥ 0 — in bulk: the text is split once, the numbers are parsed by NumPy, each distinct
path is parsed once (with the domain's :func:`parse_path`), and lines with the same path
are added up (every model is linear in a path's counts, so the credits do not change).
For anything else it answers None and the caller uses the general reader, which also
gives the line-numbered errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from crmcore.adapters.analytics.attribution_numpy import EncodedPaths
from crmcore.domain.attribution import PathRow, parse_path

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: The header the fast reader accepts (the general reader accepts any column order).
HEADER = "path,total_conversions,total_conversion_value,total_null"


class EncodedRows(Sequence[PathRow]):
    """Paths held as the NumPy engine's columns, seen as a sequence of :class:`PathRow`
    (built on access); the NumPy engine reads the columns without building rows."""

    def __init__(self, encoded: EncodedPaths) -> None:
        self.encoded = encoded
        ends = encoded.lengths.cumsum()
        self._ends = ends.tolist()

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> PathRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[PathRow]: ...
    def __getitem__(self, index: int | slice) -> PathRow | Sequence[PathRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]
        e = self.encoded
        end = self._ends[i]
        start = end - int(e.lengths[i])
        return PathRow(
            channels=tuple(e.channels[c - 1] for c in e.codes[start:end].tolist()),
            conversions=float(e.conversions[i]),
            value=float(e.values[i]),
            nulls=float(e.nulls[i]),
        )

    def __iter__(self) -> Iterator[PathRow]:
        return (self[i] for i in range(len(self)))


def _numbers(cells: list[str]) -> npt.NDArray[np.float64] | None:
    """The cells as numbers, each distinct text parsed once with ``float`` (as the general
    reader does); None when one is not a finite number ≥ 0 or is empty."""
    import numpy as np

    parsed: dict[str, float] = {}
    for raw in set(cells):
        try:
            value = float(raw)
        except ValueError:
            return None
        if not 0 <= value < math.inf:
            return None
        parsed[raw] = value
    return np.fromiter(map(parsed.__getitem__, cells), dtype=np.float64, count=len(cells))


class FastPathsReader:
    """:class:`crmcore.ports.analytics.PathsReader` in bulk with NumPy."""

    def read(self, text: str) -> Sequence[PathRow] | None:
        """See :meth:`crmcore.ports.analytics.PathsReader.read`."""
        import numpy as np

        if '"' in text or "\r" in text:
            return None
        head, _, body = text.partition("\n")
        if head.strip() != HEADER:
            return None
        if body.endswith("\n"):
            body = body[:-1]
        if not body:
            return None
        # every line must hold exactly three commas (four cells): counted on the bytes,
        # so the text can then be split once into cells without a list per line
        raw = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)
        ends = np.flatnonzero(raw == ord("\n"))
        commas = np.flatnonzero(raw == ord(","))
        per_line = np.diff(np.searchsorted(commas, ends), prepend=0, append=len(commas))
        if not bool(np.all(per_line == 3)):
            return None  # another layout, or a blank line (no commas)
        cells = body.replace("\n", ",").split(",")
        paths = cells[0::4]
        numbers = [_numbers(cells[k::4]) for k in (1, 2, 3)]
        if any(n is None for n in numbers):
            return None
        # each distinct text parsed once; texts spelling one path alike ("a>b", "a > b")
        # become one path
        texts = {p: i for i, p in enumerate(dict.fromkeys(paths))}
        ids: dict[tuple[str, ...], int] = {}
        of_text = []
        for text_path in texts:
            parsed = parse_path(text_path)
            if parsed is None:
                return None
            of_text.append(ids.setdefault(parsed, len(ids)))
        which = np.array(of_text, dtype=np.int64)[
            np.fromiter(map(texts.__getitem__, paths), dtype=np.int64, count=len(paths))
        ]
        channels = sorted({c for p in ids for c in p})
        code = {c: i + 1 for i, c in enumerate(channels)}
        flat = [code[c] for p in ids for c in p]
        size = len(ids)

        def total(column: npt.NDArray[np.float64] | None) -> npt.NDArray[np.float64]:
            assert column is not None
            sums = np.bincount(which, weights=column, minlength=size)
            return sums.astype(np.float64, copy=False)

        return EncodedRows(
            EncodedPaths(
                channels=tuple(channels),
                codes=np.array(flat, dtype=np.int64),
                lengths=np.fromiter(map(len, ids), dtype=np.int64, count=size),
                conversions=total(numbers[0]),
                values=total(numbers[1]),
                nulls=total(numbers[2]),
            )
        )
