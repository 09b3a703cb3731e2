"""Loyalty reactions: purchases, form answers and public reviews move the board.

Each handler folds its batch into one facts change per customer
(:func:`crmcore.domain.reactions.board_delta`) and applies it with
:func:`~crmcore.app.loyalty.board.apply_facts`: the customer's loyalty facts grow, a card
is opened in the first column if they had none, and it moves right as far as the
column's exit metrics allow, in the same transaction as the events' cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from returns.result import Failure

from crmcore.app.loyalty.board import apply_facts, board_config
from crmcore.domain.ids import ContactId
from crmcore.domain.interactions import FeedbackAnalysed, FormAnswered, PurchaseRecorded
from crmcore.domain.reactions import BoardSignal, board_delta
from crmcore.ports.uow import UnitOfWork

if TYPE_CHECKING:
    from crmcore.app.context import App


class BoardUnavailable(RuntimeError):
    """The loyalty board's configuration cannot be read: reactions cannot be applied."""


def _apply(app: App, uow: UnitOfWork, signals: dict[ContactId, list[BoardSignal]]) -> None:
    if not signals:
        return
    config = board_config(app)
    if isinstance(config, Failure):
        raise BoardUnavailable(str(config.failure()))
    board = config.unwrap()
    for customer in sorted(signals, key=str):
        delta = board_delta(uow.loyalty_facts.get(customer), signals[customer])
        if delta.is_empty:
            continue
        moved = apply_facts(uow, app, customer=customer, delta=delta, config=board)
        if isinstance(moved, Failure):
            raise BoardUnavailable(f"card of {customer}: {moved.failure()}")


def purchases_to_board(app: App, uow: UnitOfWork, events: Sequence[PurchaseRecorded]) -> None:
    """Paid purchases count on the board (purchases, revenue, last purchase)."""
    signals: dict[ContactId, list[BoardSignal]] = {}
    for e in events:
        signals.setdefault(e.contact_id, []).append(BoardSignal(at=e.occurred_at, amount=e.amount))
    _apply(app, uow, signals)


def answers_to_board(app: App, uow: UnitOfWork, events: Sequence[FormAnswered]) -> None:
    """Every form answered counts; an NPS answer becomes the customer's last NPS."""
    signals: dict[ContactId, list[BoardSignal]] = {}
    for e in events:
        signals.setdefault(e.contact_id, []).append(
            BoardSignal(at=e.occurred_at, form=True, nps=e.nps)
        )
    _apply(app, uow, signals)


def reviews_to_board(app: App, uow: UnitOfWork, events: Sequence[FeedbackAnalysed]) -> None:
    """A positive public review counts as a review on the board."""
    signals: dict[ContactId, list[BoardSignal]] = {}
    for e in events:
        if e.public_review:
            at = e.occurred_at or app.clock.now()
            signals.setdefault(e.contact_id, []).append(BoardSignal(at=at, review=True))
    _apply(app, uow, signals)
