"""The application object every use case receives, and the one transaction helper."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.bus import NO_REACTIONS, MessageBus
from crmcore.app.errors import AppError, Conflict, StorageFailure
from crmcore.app.events.config import EventServices
from crmcore.app.marketing.config import MarketingServices
from crmcore.domain.loyalty import BoardConfig
from crmcore.domain.money import DEFAULT_CURRENCY
from crmcore.domain.phone import DEFAULT_REGION
from crmcore.domain.pipeline import PipelineConfig
from crmcore.ports.clv import ClvModel
from crmcore.ports.errors import ConcurrentModification, DuplicateKey, StorageUnavailable
from crmcore.ports.events import EventPublisher
from crmcore.ports.system import Clock, IdSource
from crmcore.ports.uow import UnitOfWork

T = TypeVar("T")

DEFAULT_DB_URL = "sqlite:///crm.db"


@attrs.frozen(kw_only=True)
class Settings:
    """Everything the composition root needs to build an application."""

    db_url: str = DEFAULT_DB_URL
    default_region: str = DEFAULT_REGION
    default_currency: str = DEFAULT_CURRENCY
    deal_stages: PipelineConfig = PipelineConfig()
    board: BoardConfig | None = None  # the loyalty ladder; None: $CRMCORE_BOARD or the default

    @classmethod
    def from_env(cls, **overrides: str | None) -> Settings:
        """Settings from ``CRMCORE_*`` environment variables, then explicit overrides."""
        env: dict[str, str] = {
            "db_url": os.environ.get("CRMCORE_DB", DEFAULT_DB_URL),
            "default_region": os.environ.get("CRMCORE_REGION", DEFAULT_REGION),
            "default_currency": os.environ.get("CRMCORE_CURRENCY", DEFAULT_CURRENCY),
        }
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(
            db_url=env["db_url"],
            default_region=env["default_region"],
            default_currency=env["default_currency"],
        )


@attrs.frozen(kw_only=True)
class App:
    """A wired application: a unit-of-work factory, clock, ids, publisher and settings."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdSource
    publisher: EventPublisher
    settings: Settings
    events: EventServices | None = None
    clv_model: ClvModel | None = None  # the CLV models; bootstrap gives NumpyClvModel
    bus: MessageBus = NO_REACTIONS  # the reactions; bootstrap registers crmcore.app.handlers
    marketing: MarketingServices | None = None  # templates and channels (issue 17)
    #: units of work for reads that write nothing (:func:`read`); ``None``: ``uow``
    reader: Callable[[], UnitOfWork] | None = None


def read(app: App, work: Callable[[UnitOfWork], Result[T, AppError]]) -> Result[T, AppError]:
    """Run ``work``, which only reads, in a read unit of work (``App.reader``): on
    PostgreSQL an autocommit connection, so a read of one statement costs no BEGIN and
    ROLLBACK round trips (each statement sees what was committed when it began: use
    :func:`transact` with ``commit=False`` for reads that need one snapshot). Never
    commits; storage exceptions become values as in :func:`transact`.

    A read whose storage turned out unavailable runs once more: the read connections are
    not pinged before use, and a pooled one the server dropped (a restart, an idle
    timeout) fails its first statement; the second try gets a fresh connection."""
    for attempt in (1, 2):
        try:
            with (app.reader or app.uow)() as uow:
                return work(uow)
        except StorageUnavailable as exc:
            if attempt == 2:
                return Failure(StorageFailure(detail=str(exc)))
    raise AssertionError("unreachable")


def transact(
    app: App, work: Callable[[UnitOfWork], Result[T, AppError]], *, commit: bool = True
) -> Result[T, AppError]:
    """Run ``work`` in one unit of work; commit on success, roll back on failure.

    Before committing, the message bus hands the events ``work`` recorded to their
    handlers, in the same transaction.

    Storage exceptions become values here, the only place a use case meets them.
    ``commit=False`` always rolls back (dry runs that still want the real answers).
    """
    try:
        with app.uow() as uow:
            result = work(uow)
            if commit and isinstance(result, Success):
                app.bus.handle(app, uow)
                uow.commit()
            return result
    except ConcurrentModification as exc:
        return Failure(Conflict(detail=str(exc)))
    except DuplicateKey as exc:
        return Failure(Conflict(detail=str(exc)))
    except StorageUnavailable as exc:
        return Failure(StorageFailure(detail=str(exc)))
