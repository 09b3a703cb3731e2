"""Activity and task use cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.domain.activity import Activity, ActivityType
from crmcore.domain.ids import ActivityId, ContactId, DealId, LeadId
from crmcore.ports.uow import UnitOfWork


def log_activity(
    app: App,
    *,
    type: str,
    subject: str,
    description: str = "",
    lead_id: LeadId | None = None,
    contact_id: ContactId | None = None,
    deal_id: DealId | None = None,
    actor: str | None = None,
    due_at: datetime | None = None,
) -> Result[Activity, AppError]:
    """Record an e-mail, call, meeting, note or task about a lead, contact or deal."""
    check = Collector()
    kind = check.choice("type", type, ActivityType)
    if not subject.strip():
        check.fail("subject", subject, "is required")
    if lead_id is None and contact_id is None and deal_id is None:
        check.fail("concerns", "", "give a lead, contact or deal")
    if due_at is not None and kind is not None and kind != ActivityType.TASK:
        check.fail("due_at", due_at.isoformat(), "only tasks have a due date")
    if due_at is not None and due_at.tzinfo is None:
        check.fail("due_at", due_at.isoformat(), "needs a timezone")
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert kind is not None

    def work(uow: UnitOfWork) -> Result[Activity, AppError]:
        if lead_id is not None and uow.leads.get(lead_id) is None:
            return Failure(NotFound(kind="lead", key=str(lead_id)))
        if contact_id is not None and uow.contacts.get(contact_id) is None:
            return Failure(NotFound(kind="contact", key=str(contact_id)))
        if deal_id is not None and uow.deals.get(deal_id) is None:
            return Failure(NotFound(kind="deal", key=str(deal_id)))
        activity = Activity(
            id=ActivityId(app.ids.new()),
            type=kind,
            subject=subject.strip(),
            description=description,
            lead_id=lead_id,
            contact_id=contact_id,
            deal_id=deal_id,
            actor=actor,
            due_at=due_at,
            created_at=app.clock.now(),
        )
        uow.activities.add(activity)
        return Success(activity)

    return transact(app, work)


def complete_task(app: App, activity_id: ActivityId) -> Result[Activity, AppError]:
    """Mark an open task done."""

    def work(uow: UnitOfWork) -> Result[Activity, AppError]:
        activity = uow.activities.get(activity_id)
        if activity is None:
            return Failure(NotFound(kind="task", key=str(activity_id)))
        done = activity.complete(at=app.clock.now())
        if isinstance(done, Failure):
            return Failure(done.failure())
        uow.activities.save(done.unwrap())
        return Success(done.unwrap())

    return transact(app, work)


def overdue_tasks(app: App) -> Result[Sequence[Activity], AppError]:
    """Open tasks whose due time has passed."""
    now = app.clock.now()
    return transact(
        app, lambda uow: Success(uow.activities.list(open_tasks_only=True, due_before=now))
    )


def list_activities(
    app: App,
    *,
    lead_id: LeadId | None = None,
    contact_id: ContactId | None = None,
    deal_id: DealId | None = None,
    open_tasks_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Result[Sequence[Activity], AppError]:
    """Activities about a lead, contact or deal (or all), in id (creation) order."""
    return transact(
        app,
        lambda uow: Success(
            uow.activities.list(
                lead_id=lead_id,
                contact_id=contact_id,
                deal_id=deal_id,
                open_tasks_only=open_tasks_only,
                limit=limit,
                offset=offset,
            )
        ),
    )
