"""Typed identifiers. Ids are time-ordered UUIDs (version 7) made by an ``IdSource`` port."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

LeadId = NewType("LeadId", UUID)
ContactId = NewType("ContactId", UUID)
AccountId = NewType("AccountId", UUID)
DealId = NewType("DealId", UUID)
ActivityId = NewType("ActivityId", UUID)
EventId = NewType("EventId", UUID)
