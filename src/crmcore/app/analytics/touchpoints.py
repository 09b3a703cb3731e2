"""Attribution paths from what the pipeline stored: engagement facts are the touches
(``email_opened``, ``email_clicked``, ``app_login``), purchases the conversions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.attribution import PathRow, touch_paths
from crmcore.ports.uow import UnitOfWork


def bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """``--from``/``--to`` days as instants: from the start of ``since`` to the end of
    ``until`` (UTC)."""
    start = None if since is None else datetime.combine(since, time(), tzinfo=UTC)
    end = None if until is None else datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC)
    return start, end


def touchpoint_paths(
    app: App, *, since: date | None = None, until: date | None = None
) -> Result[list[PathRow], AppError]:
    """Each contact's touches up to its first purchase in the window, aggregated."""
    start, end = bounds(since, until)

    def work(uow: UnitOfWork) -> Result[list[PathRow], AppError]:
        touches = uow.analytics.touches(since=start, until=end)
        conversions = uow.analytics.conversions(since=start, until=end)
        return Success(touch_paths(touches, conversions))

    return transact(app, work, commit=False)
