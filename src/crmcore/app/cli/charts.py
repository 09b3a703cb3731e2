"""PNG charts for ``crm report … --chart FILE.png`` (matplotlib, Agg backend: no display).

matplotlib is imported inside each function, so commands that draw nothing (and
``crm --version``) never pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Size of every chart in inches at :data:`DPI`.
SIZE = (8.0, 4.5)
DPI = 100


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=DPI)
    _pyplot().close(figure)


def bars(
    path: Path, labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str
) -> None:
    """One bar per label (the funnel: count per stage)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE)
    axes.bar(list(labels), list(values), color="#4C72B0")
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.tick_params(axis="x", labelrotation=30)
    _save(figure, path)


def grouped_bars(
    path: Path,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
) -> None:
    """Bars per label, one colour per series side by side (attribution: one per model)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE)
    count = max(len(series), 1)
    width = 0.8 / count
    for i, (name, values) in enumerate(series.items()):
        positions = [x + (i - (count - 1) / 2) * width for x in range(len(labels))]
        axes.bar(positions, list(values), width=width, label=name)
    axes.set_xticks(range(len(labels)), list(labels))
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.legend()
    _save(figure, path)


def heatmap(
    path: Path,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
) -> None:
    """A matrix as colours with the values written in (the cohort retention matrix)."""
    plt = _pyplot()
    nan = float("nan")
    grid = [[nan if v is None else v for v in row] for row in values]
    figure, axes = plt.subplots(figsize=SIZE)
    image = axes.imshow(grid or [[nan]], aspect="auto", cmap="Blues", vmin=0)
    axes.set_xticks(range(len(columns)), list(columns))
    axes.set_yticks(range(len(rows)), list(rows))
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            if v is not None:
                axes.text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=7)
    axes.set_title(title)
    figure.colorbar(image, ax=axes)
    _save(figure, path)


def line(
    path: Path,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
) -> None:
    """Lines over time (MRR per month)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE)
    for name, values in series.items():
        axes.plot(list(labels), list(values), marker="o", label=name)
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.tick_params(axis="x", labelrotation=30)
    axes.legend()
    _save(figure, path)
