"""``crm deals list | head -1``: a closed pipe ends the real process quietly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from crmcore.app.cli.main import EXIT_PIPE_CLOSED


def test_a_reader_that_closed_the_pipe_gets_no_traceback() -> None:
    exe = shutil.which("crm")
    cmd = [exe] if exe else [sys.executable, "-m", "crmcore"]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before crm writes a byte
    try:
        done = subprocess.run(
            [*cmd, "--db", "memory://", "deals", "list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == EXIT_PIPE_CLOSED
