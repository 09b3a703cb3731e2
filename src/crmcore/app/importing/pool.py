"""Running a chunked job on a pool of processes, results streamed back in order.

:func:`run_chunks` yields ``work(setup, items[a:b])`` for consecutive chunks, in order,
as soon as each is ready. With ``fork`` the workers inherit ``setup`` and ``items`` and
only chunk bounds cross the process boundary; with ``spawn`` or ``forkserver`` every
worker receives ``setup`` once and each task its chunk (``work`` must then be a
module-level function and everything picklable).

Workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent alone decides
what to do and shuts the pool down) and exit on their own when the parent disappears
(SIGKILL), so no orphan is left behind. A pool that breaks (a worker killed) does not
fail the job: the remaining chunks run in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

S = TypeVar("S")
I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

START_METHODS = ("fork", "spawn", "forkserver")
PARENT_CHECK_SECONDS = 0.5

#: In a worker: (work, setup, items) — items only when inherited through fork.
_JOB: tuple[Callable[[Any, Sequence[Any]], Any], Any, Sequence[Any] | None] | None = None


def default_start_method() -> str:
    """``fork`` where the platform has it (cheapest: nothing is pickled), else ``spawn``."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _start_worker(parent: int, job: tuple[Any, Any, Any] | None) -> None:
    global _JOB
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # a worker lives for one job, which makes no reference cycles
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if job is not None:
        _JOB = job


def _inherited(bounds: tuple[int, int]) -> Any:
    assert _JOB is not None
    work, setup, items = _JOB
    assert items is not None
    return work(setup, items[bounds[0] : bounds[1]])


def _sent(chunk: Sequence[Any]) -> Any:
    assert _JOB is not None
    work, setup, _ = _JOB
    return work(setup, chunk)


def run_chunks(
    work: Callable[[S, Sequence[I]], R],
    setup: S,
    items: Sequence[I],
    *,
    chunk_size: int,
    workers: int,
    start_method: str | None = None,
) -> Iterator[R]:
    """``work(setup, chunk)`` for each chunk of ``items``, in order, on ``workers`` processes."""
    global _JOB
    bounds = [(i, min(i + chunk_size, len(items))) for i in range(0, len(items), chunk_size)]
    method = start_method or default_start_method()
    if method not in multiprocessing.get_all_start_methods():
        raise ValueError(f"start method {method!r} is not available here")
    context = multiprocessing.get_context(method)
    done = 0
    if method == "fork":
        _JOB = (work, setup, items)
        initargs: tuple[Any, ...] = (os.getpid(), None)
    else:
        initargs = (os.getpid(), (work, setup, None))
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=initargs
    )
    try:
        if method == "fork":
            results: Iterator[R] = pool.map(_inherited, bounds)
        else:
            results = pool.map(_sent, [items[a:b] for a, b in bounds])
        for result in results:
            done += 1
            yield result
    except BrokenProcessPool:
        pass  # the rest runs here, below
    finally:
        _JOB = None
        pool.shutdown(wait=True, cancel_futures=True)
    for start, stop in bounds[done:]:
        yield work(setup, items[start:stop])
