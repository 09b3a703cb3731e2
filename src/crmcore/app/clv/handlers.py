"""CLV reactions: purchases refresh the buyers' predictions with the stored fit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crmcore.app.clv.clv import refresh_in
from crmcore.domain.interactions import PurchaseRecorded
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App


def refresh_buyers(app: App, uow: UnitOfWork, events: Sequence[PurchaseRecorded]) -> None:
    """Recompute the CLV of every customer who bought (once per customer per batch)."""
    refresh_in(app, uow, {e.contact_id for e in events})
