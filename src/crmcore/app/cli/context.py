"""What every ``crm`` command shares: the invocation state, the app, and failures.

Commands never print errors or choose exit codes themselves: they call :func:`unwrap`,
which raises :class:`CommandFailed`; the root group in ``main.py`` maps it to a one-line
message on stderr and a documented exit code (the one place that does).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import attrs
import click
from returns.result import Failure, Result

from crmcore.app.errors import AppError

if TYPE_CHECKING:  # the application's modules load when a command first needs them
    from crmcore.app.context import App, Settings

T = TypeVar("T")

FORMATS = ("table", "json", "csv")
EXIT_USAGE = 2


class CommandFailed(click.ClickException):
    """A use case answered with a failure; ``main`` maps it to an exit code."""

    def __init__(self, error: AppError | str, *, exit_code: int | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.forced_exit_code = exit_code


@attrs.define
class CliState:
    """Options of one invocation and the application built for it.

    Tests pass ``CliState(app=...)`` as ``obj`` so that several invocations share one
    (memory) application; otherwise the app is built lazily from the settings.
    """

    app: App | None = None
    settings: Settings | None = None
    fmt: str = "table"
    quiet: bool = False
    verbose: int = 0
    config: dict[str, Any] = attrs.field(factory=dict)


def _chosen_format(ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    state = state_from(ctx)
    if value is not None:
        state.fmt = value
    return state.fmt


#: The one ``--format`` option. The root group declares it, and ``crm`` adds it to every
#: command (``CrmGroup``), so ``crm --format json X`` and ``crm X --format json`` are the
#: same; a command's own value wins over the root's, which is its default. Commands read
#: the outcome as ``state_from(ctx).fmt``.
FORMAT_HELP = "Output format: table, json or csv [default: crm --format, config, table]."


def format_option() -> click.Option:
    """A fresh ``--format`` parameter for one command (click parameters are not shared)."""
    return click.Option(
        ["--format", "fmt"],
        type=click.Choice(FORMATS),
        default=None,
        expose_value=False,
        callback=_chosen_format,
        help=FORMAT_HELP,
    )


def with_format(command: click.Command) -> click.Command:
    """``command`` and, for a group, every command under it, accepting ``--format``."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_format(sub)
    elif not any(p.name == "fmt" for p in command.params):
        command.params.append(format_option())
    return command


def load_config(path: str | None) -> dict[str, Any]:
    """The ``[crm]`` table (or the top level) of a TOML config file; ``{}`` without one."""
    if not path:
        return {}
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise click.BadParameter(f"{path}: no such file", param_hint="--config") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path}: not valid TOML ({exc})", param_hint="--config") from exc
    section = data.get("crm", data)
    return dict(section) if isinstance(section, dict) else {}


def settings_from(db_url: str | None, config: dict[str, Any]) -> Settings:
    """Option, then environment, then config file, then default — for every setting."""
    from crmcore.app.context import DEFAULT_DB_URL, Settings
    from crmcore.domain.money import DEFAULT_CURRENCY
    from crmcore.domain.phone import DEFAULT_REGION

    def pick(option: str | None, env: str, key: str, default: str) -> str:
        if option:
            return option
        if os.environ.get(env):
            return os.environ[env]
        value = config.get(key)
        return str(value) if value else default

    return Settings(
        db_url=pick(db_url, "CRMCORE_DB", "db", DEFAULT_DB_URL),
        default_region=pick(None, "CRMCORE_REGION", "region", DEFAULT_REGION),
        default_currency=pick(None, "CRMCORE_CURRENCY", "currency", DEFAULT_CURRENCY),
    )


def state_from(ctx: click.Context) -> CliState:
    """The invocation state set up by the root group."""
    state = ctx.find_object(CliState)
    if state is None:  # a command invoked without the root group (tests of one command)
        state = CliState()
        ctx.obj = state
    return state


def settings_of(ctx: click.Context) -> Settings:
    """The settings of this invocation (of the pre-built app when one was given)."""
    state = state_from(ctx)
    if state.app is not None:
        return state.app.settings
    if state.settings is None:
        state.settings = settings_from(None, state.config)
    return state.settings


def app_from(ctx: click.Context) -> App:
    """The application for this invocation (a pre-built one, or built from settings once).

    ``UnsupportedDatabase`` propagates to the root group, which maps it to exit code 4;
    an in-memory SQLite URL is refused with exit code 2.
    """
    from crmcore.app.bootstrap import bootstrap, is_throwaway_sqlite  # the heavy part: on use

    state = state_from(ctx)
    if state.app is None:
        settings = state.settings or settings_from(None, state.config)
        if is_throwaway_sqlite(settings.db_url):
            fail(
                f"{settings.db_url!r} is an in-memory SQLite database, thrown away when the "
                "command ends (nothing would be stored): use sqlite:///FILE.db, or "
                "memory:// for a deliberate throw-away session",
                exit_code=EXIT_USAGE,
            )
        state.app = bootstrap(settings)
    return state.app


def unwrap(result: Result[T, AppError]) -> T:
    """The success value, or :class:`CommandFailed` carrying the use case's failure."""
    if isinstance(result, Failure):
        raise CommandFailed(result.failure())
    return result.unwrap()


def fail(message: str, *, exit_code: int) -> NoReturn:
    """Stop the command with ``message`` and an explicit exit code."""
    raise CommandFailed(message, exit_code=exit_code)


def note(ctx: click.Context, message: str) -> None:
    """An informational line on stderr, silenced by ``-q``."""
    if not state_from(ctx).quiet:
        click.echo(message, err=True)
