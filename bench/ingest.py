"""Event pipeline throughput: accept + process vs a raw insert of the same rows.

    PYTHONPATH=src python bench/ingest.py [--n 100000] [--customers 500]  (long histories)
    PYTHONPATH=src:. python bench/ingest.py --workers 1 2 4 [--n 50000]   (PostgreSQL)

Measured in one run, on a fresh SQLite file (WAL, synchronous=NORMAL):
  raw      sqlite3 executemany of the accepted rows (event_id, type, payload JSON)
  accept   ``ingest_events`` on a SQLite app: validate + normalise + inbox, batches of
           1000, one commit per batch
  process  ``process_inbox`` (batches of ``--batch``, default 10,000 as the library's): take
           a batch, apply every event (matching, contacts, facts, activities, outbox) in
           one unit of work, mark the batch done at once; also the part of it spent
           inside SQLite (statements and commits), the floor no Python work can go under
  memory   the whole pipeline (matching, facts, actions, outbox) on the memory adapters
  workers  (``--workers N …``, instead of the rest) N worker processes over the same
           events on a fresh PostgreSQL database per N: wall time until all are applied
  overlap  (``--overlap``) accept and one worker side by side in two processes, as
           ``crm events ingest`` and ``crm events work`` run in a deployment, on another
           fresh file: the wall time until the worker has applied every event

Each step also reports its CPU seconds (this process): on a shared machine the wall-clock
rate depends on the load, the CPU rate much less.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Engine

from crmcore import Settings, bootstrap
from crmcore.adapters.sql import migrate
from crmcore.adapters.sql.engine import make_engine
from crmcore.app.events.worker import ingest_events, pipeline_status, process_inbox

TYPES = ["purchase", "email_opened", "email_clicked", "app_login", "review", "form_answer"]


def generate(n: int, seed: int = 1, customers: int | None = None) -> list[dict[str, Any]]:
    """Mixed events over ``customers`` customers (n/10 by default: fewer make longer
    histories, which a batch's cost should not grow with)."""
    rng = random.Random(seed)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        kind = rng.choice(TYPES)
        c = rng.randrange(max(1, customers or n // 10))
        choices: dict[str, dict[str, Any]] = {
            "purchase": {"amount": f"{rng.randint(1, 500)}.00", "currency": "RUB"},
            "email_opened": {"campaign_id": "c1"},
            "email_clicked": {"campaign_id": "c1", "url": "https://example.com"},
            "app_login": {"device": "ios"},
            "review": {"text": rng.choice(["great, thanks", "terrible and slow", "ok"])},
            "form_answer": {"form_id": "nps", "answers": {"nps": rng.randint(0, 10)}},
        }
        data = choices[kind]
        out.append(
            {
                "id": f"evt-{i}",
                "type": kind,
                "occurred_at": (t0 + timedelta(seconds=i)).isoformat(),
                "customer": {"user_id": f"u{c}", "email": f"c{c}@example.com"},
                "data": data,
            }
        )
    return out


class Timer:
    """Wall-clock and CPU seconds of a step."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def bench_raw(path: Path, events: list[dict[str, Any]]) -> Timer:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (event_id TEXT PRIMARY KEY, type TEXT, payload TEXT)")
    with Timer() as timer:
        for i in range(0, len(events), 1000):
            rows = [(e["id"], e["type"], json.dumps(e)) for e in events[i : i + 1000]]
            conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
            conn.commit()
    conn.close()
    return timer


class SqliteTime:
    """Wall seconds spent inside SQLite statements and commits while counting."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.counting = False
        self._start = 0.0
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        commit: Callable[[Any, Any], None] = SQLiteDialect_pysqlite.do_commit

        def timed_commit(dialect: Any, dbapi_connection: Any) -> None:
            start = time.perf_counter()
            commit(dialect, dbapi_connection)
            if self.counting:
                self.seconds += time.perf_counter() - start

        SQLiteDialect_pysqlite.do_commit = timed_commit  # type: ignore[method-assign]

    def _before(self, *_: object) -> None:
        self._start = time.perf_counter()

    def _after(self, *_: object) -> None:
        if self.counting:
            self.seconds += time.perf_counter() - self._start


def bench_pipeline(
    path: Path, events: list[dict[str, Any]], batch: int, sql: SqliteTime
) -> tuple[Timer, Timer]:
    """The real pipeline on SQLite: ``ingest_events`` then ``process_inbox``."""
    app = bootstrap(Settings(db_url=f"sqlite:///{path}"))
    with Timer() as accept:
        for i in range(0, len(events), 1000):
            ingest_events(app, events[i : i + 1000]).unwrap()
    sql.counting = True
    with Timer() as process:
        report = process_inbox(app, batch=batch).unwrap()
    sql.counting = False
    assert report.done + report.review == len(events), report
    return accept, process


def _work_until(url: str, n: int, batch: int, done: multiprocessing.SimpleQueue[float]) -> None:
    """The worker process: apply batches until ``n`` events are applied; report its CPU."""
    app = bootstrap(Settings(db_url=url))
    applied, start = 0, time.process_time()
    while applied < n:
        # a run goes on while anything is due, keeping its contact cache between batches
        report = process_inbox(app, batch=batch).unwrap()
        applied += report.done + report.review
        if applied < n:
            time.sleep(0.005)  # nothing due: poll again, as ``crm events work`` would
    done.put(time.process_time() - start)


def bench_overlapped(path: Path, events: list[dict[str, Any]], batch: int) -> tuple[Timer, float]:
    """Accept here while a worker process applies what is accepted; the wall time ends
    when the worker is done. Returns that timer (CPU: this process) and the worker's CPU."""
    url = f"sqlite:///{path}"
    app = bootstrap(Settings(db_url=url))
    ctx = multiprocessing.get_context("fork")
    done: multiprocessing.SimpleQueue[float] = ctx.SimpleQueue()
    worker = ctx.Process(target=_work_until, args=(url, len(events), batch, done))
    with Timer() as timer:
        worker.start()
        for i in range(0, len(events), 1000):
            ingest_events(app, events[i : i + 1000]).unwrap()
        worker_cpu = done.get()
        worker.join()
    return timer, worker_cpu


def bench_memory(events: list[dict[str, Any]]) -> tuple[float, float]:
    app = bootstrap(Settings(db_url="memory://"))
    start = time.perf_counter()
    for i in range(0, len(events), 1000):
        ingest_events(app, events[i : i + 1000]).unwrap()
    accept = time.perf_counter() - start
    start = time.perf_counter()
    process_inbox(app, batch=500).unwrap()
    return accept, time.perf_counter() - start


def _pg_worker(
    url: str, name: str, batch: int, done: multiprocessing.SimpleQueue[tuple[int, float]]
) -> None:
    """One ``crm events work`` on PostgreSQL: claim and apply until nothing is due or
    held by another worker (then wait for it: its customers' later events may follow)."""
    app = bootstrap(Settings(db_url=url))
    applied = 0
    while True:
        report = process_inbox(app, batch=batch, worker=name, wait=True).unwrap()
        applied += report.done + report.review
        status = pipeline_status(app).unwrap()
        if status.inbox["pending"] == 0 and status.inbox["processing"] == 0:
            break
        time.sleep(0.05)
    done.put((applied, time.perf_counter()))


def bench_workers(
    base_url: str, events: list[dict[str, Any]], batch: int, workers: int
) -> tuple[float, list[int], list[float]]:
    """Accept ``events`` into a fresh, migrated PostgreSQL database, then time
    ``workers`` worker processes applying them; returns the wall seconds, how many
    events each applied and when each finished (seconds after the start)."""
    from tests.databases import fresh_postgres

    with fresh_postgres(base_url, prefix="crmcore_bench") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = bootstrap(Settings(db_url=url))
        for i in range(0, len(events), 1000):
            ingest_events(app, events[i : i + 1000]).unwrap()
        ctx = multiprocessing.get_context("fork")
        done: multiprocessing.SimpleQueue[tuple[int, float]] = ctx.SimpleQueue()
        procs = [
            ctx.Process(target=_pg_worker, args=(url, f"w{i}", batch, done)) for i in range(workers)
        ]
        start = time.perf_counter()
        for proc in procs:
            proc.start()
        finished = sorted((done.get() for _ in procs), key=lambda f: f[1])
        wall = time.perf_counter() - start
        applied = [n for n, _ in finished]
        ends = [at - start for _, at in finished]
        for proc in procs:
            proc.join()
        status = pipeline_status(app).unwrap()
        assert status.inbox["done"] + status.inbox["review"] == len(events), status.inbox
        assert sum(applied) == len(events), applied
    return wall, applied, ends


def main_workers(args: argparse.Namespace) -> None:
    """``--workers N …``: each count of worker processes over the same events on
    PostgreSQL, in one run, with its rate against one worker's."""
    events = generate(args.n)
    print(f"events {args.n}, batch {args.batch}, PostgreSQL {args.pg}")
    rates: dict[int, float] = {}
    for workers in args.workers:
        wall, applied, ends = bench_workers(args.pg, events, args.batch, workers)
        rates[workers] = args.n / wall
        base = rates.get(1)
        ratio = f"  {rates[workers] / base:.2f}x one worker" if base else ""
        print(
            f"{workers} worker(s) {wall:8.2f} s {rates[workers]:8.0f} ev/s{ratio}"
            f"   applied per worker {applied}, finished at "
            + ", ".join(f"{end:.1f}" for end in ends)
            + " s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--memory-n", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument(
        "--customers", type=int, default=None, help="how many customers (default: n/10)"
    )
    parser.add_argument(
        "--overlap", action="store_true", help="also accept and work in two processes at once"
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        help="instead: time N worker processes on PostgreSQL (e.g. --workers 1 2 4)",
    )
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="the PostgreSQL server (a database is created and dropped per count)",
    )
    args = parser.parse_args()
    if args.workers:
        main_workers(args)
        return
    events = generate(args.n, customers=args.customers)
    overlapped = None
    with tempfile.TemporaryDirectory() as tmp:
        raw = bench_raw(Path(tmp) / "raw.db", events)
        sql = SqliteTime()
        accept, process = bench_pipeline(Path(tmp) / "crm.db", events, args.batch, sql)
        if args.overlap:
            overlapped = bench_overlapped(Path(tmp) / "overlap.db", events, args.batch)
    m_accept, m_process = bench_memory(generate(args.memory_n))
    n = args.n

    def line(name: str, wall: float, cpu: float, extra: str = "") -> None:
        print(
            f"{name:26s}{wall:8.2f} s {n / wall:9.0f} ev/s   cpu {cpu:7.2f} s "
            f"{n / cpu:9.0f} ev/cpu-s{extra}"
        )

    print(f"events                    {n}")
    line("raw insert", raw.wall, raw.cpu)
    line("accept (validate+inbox)", accept.wall, accept.cpu)
    line("process (apply+done)", process.wall, process.cpu)
    print(
        f"  of which inside SQLite  {sql.seconds:8.2f} s ({sql.seconds / raw.wall:.1f}x the raw "
        f"insert; Python: {process.wall - sql.seconds:.2f} s)"
    )
    wall, cpu = accept.wall + process.wall, accept.cpu + process.cpu
    line(
        "accept+process",
        wall,
        cpu,
        f"   {wall / raw.wall:.1f}x raw (cpu {cpu / raw.cpu:.1f}x)",
    )
    if overlapped is not None:
        both, worker_cpu = overlapped
        line(
            "overlapped (2 processes)",
            both.wall,
            both.cpu + worker_cpu,
            f"   {both.wall / raw.wall:.1f}x raw; accept cpu {both.cpu:.2f} s, "
            f"worker cpu {worker_cpu:.2f} s",
        )
    mn = args.memory_n
    print(
        f"memory full pipeline ({mn}): accept {mn / m_accept:.0f} ev/s, "
        f"process {mn / m_process:.0f} ev/s"
    )


if __name__ == "__main__":
    main()
