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

import importlib
import os
import sys
import traceback
from typing import Any

import click

import crmcore
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
from crmcore.app.errors import (
    Conflict,
    DuplicateLead,
    NotFound,
    StorageFailure,
    UnsupportedDatabase,
)
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


#: Command name → ``module:attribute`` of its click command. A group's module is imported
#: only when the group is used (or ``--help`` lists it), so ``crm --version`` and
#: ``crm leads list`` do not pay for every capability's imports. A new group adds one line.
COMMANDS: dict[str, str] = {
    "leads": "crmcore.app.cli.leads:leads",
    "contacts": "crmcore.app.cli.contacts:contacts",
    "accounts": "crmcore.app.cli.accounts:accounts",
    "deals": "crmcore.app.cli.deals:deals",
    "activities": "crmcore.app.cli.activities:activities",
    "tasks": "crmcore.app.cli.activities:tasks",
    "import": "crmcore.app.cli.imports:import_group",
    "demo": "crmcore.app.cli.demo:demo",
    "segments": "crmcore.app.cli.segments:segments",
    "health": "crmcore.app.cli.health:health",
    "board": "crmcore.app.cli.board:board",
    "events": "crmcore.app.cli.events:events",
    "review": "crmcore.app.cli.review:review",
    "db": "crmcore.app.cli.db:db_group",
    "outbox": "crmcore.app.cli.outbox:outbox_group",
    "retention": "crmcore.app.cli.privacy:retention_group",
    "privacy": "crmcore.app.cli.privacy:privacy_group",
    "clv": "crmcore.app.cli.clv:clv",
    "dedup": "crmcore.app.cli.dedup:dedup",
    "merge": "crmcore.app.cli.merge:merge",
    "unmerge": "crmcore.app.cli.merge:unmerge",
    "report": "crmcore.app.cli.report:report",
    "alerts": "crmcore.app.cli.alerts:alerts",
    "apikeys": "crmcore.app.cli.apikeys:apikeys",
    "serve": "crmcore.app.cli.serve:serve",
    "webhooks": "crmcore.app.cli.webhooks:webhooks",
    "templates": "crmcore.app.cli.marketing:templates",
    "campaigns": "crmcore.app.cli.marketing:campaigns",
    "sequences": "crmcore.app.cli.sequences:sequences",
    "send": "crmcore.app.cli.marketing:send",
    "unsubscribe": "crmcore.app.cli.marketing:unsubscribe_cmd",
    "suppressions": "crmcore.app.cli.marketing:suppressions",
}

#: Commands that live in their own module but belong to a group above.
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "import": ("crmcore.app.cli.intel_import:transactions",),
    "apikeys": ("crmcore.app.cli.idempotency:prune_responses_cmd",),
    "report": ("crmcore.app.cli.health:report_health",),
    "leads": ("crmcore.app.cli.leads_rescore:rescore", "crmcore.app.cli.enrich:enrich_leads_cmd"),
    "accounts": (
        "crmcore.app.cli.enrich:enrich",
        "crmcore.app.cli.account_merge:merge_cmd",
        "crmcore.app.cli.account_merge:unmerge_cmd",
    ),
    "contacts": (
        "crmcore.app.cli.relationships:relate_cmd",
        "crmcore.app.cli.relationships:relations_cmd",
        "crmcore.app.cli.relationships:unrelate_cmd",
    ),
}


def _imported(target: str) -> click.Command:
    module, attribute = target.split(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):  # pragma: no cover - a wiring mistake
        raise TypeError(f"{target} is not a click command")
    return command


def load_command(name: str) -> click.Command | None:
    """The command registered under ``name``, imported on first use."""
    target = COMMANDS.get(name)
    if target is None:
        return None
    command = _imported(target)
    if isinstance(command, click.Group):
        for sub in SUBCOMMANDS.get(name, ()):
            sub_command = _imported(sub)
            command.add_command(sub_command)
    return command


class CrmGroup(click.Group):
    """The root group: loads command groups lazily (:data:`COMMANDS`), maps every failure
    to one stderr line and an exit code, and gives every command the shared ``--format``
    option (see ``context.with_format``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name) or load_command(cmd_name)
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


if __name__ == "__main__":  # pragma: no cover
    main()
