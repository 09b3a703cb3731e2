"""Loyalty board use cases: facts in, cards move; take, release, override; reports.

``record_facts`` is the hook other use cases and event handlers call: it updates the
customer's facts and moves the card in the same unit of work. Code that already holds a
unit of work calls :func:`apply_facts` inside it instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import TypeVar
from uuid import UUID

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, Conflict, NotFound
from crmcore.app.importing.validation import Collector
from crmcore.app.loyalty.config import BOARD_ENV, load_board
from crmcore.app.progress import Progress, chunks
from crmcore.domain import loyalty as ladder
from crmcore.domain.errors import RuleViolation
from crmcore.domain.events import Changed, DomainEvent
from crmcore.domain.ids import ContactId
from crmcore.domain.loyalty import (
    BoardConfig,
    Card,
    CardId,
    CohortRevenue,
    Column,
    CustomerKind,
    Move,
    MoveCause,
    Stuck,
)
from crmcore.domain.loyalty_metrics import CustomerFacts, FactsDelta, facts_delta
from crmcore.ports.uow import UnitOfWork

T = TypeVar("T")


@cache
def _load_cached(path: str | None) -> Result[BoardConfig, AppError]:
    loaded = load_board(path)
    return Failure(loaded.failure()) if isinstance(loaded, Failure) else Success(loaded.unwrap())


def board_config(app: App) -> Result[BoardConfig, AppError]:
    """The app's board: ``settings.board``, else ``$CRMCORE_BOARD``, else the default."""
    if app.settings.board is not None:
        return Success(app.settings.board)
    return _load_cached(os.environ.get(BOARD_ENV) or None)


def _with_config(
    app: App, work: Callable[[BoardConfig], Result[T, AppError]]
) -> Result[T, AppError]:
    config = board_config(app)
    if isinstance(config, Failure):
        return Failure(config.failure())
    return work(config.unwrap())


@attrs.frozen(kw_only=True)
class FactsUpdate:
    """The outcome of a facts change: the new facts, the card and the moves it made."""

    facts: CustomerFacts
    card: Card
    moves: tuple[Move, ...] = ()


def _save_change(uow: UnitOfWork, change: Changed[Card], *, at: datetime, app: App) -> list[Move]:
    moves = ladder.move_records(change.events, at=at, new_id=app.ids.new)
    if change.events:
        uow.cards.save(change.entity)
        uow.card_moves.append(moves)
        uow.record(*change.events)
    return moves


def _new_cards(
    uow: UnitOfWork,
    customers: Sequence[UUID],
    facts: Mapping[UUID, CustomerFacts],
    config: BoardConfig,
    at: datetime,
) -> dict[UUID, Card]:
    """New first-column cards for stored contacts or accounts (the others are left out)."""
    cards: dict[UUID, Card] = {}
    # what a card shows of a contact, not the whole contact
    contacts = uow.contacts.headlines([ContactId(c) for c in customers])
    for customer in customers:
        contact = contacts.get(ContactId(customer))
        if contact is not None:
            reach = contact.email or contact.phone or ""
            name, kind, since = contact.name, CustomerKind.CONTACT, contact.created_at.date()
        else:
            account = uow.accounts.get(customer)  # type: ignore[arg-type]
            if account is None:
                continue
            reach = account.website or ""
            name, kind, since = account.name, CustomerKind.ACCOUNT, account.created_at.date()
        cards[customer] = ladder.new_card(
            id=CardId(customer),
            name=name,
            contact=reach,
            kind=kind,
            first_interaction=facts[customer].first_interaction or since,
            config=config,
            at=at,
        )
    return cards


