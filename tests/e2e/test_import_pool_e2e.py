"""``crm import`` with its validation pool, as a subprocess: fork and spawn workers give
the same import; SIGKILL or Ctrl-C leaves no worker behind and the database whole."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli_e2e import crm, crm_command, environment

ROWS = 60_000
BAD = 120  # rows with a broken e-mail


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["first_name", "last_name", "email", "phone"])
        for i in range(ROWS):
            email = f"p{i}@example.com" if i % (ROWS // BAD) else f"broken{i}@"
            writer.writerow([f"P{i}", "Pool", email, f"8 900 {i:07d}"])
    return path


def _contacts(db: Path) -> tuple[int, str]:
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return int(count), str(check)


def _descendants(pid: int) -> set[int]:
    """Live (non-zombie) processes whose parent chain leads to ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.fixture
def started(
    big_csv: Path, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], Path, set[int]]]:
    """A ``crm import`` running with its pool started: (process, database, worker pids)."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the workers")
    db = tmp_path / "crm.db"
    crm(f"sqlite:///{db}", "db", "upgrade")
    proc = subprocess.Popen(
        # three processes: this contacts file streams, so the importing one stores and
        # two validate
        [
            *crm_command(),
            "import",
            "contacts",
            str(big_csv),
            "--workers",
            "3",
            "--start-method",
            "fork",
        ],
        env=environment(f"sqlite:///{db}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a job
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        workers = _descendants(proc.pid)
        time.sleep(0.05)
    try:
        assert len(workers) >= 2, "the pool did not start"
        yield proc, db, workers
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_the_pool_imports_a_large_file_with_either_start_method(
    big_csv: Path, tmp_path: Path, method: str
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    done = crm(
        url,
        "--format",
        "json",
        "import",
        "contacts",
        str(big_csv),
        "--start-method",
        method,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert f'"created": {ROWS - BAD}' in done.stdout
    assert f"{BAD} of {ROWS} rows rejected" in done.stderr
    assert "line 2: email" in done.stderr
    assert _contacts(tmp_path / "crm.db") == (ROWS - BAD, "ok")


def test_sigkill_leaves_no_worker_and_a_consistent_database(
    started: tuple[subprocess.Popen[str], Path, set[int]], big_csv: Path
) -> None:
    proc, db, workers = started
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _gone(workers) == set(), "workers outlived their parent"
    count, check = _contacts(db)
    assert check == "ok"
    assert count % 50_000 == 0  # whole batches only (here: none yet)
    again = crm(f"sqlite:///{db}", "import", "contacts", str(big_csv), check=False)
    assert again.returncode == 3, again.stderr
    assert _contacts(db) == (ROWS - BAD, "ok")


def test_ctrl_c_stops_the_import_and_its_workers(
    started: tuple[subprocess.Popen[str], Path, set[int]],
) -> None:
    proc, db, workers = started
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends to the foreground job
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    assert _gone(workers) == set(), "workers outlived the interrupted import"
    count, check = _contacts(db)
    assert check == "ok"
    assert count % 50_000 == 0
