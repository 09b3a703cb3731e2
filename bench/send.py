"""E-mail throughput: ``crm send work`` against a bare smtplib loop, same sink, same run.

    PYTHONPATH=src python bench/send.py [--n 100000] [--batch 1000] [--workers 1 2 4]
        [--db postgresql+psycopg://postgres@127.0.0.1:5432/DB]

The data: ``--n`` contacts (``p<i>@bench.example``) in a fresh SQLite file, the saved
segment ``everyone``, one template using ``contact.first_name`` and ``unsubscribe_url``,
and a running campaign (planned through the use cases). The sink: a minimal SMTP server
(asyncio, in its own process) that speaks real SMTP (EHLO/HELO, MAIL, RCPT, DATA with
dot-unstuffing, RSET, NOOP, QUIT; it offers PIPELINING, as Postfix does), accepts
everything, counts the messages and stops the run when one has no Message-ID.
``PYTHONPATH`` names the code under test (default: this checkout's ``src``), so the same
bench runs an untouched copy for "before".

  bare   one ``smtplib.SMTP`` connection, ``sendmail`` of N messages formatted with an
         f-string (subject and body personalised), nothing recorded; wall time and this
         process's CPU seconds
  crm    ``crm send work --smtp URL --batch B`` in a subprocess: claim, render (Jinja2
         sandbox), MIME build with List-Unsubscribe and Message-ID, send over one reused
         connection (pipelined when offered; the next batch claimed while one is sent),
         record every outcome; wall time and the child's CPU seconds

With ``--workers K ...`` the campaign is sent once per K by K ``crm send work`` processes
at once (PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``; SQLite serialises them): wall
time from the first start to the last exit, CPU summed over the workers. ``--db`` names an
empty database (PostgreSQL) that each run fills afresh; without it a fresh SQLite file is
used. The sink's own CPU seconds are printed too (it shares the machine).

The figures go to bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The code under test: ``PYTHONPATH`` when set (an untouched copy, for "before"), else
#: this checkout's ``src``.
SRC = os.environ.get("PYTHONPATH") or str(ROOT / "src")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- the sink ------------------------------------------------------------------------------


_UNSTUFF = re.compile(rb"(?m)^\.")
_OK = b"250 OK\r\n"
_EHLO = b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"


class _SinkProtocol(asyncio.Protocol):
    """A minimal SMTP server: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP,
    QUIT, pipelined or not; counts the messages and those without a Message-ID header.
    Lean on purpose: one buffer scan per read, one write per read."""

    count = 0
    missing_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.t = transport
        self.buf = b""
        self.in_data = False
        self.envelope = False  # MAIL given
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        out = []
        at = 0
        while True:
            if self.in_data:
                if buf.startswith(b".\r\n", at):  # an empty message
                    self._message(b"")
                    at += 3
                else:
                    end = buf.find(b"\r\n.\r\n", at)
                    if end < 0:
                        break
                    self._message(_UNSTUFF.sub(b"", buf[at : end + 2]))
                    at = end + 5
                self.in_data = self.envelope = False
                out.append(b"250 OK queued\r\n")
                continue
            end = buf.find(b"\r\n", at)
            if end < 0:
                break
            verb = buf[at : at + 4].upper()
            at = end + 2
            if verb == b"MAIL":
                self.envelope = True
                out.append(_OK)
            elif verb == b"RCPT":
                out.append(_OK if self.envelope else b"503 MAIL first\r\n")
            elif verb == b"DATA":
                self.in_data = self.envelope
                out.append(b"354 go ahead\r\n" if self.envelope else b"503 MAIL first\r\n")
            elif verb in (b"EHLO", b"HELO"):
                self.envelope = False
                out.append(_EHLO if verb == b"EHLO" else b"250 sink\r\n")
            elif verb == b"RSET":
                self.envelope = False
                out.append(_OK)
            elif verb == b"NOOP":
                out.append(_OK)
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
                self.t.write(b"".join(out))
                self.t.close()
                return
            else:
                out.append(b"502 not implemented\r\n")
        self.buf = buf[at:]
        if out:
            self.t.write(b"".join(out))

    @staticmethod
    def _message(content: bytes) -> None:
        _SinkProtocol.count += 1
        head = content[: content.find(b"\r\n\r\n") + 2]
        if b"\nMessage-ID: <" not in head and not head.startswith(b"Message-ID: <"):
            _SinkProtocol.missing_id += 1


def _serve(port: int, pipe: Connection) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_SinkProtocol, "127.0.0.1", port)
        pipe.send("ready")
        while True:
            await asyncio.sleep(0.05)
            if pipe.poll():
                pipe.recv()
                pipe.send((_SinkProtocol.count, _SinkProtocol.missing_id))
        server.close()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- the data ------------------------------------------------------------------------------


def _prepare(db: str, n: int) -> None:
    sys.path.insert(0, SRC)
    from crmcore.app.bootstrap import bootstrap
    from crmcore.app.context import Settings
    from crmcore.app.marketing.campaigns import (
        create_campaign,
        schedule_campaign,
        start_campaign,
    )
    from crmcore.app.marketing.templates import add_template
    from crmcore.domain.contact import Contact
    from crmcore.domain.email import Email
    from crmcore.domain.ids import ContactId
    from crmcore.domain.names import PersonName
    from crmcore.domain.segment import Segment, SegmentId

    app = bootstrap(Settings(db_url=db))
    with app.uow() as uow:
        for start in range(0, n, 10_000):
            uow.contacts.add_many(
                [
                    Contact(id=ContactId(app.ids.new()), name=PersonName(f"P{i}", "Lee"),
                            email=Email(f"p{i}@bench.example"), created_at=T0, updated_at=T0)
                    for i in range(start, min(n, start + 10_000))
                ]
            )  # fmt: skip
        everyone = {"field": "contact.archived", "op": "eq", "value": False}
        uow.segments.add(Segment(id=SegmentId(app.ids.new()), name="everyone", filter=everyone,
                                 created_at=T0, updated_at=T0))  # fmt: skip
        uow.commit()
    add_template(app, name="news", subject="News for {{ contact.first_name }}",
                 body="Dear {{ contact.first_name }},\nour spring news.\n"
                      "Unsubscribe: {{ unsubscribe_url }}\n").unwrap()  # fmt: skip
    c = create_campaign(app, name="Bench", template="news", segment="everyone").unwrap()
    schedule_campaign(app, campaign_id=c.id).unwrap()
    start_campaign(app, campaign_id=c.id).unwrap()


# -- the runs ------------------------------------------------------------------------------


def _bare(port: int, n: int) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for i in range(n):
            to = f"p{i}@bench.example"
            msg = (
                f"From: news@bench.example\r\nTo: {to}\r\nSubject: News for P{i}\r\n"
                f"Message-ID: <{i}@bench.example>\r\n\r\nDear P{i},\r\nour spring news.\r\n"
            )
            conn.sendmail("news@bench.example", [to], msg)
    return time.perf_counter() - started, time.process_time() - cpu


def _crm(db: str, url: str, batch: int, workers: int = 1) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": SRC, "CRMCORE_DB": db}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    argv = [sys.executable, "-c", "from crmcore.app.cli.main import main; main()", "send", "work",
            "--smtp", url, "--batch", str(batch)]  # fmt: skip
    running = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
    for p in running:
        if p.wait() != 0:
            raise SystemExit(f"crm send work exited {p.returncode}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="messages per run")
    parser.add_argument("--batch", type=int, default=1_000, help="crm send work --batch")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="workers per run")
    parser.add_argument("--db", default=None, help="an empty PostgreSQL database's URL")
    args = parser.parse_args()
    port = _free_port()
    here, there = multiprocessing.Pipe()
    sink = multiprocessing.Process(target=_serve, args=(port, there), daemon=True)
    sink.start()
    assert here.recv() == "ready"
    url = f"smtp://127.0.0.1:{port}?from=news@bench.example"

    def received() -> int:
        here.send("count")
        count, missing_id = here.recv()
        if missing_id:
            raise SystemExit(f"the sink got {missing_id} messages without a Message-ID")
        assert isinstance(count, int)
        return count

    sink_cpu = _sink_cpu(sink.pid)
    bare, bare_cpu = _bare(port, args.n)
    print(f"bare   {args.n:,} in {bare:6.2f} s = {args.n / bare:8,.0f} msg/s (wall), "
          f"{args.n / bare_cpu:8,.0f} msg/CPU-s; sink CPU {_sink_cpu(sink.pid) - sink_cpu:.1f} s; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            db = args.db or f"sqlite:///{Path(tmp) / 'send.db'}"
            if args.db:
                _reset_postgres(args.db)
            t = time.perf_counter()
            _prepare(db, args.n)
            print(f"prepared {args.n:,} recipients in {time.perf_counter() - t:.1f} s")
            first, sink_cpu = received(), _sink_cpu(sink.pid)
            wall, cpu = _crm(db, url, args.batch, workers)
            sent, sink_used = received() - first, _sink_cpu(sink.pid) - sink_cpu
            print(f"crm x{workers} {sent:,} in {wall:6.2f} s = {sent / wall:8,.0f} msg/s (wall), "
                  f"{sent / cpu:8,.0f} msg/CPU-s; {wall / bare:.2f}x the bare loop's wall time, "
                  f"{cpu / bare_cpu:.2f}x its CPU; sink CPU {sink_used:.1f} s; "
                  f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    sink.terminate()


def _sink_cpu(pid: int | None) -> float:
    """The sink process's CPU seconds so far (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reset_postgres(url: str) -> None:
    """Drop everything in the database's public schema, then migrate it."""
    sys.path.insert(0, SRC)
    from sqlalchemy import create_engine, text

    from crmcore.app.bootstrap import upgrade_database

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upgrade_database(url)


if __name__ == "__main__":
    main()