def apply_facts_many(
    uow: UnitOfWork,
    app: App,
    *,
    deltas: Mapping[UUID, FactsDelta],
    config: BoardConfig,
    cause: str = MoveCause.FACTS,
    known: Mapping[UUID, CustomerFacts] | None = None,
) -> Result[dict[UUID, FactsUpdate], AppError]:
    """Inside an open unit of work: update many customers' facts, open the cards they lack
    and move every card right as far as its exit metrics allow — a few statements for the
    whole set. A customer who is neither a stored contact nor an account fails it all.
    ``known``: the customers' stored facts, when the caller has just read them."""
    now = app.clock.now()
    customers = list(deltas)
    if known is None:
        known = uow.loyalty_facts.get_many(customers)
    facts = {c: (known.get(c) or CustomerFacts()).apply(deltas[c]) for c in customers}
    stored = uow.cards.get_many([CardId(c) for c in customers])
    missing = [c for c in customers if CardId(c) not in stored]
    opened = _new_cards(uow, missing, facts, config, now)
    unknown = next((c for c in missing if c not in opened), None)
    if unknown is not None:
        return Failure(NotFound(kind="customer", key=str(unknown)))
    uow.loyalty_facts.put_many(facts)
    added: list[Card] = []
    saved: list[Card] = []
    moves: list[Move] = []
    events: list[DomainEvent] = []
    out: dict[UUID, FactsUpdate] = {}
    for customer in customers:
        new = customer in opened
        card = opened[customer] if new else stored[CardId(customer)]
        change = ladder.advance(card, facts[customer], config, at=now, cause=cause)
        moved = ladder.move_records(change.events, at=now, new_id=app.ids.new)
        if new:
            added.append(change.entity)
        elif change.events:
            saved.append(change.entity)
        moves.extend(moved)
        events.extend(change.events)
        out[customer] = FactsUpdate(facts=facts[customer], card=change.entity, moves=tuple(moved))
    uow.cards.add_many(added)
    uow.cards.save_many(saved)
    if moves:
        uow.card_moves.append(moves)
    uow.record(*events)
    return Success(out)


def apply_facts(
    uow: UnitOfWork,
    app: App,
    *,
    customer: UUID,
    delta: FactsDelta,
    config: BoardConfig,
    cause: str = MoveCause.FACTS,
) -> Result[FactsUpdate, AppError]:
    """Inside an open unit of work: update facts, open the card if needed, move it right."""
    return apply_facts_many(uow, app, deltas={customer: delta}, config=config, cause=cause).map(
        lambda updates: updates[customer]
    )


def record_facts(
    app: App, customer: UUID, *, cause: str = MoveCause.FACTS, **changes: object
) -> Result[FactsUpdate, AppError]:
    """Record facts about a customer (counters add: ``purchases=1``; values replace:
    ``partner_program=True``) and move the card as far right as its exit metrics allow."""
    delta = facts_delta(changes)
    if isinstance(delta, Failure):
        return Failure(delta.failure())

    def run(config: BoardConfig) -> Result[FactsUpdate, AppError]:
        return transact(
            app,
            lambda uow: apply_facts(
                uow, app, customer=customer, delta=delta.unwrap(), config=config, cause=cause
            ),
        )

    return _with_config(app, run)


def open_card(
    app: App,
    *,
    customer: UUID,
    name: str,
    first_interaction: date,
    contact: str = "",
    kind: str = "contact",
) -> Result[Card, AppError]:
    """Put a customer on the board (first column, then as far as its facts allow)."""
    check = Collector()
    if not name.strip():
        check.fail("name", name, "is required")
    parsed_kind = check.choice("kind", kind, CustomerKind)
    invalid = check.failure()
    if invalid is not None:
        return Failure(invalid)
    assert parsed_kind is not None

    def run(config: BoardConfig) -> Result[Card, AppError]:
        def work(uow: UnitOfWork) -> Result[Card, AppError]:
            if uow.cards.get(CardId(customer)) is not None:
                return Failure(Conflict(detail=f"customer {customer} already has a card"))
            now = app.clock.now()
            card = ladder.new_card(
                id=CardId(customer),
                name=name,
                contact=contact,
                kind=parsed_kind,
                first_interaction=first_interaction,
                config=config,
                at=now,
            )
            uow.cards.add(card)
            facts = uow.loyalty_facts.get(customer)
            if facts is None:
                return Success(card)
            change = ladder.advance(card, facts, config, at=now)
            _save_change(uow, change, at=now, app=app)
            return Success(change.entity)

        return transact(app, work)

    return _with_config(app, run)


@attrs.frozen(kw_only=True)
class CustomerImport:
    """One customer of an existing base: who they are and the facts we already have."""

    customer: UUID
    name: str
    first_interaction: date
    facts: CustomerFacts
    contact: str = ""
    kind: CustomerKind = CustomerKind.CONTACT


@attrs.frozen(kw_only=True)
class Placement:
    """What a placement run did."""

    imported: int = 0
    opened: int = 0
    moved: int = 0
    unchanged: int = 0
    skipped: tuple[UUID, ...] = ()  # facts without a contact, account or imported card


