"""Every command and option says what it does, in the operator's words (``--help``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from crmcore.app.cli.main import COMMANDS, cli

#: Internal references an operator cannot look up: spec ids ("C2", "P1") and issue numbers.
INTERNAL_REFERENCE = re.compile(r"\b[CP]\d{1,2}\b|(?i:issue) \d+")


def _walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} lists {name} but cannot load it"
            yield from _walk(sub, (*path, name))


def _every_command() -> list[tuple[str, click.Command]]:
    """``crm`` and every command under it, loaded as the operator's ``crm`` loads them."""
    ctx = click.Context(cli)
    found: list[tuple[str, click.Command]] = [("crm", cli)]
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None, name
        found.extend(_walk(command, ("crm", name)))
    return found


COMMANDS_FOUND = _every_command()
OPTIONS_FOUND = [
    (f"{path} {'/'.join(param.opts)}", param)
    for path, command in COMMANDS_FOUND
    for param in command.params
    if isinstance(param, click.Option) and not param.hidden
]


def test_the_walk_reaches_every_registered_command() -> None:
    paths = {path for path, _ in COMMANDS_FOUND}
    assert {f"crm {name}" for name in COMMANDS} <= paths
    assert len(OPTIONS_FOUND) > 100


@pytest.mark.parametrize(("path", "command"), COMMANDS_FOUND, ids=[p for p, _ in COMMANDS_FOUND])
def test_every_command_has_help(path: str, command: click.Command) -> None:
    assert (command.help or command.short_help or "").strip(), f"{path} has no help"


@pytest.mark.parametrize(("where", "option"), OPTIONS_FOUND, ids=[w for w, _ in OPTIONS_FOUND])
def test_every_option_has_help(where: str, option: click.Option) -> None:
    assert (option.help or "").strip(), f"{where} has no help"


def test_no_help_text_names_a_spec_id_or_an_issue() -> None:
    texts = [(path, c.help or "") for path, c in COMMANDS_FOUND]
    texts += [(path, c.short_help or "") for path, c in COMMANDS_FOUND]
    texts += [(where, o.help or "") for where, o in OPTIONS_FOUND]
    offending = [(where, text) for where, text in texts if INTERNAL_REFERENCE.search(text)]
    assert offending == []


@pytest.mark.parametrize("text", ["see C2", "rule P1 applies", "fixed in issue 16", "Issue 3"])
def test_the_check_catches_internal_references(text: str) -> None:
    assert INTERNAL_REFERENCE.search(text)


@pytest.mark.parametrize("text", ["p90 wait", "ISO-4217 code", "CP1251 files", "C-level"])
def test_the_check_leaves_ordinary_words_alone(text: str) -> None:
    assert not INTERNAL_REFERENCE.search(text)


def test_leads_capture_help_says_a_first_name_is_required() -> None:
    result = CliRunner().invoke(cli, ["leads", "capture", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "--first-name" in line)
    assert "required" in line
