"""``crm --version`` and ``import crmcore`` stay cheap; every lazily named thing loads."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import click
import pytest

import crmcore
from crmcore.app.cli.main import COMMANDS, SUBCOMMANDS, cli, load_command

HEAVY = ("sqlalchemy", "alembic", "redis", "numpy", "scipy", "phonenumbers")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "code",
    [
        "import crmcore",
        "from crmcore.app.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass",
    ],
)
def test_starting_loads_none_of_the_heavy_libraries(code: str) -> None:
    loaded = _modules_after(code)
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}
    assert "crmcore.app.bootstrap" not in loaded


def test_every_public_name_of_the_package_resolves() -> None:
    for name in crmcore.__all__:
        assert getattr(crmcore, name) is not None, name
    with pytest.raises(AttributeError):
        _ = crmcore.no_such_name


def test_every_registered_command_loads_under_its_own_name() -> None:
    ctx = click.Context(cli)
    assert set(COMMANDS) <= set(cli.list_commands(ctx))
    for name in COMMANDS:
        command = load_command(name)
        assert isinstance(command, click.Command)
        assert command.name == name
    assert load_command("no-such-command") is None


def test_subcommands_join_their_group() -> None:
    for group_name, targets in SUBCOMMANDS.items():
        group = load_command(group_name)
        assert isinstance(group, click.Group)
        for target in targets:
            module, attribute = target.split(":")
            command = getattr(importlib.import_module(module), attribute)
            assert group.commands[command.name] is command


def test_a_command_on_a_migrated_sqlite_file_loads_only_its_own_store(tmp_path: Path) -> None:
    """A command on a database already at the newest schema checks it with one query:
    it loads neither Alembic nor the memory store nor Redis (each is imported on use)."""
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    setup = f"from crmcore import Settings, bootstrap\nbootstrap(Settings(db_url={db!r}))"
    subprocess.run([sys.executable, "-c", setup], check=True)  # creates and migrates it
    loaded = _modules_after(setup)
    assert "sqlalchemy" in loaded
    assert not {n for n in loaded if n.split(".")[0] in ("alembic", "redis")}
    assert not {
        n for n in loaded if n.startswith("crmcore.adapters.memory.") and "publisher" not in n
    }