def place_all(
    app: App, *, imports: Sequence[CustomerImport] = (), progress: Progress | None = None
) -> Result[Placement, AppError]:
    """Place an existing base: store imported facts, open missing cards, and move every card
    to the highest level whose earlier exit metrics all hold. Re-running changes nothing.
    ``progress(done, total)`` hears of each chunk of cards placed."""

    def run(config: BoardConfig) -> Result[Placement, AppError]:
        def work(uow: UnitOfWork) -> Result[Placement, AppError]:
            now = app.clock.now()
            opened = moved = unchanged = 0
            skipped: list[UUID] = []
            for row in imports:
                uow.loyalty_facts.put(row.customer, row.facts)
                if uow.cards.get(CardId(row.customer)) is None:
                    uow.cards.add(
                        ladder.new_card(
                            id=CardId(row.customer),
                            name=row.name,
                            contact=row.contact,
                            kind=row.kind,
                            first_interaction=row.first_interaction,
                            config=config,
                            at=now,
                        )
                    )
                    opened += 1
            everyone = dict(uow.loyalty_facts.list())
            stored = uow.cards.get_many([CardId(c) for c in everyone])
            missing = [c for c in everyone if CardId(c) not in stored]
            fresh = _new_cards(uow, missing, everyone, config, now)
            uow.cards.add_many(list(fresh.values()))
            opened += len(fresh)
            for chunk in chunks(list(everyone.items()), progress):
                for customer, facts in chunk:
                    card = stored.get(CardId(customer)) or fresh.get(customer)
                    if card is None:
                        skipped.append(customer)
                        continue
                    change = ladder.place_card(card, facts, config, at=now)
                    if _save_change(uow, change, at=now, app=app):
                        moved += 1
                    else:
                        unchanged += 1
            return Success(
                Placement(
                    imported=len(imports),
                    opened=opened,
                    moved=moved,
                    unchanged=unchanged,
                    skipped=tuple(skipped),
                )
            )

        return transact(app, work)

    return _with_config(app, run)


def _change_card(
    app: App,
    card_id: CardId,
    step: Callable[[UnitOfWork, Card, BoardConfig, datetime], Result[Changed[Card], RuleViolation]],
) -> Result[Card, AppError]:
    def run(config: BoardConfig) -> Result[Card, AppError]:
        def work(uow: UnitOfWork) -> Result[Card, AppError]:
            card = uow.cards.get(card_id)
            if card is None:
                return Failure(NotFound(kind="card", key=str(card_id)))
            now = app.clock.now()
            changed = step(uow, card, config, now)
            if isinstance(changed, Failure):
                return Failure(changed.failure())
            change = changed.unwrap()
            if change.events:
                uow.cards.save(change.entity)
                uow.card_moves.append(
                    ladder.move_records(change.events, at=now, new_id=app.ids.new)
                )
                uow.record(*change.events)
            return Success(change.entity)

        return transact(app, work)

    return _with_config(app, run)


def _counted(
    uow: UnitOfWork, card: Card, change: Result[Changed[Card], RuleViolation], read: int
) -> Result[Changed[Card], RuleViolation]:
    """Raise the column's WIP counter when a take or release changed the card, so that a
    concurrent take in the same column conflicts instead of passing the limit."""
    if isinstance(change, Success) and change.unwrap().events:
        uow.cards.bump_column(card.level, read)
    return change


def take_card(app: App, card_id: CardId, *, owner: str) -> Result[Card, AppError]:
    """Make a card active for ``owner``; refused beyond its column's WIP limit, naming holders.

    The column's counter is read before its active cards and raised with the take, so of
    two concurrent takes in one column only one commits (the other gets a conflict)."""

    def step(
        uow: UnitOfWork, card: Card, config: BoardConfig, now: datetime
    ) -> Result[Changed[Card], RuleViolation]:
        read = uow.cards.column_version(card.level)
        active = uow.cards.list(level=card.level, active_only=True)
        return _counted(uow, card, ladder.take(card, owner, active, config, at=now), read)

    return _change_card(app, card_id, step)


def release_card(app: App, card_id: CardId) -> Result[Card, AppError]:
    """Make a card inactive again (raising its column's WIP counter)."""

    def step(
        uow: UnitOfWork, card: Card, _config: BoardConfig, now: datetime
    ) -> Result[Changed[Card], RuleViolation]:
        read = uow.cards.column_version(card.level)
        return _counted(uow, card, ladder.release(card, at=now), read)

    return _change_card(app, card_id, step)


