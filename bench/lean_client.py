"""A lean HTTP/1.1 load client for ``bench.http_api``: raw asyncio streams, N persistent
keep-alive connections, and only as much parsing as latency needs (the status line and
``Content-Length``), so that the client costs a small fraction of a core on the machine
it shares with the server (issue 20).

Open loop, like the httpx client: request i is due at ``start + i / rate``; a scheduler
hands due requests to a queue that the connections drain. Latency is measured from the
moment a connection writes the request (as the httpx client does) and, separately, from
the moment it was due (which also counts the wait for a free connection).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: a request: (method, path, extra header lines, body)
Request = tuple[str, str, bytes, bytes]


@dataclass
class Outcome:
    """What a load run saw: latencies in seconds and the count of each status."""

    sent_latencies: list[float] = field(default_factory=list)
    due_latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed: float = 0.0


def encode(request: Request, host: bytes, auth: bytes) -> bytes:
    """The bytes of one HTTP/1.1 request over a keep-alive connection."""
    method, path, extra, body = request
    head = b"%s %s HTTP/1.1\r\nHost: %s\r\n%s%s" % (
        method.encode(),
        path.encode(),
        host,
        auth,
        extra,
    )
    if body or method != "GET":
        head += b"Content-Length: %d\r\n" % len(body)
    return head + b"\r\n" + body


def status_and_length(head: bytes) -> tuple[int, int, bool]:
    """The status, ``Content-Length`` (0 when absent) and whether the server closes the
    connection, from a response's head (status line and headers)."""
    status = int(head[9:12])
    length = 0
    closing = False
    for line in head.split(b"\r\n")[1:]:
        name, _, rest = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(rest)
        elif lowered == b"connection" and rest.strip().lower() == b"close":
            closing = True
    return status, length, closing


async def _connection(
    host: str,
    port: int,
    queue: asyncio.Queue[tuple[float, bytes] | None],
    outcome: Outcome,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while True:
        item = await queue.get()
        if item is None:
            break
        due, payload = item
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port)
            sent = time.perf_counter()
            writer.write(payload)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            status, length, closing = status_and_length(head)
            if length:
                await reader.readexactly(length)
            done = time.perf_counter()
            outcome.sent_latencies.append(done - sent)
            outcome.due_latencies.append(done - due)
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            if closing:
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            outcome.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def run(
    host: str,
    port: int,
    token: str,
    make: Callable[[int], Request],
    *,
    rate: float,
    seconds: float,
    connections: int,
) -> Outcome:
    """Send ``rate`` requests a second for ``seconds`` over ``connections`` connections;
    ``make(i)`` is the i-th request."""
    total = int(rate * seconds)
    host_header = f"{host}:{port}".encode()
    auth = f"Authorization: Bearer {token}\r\n".encode()
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    outcome = Outcome()
    workers = [
        asyncio.create_task(_connection(host, port, queue, outcome)) for _ in range(connections)
    ]
    start = time.perf_counter()
    i = 0
    while i < total:
        now = time.perf_counter()
        while i < total and start + i / rate <= now:
            queue.put_nowait((start + i / rate, encode(make(i), host_header, auth)))
            i += 1
        if i < total:
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    outcome.elapsed = time.perf_counter() - start
    return outcome
