"""A fast reader of paths files (the ChannelAttribution layout) straight into the NumPy
engine's columns.

The general reader (:func:`crmcore.app.analytics.attribution.read_paths`) builds one
:class:`PathRow` per line in Python. This one handles the plain case only — the four
columns in their usual order, no quoting, no blank line, every number present, finite
and ≥ 0 — in bulk: the layout is checked on the bytes with NumPy, each distinct line is
read once (lines repeat: a path and its counts), each distinct path text is parsed once
(with the domain's :func:`parse_path`) and each distinct number once (``float``, as the
general reader), and lines with the same path are added up (every model is linear in a
path's counts, so the credits do not change).
For anything else it answers None and the caller uses the general reader, which also
gives the line-numbered errors.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from crmcore.adapters.analytics.attribution_numpy import EncodedPaths
from crmcore.domain.attribution import PathRow, parse_path

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: The header the fast reader accepts (the general reader accepts any column order).
HEADER = "path,total_conversions,total_conversion_value,total_null"
#: The separators of one line, as bytes.
_ROW = (ord(","), ord(","), ord(","), ord("\n"))


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


def _number(raw: str) -> float | None:
    """A cell as the general reader reads it (``float``), None unless finite and ≥ 0 (an
    empty cell, which the general reader takes as 0, is left to it as well)."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 <= value < math.inf else None


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
        # every line must hold exactly three commas (four cells): the separators, read off
        # the bytes, must run comma, comma, comma, newline; then the text can be split
        # once into cells without a list per line
        raw = np.frombuffer(f"{body}\n".encode(), dtype=np.uint8)
        marks = raw[np.flatnonzero((raw == ord(",")) | (raw == ord("\n")))]
        if len(marks) % 4 or not bool(np.all(marks.reshape(-1, 4) == _ROW)):
            return None  # another layout, or a blank line
        # most lines repeat (few paths, few distinct numbers): each distinct line is read
        # once, each distinct path text and number parsed once; texts spelling one path
        # alike ("a>b", "a > b") become one path
        paths: dict[tuple[str, ...], int] = {}
        path_of: dict[str, int] = {}
        number: dict[str, float | None] = {}
        distinct = Counter(body.split("\n"))
        size = len(distinct)
        which = np.empty(size, dtype=np.int64)
        columns = np.empty((3, size), dtype=np.float64)
        for i, (line, times) in enumerate(distinct.items()):
            path, *cells = line.split(",")
            pid = path_of.get(path)
            if pid is None:
                parsed = parse_path(path)
                if parsed is None:
                    return None
                pid = path_of[path] = paths.setdefault(parsed, len(paths))
            which[i] = pid
            for k, cell in enumerate(cells):
                if cell not in number:
                    number[cell] = _number(cell)
                value = number[cell]
                if value is None:
                    return None
                columns[k, i] = value * times
        channels = sorted({c for p in paths for c in p})
        code = {c: i + 1 for i, c in enumerate(channels)}
        flat = [code[c] for p in paths for c in p]
        count = len(paths)

        def total(k: int) -> npt.NDArray[np.float64]:
            sums = np.bincount(which, weights=columns[k], minlength=count)
            return sums.astype(np.float64, copy=False)

        return EncodedRows(
            EncodedPaths(
                channels=tuple(channels),
                codes=np.array(flat, dtype=np.int64),
                lengths=np.fromiter(map(len, paths), dtype=np.int64, count=count),
                conversions=total(0),
                values=total(1),
                nulls=total(2),
            )
        )
