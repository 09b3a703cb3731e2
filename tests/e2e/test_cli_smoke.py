"""The installed ``crm`` command runs in a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys

import crmcore


def _crm(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("crm")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "crmcore", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_version_and_help() -> None:
    version = _crm("--version")
    assert version.returncode == 0
    assert crmcore.__version__ in version.stdout
    assert "Usage" in _crm("--help").stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = _crm("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
