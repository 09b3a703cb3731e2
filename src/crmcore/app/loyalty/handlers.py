"""Loyalty reactions: purchases, form answers and public reviews move the board.

Each handler folds its batch into one facts change per customer
(:func:`crmcore.domain.reactions.board_delta`) and applies it with
:func:`~crmcore.app.loyalty.board.apply_facts`: the customer's loyalty facts grow, a card
is opened in the first column if they had none, and it moves right as far as the
column's exit metrics allow, in the same transaction as the events' cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from returns.result import Failure

from crmcore.app.loyalty.board import apply_facts_many, board_config
from crmcore.domain.ids import ContactId
from crmcore.domain.interactions import FeedbackAnalysed, FormAnswered, PurchaseRecorded
from crmcore.domain.reactions import BoardSignal, board_delta
from crmcore.ports.event_processing import FactSink
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
    customers = sorted(signals, key=str)
    known = uow.loyalty_facts.get_many(customers)
    deltas = {c: board_delta(known.get(c), signals[c]) for c in customers}
    moved = apply_facts_many(
        uow,
        app,
        deltas={c: d for c, d in deltas.items() if not d.is_empty},
        config=board,
        known=known,
    )
    if isinstance(moved, Failure):
        raise BoardUnavailable(f"cards: {moved.failure()}")


def purchases_to_board(app: App, uow: UnitOfWork, events: Sequence[PurchaseRecorded]) -> None:
    """Paid purchases count on the board (purchases, revenue, last purchase)."""
    signals: dict[ContactId, list[BoardSignal]] = {}
    for e in events:
        signals.setdefault(e.contact_id, []).append(BoardSignal(at=e.occurred_at, amount=e.amount))
    _apply(app, uow, signals)


def answers_to_board(app: App, uow: UnitOfWork, events: Sequence[FormAnswered]) -> None:
    """Every form answered counts; the customer's latest NPS answer (in the facts' order,
    whatever order the answers arrived in) becomes their last NPS."""
    latest = _latest_nps(uow, {e.contact_id for e in events if e.nps is not None})
    signals: dict[ContactId, list[BoardSignal]] = {}
    for e in events:
        nps = latest.get(e.contact_id, e.nps) if e.nps is not None else None
        signals.setdefault(e.contact_id, []).append(
            BoardSignal(at=e.occurred_at, form=True, nps=nps)
        )
    _apply(app, uow, signals)


def _latest_nps(uow: UnitOfWork, customers: set[ContactId]) -> dict[ContactId, int]:
    """Each customer's latest ``nps`` answer among their recorded facts."""
    store = getattr(uow, "facts", None)
    if store is None or not customers:
        return {}
    out: dict[ContactId, int] = {}
    for customer, fact in cast(FactSink, store).latest_nps_of(customers).items():
        nps = fact.value
        if isinstance(nps, int) and not isinstance(nps, bool):
            out[customer] = nps
    return out


def reviews_to_board(app: App, uow: UnitOfWork, events: Sequence[FeedbackAnalysed]) -> None:
    """A positive public review counts as a review on the board."""
    signals: dict[ContactId, list[BoardSignal]] = {}
    for e in events:
        if e.public_review:
            at = e.occurred_at or app.clock.now()
            signals.setdefault(e.contact_id, []).append(BoardSignal(at=at, review=True))
    _apply(app, uow, signals)
