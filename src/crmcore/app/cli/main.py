"""The ``crm`` command: a thin click layer over the use cases.

Every command parses, calls one use case and renders. Failures never print tracebacks:
:class:`CrmGroup` is the one place that turns them into a line on stderr and an exit code
(documented in ``docs/cli.md``):

====  ==========================================================================
0     success
1     a business rule refused the command (illegal transition, not found, conflict)
2     usage: bad options or arguments, invalid field values
3     import finished but rejected some rows (the good rows landed)
4     storage unavailable (database unreachable or URL not supported by this build)
70    an unexpected internal error (``-v`` prints the traceback)
141   the reader closed the output pipe (``crm deals list | head -1``): nothing printed
====  ==========================================================================

Command groups live in their own modules and are registered at the end of this file
with one ``cli.add_command(...)`` line each.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

import crmcore
from crmcore.app.bootstrap import UnsupportedDatabase
from crmcore.app.cli.context import (
    FORMAT_HELP,
    FORMATS,
    CliState,
    CommandFailed,
    app_from,
    load_config,
    settings_from,
    state_from,
    with_format,
)
from crmcore.app.errors import Conflict, DuplicateLead, NotFound, StorageFailure
from crmcore.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from crmcore.ports.errors import StorageError

__all__ = ["EXIT_CODES", "CliState", "app_from", "cli", "exit_code_for", "main", "state_from"]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_REJECTED_ROWS = 3
EXIT_STORAGE = 4
EXIT_INTERNAL = 70
#: A closed output pipe ends the command quietly with the shell's code for SIGPIPE.
EXIT_PIPE_CLOSED = 141

#: Failure type → exit code: the single mapping every command goes through.
EXIT_CODES: dict[type[Any], int] = {
    InvalidInput: EXIT_USAGE,
    IllegalTransition: EXIT_REFUSED,
    RuleViolation: EXIT_REFUSED,
    NotFound: EXIT_REFUSED,
    DuplicateLead: EXIT_REFUSED,
    Conflict: EXIT_REFUSED,
    StorageFailure: EXIT_STORAGE,
}


def exit_code_for(error: object) -> int:
    """The documented exit code of a use-case failure."""
    return EXIT_CODES.get(type(error), EXIT_REFUSED)


def _message(error: object) -> str:
    if isinstance(error, InvalidInput):
        return f"invalid input: {error}"
    return str(error)


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class CrmGroup(click.Group):
    """The root group: maps every failure to one stderr line and an exit code, and gives
    every command the shared ``--format`` option (see ``context.with_format``)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else with_format(command)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CommandFailed as exc:
            code = exc.forced_exit_code or exit_code_for(exc.error)
            click.echo(f"error: {_message(exc.error)}", err=True)
            ctx.exit(code)
        except UnsupportedDatabase as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_STORAGE)
        except StorageError as exc:
            click.echo(f"error: storage unavailable: {exc}", err=True)
            ctx.exit(EXIT_STORAGE)
        except BrokenPipeError:
            _discard_stdout()
            ctx.exit(EXIT_PIPE_CLOSED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug, not a user error: one line unless -v
            state = ctx.find_object(CliState)
            if state is not None and state.verbose:
                click.echo(traceback.format_exc(), err=True, nl=False)
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (run with -v for details)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=CrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(crmcore.__version__, prog_name="crm")
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Database URL [env CRMCORE_DB; default sqlite:///crm.db].",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help=FORMAT_HELP)
@click.option(
    "--config",
    "config_path",
    envvar="CRMCORE_CONFIG",
    default=None,
    metavar="FILE",
    help="TOML settings file (keys: db, region, currency, format) [env CRMCORE_CONFIG].",
)
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors; no notes or bars.")
@click.option("-v", "--verbose", count=True, help="More detail (tracebacks of internal errors).")
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    fmt: str | None,
    config_path: str | None,
    quiet: bool,
    verbose: int,
) -> None:
    """crmcore operator CLI: leads, contacts, accounts, deals, imports and reports."""
    state = ctx.ensure_object(CliState)
    state.config = load_config(config_path)
    state.settings = settings_from(db_url, state.config)
    configured = str(state.config.get("format", "table"))
    state.fmt = fmt or (configured if configured in FORMATS else "table")
    state.quiet = quiet
    state.verbose = verbose


def main(argv: list[str] | None = None, *, obj: CliState | None = None) -> None:
    """Console-script entry point (``obj`` lets tests and embedders pass a built app)."""
    cli.main(args=argv, prog_name="crm", obj=obj)


# Command groups: one line each (other modules add theirs the same way).
from crmcore.app.cli.accounts import accounts  # noqa: E402
from crmcore.app.cli.activities import activities, tasks  # noqa: E402
from crmcore.app.cli.contacts import contacts  # noqa: E402
from crmcore.app.cli.deals import deals  # noqa: E402
from crmcore.app.cli.demo import demo  # noqa: E402
from crmcore.app.cli.imports import import_group  # noqa: E402
from crmcore.app.cli.leads import leads  # noqa: E402

cli.add_command(leads)
cli.add_command(contacts)
cli.add_command(accounts)
cli.add_command(deals)
cli.add_command(activities)
cli.add_command(tasks)
cli.add_command(import_group)
cli.add_command(demo)


# Customer intelligence (issue 6): segments, transaction import.
from crmcore.app.cli import health, intel_import, leads_rescore, segments  # noqa: E402

cli.add_command(segments.segments)
cli.add_command(health.health)
intel_import.attach(cli)
leads_rescore.attach(cli)

from crmcore.app.cli.board import board  # noqa: E402 - registered after cli is defined

cli.add_command(board)

from crmcore.app.cli.events import events as _events  # noqa: E402
from crmcore.app.cli.review import review as _review  # noqa: E402

cli.add_command(_events)
cli.add_command(_review)


from crmcore.app.cli.db import db_group  # noqa: E402

cli.add_command(db_group)

from crmcore.app.cli.outbox import outbox_group  # noqa: E402

cli.add_command(outbox_group)

from crmcore.app.cli.privacy import privacy_group, retention_group  # noqa: E402

cli.add_command(retention_group)
cli.add_command(privacy_group)


from crmcore.app.cli.clv import clv as _clv  # noqa: E402

cli.add_command(_clv)

if __name__ == "__main__":  # pragma: no cover
    main()

# Data quality (issue 18): duplicate detection, merge, relationships.
from crmcore.app.cli.dedup import dedup as _dedup  # noqa: E402

cli.add_command(_dedup)
from crmcore.app.cli.merge import merge as _merge  # noqa: E402
from crmcore.app.cli.merge import unmerge as _unmerge  # noqa: E402

cli.add_command(_merge)
cli.add_command(_unmerge)
from crmcore.app.cli.enrich import enrich as _enrich  # noqa: E402

accounts.add_command(_enrich)
from crmcore.app.cli.relationships import relate_cmd, relations_cmd, unrelate_cmd  # noqa: E402

contacts.add_command(relate_cmd)
contacts.add_command(relations_cmd)
contacts.add_command(unrelate_cmd)
