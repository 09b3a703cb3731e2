"""The cards of each level of the loyalty ladder, for boards that show them (the
dashboard): the most recently moved first, a bounded number per level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from returns.result import Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError
from crmcore.domain.loyalty import Card
from crmcore.ports.uow import UnitOfWork

#: Cards listed per level at most (a level's count is on the board view).
PER_LEVEL = 20


def cards_by_level(
    app: App, *, per_level: int = PER_LEVEL
) -> Result[Mapping[str, Sequence[Card]], AppError]:
    """Level key → its cards, the ones that entered the level last first."""

    def work(uow: UnitOfWork) -> Result[Mapping[str, Sequence[Card]], AppError]:
        grouped: dict[str, list[Card]] = {}
        for card in uow.cards.list():
            grouped.setdefault(card.level, []).append(card)
        return Success(
            {
                level: sorted(cards, key=lambda c: c.entered_at, reverse=True)[:per_level]
                for level, cards in grouped.items()
            }
        )

    return transact(app, work, commit=False)
