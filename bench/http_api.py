"""Load on ``crm serve`` from a bounded local client: p50/p99 latency and requests/s of
``GET /crm/contacts`` and ``POST /crm/leads`` (issue 20).

    PYTHONPATH=src:. python -m bench.http_api --db sqlite                # a fresh SQLite file
    PYTHONPATH=src:. python -m bench.http_api --db postgres              # a fresh PostgreSQL db
    PYTHONPATH=src:. python -m bench.http_api --db postgres --rate 500 --seconds 20
    PYTHONPATH=src:. python -m bench.http_api --db postgres --rate 100 --baseline  # + Starlette

(Run it as a module: as a script, its own folder would come first on ``sys.path`` and
this file would shadow the standard library's ``http`` package.)

The server runs as ``crm serve`` in a subprocess on 127.0.0.1 only; the client sends at
a fixed rate (open loop: request i is due at i/rate, so a slow server shows up as
latency, not as a politely lower rate) with up to ``--concurrency`` requests in flight.
By default it is the lean client of ``bench.lean_client`` (raw asyncio streams over
``--concurrency`` keep-alive connections); ``--client httpx`` uses an httpx AsyncClient
as earlier rounds did. ``client_cpu_ms_per_request`` is the client's own CPU (this
process) per request: the client shares the machine's cores with the server.
The whole run is capped at 60 s of load.
Data generator: ``--contacts`` contacts (default 2,000) are created through the use case
before the server starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

from sqlalchemy import create_engine, make_url, text

from bench import lean_client
from crmcore.app.access.apikeys import create_api_key
from crmcore.app.bootstrap import bootstrap, upgrade_database
from crmcore.app.context import Settings
from crmcore.app.sales.contacts import create_contact

MAX_LOAD_SECONDS = 60.0
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database URL of ``kind`` (sqlite or postgres), removed after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    name = f"crmcore_bench_http_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, contacts: int) -> str:
    """Create ``contacts`` contacts and a write key; returns the key."""
    app = bootstrap(Settings(db_url=url))
    for n in range(contacts):
        create_contact(
            app, first_name=f"Bench{n}", last_name="Person", email=f"bench{n}@example.com"
        ).unwrap()
    return create_api_key(app, name="bench", scope="write").unwrap().token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of ``root`` and its live descendants, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    wanted, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in wanted:
                wanted.add(pid)
                frontier.append(pid)
    return sum(times.get(pid, 0.0) for pid in wanted)


@contextmanager
def server(
    url: str, workers: int, *, plain: bool = False, stack: str = "serve"
) -> Iterator[tuple[str, int]]:
    """``crm serve`` on 127.0.0.1 until the block ends (``plain``: the bare Starlette
    baseline of ``bench.plain_asgi`` under the same uvicorn instead). ``stack`` other than
    ``serve`` runs uvicorn directly with that event loop and HTTP parser (``asyncio-h11``
    or ``uvloop-httptools``) over the same application factory ``crm serve`` uses."""
    port = free_port()
    env = {**os.environ, "CRMCORE_HTTP_KEY_RATE": "100000", "CRMCORE_HTTP_KEY_BURST": "100000"}
    common = ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    if stack != "serve":
        loop, parser = stack.split("-")
        common += ["--loop", loop, "--http", parser]
    if plain:
        command = [sys.executable, "-m", "uvicorn", "bench.plain_asgi:app", *common]
    elif stack != "serve":
        env |= {"CRMCORE_DB": url, "CRMCORE_HTTP_WORKERS": str(workers)}
        app = "crmcore.app.http.serve:factory"
        command = [sys.executable, "-m", "uvicorn", app, "--factory", *common]
    else:
        command = [sys.executable, "-m", "crmcore", "--db", url, "serve", *common]
    proc = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urlopen(f"{base}/openapi.json", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (URLError, OSError):
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _path(method: str) -> str:
    return "/crm/contacts" if method == "GET" else "/crm/leads"


def _lead(i: int) -> bytes:
    body = {"email": f"l{i}-{secrets.token_hex(3)}@example.com", "first_name": "Load"}
    return json.dumps(body).encode()


async def load_httpx(
    base: str, token: str, *, method: str, rate: float, seconds: float, concurrency: int
) -> lean_client.Outcome:
    """The httpx client of the earlier rounds (``--client httpx``)."""
    import httpx

    total = int(rate * seconds)
    outcome = lean_client.Outcome()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=10) as c:
        start = time.perf_counter()

        async def one(i: int) -> None:
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with gate:
                sent = time.perf_counter()
                try:
                    if method == "GET":
                        r = await c.get("/crm/contacts", params={"limit": 20})
                    else:
                        r = await c.post("/crm/leads", content=_lead(i))
                    done = time.perf_counter()
                    outcome.statuses[r.status_code] = outcome.statuses.get(r.status_code, 0) + 1
                    outcome.sent_latencies.append(done - sent)
                    outcome.due_latencies.append(done - due)
                except httpx.HTTPError:
                    outcome.errors += 1

        await asyncio.gather(*(one(i) for i in range(total)))
        outcome.elapsed = time.perf_counter() - start
    return outcome


def load(
    base: str,
    token: str,
    *,
    client: str,
    method: str,
    rate: float,
    seconds: float,
    concurrency: int,
) -> dict[str, Any]:
    """Send ``rate`` requests a second for ``seconds``; latency, outcome and client CPU."""
    cpu = time.process_time()
    if client == "httpx":
        outcome = asyncio.run(
            load_httpx(
                base, token, method=method, rate=rate, seconds=seconds, concurrency=concurrency
            )
        )
    else:
        json_type = b"Content-Type: application/json\r\n"

        def make(i: int) -> lean_client.Request:
            if method == "GET":
                return ("GET", "/crm/contacts?limit=20", b"", b"")
            return ("POST", "/crm/leads", json_type, _lead(i))

        host, port = base.removeprefix("http://").split(":")
        outcome = asyncio.run(
            lean_client.run(
                host,
                int(port),
                token,
                make,
                rate=rate,
                seconds=seconds,
                connections=concurrency,
            )
        )
    client_cpu = time.process_time() - cpu
    total = int(rate * seconds)
    return {
        "route": f"{method} {_path(method)}",
        "client": client,
        "target_rps": rate,
        "requests": total,
        "achieved_rps": round(len(outcome.sent_latencies) / outcome.elapsed, 1),
        **_percentiles("", outcome.sent_latencies),
        **_percentiles("due_", outcome.due_latencies),
        "statuses": outcome.statuses,
        "transport_errors": outcome.errors,
        "client_cpu_ms_per_request": round(client_cpu / total * 1000, 3),
    }


def _percentiles(prefix: str, latencies: list[float]) -> dict[str, float]:
    ok = sorted(latencies)
    pct = statistics.quantiles(ok, n=100) if len(ok) >= 2 else [0.0] * 99
    return {
        f"{prefix}p50_ms": round(pct[49] * 1000, 1),
        f"{prefix}p99_ms": round(pct[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rate", type=float, default=500.0, help="GET requests per second")
    parser.add_argument("--write-rate", type=float, default=100.0, help="POSTs per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="load per route")
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--client",
        choices=["lean", "httpx"],
        default="lean",
        help="the load client: raw asyncio streams (lean) or an httpx AsyncClient",
    )
    parser.add_argument(
        "--stack",
        choices=["serve", "asyncio-h11", "uvloop-httptools"],
        default="serve",
        help="serve: `crm serve` (uvicorn picks uvloop/httptools when installed); else "
        "uvicorn run directly with that loop and parser",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="first load bare Starlette (bench.plain_asgi) with the same GET rate",
    )
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_LOAD_SECONDS / 2)
    results = []
    if args.baseline:
        with server("", args.workers, plain=True, stack=args.stack) as (base, pid):
            before = tree_cpu(pid)
            result = load(
                base,
                "none",
                client=args.client,
                method="GET",
                rate=args.rate,
                seconds=seconds,
                concurrency=args.concurrency,
            )
            spent = tree_cpu(pid) - before
            result["route"] = "GET /crm/contacts (bare Starlette baseline)"
            result["server_cpu_ms_per_request"] = round(spent / result["requests"] * 1000, 2)
            results.append(result)
    with database(args.db) as url:
        token = seed(url, args.contacts)
        with server(url, args.workers, stack=args.stack) as (base, pid):
            for method, rate in (("GET", args.rate), ("POST", args.write_rate)):
                if rate <= 0:  # --write-rate 0: reads only
                    continue
                before = tree_cpu(pid)
                result = load(
                    base,
                    token,
                    client=args.client,
                    method=method,
                    rate=rate,
                    seconds=seconds,
                    concurrency=args.concurrency,
                )
                spent = tree_cpu(pid) - before
                result["server_cpu_ms_per_request"] = round(spent / result["requests"] * 1000, 2)
                results.append(result)
    load_average = os.getloadavg()
    for r in results:
        head = {"db": args.db, "workers": args.workers, "stack": args.stack, "load": load_average}
        print(json.dumps({**head, **r}))


if __name__ == "__main__":
    main()
