"""Markov attribution benchmark (issue 19).

Generates 1,000,000 distinct-or-not paths over 12 channels deterministically (NumPy,
seed 19): path lengths 1-10 (geometric, mean ~2.9), channels drawn with skewed
popularity and a bias towards repeating the previous channel, conversion odds rising
with two "strong" channels. Then, in the same run and on the same paths:

* **exact Markov, NumPy** — :func:`markov_credits_encoded` on the encoded columns:
  transition counts (``bincount``) and one stacked ``numpy.linalg.solve`` of 13 systems
  (the full chain and each channel removed); the target is < 2 s;
* the same through the port (:class:`NumpyAttribution`) from 1M ``PathRow`` objects,
  i.e. with the encoding from Python objects included;
* **plain-Python reference** — :func:`crmcore.domain.attribution.markov_credits`, the
  same algorithm in loops and Gaussian elimination;
* **Monte-Carlo estimate** — what ChannelAttribution's default does: simulate
  ``--walks`` random walks through the fitted chain for the full chain and for each
  removal, and estimate the removal effects from the share that converts;
* optionally (``--csv``) ``crm report attribution PATHS.csv`` end to end on the same
  paths written as a CSV file: read and exact Markov through the general reader (a
  ``PathRow`` per line) and through the bulk reader the CLI uses, and the CLI itself in
  a subprocess (Python start-up and imports included).

Run: ``PYTHONPATH=src python bench/attribution.py [--paths N] [--walks W] [--csv]``.
Timings are wall clock, best of ``--repeat`` runs (the reference and the simulation run
once).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from crmcore.adapters.analytics.attribution_numpy import (
    EncodedPaths,
    NumpyAttribution,
    dense_chain,
    markov_credits_encoded,
)
from crmcore.adapters.analytics.paths_csv import FastPathsReader
from crmcore.app.analytics.attribution import load_paths, read_paths
from crmcore.domain.attribution import Model, PathRow, format_path, markov_credits, share

CHANNELS = (
    "search",
    "social",
    "email",
    "display",
    "video",
    "affiliate",
    "referral",
    "direct",
    "push",
    "sms",
    "podcast",
    "events",
)


def generate(n: int, seed: int = 19) -> EncodedPaths:
    """``n`` paths as columns."""
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    lengths = np.minimum(rng.geometric(0.35, size=n), 10).astype(np.int64)
    total = int(lengths.sum())
    popularity = rng.dirichlet(np.full(k, 0.8))
    codes = rng.choice(k, size=total, p=popularity).astype(np.int64) + 1
    # a third of the touches repeat the channel before them
    repeat = rng.random(total) < 0.33
    starts = np.cumsum(lengths) - lengths
    repeat[starts] = False
    idx = np.flatnonzero(repeat)
    for _ in range(3):  # propagate runs of repeats
        codes[idx] = codes[idx - 1]
    strong = np.isin(codes, (2, 5)).astype(np.float64)
    boost = np.add.reduceat(strong, starts) if n else np.zeros(0)
    odds = 0.04 + 0.05 * np.minimum(boost, 3) + 0.01 * lengths
    conversions = (rng.random(n) < odds).astype(np.float64)
    values = conversions * np.round(rng.gamma(2.0, 60.0, size=n), 2)
    nulls = 1.0 - conversions
    return EncodedPaths(
        channels=CHANNELS,
        codes=codes,
        lengths=lengths,
        conversions=conversions,
        values=values,
        nulls=nulls,
    )


def rows_of(paths: EncodedPaths) -> list[PathRow]:
    """The same paths as ``PathRow`` objects."""
    names = ("", *paths.channels)
    codes = paths.codes.tolist()
    ends = np.cumsum(paths.lengths).tolist()
    out = []
    start = 0
    for i, end in enumerate(ends):
        out.append(
            PathRow(
                channels=tuple(names[c] for c in codes[start:end]),
                conversions=float(paths.conversions[i]),
                value=float(paths.values[i]),
                nulls=float(paths.nulls[i]),
            )
        )
        start = end
    return out


def best(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - began)
    return min(times), result


def cpu(work: Callable[[], Any]) -> float:
    """The CPU time of one run of ``work`` (on a shared machine, wall time also counts
    the time other processes held the core)."""
    began = time.process_time()
    work()
    return time.process_time() - began


def monte_carlo(paths: EncodedPaths, walks: int, seed: int = 7) -> list[float]:
    """Removal effects estimated by simulating ``walks`` walks per scenario."""
    chain = dense_chain(paths)
    size = chain.q.shape[0]
    # transition table over transient states + conversion (size) + null (size + 1)
    converted = chain.b[:, 0]
    table = np.concatenate(
        [chain.q, converted[:, None], (1 - chain.q.sum(axis=1) - converted)[:, None]], axis=1
    )
    table = np.clip(table, 0, None)
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0
    rng = np.random.default_rng(seed)

    def simulate(removed: int | None) -> float:
        state = np.zeros(walks, dtype=np.int64)
        alive = np.ones(walks, dtype=bool)
        won = 0
        while alive.any():
            live = np.flatnonzero(alive)
            u = rng.random(len(live))
            nxt = (u[:, None] > cumulative[state[live]]).sum(axis=1)
            if removed is not None:
                nxt[nxt == removed] = size + 1  # entering the removed channel: null
            won += int((nxt == size).sum())
            done = nxt >= size
            alive[live[done]] = False
            state[live[~done]] = nxt[~done]
        return won / walks

    full = simulate(None)
    return [1 - simulate(c) / full for c in range(1, size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--walks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv", action="store_true", help="also time reading a paths CSV")
    parser.add_argument("--csv-only", action="store_true", help="only time the paths CSV")
    args = parser.parse_args()

    began = time.perf_counter()
    paths = generate(args.paths)
    print(
        f"generated {args.paths:,} paths, {len(paths.codes):,} touches over "
        f"{len(CHANNELS)} channels, {int(paths.conversions.sum()):,} conversions "
        f"in {time.perf_counter() - began:.2f} s"
    )
    if args.csv_only:
        time_csv(rows_of(paths), args.repeat)
        return
    exact_t, exact = best(args.repeat, lambda: markov_credits_encoded(paths))
    print(f"exact Markov (NumPy, encoded):        {exact_t:8.3f} s")
    rows = rows_of(paths)
    port_t, _ = best(args.repeat, lambda: NumpyAttribution().attribute(rows, Model.MARKOV))
    print(f"exact Markov (port, from PathRow):    {port_t:8.3f} s")
    ref_t, reference = best(1, lambda: markov_credits(rows))
    print(f"plain-Python reference (same algo.):  {ref_t:8.3f} s")
    by_name = {c.channel: c for c in reference}
    worst = max(
        abs(a.conversions - by_name[a.channel].conversions) / by_name[a.channel].conversions
        for a in exact
    )
    print(f"  max relative difference NumPy vs reference: {worst:.2e}")
    mc_t, mc_effects = best(1, lambda: monte_carlo(paths, args.walks))
    mc_credits = share(float(paths.conversions.sum()), mc_effects)
    errors = [
        abs(m - e.conversions) / e.conversions for m, e in zip(mc_credits, exact, strict=True)
    ]
    print(f"Monte-Carlo ({args.walks:,} walks x {len(CHANNELS) + 1}): {mc_t:8.3f} s")
    print(
        f"  credit error vs exact: max {max(errors):.2%}, mean {np.mean(errors):.2%}; "
        f"removal effects exact {min(c.removal_effect or 0 for c in exact):.4f}.."
        f"{max(c.removal_effect or 0 for c in exact):.4f}"
    )
    for c, m in zip(exact, mc_credits, strict=True):
        print(f"  {c.channel:<10} exact {c.conversions:12.2f}  monte-carlo {m:12.2f}")
    if args.csv:
        time_csv(rows, args.repeat)


def time_csv(rows: list[PathRow], repeat: int) -> None:
    """``crm report attribution PATHS.csv`` end to end: the file read and the exact
    Markov solve, through the general reader (a ``PathRow`` per line) and through the
    bulk reader the CLI uses; then the CLI itself in a subprocess."""
    import csv
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "paths.csv")
        with open(path, "w", encoding="utf-8") as out:
            out.write("path,total_conversions,total_conversion_value,total_null\n")
            for r in rows:
                out.write(f"{format_path(r.channels)},{r.conversions},{r.value},{r.nulls}\n")
        size = os.path.getsize(path) / 1e6
        engine = NumpyAttribution()

        def general() -> list[Any]:
            with open(path, encoding="utf-8-sig") as f:
                read = read_paths(f).unwrap()
            return engine.attribute(read, Model.MARKOV)

        def bulk() -> list[Any]:
            with open(path, encoding="utf-8-sig") as f:
                read = load_paths(f.read(), reader=FastPathsReader()).unwrap()
            return engine.attribute(read, Model.MARKOV)

        def plain_csv() -> int:
            with open(path, encoding="utf-8-sig", newline="") as f:
                return sum(1 for _ in csv.reader(f))

        plain_t, _ = best(repeat, plain_csv)
        print(
            f"baseline: the csv module only iterating the rows: {plain_t:8.3f} s wall, "
            f"{cpu(plain_csv):.3f} s CPU"
        )
        general_t, slow = best(1, general)
        print(
            f"general reader + exact Markov ({size:.0f} MB CSV): {general_t:8.3f} s wall, "
            f"{cpu(general):.3f} s CPU"
        )
        bulk_t, fast = best(repeat, bulk)
        print(
            f"bulk reader + exact Markov ({size:.0f} MB CSV):    {bulk_t:8.3f} s wall, "
            f"{cpu(bulk):.3f} s CPU"
        )
        worst = max(
            abs(a.conversions - b.conversions) / max(b.conversions, 1e-12)
            for a, b in zip(fast, slow, strict=True)
        )
        print(f"  max relative difference bulk vs general: {worst:.2e}")
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
        env = {**os.environ, "PYTHONPATH": src}
        argv = [sys.executable, "-m", "crmcore.app.cli.main", "report", "attribution", path]
        argv += ["--format", "json"]
        times, cpus = [], []
        for _ in range(repeat):
            before = os.times()
            began = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - began)
            after = os.times()
            cpus.append(
                after.children_user
                + after.children_system
                - before.children_user
                - before.children_system
            )
            if done.returncode != 0:
                print(f"  the CLI failed: {done.stderr.strip()[-300:]}")
                return
        print(
            f"crm report attribution (subprocess, whole): {min(times):8.3f} s wall, "
            f"{min(cpus):.3f} s CPU"
        )


if __name__ == "__main__":
    main()
