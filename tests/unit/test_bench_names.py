"""The benchmark scripts run as ``python bench/NAME.py``, which puts ``bench/`` first on
``sys.path``: a script named like a standard-library module would shadow it for every
import that follows (``bench/http.py`` once broke ``bench/ingest.py`` that way)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_no_bench_script_is_named_like_a_standard_library_module() -> None:
    names = {path.stem for path in BENCH.glob("*.py")} - {"__init__"}
    assert names, "no benchmark script found"
    assert sorted(names & set(sys.stdlib_module_names)) == []
