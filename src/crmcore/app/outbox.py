"""Relaying recorded events from the outbox to the publisher."""

from __future__ import annotations

from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.ports.uow import UnitOfWork


def relay_outbox(app: App, *, batch: int = 100) -> Result[int, AppError]:
    """Publish pending events in order and mark them sent; returns how many were sent."""

    def work(uow: UnitOfWork) -> Result[int, AppError]:
        pending = uow.outbox.pending(limit=batch)
        for envelope in pending:
            app.publisher.publish(envelope)
        uow.outbox.mark_sent([e.id for e in pending])
        return Success(len(pending))

    return transact(app, work)
