"""Activities (C4 schema): e-mails, calls, meetings, notes and tasks with due dates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs
from returns.result import Failure, Result, Success

from crmcore.domain.errors import RuleViolation
from crmcore.domain.ids import ActivityId, ContactId, DealId, LeadId


class ActivityType(StrEnum):
    """Kinds of activity."""

    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    NOTE = "note"
    TASK = "task"


@attrs.frozen(kw_only=True)
class Activity:
    """Something a person did or must do about a lead, contact or deal."""

    id: ActivityId
    type: ActivityType
    subject: str
    description: str = ""
    lead_id: LeadId | None = None
    contact_id: ContactId | None = None
    deal_id: DealId | None = None
    actor: str | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime
    version: int = 0

    @property
    def is_open_task(self) -> bool:
        """A task not yet completed."""
        return self.type == ActivityType.TASK and self.completed_at is None

    def is_overdue(self, now: datetime) -> bool:
        """An open task whose due time has passed."""
        return self.is_open_task and self.due_at is not None and self.due_at < now

    def complete(self, *, at: datetime) -> Result[Activity, RuleViolation]:
        """Mark a task done; only open tasks can be completed."""
        if self.type != ActivityType.TASK:
            return Failure(RuleViolation(rule="task", detail=f"a {self.type} is not a task"))
        if self.completed_at is not None:
            return Failure(
                RuleViolation(rule="task", detail=f"already completed at {self.completed_at}")
            )
        return Success(attrs.evolve(self, completed_at=at))
