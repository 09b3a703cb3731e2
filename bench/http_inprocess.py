"""CPU per ``GET /crm/contacts?limit=20`` of the ASGI application called in-process (no
socket, no uvicorn, no load client), plus the CPU of the PostgreSQL backends serving its
database (from /proc): the server's own cost, measurable on a busy machine (issue 20).

    PYTHONPATH=src:. python -m bench.http_inprocess [--requests 1500] [--label after]
    PYTHONPATH=src:. python -m bench.http_inprocess --reader-ab   # the use case alone

A fresh PostgreSQL database with 200 contacts; 100 warm-up requests, then
``--requests`` in a row through the whole application (middleware, key guard, query
validation, the worker-thread hop, the use case, the response). ``--reader-ab`` instead
times ``list_contacts(limit=21)`` alone through ``App.reader`` and through ``transact``
(the reader removed), interleaved in one process, 8 rounds of 500: the medians compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

import attrs
from sqlalchemy import Connection, create_engine, text
from starlette.types import ASGIApp, Message

from bench.http_api import PG_ADMIN, database, seed
from crmcore.app.bootstrap import bootstrap
from crmcore.app.context import Settings
from crmcore.app.http.api import create_api
from crmcore.app.http.settings import HttpSettings
from crmcore.app.sales.contacts import list_contacts

_TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(admin: Connection, name: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to database ``name``."""
    rows = admin.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": name})
    total = 0.0
    for (pid,) in rows:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


async def get(app: ASGIApp, token: str) -> None:
    """One ``GET /crm/contacts?limit=20`` through the ASGI interface."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/crm/contacts",
        "raw_path": b"/crm/contacts",
        "query_string": b"limit=20",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200:
        raise RuntimeError(f"GET /crm/contacts answered {sent[0]['status']}")


async def measure(app: ASGIApp, token: str, requests: int, admin: Connection, name: str) -> str:
    for _ in range(100):
        await get(app, token)
    cpu, pg, wall = time.process_time(), backend_cpu(admin, name), time.perf_counter()
    for _ in range(requests):
        await get(app, token)
    app_ms = 1000 * (time.process_time() - cpu) / requests
    pg_ms = 1000 * (backend_cpu(admin, name) - pg) / requests
    wall_ms = 1000 * (time.perf_counter() - wall) / requests
    return (
        f"app {app_ms:.3f} ms + postgres {pg_ms:.3f} ms = {app_ms + pg_ms:.3f} ms CPU/request"
        f" (wall {wall_ms:.2f} ms, load {os.getloadavg()[0]:.1f})"
    )


def reader_ab(url: str) -> str:
    """Median CPU of ``list_contacts`` with the read unit of work and without it."""
    with_reader = bootstrap(Settings(db_url=url))
    apps = {"reader": with_reader, "transact": attrs.evolve(with_reader, reader=None)}
    runs: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(8):
        for name, app in apps.items():
            for _ in range(30):
                list_contacts(app, limit=21)
            cpu = time.process_time()
            for _ in range(500):
                list_contacts(app, limit=21)
            runs[name].append(1000 * (time.process_time() - cpu) / 500)
    medians = {name: sorted(v)[len(v) // 2] for name, v in runs.items()}
    return ", ".join(f"{name} {ms:.3f} ms" for name, ms in medians.items()) + (
        f" CPU per list_contacts (median of 8; load {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--label", default="")
    parser.add_argument("--reader-ab", action="store_true")
    args = parser.parse_args()
    with database("postgres") as url:
        token = seed(url, 200)
        if args.reader_ab:
            print(reader_ab(url))
            return
        name = url.rsplit("/", 1)[1]
        admin_engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        try:
            with admin_engine.connect() as admin:
                settings = HttpSettings(key_rate=1e6, key_burst=1_000_000)
                api = create_api(bootstrap(Settings(db_url=url)), settings=settings)
                line = asyncio.run(measure(api, token, args.requests, admin, name))
        finally:
            admin_engine.dispose()
    print(f"{args.label}: {line}" if args.label else line)


if __name__ == "__main__":
    main()
