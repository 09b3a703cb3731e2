"""Looking at what the pipeline kept: one failed event with its stored payload."""

from __future__ import annotations

from uuid import UUID

from returns.result import Failure, Result, Success

from crmcore.app.context import App
from crmcore.app.errors import AppError, NotFound
from crmcore.app.events.worker import _transact
from crmcore.domain.inbox import FailedEvent
from crmcore.ports.event_processing import EventUnitOfWork


def get_failed(app: App, failed_id: UUID) -> Result[FailedEvent, AppError]:
    """One failed event as stored (its raw payload and every reason)."""

    def work(uow: EventUnitOfWork) -> Result[FailedEvent, AppError]:
        failed = uow.failed_events.get(failed_id)
        if failed is None:
            return Failure(NotFound(kind="failed event", key=str(failed_id)))
        return Success(failed)

    result: Result[FailedEvent, AppError] = _transact(app, work)
    return result