def override_card(app: App, card_id: CardId, *, to: str, reason: str) -> Result[Card, AppError]:
    """An operator moves a card to any column, left included; the reason is recorded.

    A held card is released by the move (the work on its column is done), which raises
    that column's WIP counter as a release does."""

    def step(
        uow: UnitOfWork, card: Card, config: BoardConfig, now: datetime
    ) -> Result[Changed[Card], RuleViolation]:
        change = ladder.override_move(card, to, config, at=now, reason=reason)
        if card.holder is None:
            return change
        return _counted(uow, card, change, uow.cards.column_version(card.level))

    return _change_card(app, card_id, step)


def get_card(app: App, card_id: CardId) -> Result[Card, AppError]:
    """One card by id (the customer's id)."""

    def work(uow: UnitOfWork) -> Result[Card, AppError]:
        card = uow.cards.get(card_id)
        return Success(card) if card else Failure(NotFound(kind="card", key=str(card_id)))

    return transact(app, work)


@attrs.frozen(kw_only=True)
class BoardView:
    """The board: its columns left to right and totals."""

    columns: tuple[Column, ...]

    @property
    def cards(self) -> int:
        """Cards on the board."""
        return sum(c.cards for c in self.columns)

    @property
    def target(self) -> int:
        """The sum of the per-level targets (the article's 7 × 100)."""
        return sum(c.target for c in self.columns)


def _facts_by_card(uow: UnitOfWork) -> Mapping[CardId, CustomerFacts]:
    return {CardId(k): v for k, v in uow.loyalty_facts.list()}


def board_view(app: App) -> Result[BoardView, AppError]:
    """Counts, WIP use, progress to the target and revenue per column."""

    def run(config: BoardConfig) -> Result[BoardView, AppError]:
        def work(uow: UnitOfWork) -> Result[BoardView, AppError]:
            columns = ladder.board_columns(uow.cards.list(), _facts_by_card(uow), config)
            return Success(BoardView(columns=tuple(columns)))

        return transact(app, work)

    return _with_config(app, run)


@attrs.frozen(kw_only=True)
class CardLine:
    """One card as the board's card list shows it."""

    card: Card
    days_in_level: float
    next_action: str


def board_cards(app: App, *, level: str | None = None) -> Result[list[CardLine], AppError]:
    """The cards (of one level, or all) left to right, longest waiting first in a level,
    with their days in the level and the level's playbook as the next action."""
    now = app.clock.now()

    def run(config: BoardConfig) -> Result[list[CardLine], AppError]:
        if level is not None and not config.has(level):
            return Failure(NotFound(kind="level", key=level))

        def work(uow: UnitOfWork) -> Result[list[CardLine], AppError]:
            order = {key: i for i, key in enumerate(config.keys)}
            playbooks = {lv.key: lv.playbook for lv in config.levels}
            cards = sorted(
                uow.cards.list(level=level),
                key=lambda c: (order.get(c.level, len(order)), c.entered_at, str(c.id)),
            )
            return Success(
                [
                    CardLine(
                        card=c,
                        days_in_level=max(0.0, (now - c.entered_at).total_seconds() / 86400),
                        next_action=playbooks.get(c.level, ""),
                    )
                    for c in cards
                ]
            )

        return transact(app, work)

    return _with_config(app, run)


def stuck_report(app: App) -> Result[list[Stuck], AppError]:
    """Per transition: waiting cards, median and p90 wait in days, and the playbook."""
    now = app.clock.now()
    return _with_config(
        app,
        lambda config: transact(
            app, lambda uow: Success(ladder.stuck_report(uow.cards.list(), config, now=now))
        ),
    )


def movements(
    app: App, *, since: datetime | None = None, card_id: CardId | None = None
) -> Result[Sequence[Move], AppError]:
    """The movement log in order."""
    return transact(app, lambda uow: Success(uow.card_moves.list(card_id=card_id, since=since)))


def cohort_revenue(app: App) -> Result[list[CohortRevenue], AppError]:
    """Revenue per first-interaction-month cohort and current level."""
    return _with_config(
        app,
        lambda config: transact(
            app,
            lambda uow: Success(
                ladder.cohort_revenue(uow.cards.list(), _facts_by_card(uow), config)
            ),
        ),
    )
